"""Newton's method: one step solves the lesson's least squares; steps match tge.hessian and a
NumPy solve; singular and indefinite Hessians raise; validation, failures and state dicts."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import Tensor, optim

rng = np.random.default_rng(0)
X = rng.normal(size=(40, 3))
Y = X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=40)
W_STAR = np.linalg.lstsq(X, Y, rcond=None)[0]  # the normal equation's solution


def closure_for(opt, loss_fn):
    def closure():
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        return loss

    return closure


@pytest.mark.parametrize("w0", [[3.0, 3.0, -3.0], [0.0, 0.0, 0.0], [-1e3, 250.0, 7.0]])
def test_one_step_lands_on_the_normal_equation_solution(w0):
    W = Tensor(w0, requires_grad=True)
    opt = optim.Newton([W])
    loss = opt.step(closure_for(opt, lambda: ((Tensor(Y) - Tensor(X) @ W) ** 2).sum()))
    assert float(loss) == pytest.approx(np.sum((Y - X @ np.array(w0)) ** 2), rel=1e-12)
    np.testing.assert_allclose(W.data, W_STAR, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(W.grad.data, 2 * X.T @ (X @ np.array(w0) - Y), rtol=1e-12)


def test_weights_and_bias_together_solve_the_regression_with_intercept():
    W = Tensor(np.zeros((3, 1)), requires_grad=True)
    b = Tensor(5.0, requires_grad=True)
    opt = optim.Newton([W, b])
    opt.step(closure_for(opt, lambda: ((Tensor(Y) - (Tensor(X) @ W).reshape(40) - b) ** 2).sum()))
    expected = np.linalg.lstsq(np.c_[X, np.ones(40)], Y, rcond=None)[0]
    np.testing.assert_allclose(np.r_[W.data.ravel(), b.data], expected, rtol=1e-10, atol=1e-12)
    assert W.data.shape == (3, 1) and b.data.shape == ()


def f_flat(x: Tensor) -> Tensor:
    """A non-quadratic function of 4 numbers: log-sum-exp plus a quartic."""
    return (Tensor([[1.0, 2.0, 0.0, -1.0], [0.5, -1.0, 1.0, 0.0]]) @ x).logsumexp() + (x**4).sum() / 4


@pytest.mark.parametrize(("lr", "damping"), [(1.0, 0.0), (0.5, 0.0), (1.0, 3.0)])
def test_step_is_lr_times_the_damped_solve_with_tge_hessian(lr, damping):
    x0 = np.array([0.3, -0.7, 1.1, 0.5])
    a = Tensor(x0[:2].copy(), requires_grad=True)
    b = Tensor(x0[2:].reshape(2, 1).copy(), requires_grad=True)
    opt = optim.Newton([a, b], lr=lr, damping=damping)
    opt.step(closure_for(opt, lambda: f_flat(tge.cat([a, b.reshape(2)]))))
    H = tge.hessian(f_flat)(Tensor(x0)).numpy()
    g = tge.grad(f_flat)(Tensor(x0)).numpy()
    expected = x0 - lr * np.linalg.solve(H + damping * np.eye(4), g)
    np.testing.assert_allclose(np.r_[a.data, b.data.ravel()], expected, rtol=1e-12, atol=1e-14)
    assert opt.last_step_size == lr


def test_damped_newton_on_rosenbrock_converges_quadratically():
    x = Tensor([-1.2, 1.0], requires_grad=True)

    def rosenbrock():
        return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2

    hist = optim.minimize(rosenbrock, optim.Newton([x]), steps=50, tol=1e-10)
    np.testing.assert_allclose(x.data, [1.0, 1.0], atol=1e-12)
    assert len(hist) < 10
    last = hist.grad_norm[-4:]  # quadratic convergence: the error roughly squares each step
    assert last[-1] < 1e-10 and last[-2] < 1e-3


def test_indefinite_hessian_raises_and_suggests_damping():
    x = Tensor([1.0, 2.0], requires_grad=True)
    opt = optim.Newton([x])
    closure = closure_for(opt, lambda: x[0] ** 2 - x[1] ** 2)
    with pytest.raises(np.linalg.LinAlgError, match=r"not positive definite.*-2.*damping > 2"):
        opt.step(closure)
    np.testing.assert_array_equal(x.data, [1.0, 2.0])
    optim.Newton([x], damping=3.0).step(closure)  # (H + 3I) = diag(5, 1): now a step
    np.testing.assert_allclose(x.data, [1.0 - 2 / 5, 2.0 + 4 / 1])


def test_singular_hessian_raises_and_damping_fixes_it():
    x = Tensor([1.0, 2.0], requires_grad=True)
    opt = optim.Newton([x])
    with pytest.raises(np.linalg.LinAlgError, match=r"Hessian H \(2 x 2\) is singular.*damping"):
        opt.step(closure_for(opt, lambda: (x[0] + x[1]) ** 2))
    np.testing.assert_array_equal(x.data, [1.0, 2.0])
    damped = optim.Newton([x], damping=1e-6)
    for _ in range(3):
        damped.step(closure_for(damped, lambda: (x[0] + x[1]) ** 2))
    assert abs(x.data.sum()) < 1e-9


@pytest.mark.parametrize(
    ("options", "exc", "message"),
    [
        (dict(lr=-1.0), ValueError, "Invalid learning rate: -1.0"),
        (dict(damping=-0.1), ValueError, "Invalid damping value: -0.1"),
        (dict(lr="big"), TypeError, "lr must be a real number"),
        (dict(damping=float("nan")), ValueError, "Invalid damping value: nan"),
    ],
)
def test_bad_settings_raise(options, exc, message):
    with pytest.raises(exc, match=message):
        optim.Newton([Tensor([1.0], requires_grad=True)], **options)


def test_needs_a_closure_and_one_group():
    x = Tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match="needs a closure"):
        optim.Newton([x]).step()
    with pytest.raises(ValueError, match="parameter groups"):
        optim.Newton([{"params": [x]}, {"params": [Tensor([2.0], requires_grad=True)]}])


@pytest.mark.parametrize("fail_at", [1, 2, 3])
def test_parameters_and_grads_unchanged_when_the_closure_raises(fail_at):
    W = Tensor([3.0, 3.0, -3.0], requires_grad=True)
    old_grad = Tensor([1.0, 2.0, 3.0])
    W.grad = old_grad
    opt = optim.Newton([W])
    calls = [0]

    def closure():
        calls[0] += 1
        if calls[0] == fail_at:
            raise RuntimeError("evaluation failed")
        opt.zero_grad()
        loss = ((Tensor(Y) - Tensor(X) @ W) ** 2).sum()
        loss.backward()
        return loss

    with pytest.raises(RuntimeError, match="evaluation failed"):
        opt.step(closure)
    np.testing.assert_array_equal(W.data, [3.0, 3.0, -3.0])
    assert W.grad is old_grad


def test_state_dict_round_trip_through_save_and_load(tmp_path):
    x = Tensor([-1.2, 1.0], requires_grad=True)
    opt = optim.Newton([x], lr=0.5, damping=0.25)
    loss_fn = lambda: (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2  # noqa: E731
    opt.step(closure_for(opt, loss_fn))
    tge.save({"x": x, "opt": opt.state_dict()}, tmp_path / "newton.npz")
    saved = tge.load(tmp_path / "newton.npz")
    y = Tensor(saved["x"].numpy(), requires_grad=True)
    opt2 = optim.Newton([y])
    opt2.load_state_dict(saved["opt"])
    assert opt2.param_groups[0]["lr"] == 0.5 and opt2.param_groups[0]["damping"] == 0.25
    for _ in range(3):
        opt.step(closure_for(opt, loss_fn))
        opt2.step(closure_for(opt2, lambda: (1 - y[0]) ** 2 + 100 * (y[1] - y[0] ** 2) ** 2))
    np.testing.assert_array_equal(x.data, y.data)


def test_float32_parameters_keep_their_dtype():
    W = Tensor(np.array([1.0, 1.0, 1.0], dtype=np.float32), requires_grad=True)
    opt = optim.Newton([W])
    Xt, Yt = Tensor(X.astype(np.float32)), Tensor(Y.astype(np.float32))
    opt.step(closure_for(opt, lambda: ((Yt - Xt @ W) ** 2).sum()))
    assert W.data.dtype == np.float32
    np.testing.assert_allclose(W.data, W_STAR, rtol=1e-4)
