"""Optimizers that must not mislead: the exact line search returns the minimizer along the
ray (or warns), `minimize`'s divergence rule fires only on divergence and can be set or
turned off, a loss that is not finite at the start is reported as such, and
`History.steps` counts the updates taken."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from tinygrad_edu import Tensor, optim
from tinygrad_edu.nn import functional as F

scipy_optimize = pytest.importorskip("scipy.optimize")


# ---------------------------------------------------------------- exact line search
def logistic_problem(seed: int):
    """A small logistic regression and a start where Newton's first step overshoots."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(6, 2))
    y = (rng.random(6) > 0.5).astype(float)
    w0 = rng.normal(size=2) * 4

    def f_numpy(w: np.ndarray) -> float:
        z = X @ w
        return float(np.mean(np.logaddexp(0.0, z) - y * z))

    def grad_numpy(w: np.ndarray) -> np.ndarray:
        return X.T @ (1.0 / (1.0 + np.exp(-(X @ w))) - y) / len(y)

    return X, y, w0, f_numpy, grad_numpy


def run_exact_step(X, y, w0, **kwargs):
    w = Tensor(w0.copy(), requires_grad=True)
    opt = optim.ExactLineSearch([w], **kwargs)

    def closure():
        opt.zero_grad()
        loss = F.binary_cross_entropy_with_logits(Tensor(X) @ w, Tensor(y))
        loss.backward()
        return loss

    opt.step(closure)
    return w, opt


@pytest.mark.parametrize("seed", [2, 12, 15, 24, 27, 33])
def test_exact_line_search_finds_the_minimizer_of_a_logistic_loss_along_the_ray(seed):
    X, y, w0, f_numpy, grad_numpy = logistic_problem(seed)
    g = grad_numpy(w0)
    phi = lambda eps: f_numpy(w0 - eps * g)  # noqa: E731
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # it converges: no warning
        w, opt = run_exact_step(X, y, w0)
    best = scipy_optimize.minimize_scalar(phi, bracket=(0.0, 1e-3), tol=1e-12)
    assert opt.last_step_size == pytest.approx(best.x, rel=1e-6)
    np.testing.assert_allclose(w.data, w0 - opt.last_step_size * g, rtol=1e-12)
    slope = -g @ grad_numpy(w.data)  # phi'(eps) at the accepted step
    assert abs(slope) <= 1e-8 * (g @ g)
    np.testing.assert_allclose(w.grad.data, grad_numpy(w.data), rtol=1e-10)  # grad at the new point


def test_exact_line_search_warns_with_phi_prime_when_it_does_not_converge():
    X, y, w0, f_numpy, grad_numpy = logistic_problem(2)
    with pytest.warns(RuntimeWarning, match=r"did not converge in max_iter=2 .*\|phi'\(eps\)\| = ") as record:
        w, opt = run_exact_step(X, y, w0, max_iter=2)
    g = grad_numpy(w0)
    slope = abs(g @ grad_numpy(w.data))
    assert f"{slope:.3g}" in str(record[0].message)
    assert f_numpy(w.data) < f_numpy(w0)  # it took the lowest point it found


def test_exact_line_search_warns_when_the_loss_decreases_without_bound_along_the_ray():
    X, y, w0, f_numpy, _ = logistic_problem(1)  # separable: phi keeps falling
    with pytest.warns(RuntimeWarning, match="did not converge"):
        w, _ = run_exact_step(X, y, w0)
    assert f_numpy(w.data) < f_numpy(w0)


# ---------------------------------------------------------------- divergence rule
def test_adam_from_a_loss_near_zero_is_not_called_divergent():
    target = Tensor([1.0, -2.0, 0.5, 3.0])
    W = Tensor(target.numpy() + 6.3e-9, requires_grad=True)  # loss 1.6e-16
    hist = optim.minimize(lambda: ((W - target) ** 2).sum(), optim.Adam([W], lr=1e-3), steps=50)
    assert hist.loss[0] < 1e-15 and max(hist.loss) > 1e-6  # Adam's first steps have size ~lr
    assert hist.steps == 50


def sgd_too_large():
    W = Tensor([1.0, 1.0], requires_grad=True)
    return W, (lambda: (W * W).sum()), optim.SGD([W], lr=1.5)  # each step multiplies W by -2


def test_divergence_sets_the_growth_limit():
    W, loss_fn, opt = sgd_too_large()
    hint = "divergence=100 sets this limit; divergence=None turns it off"
    with pytest.raises(optim.DivergenceError, match=hint) as info:
        optim.minimize(loss_fn, opt, steps=100, divergence=100)
    assert info.value.loss > 100 * 2.0 and info.value.step == 4  # 2 * 4^4 = 512 > 200
    W, loss_fn, opt = sgd_too_large()
    with pytest.raises(optim.DivergenceError) as default:
        optim.minimize(loss_fn, opt, steps=100)
    assert default.value.step == 10  # 2 * 4^10 > 2e6 >= 2 * 4^9


def test_divergence_none_turns_the_growth_limit_off():
    W, loss_fn, opt = sgd_too_large()
    hist = optim.minimize(loss_fn, opt, steps=20, divergence=None)
    assert hist.steps == 20 and hist.loss[-1] == 2.0 * 4.0**19


@pytest.mark.parametrize("bad", [0, 1, 0.5, -3.0, "big", float("nan")])
def test_divergence_must_be_a_factor_above_one(bad):
    W, loss_fn, opt = sgd_too_large()
    with pytest.raises(ValueError, match="divergence must be None"):
        optim.minimize(loss_fn, opt, divergence=bad)


def test_a_non_finite_loss_at_the_start_names_the_starting_point():
    W = Tensor([-1.0, 2.0], requires_grad=True)
    start = "at the starting point, before any step"
    with np.errstate(invalid="ignore"), pytest.raises(ValueError, match=start) as info:
        optim.minimize(lambda: W.log().sum(), optim.SGD([W], lr=0.1), steps=5)
    message = str(info.value)
    assert "the loss is nan" in message and "step size" not in message and "learning rate" not in message


def test_a_non_finite_gradient_at_the_start_names_the_starting_point():
    W = Tensor([0.0, 4.0], requires_grad=True)
    with np.errstate(divide="ignore"), pytest.raises(ValueError, match="gradient is not finite"):
        optim.minimize(lambda: W.sqrt().sum(), optim.SGD([W], lr=0.1), steps=5)


def test_a_loss_that_becomes_non_finite_later_still_blames_the_step_size():
    W, loss_fn, opt = sgd_too_large()
    with np.errstate(over="ignore"), pytest.raises(optim.DivergenceError, match="became non-finite.*lr=1.5"):
        optim.minimize(loss_fn, opt, steps=1000, divergence=None)


# ---------------------------------------------------------------- History.steps
def test_history_steps_counts_updates_when_tol_stops_the_run():
    W = Tensor([3.0, -1.0], requires_grad=True)
    hist = optim.minimize(lambda: (W * W).sum(), optim.SGD([W], lr=0.25), steps=100, tol=1e-6)
    # each step halves W: the gradient norm 2 ||W|| falls below 1e-6 after k steps
    k = int(np.ceil(np.log2(2 * np.sqrt(10.0) / 1e-6)))
    assert hist.steps == k and len(hist) == k + 1 and hist.step_size[-1] == 0.0
    assert hist.to_dict()["steps"] == k
    assert len(hist.trajectory()) == k + 2  # x_0 .. x_k, then where it ended (x_k again)


def test_history_steps_equals_steps_when_tol_is_not_reached():
    W = Tensor([3.0, -1.0], requires_grad=True)
    hist = optim.minimize(lambda: (W * W).sum(), optim.SGD([W], lr=0.01), steps=7)
    assert hist.steps == len(hist) == 7


def test_history_steps_of_a_diverged_run():
    W, loss_fn, opt = sgd_too_large()
    with pytest.raises(optim.DivergenceError) as info:
        optim.minimize(loss_fn, opt, steps=100)
    assert info.value.history.steps == info.value.step == len(info.value.history) - 1


def test_contour_legend_and_demo_table_use_history_steps(tmp_path):
    pytest.importorskip("matplotlib")
    from tinygrad_edu import demo, viz

    W = Tensor([3.0, -1.0], requires_grad=True)
    hist = optim.minimize(lambda: (W * W).sum(), optim.SGD([W], lr=0.25), steps=100, tol=1e-6)
    fig = viz.plot_contour(lambda w: (w * w).sum(), {"sgd": hist})
    labels = [t.get_text() for legend in fig.legends for t in legend.get_texts()]  # the legend sits under the plot
    assert f"sgd ({hist.steps} steps)" in labels
    result = demo.run_demo(steps=200, progress=False, lesson=False)
    for row in result.rows[1:]:
        assert row.steps == row.history.steps
        assert row.steps == len(row.history) - (row.history.step_size[-1] == 0.0)
