"""Derivatives as functions, gradient checks, and the lesson's derivations as tests."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import Tensor

RNG = np.random.default_rng(0)
X_NP = RNG.normal(size=(100, 3))
Y_NP = np.random.default_rng(1).normal(size=100)
X, Y = Tensor(X_NP), Tensor(Y_NP)


def squared_error(w: Tensor) -> Tensor:
    """The lesson's f(W) = ||y - XW||^2."""
    return ((Y - X @ w) ** 2).sum()


# ---------------------------------------------------------------- the lesson


def test_slope_of_x_squared_at_2() -> None:
    x = Tensor(2.0, requires_grad=True)
    f = x**2
    f.backward()
    assert (f.item(), x.grad.item()) == (4.0, 4.0)  # type: ignore[union-attr]


def test_exercise_one_gd_step_on_quadratic() -> None:
    """f(x) = x^2 - 4x + 5 at x = 0: f'(0) = -4, one step with eps = 0.1 gives x = 0.4."""
    x = Tensor(0.0, requires_grad=True)
    (x**2 - 4 * x + 5).backward()
    assert x.grad.item() == -4.0  # type: ignore[union-attr]
    assert x.item() - 0.1 * x.grad.item() == pytest.approx(0.4)  # type: ignore[union-attr]


def test_gradient_of_squared_error_is_minus_2_xt_residual() -> None:
    W = Tensor(RNG.normal(size=3), requires_grad=True, name="W")
    squared_error(W).backward()
    expected = -2 * X_NP.T @ (Y_NP - X_NP @ W.data)
    report = tge.compare_gradients(W.grad, expected, names=["W"])
    assert report.ok, str(report)
    assert "W" in str(report) and "max abs error" in str(report)


def test_gradient_is_zero_at_the_normal_equation_solution() -> None:
    w_star = np.linalg.solve(X_NP.T @ X_NP, X_NP.T @ Y_NP)
    g = tge.grad(squared_error)(Tensor(w_star))
    np.testing.assert_allclose(g.data, 0.0, atol=1e-10)


def test_directional_derivative_is_u_dot_gradient() -> None:
    W = Tensor(RNG.normal(size=3))
    u = Tensor([0.6, 0.8, 0.0])
    dd = tge.directional_derivative(squared_error, W, u)
    assert dd.item() == pytest.approx(float(u.data @ tge.grad(squared_error)(W).data), rel=1e-12)
    dn = tge.directional_derivative(squared_error, W, Tensor([3.0, 4.0, 0.0]), normalize=True)
    assert dn.item() == pytest.approx(dd.item(), rel=1e-12)


def test_steepest_descent_direction_minimizes_directional_derivative() -> None:
    W = Tensor(RNG.normal(size=3))
    g = tge.grad(squared_error)(W).data
    best = -g / np.linalg.norm(g)
    d_best = tge.directional_derivative(squared_error, W, Tensor(best)).item()
    assert d_best == pytest.approx(-np.linalg.norm(g), rel=1e-12)
    sweep = np.random.default_rng(5).normal(size=(500, 3))
    sweep /= np.linalg.norm(sweep, axis=1, keepdims=True)
    for u in sweep[:50]:
        assert tge.directional_derivative(squared_error, W, Tensor(u)).item() >= d_best - 1e-9
    assert (sweep @ g).min() >= d_best - 1e-9


def test_hessian_of_squared_error_is_2_xt_x() -> None:
    H = tge.hessian(squared_error)(Tensor.zeros(3))
    np.testing.assert_allclose(H.data, 2 * X_NP.T @ X_NP, rtol=1e-12)
    assert np.linalg.eigvalsh(H.data).min() >= 0  # convex: positive semidefinite


def test_readme_example_numbers() -> None:
    W = Tensor.zeros(3, requires_grad=True, name="W")
    loss = squared_error(W)
    loss.backward()
    assert tge.compare_gradients(W.grad, -2 * X.T @ (Y - X @ W)).ok
    u = Tensor([0.6, 0.8, 0.0])
    dd = tge.directional_derivative(squared_error, W, u)
    assert dd.item() == pytest.approx(float(u.data @ W.grad.data))  # type: ignore[union-attr]


# ---------------------------------------------------------------- the functional API


def test_grad_and_value_and_grad_with_argnums() -> None:
    def f(a: Tensor, b: Tensor) -> Tensor:
        return (a * b).sum() + (a**2).sum()

    a, b = Tensor([1.0, 2.0]), Tensor([3.0, 4.0])
    ga = tge.grad(f)(a, b)
    np.testing.assert_allclose(ga.data, b.data + 2 * a.data)
    value, (ga2, gb) = tge.value_and_grad(f, argnums=(0, 1))(a, b)
    assert value.item() == 16.0
    np.testing.assert_allclose(ga2.data, ga.data)
    np.testing.assert_allclose(gb.data, a.data)
    assert a.grad is None and not a.requires_grad  # inputs untouched


def test_grad_of_grad() -> None:
    f = lambda x: (x**3).sum()  # noqa: E731
    x = Tensor(2.0, requires_grad=True)
    g = tge.grad(f)(x)
    (gg,) = tge.autograd.grad(g, x)
    assert (g.item(), gg.item()) == (12.0, 12.0)


def test_grad_needs_a_scalar() -> None:
    with pytest.raises(ValueError, match=r"scalar.*\(3,\).*jacobian"):
        tge.grad(lambda x: x * 2.0)(Tensor([1.0, 2.0, 3.0]))


def test_jvp_is_one_forward_pass() -> None:
    calls = []

    def f(x: Tensor) -> Tensor:
        calls.append(1)
        return (x.sin() * x).sum()

    x, u = Tensor([0.3, 0.7]), Tensor([1.0, -2.0])
    out, tan = tge.jvp(f, (x,), (u,))
    assert len(calls) == 1 and x._tangent is None
    d = np.sin(x.data) + x.data * np.cos(x.data)
    assert tan.item() == pytest.approx(float(u.data @ d), rel=1e-12)
    assert out.item() == pytest.approx(float((np.sin(x.data) * x.data).sum()))


def test_jvp_shape_mismatch() -> None:
    with pytest.raises(ValueError, match=r"tangent 0 has shape \(2,\).*\(3,\)"):
        tge.jvp(lambda x: x.sum(), (Tensor.ones(3),), (Tensor.ones(2),))


def test_jvp_through_a_closure_and_backward_gives_hessian_vector_product() -> None:
    """Forward mode over a backward pass: the tangent of W.grad is H v."""
    W = Tensor(RNG.normal(size=3), requires_grad=True)
    v = Tensor([1.0, 0.0, -1.0])
    hv = []

    def closure(_: Tensor) -> Tensor:
        W.grad = None
        loss = squared_error(W)
        loss.backward()
        hv.append(tge.tangent_of(W.grad))  # type: ignore[arg-type]
        return loss

    _, dloss = tge.jvp(closure, (W,), (v,))
    np.testing.assert_allclose(hv[0].data, 2 * X_NP.T @ X_NP @ v.data, rtol=1e-12)
    assert dloss.item() == pytest.approx(float(v.data @ W.grad.data))  # type: ignore[union-attr]


def test_hvp_matches_reverse_over_reverse() -> None:
    f = lambda x: (x.tanh() ** 2).sum() * x.sin().sum()  # noqa: E731
    x, v = Tensor([0.1, -0.4, 0.9]), Tensor([0.5, 1.0, -1.5])
    xr = x.detach().requires_grad_()
    (g,) = tge.autograd.grad(f(xr), xr, create_graph=True)
    (rr,) = tge.autograd.grad((g * v).sum(), xr)
    np.testing.assert_allclose(tge.hvp(f, x, v).data, rr.data, rtol=1e-12)


def test_hessian_is_symmetric_and_matches_hand_formula() -> None:
    f = lambda x: x[0] ** 2 * x[1] + x[1].sin()  # noqa: E731
    H = tge.hessian(f)(Tensor([1.5, 0.5])).data
    expected = np.array([[2 * 0.5, 2 * 1.5], [2 * 1.5, -np.sin(0.5)]])
    np.testing.assert_allclose(H, expected, rtol=1e-12)


@pytest.mark.parametrize("out_dim", [2, 5])
def test_jacobian_both_modes(out_dim: int) -> None:
    A = np.random.default_rng(3).normal(size=(out_dim, 3))
    f = lambda x: (Tensor(A) @ x).tanh()  # noqa: E731
    x = np.array([0.2, -0.1, 0.4])
    J = tge.jacobian(f)(Tensor(x))
    expected = (1 - np.tanh(A @ x) ** 2)[:, None] * A
    assert J.shape == (out_dim, 3)
    np.testing.assert_allclose(J.data, expected, rtol=1e-12)


def test_autograd_grad_errors() -> None:
    x = Tensor(1.0, requires_grad=True)
    z = Tensor(2.0, requires_grad=True)
    with pytest.raises(RuntimeError, match="allow_unused"):
        tge.autograd.grad(x * 2.0, [x, z])
    assert tge.autograd.grad(x * 2.0, [x, z], allow_unused=True)[1] is None
    with pytest.raises(RuntimeError, match="does not require grad"):
        tge.autograd.grad(x * 2.0, Tensor(1.0))


# ---------------------------------------------------------------- gradcheck and compare_gradients


def test_gradcheck_passes_on_correct_ops() -> None:
    a = Tensor(RNG.normal(size=(3, 4)), requires_grad=True)
    b = Tensor(RNG.normal(size=(4,)), requires_grad=True)
    assert tge.gradcheck(lambda a, b: (a @ b).tanh(), (a, b))


def test_gradcheck_names_input_and_element_on_failure() -> None:
    from tinygrad_edu.ops import Exp

    class WrongExp(Exp):
        def backward(self, g: Tensor) -> tuple[Tensor | None, ...]:
            return (g * 2.0,)

    x = Tensor([0.1, 0.2], requires_grad=True, name="x")
    with pytest.raises(
        tge.GradcheckError, match=r"'x'.*element \(\d,\): autodiff -?\d\.\d+, central differences -?\d\.\d+"
    ):
        tge.gradcheck(lambda t: WrongExp.apply(t), x)
    assert tge.gradcheck(lambda t: WrongExp.apply(t), x, raise_exception=False) is False


def test_gradcheck_warns_on_float32() -> None:
    x = Tensor(np.ones(2, np.float32), requires_grad=True)
    with pytest.warns(UserWarning, match="float32"):
        assert tge.gradcheck(lambda t: (t * t).sum(), x)


def test_compare_gradients_lists_dicts_and_failure() -> None:
    r = tge.compare_gradients({"a": np.ones(2), "b": np.zeros(3)}, {"a": np.ones(2), "b": np.full(3, 1e-3)})
    assert not r.ok and [row.name for row in r.rows] == ["a", "b"]
    assert r.rows[0].ok and not r.rows[1].ok and r.rows[1].max_abs_error == pytest.approx(1e-3)
    assert "DISAGREE" in str(r)
    r2 = tge.compare_gradients([np.ones(2)], [np.ones(2)], names=["W"])
    assert r2.ok and r2.rows[0].name == "W"
    with pytest.raises(ValueError, match="shape"):
        tge.compare_gradients(np.ones(2), np.ones(3))
    with pytest.raises(ValueError, match="backward"):
        tge.compare_gradients(None, np.ones(3))


def test_derivative_functions_work_inside_no_grad() -> None:
    """Like torch.func, grad/hvp/jacobian compute their derivatives even under no_grad."""
    f = lambda t: (t * t * t).sum()  # noqa: E731
    x = Tensor([3.0])
    with tge.no_grad():
        assert tge.grad(f)(x).tolist() == [27.0]
        assert tge.hvp(f, x, Tensor([1.0])).tolist() == [18.0]
        assert tge.jacobian(lambda t: t * t)(x).tolist() == [[6.0]]
        assert tge.gradcheck(lambda t: tge.grad(f)(t).sum(), Tensor([1.5], requires_grad=True))
