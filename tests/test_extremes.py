"""Numerics at the extremes, against PyTorch: division as a division, selections instead of
0/1 masks, softmax shifted by its maximum. At ordinary inputs the same functions are checked
by the op table (test_ops.py); here the inputs are subnormal, huge or infinite."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import Tensor

torch = pytest.importorskip("torch")

TINY = 5e-324  # the smallest subnormal float64


def _t(data, grad=True):
    return torch.tensor(data, dtype=torch.float64, requires_grad=grad)


# ---------------------------------------------------------------- division, subtraction, negation, mean
def test_x_over_x_is_one_for_a_subnormal_x():
    x = Tensor([TINY, 1e-310], requires_grad=True)
    out = x / x
    np.testing.assert_array_equal(out.data, [1.0, 1.0])
    out.sum().backward()
    tx = _t([TINY, 1e-310])
    (tx / tx).sum().backward()
    np.testing.assert_array_equal(x.grad.data, tx.grad.numpy())


def test_derivative_of_c_over_y_does_not_overflow():
    """d(c/y)/dy = -c/y^2 = -3e212 at c = 3e-108, y = 1e-160, though y^-2 overflows."""
    c, y = Tensor(3e-108, requires_grad=True), Tensor(1e-160, requires_grad=True)
    (c / y).backward()
    tc, ty = _t(3e-108), _t(1e-160)
    (tc / ty).backward()
    assert y.grad.item() == ty.grad.item() == pytest.approx(-3e212)
    assert c.grad.item() == tc.grad.item()
    _, tangent = tge.jvp(lambda a, b: a / b, [Tensor(3e-108), Tensor(1e-160)], [Tensor(0.0), Tensor(1.0)])
    assert tangent.item() == pytest.approx(-3e212)


def test_hessian_vector_product_of_division_does_not_overflow():
    """d2(c/y)/dy2 = 2c/y^3: finite at y = 1e-110, c = 1e-280 although y^-3 overflows."""
    hv = tge.hvp(lambda y: 1e-280 / y, Tensor(1e-110), Tensor(1.0))
    ty = _t(1e-110)
    (g,) = torch.autograd.grad(_t(1e-280, grad=False) / ty, ty, create_graph=True)  # (1e-280 / ty: a reciprocal)
    (h,) = torch.autograd.grad(g, ty)
    assert np.isfinite(hv.item()) and hv.item() == pytest.approx(h.item(), rel=1e-15) == pytest.approx(2e50)


@pytest.mark.parametrize(
    "fn",
    [
        lambda a, b: a / b,
        lambda a, b: a / 3.0,
        lambda a, b: a - b,
        lambda a, b: 2.5 - a,
        lambda a, b: -a,
        lambda a, b: a.mean(),
        lambda a, b: a.mean(axis=0),
        lambda a, b: a.mean(axis=1, keepdims=True),
    ],
    ids=["div", "div_number", "sub", "rsub_number", "neg", "mean_all", "mean_axis0", "mean_axis1_keep"],
)
def test_values_and_gradients_are_pytorchs_to_the_bit(fn):
    """Same shapes (no broadcast sums) and values whose sums are exact (multiples of 1/8):
    what remains is the division itself, rounded once, as PyTorch rounds it."""
    rng = np.random.default_rng(7)
    a = rng.integers(-40, 40, (5, 7)) / 8.0
    b = rng.uniform(0.5, 3.0, (5, 7))
    ta, tb = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
    out = fn(ta, tb)
    v = rng.standard_normal(out.shape)
    out.backward(Tensor(v))
    pa, pb = _t(a), _t(b)
    pout = fn(pa, pb)
    pout.backward(torch.tensor(v))
    np.testing.assert_array_equal(out.data, pout.detach().numpy())
    np.testing.assert_array_equal(ta.grad.data, pa.grad.numpy())
    if pb.grad is not None:
        np.testing.assert_array_equal(tb.grad.data, pb.grad.numpy())


def test_the_graph_shows_the_ops_as_typed():
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    assert (a - b).grad_fn.name == "SubBackward"
    assert (a / b).grad_fn.name == "DivBackward"
    assert (-a).grad_fn.name == "NegBackward"
    assert a.mean().grad_fn.name == "MeanBackward"
    assert [t is a or t is b for t in (a - b).grad_fn.inputs] == [True, True]  # one node, no hidden -1


def test_mean_of_nothing_is_nan_as_in_numpy():
    x = Tensor(np.zeros((0, 3)), requires_grad=True)
    out = x.mean(axis=0)
    assert out.shape == (3,) and np.isnan(out.data).all()
    out.sum().backward()
    assert x.grad.shape == (0, 3)
