"""Conjugate gradient: n steps on an n-variable quadratic, the three beta rules against a NumPy
reference, PR+ restarts, backtracking, validation, failures and state dicts."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import Tensor, optim

BETAS = ["fletcher_reeves", "polak_ribiere", "hestenes_stiefel"]


def quadratic(n: int):
    """f(x) = x.A x / 2 - b.x with A symmetric positive definite, eigenvalues 1 .. 10."""
    rng = np.random.default_rng(n)
    Q, _ = np.linalg.qr(rng.normal(size=(n, n)))
    A = Q @ np.diag(np.linspace(1.0, 10.0, n)) @ Q.T
    b = rng.normal(size=n)
    return A, b, lambda x: 0.5 * (x @ (Tensor(A) @ x)) - Tensor(b) @ x


@pytest.mark.parametrize("n", [2, 5, 20])
@pytest.mark.parametrize("beta", BETAS)
def test_exact_cg_solves_an_n_variable_quadratic_in_n_steps(n, beta):
    A, b, f = quadratic(n)
    x = Tensor(np.zeros(n), requires_grad=True)
    hist = optim.minimize(lambda: f(x), optim.ConjugateGradient([x], beta=beta), steps=n + 1)
    assert hist.grad_norm[0] > 1.0
    assert hist.grad_norm[n] < 1e-10  # after exactly n steps
    assert max(hist.grad_norm[:n]) > 1e-4  # and not before the last one
    np.testing.assert_allclose(hist.params[n][0], np.linalg.solve(A, b), atol=1e-12)


def test_steepest_descent_needs_far_more_steps_on_the_same_quadratic():
    _, _, f = quadratic(20)
    x = Tensor(np.zeros(20), requires_grad=True)
    hist = optim.minimize(lambda: f(x), optim.ExactLineSearch([x]), steps=20)
    assert hist.grad_norm[-1] > 1e-3


def test_cg_directions_are_conjugate_on_a_quadratic():
    A, _, f = quadratic(5)
    x = Tensor(np.zeros(5), requires_grad=True)
    opt = optim.ConjugateGradient([x])
    directions = []
    for _ in range(5):
        optim.minimize(lambda: f(x), opt, steps=1)
        directions.append(opt.state[x]["direction"])
    D = np.array(directions)
    conjugacy = D @ A @ D.T
    off = conjugacy - np.diag(np.diag(conjugacy))
    assert np.abs(off).max() < 1e-10 * np.abs(np.diag(conjugacy)).max()


def rosenbrock(x):
    return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2 + (x[2] - x[1]) ** 2


@pytest.mark.parametrize("line_search", ["exact", "backtracking"])
@pytest.mark.parametrize("beta", BETAS)
def test_each_step_follows_the_beta_rule(beta, line_search):
    """x_new - x = eps d with d = -g + beta d_prev recomputed in NumPy from the gradients."""
    x = Tensor([-1.2, 1.0, 0.5], requires_grad=True)
    opt = optim.ConjugateGradient([x], beta=beta, line_search=line_search)
    g_prev = d_prev = None
    restarts = 0

    def closure():
        opt.zero_grad()
        loss = rosenbrock(x)
        loss.backward()
        return loss

    for k in range(40):
        x0 = x.data.copy()
        g = tge.grad(rosenbrock)(Tensor(x0)).numpy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            opt.step(closure)
        if g_prev is None:
            d, expected_beta = -g, 0.0
        else:
            y = g - g_prev
            raw = {
                "fletcher_reeves": g @ g / (g_prev @ g_prev),
                "polak_ribiere": max(g @ y / (g_prev @ g_prev), 0.0),
                "hestenes_stiefel": g @ y / (d_prev @ y),
            }[beta]
            d = -g + raw * d_prev
            expected_beta = raw
            if raw == 0.0 or g @ d >= 0:
                d, expected_beta = -g, 0.0
        restarts += k > 0 and expected_beta == 0.0
        assert opt.last_beta == pytest.approx(expected_beta, rel=1e-9, abs=1e-300)
        np.testing.assert_allclose(opt.state[x]["direction"], d, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(x.data, x0 + opt.last_step_size * d, rtol=1e-12, atol=1e-14)
        g_prev, d_prev = g, d
    assert rosenbrock(x).item() < rosenbrock(Tensor([-1.2, 1.0, 0.5])).item() * 1e-2
    if beta == "polak_ribiere":
        assert restarts > 0  # PR+ restarted at least once on this valley


def test_backtracking_cg_satisfies_armijo_and_solves_the_lesson():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 3))
    Y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=40)
    W = Tensor([3.0, 3.0, -3.0], requires_grad=True)
    opt = optim.ConjugateGradient([W], line_search="backtracking")
    hist = optim.minimize(lambda: ((Tensor(Y) - Tensor(X) @ W) ** 2).sum(), opt, steps=300, tol=1e-8)
    np.testing.assert_allclose(W.data, np.linalg.lstsq(X, Y, rcond=None)[0], atol=1e-8)
    for k, trials in enumerate(hist.trials[:-1]):
        eps, value = trials[-1]
        assert eps == hist.step_size[k] and value <= hist.loss[k]
    exact = Tensor([3.0, 3.0, -3.0], requires_grad=True)
    fast = optim.minimize(
        lambda: ((Tensor(Y) - Tensor(X) @ exact) ** 2).sum(), optim.ConjugateGradient([exact]), steps=10, tol=1e-8
    )
    assert fast.steps <= 3 < hist.steps  # exact CG: n = 3 steps


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (dict(beta="dai_yuan"), r"Invalid beta: 'dai_yuan'; choose one of 'fletcher_reeves'"),
        (dict(line_search="wolfe"), r"Invalid line_search: 'wolfe'; choose 'exact'"),
    ],
)
def test_bad_settings_raise(options, message):
    with pytest.raises(ValueError, match=message):
        optim.ConjugateGradient([Tensor([1.0], requires_grad=True)], **options)


def test_needs_a_closure_and_one_group():
    x = Tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match="needs a closure"):
        optim.ConjugateGradient([x]).step()
    with pytest.raises(ValueError, match="parameter groups"):
        optim.ConjugateGradient([{"params": [x]}, {"params": [Tensor([2.0], requires_grad=True)]}])


@pytest.mark.parametrize("line_search", ["exact", "backtracking"])
@pytest.mark.parametrize("fail_at", [1, 2, 3])
def test_closure_raising_leaves_parameters_grads_and_state_unchanged(line_search, fail_at):
    x = Tensor([-1.2, 1.0, 0.5], requires_grad=True)
    opt = optim.ConjugateGradient([x], line_search=line_search)
    calls = [0]
    fail = [None]

    def closure():
        calls[0] += 1
        if calls[0] == fail[0]:
            raise RuntimeError("evaluation failed")
        opt.zero_grad()
        loss = rosenbrock(x)
        loss.backward()
        return loss

    for _ in range(2):
        opt.step(closure)
    before, data, grad = opt.state_dict(), x.data, x.grad
    fail[0] = calls[0] + fail_at
    with pytest.raises(RuntimeError, match="evaluation failed"):
        opt.step(closure)
    assert x.data is data and x.grad is grad
    after = opt.state_dict()
    for key in ("prev_grad", "direction"):
        np.testing.assert_array_equal(after["state"][0][key], before["state"][0][key])


@pytest.mark.parametrize("line_search", ["exact", "backtracking"])
def test_state_dict_through_save_and_load_resumes_bit_exactly(tmp_path, line_search):
    def make(x0):
        x = Tensor(x0, requires_grad=True)
        opt = optim.ConjugateGradient([x], beta="hestenes_stiefel", line_search=line_search)

        def closure():
            opt.zero_grad()
            loss = rosenbrock(x)
            loss.backward()
            return loss

        return x, opt, closure

    x, opt, closure = make(np.array([-1.2, 1.0, 0.5]))
    for _ in range(3):
        opt.step(closure)
    tge.save({"x": x, "opt": opt.state_dict()}, tmp_path / "cg.npz")
    saved = tge.load(tmp_path / "cg.npz")
    assert set(saved["opt"]["state"][0]) == {"prev_grad", "direction"}
    assert saved["opt"]["param_groups"][0]["beta"] == "hestenes_stiefel"
    x2, opt2, closure2 = make(saved["x"].numpy())
    opt2.load_state_dict(saved["opt"])
    for _ in range(5):
        assert float(opt.step(closure)) == float(opt2.step(closure2))
        np.testing.assert_array_equal(x.data, x2.data)


def test_several_parameters_and_an_unused_one():
    a = Tensor([2.0, -1.0], requires_grad=True)
    b = Tensor(np.ones((2, 2)), requires_grad=True)
    unused = Tensor([5.0], requires_grad=True)
    opt = optim.ConjugateGradient([a, b, unused])
    target = np.array([[1.0, 2.0], [3.0, 4.0]])
    hist = optim.minimize(
        lambda: ((a - 1) ** 2).sum() * 3 + ((b - Tensor(target)) ** 2).sum(), opt, steps=10, tol=1e-10
    )
    np.testing.assert_allclose(a.data, [1.0, 1.0], atol=1e-10)
    np.testing.assert_allclose(b.data, target, atol=1e-10)
    assert unused.data.tolist() == [5.0] and unused not in opt.state and hist.steps <= 2
