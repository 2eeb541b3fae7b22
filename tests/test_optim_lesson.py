"""The gradient-descent lesson as tests, on least squares f(W) = ||y - XW||^2:
the 2/L step-size threshold, backtracking (Armijo), exact line search, every optimizer
reaching the normal-equation solution, and `minimize` with its History."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest

from tinygrad_edu import Tensor, optim
from tinygrad_edu.optim import lr_scheduler

rng = np.random.default_rng(0)
X = rng.normal(size=(40, 3))
Y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=40)
W_STAR = np.linalg.lstsq(X, Y, rcond=None)[0]  # the normal-equation solution
F_STAR = float(np.sum((Y - X @ W_STAR) ** 2))
L = 2 * np.linalg.eigvalsh(X.T @ X).max()  # Lipschitz constant of the gradient
W0 = np.array([3.0, 3.0, -3.0])


def f_numpy(w: np.ndarray) -> float:
    return float(np.sum((Y - X @ w) ** 2))


def problem(w0=W0):
    W = Tensor(w0.copy(), requires_grad=True)
    Xt, Yt = Tensor(X), Tensor(Y)

    def loss_fn():
        r = Yt - Xt @ W
        return (r * r).sum()

    def make_closure(opt):
        def closure():
            opt.zero_grad()
            loss = loss_fn()
            loss.backward()
            return loss

        return closure

    return W, loss_fn, make_closure


# ---------------------------------------------------------------- fixed steps: the 2/L rule
@pytest.mark.parametrize("factor", [0.5, 0.9, 0.99])
def test_fixed_step_gd_converges_below_2_over_L(factor):
    W, loss_fn, _ = problem()
    hist = optim.minimize(loss_fn, optim.SGD([W], lr=factor * 2 / L), steps=1500, tol=1e-9)
    np.testing.assert_allclose(W.data, W_STAR, atol=1e-8)
    assert all(b <= a + 1e-12 for a, b in zip(hist.loss, hist.loss[1:]))


@pytest.mark.parametrize("factor", [1.01, 1.1, 1.5])
def test_fixed_step_gd_diverges_above_2_over_L(factor):
    W, loss_fn, _ = problem()
    lr = factor * 2 / L
    with pytest.raises(optim.DivergenceError) as info:
        optim.minimize(loss_fn, optim.SGD([W], lr=lr), steps=5000)
    err = info.value
    assert isinstance(err, RuntimeError)
    message = str(err)
    assert "step size is too large for this problem" in message
    assert f"smaller learning rate than lr={lr}" in message
    assert err.lr == lr and err.loss > 1e6 * err.history.loss[0]
    assert err.history.loss[-1] > err.history.loss[len(err.history.loss) // 2]


def test_non_finite_loss_raises_divergence_error():
    W = Tensor([0.05], requires_grad=True)  # one step of lr 0.01 takes W to -0.15: log is NaN
    with np.errstate(invalid="ignore"), pytest.raises(optim.DivergenceError, match="became non-finite at step 1"):
        optim.minimize(lambda: W.log().sum(), optim.SGD([W], lr=0.01), steps=3)


def test_worked_example_numbers_from_the_lesson():
    # f(W) = ||y - XW||^2 with gradient [2.5, -1.2] at W = [1, 2]: one step of lr 0.1
    W = Tensor([1.0, 2.0], requires_grad=True)
    target = Tensor([1.0 + 1.25, 2.0 - 0.6])
    opt = optim.SGD([W], lr=0.1)
    ((target - W) ** 2).sum().backward()
    np.testing.assert_allclose(W.grad.data, [-2.5, 1.2])  # gradient of ||t - W||^2
    W.grad = Tensor([2.5, -1.2])
    opt.step()
    np.testing.assert_allclose(W.data, [0.75, 2.12], atol=1e-15)


# ---------------------------------------------------------------- backtracking
def test_backtracking_armijo_monotone_and_reaches_normal_equation_solution():
    W, _, make_closure = problem()
    opt = optim.BacktrackingLineSearch([W], lr=1.0, shrink=0.5, c=1e-4)
    closure = make_closure(opt)
    losses = []
    for _ in range(80):
        x = W.data.copy()
        g = 2 * X.T @ (X @ x - Y)
        f0 = float(opt.step(closure))
        assert f0 == pytest.approx(f_numpy(x), rel=1e-12)
        eps, f_new = opt.last_trials[-1]
        assert eps == opt.last_step_size > 0
        assert f_new <= f0 - 1e-4 * eps * g @ g  # Armijo at the accepted step
        assert [e for e, _ in opt.last_trials] == [0.5**k for k in range(len(opt.last_trials))]
        for e, v in opt.last_trials[:-1]:  # every rejected trial violates Armijo
            assert v > f0 - 1e-4 * e * g @ g
        np.testing.assert_allclose(W.data, x - eps * g, rtol=1e-14)
        losses.append(f0)
    assert all(b <= a for a, b in zip(losses, losses[1:]))
    np.testing.assert_allclose(W.data, W_STAR, atol=1e-8)


@pytest.mark.parametrize(("lr", "shrink", "c"), [(1.0, 0.5, 0.9), (0.05, 0.8, 0.5)])
def test_backtracking_takes_the_first_trial_that_satisfies_armijo(lr, shrink, c):
    W, _, make_closure = problem()
    opt = optim.BacktrackingLineSearch([W], lr=lr, shrink=shrink, c=c)
    closure = make_closure(opt)
    for _ in range(10):
        g = 2 * X.T @ (X @ W.data - Y)
        f0 = float(opt.step(closure))
        *rejected, (eps, f_new) = opt.last_trials
        assert eps == opt.last_step_size == pytest.approx(lr * shrink ** len(rejected))
        assert f_new <= f0 - c * eps * g @ g
        assert all(v > f0 - c * e * g @ g for e, v in rejected)


def test_backtracking_without_acceptable_step_warns_and_stays():
    W, _, make_closure = problem()
    opt = optim.BacktrackingLineSearch([W], lr=1e6, max_trials=3)
    with pytest.warns(RuntimeWarning, match="no step was taken"):
        opt.step(make_closure(opt))
    assert opt.last_step_size == 0.0 and len(opt.last_trials) == 3
    np.testing.assert_array_equal(W.data, W0)
    np.testing.assert_allclose(W.grad.data, 2 * X.T @ (X @ W0 - Y))  # the gradient at W0


# ---------------------------------------------------------------- exact line search
@pytest.mark.parametrize("max_iter", [1, 20])
def test_exact_line_search_lands_on_the_minimizer_along_the_ray(max_iter):
    W, _, make_closure = problem()
    opt = optim.ExactLineSearch([W], max_iter=max_iter)
    g = 2 * X.T @ (X @ W0 - Y)
    eps_star = (g @ g) / (g @ (2 * X.T @ X) @ g)  # argmin of the parabola phi
    loss = opt.step(make_closure(opt))
    assert float(loss) == pytest.approx(f_numpy(W0), rel=1e-12)
    assert opt.last_step_size == pytest.approx(eps_star, rel=1e-12)
    np.testing.assert_allclose(W.data, W0 - eps_star * g, rtol=1e-12)
    g_new = 2 * X.T @ (X @ W.data - Y)
    assert abs(g_new @ g) <= 1e-10 * (g @ g)  # phi'(eps) = 0: the new gradient is orthogonal
    assert [e for e, _ in opt.last_trials] == pytest.approx([0.0, eps_star], rel=1e-12)


def test_exact_line_search_converges_to_the_normal_equation_solution():
    W, loss_fn, _ = problem()
    hist = optim.minimize(loss_fn, optim.ExactLineSearch([W]), steps=200, tol=1e-10)
    np.testing.assert_allclose(W.data, W_STAR, atol=1e-9)
    assert hist.grad_norm[-1] < 1e-10 and hist.step_size[-1] == 0.0


def test_exact_line_search_on_a_non_quadratic_uses_newton_iterations():
    x = Tensor([1.0, -0.5], requires_grad=True)
    opt = optim.ExactLineSearch([x])

    def closure():
        opt.zero_grad()
        loss = (x**4).sum() + (x * x).sum()
        loss.backward()
        return loss

    f0 = float(opt.step(closure))
    assert len(opt.last_trials) > 2 and opt.last_trials[-1][1] < f0
    closure()
    g0 = 4 * np.array([1.0, -0.5]) ** 3 + 2 * np.array([1.0, -0.5])
    assert abs(x.grad.data @ g0) <= 1e-10 * (g0 @ g0)


def test_exact_line_search_falls_back_when_curvature_is_negative():
    x = Tensor([0.3, -0.2], requires_grad=True)  # cos is concave here: phi''(0) < 0
    opt = optim.ExactLineSearch([x])

    def closure():
        opt.zero_grad()
        loss = x.cos().sum()
        loss.backward()
        return loss

    f0 = float(opt.step(closure))
    assert opt.last_step_size > 0
    assert float(np.cos(x.data).sum()) < f0


# ---------------------------------------------------------------- every optimizer gets there
OPTIMIZERS = [
    ("SGD", lambda p: optim.SGD(p, lr=1 / L), None, 200),
    ("SGD nesterov", lambda p: optim.SGD(p, lr=0.5 / L, momentum=0.5, nesterov=True), None, 200),
    ("Adam", lambda p: optim.Adam(p, lr=0.1), None, 500),
    ("AdamW", lambda p: optim.AdamW(p, lr=0.1, weight_decay=0.0), None, 500),
    ("RMSprop", lambda p: optim.RMSprop(p, lr=0.05), lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=500), 500),
    ("Adagrad", lambda p: optim.Adagrad(p, lr=1.0), None, 300),
    ("Backtracking", lambda p: optim.BacktrackingLineSearch(p), None, 100),
    ("Exact", lambda p: optim.ExactLineSearch(p), None, 100),
]


@pytest.mark.parametrize(("label", "make", "schedule", "steps"), OPTIMIZERS, ids=[o[0] for o in OPTIMIZERS])
def test_every_optimizer_reaches_the_least_squares_optimum(label, make, schedule, steps):
    W, _, make_closure = problem()
    opt = make([W])
    sched = schedule(opt) if schedule else None
    closure = make_closure(opt)
    for _ in range(steps):
        opt.step(closure)
        if sched is not None:
            sched.step()
    assert f_numpy(W.data) - F_STAR < 1e-6


# ---------------------------------------------------------------- minimize and History
def test_history_records_one_entry_per_step():
    W, loss_fn, _ = problem()
    hist = optim.minimize(loss_fn, optim.SGD([W], lr=0.5 / L), steps=7)
    assert len(hist) == len(hist.loss) == len(hist.grad_norm) == len(hist.step_size) == 7
    assert len(hist.params) == len(hist.trials) == 7 and hist.trials[0] == []
    assert hist.loss[0] == pytest.approx(f_numpy(W0))
    assert hist.grad_norm[0] == pytest.approx(np.linalg.norm(2 * X.T @ (X @ W0 - Y)))
    assert hist.step_size == [0.5 / L] * 7
    np.testing.assert_array_equal(hist.params[0][0], W0)
    np.testing.assert_array_equal(hist.final_params[0], W.data)
    assert hist.trajectory().shape == (8, 3)
    d = hist.to_dict()
    assert set(d) == {"loss", "grad_norm", "step_size", "params", "trials", "final_params", "steps"}
    assert d["loss"] == hist.loss and d["loss"] is not hist.loss


def test_minimize_with_a_line_search_records_its_steps_and_trials():
    W, loss_fn, _ = problem()
    hist = optim.minimize(loss_fn, optim.BacktrackingLineSearch([W]), steps=5)
    assert all(t and t[-1][0] == s for t, s in zip(hist.trials, hist.step_size))
    for k in range(4):  # the accepted trial's loss is the next step's loss
        assert hist.trials[k][-1][1] == pytest.approx(hist.loss[k + 1], rel=1e-12)


def test_minimize_stops_early_at_tol():
    W, loss_fn, _ = problem()
    hist = optim.minimize(loss_fn, optim.SGD([W], lr=1 / L), steps=1000, tol=1e-6)
    assert len(hist) < 1000 and hist.grad_norm[-1] < 1e-6
    assert all(g >= 1e-6 for g in hist.grad_norm[:-1])


def test_minimize_rejects_bad_arguments():
    W, loss_fn, _ = problem()
    with pytest.raises(ValueError, match="steps"):
        optim.minimize(loss_fn, optim.SGD([W]), steps=-1)
    with pytest.raises(ValueError, match="tol"):
        optim.minimize(loss_fn, optim.SGD([W]), tol=-1.0)


def test_minimize_progress_bar(capsys):
    pytest.importorskip("tqdm")
    W, loss_fn, _ = problem()
    hist = optim.minimize(loss_fn, optim.SGD([W], lr=0.5 / L), steps=5, progress=True)
    assert len(hist) == 5
    assert "loss=" in capsys.readouterr().err


def test_minimize_progress_without_tqdm_names_the_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    W, loss_fn, _ = problem()
    with pytest.raises(ImportError, match="pip install tqdm"):
        optim.minimize(loss_fn, optim.SGD([W]), steps=2, progress=True)


def test_history_plot_without_matplotlib_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pip install tinygrad_edu\[viz\]"):
        optim.History(loss=[1.0], grad_norm=[1.0], step_size=[0.1]).plot()


def test_history_plot_draws():
    pytest.importorskip("matplotlib")
    pytest.importorskip("tinygrad_edu.viz")
    import matplotlib

    matplotlib.use("Agg")
    W, loss_fn, _ = problem()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fig = optim.minimize(loss_fn, optim.SGD([W], lr=0.5 / L), steps=5).plot()
    assert fig is not None


def test_line_search_records_the_starting_point_for_the_armijo_picture() -> None:
    """last_loss and last_grad_norm are f(x) and ||g|| where the latest step started."""
    import tinygrad_edu as tge
    from tinygrad_edu import optim

    w = tge.Tensor([1.0, -2.0], requires_grad=True)

    def closure() -> tge.Tensor:
        w.grad = None
        loss = (w**2).sum()
        loss.backward()
        return loss

    for search in (optim.BacktrackingLineSearch([w]), optim.ExactLineSearch([w])):
        w.data = np.array([1.0, -2.0])
        search.step(closure)
        assert search.last_loss == 5.0
        assert search.last_grad_norm == pytest.approx(np.sqrt(20.0))
