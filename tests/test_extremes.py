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


# ---------------------------------------------------------------- selections, not 0/1 masks
INF = float("inf")
SELECTIONS = [
    # (name, ours, PyTorch's): at x = [-1, 2, 0], the rule's derivative is exactly 0 somewhere
    ("relu", lambda x: x.relu(), lambda x: torch.relu(x)),
    ("clip", lambda x: x.clip(-0.5, 0.5), lambda x: x.clamp(-0.5, 0.5)),
    ("maximum", lambda x: tge.maximum(x, Tensor(np.zeros(3))), lambda x: torch.maximum(x, torch.zeros_like(x))),
    ("minimum", lambda x: tge.minimum(x, Tensor(np.zeros(3))), lambda x: torch.minimum(x, torch.zeros_like(x))),
    ("pow_0", lambda x: x**0, lambda x: x**0),
]


@pytest.mark.parametrize("name, ours, theirs", SELECTIONS, ids=[s[0] for s in SELECTIONS])
def test_an_infinite_upstream_gradient_is_selected_away_not_multiplied(name, ours, theirs):
    """Where the local derivative is exactly 0, inf * 0 would give NaN: PyTorch gives 0."""
    x = Tensor([-1.0, 2.0, 0.0], requires_grad=True)
    ours(x).backward(Tensor(np.full(3, INF)))
    tx = _t([-1.0, 2.0, 0.0])
    theirs(tx).backward(torch.full((3,), INF, dtype=torch.float64))
    np.testing.assert_array_equal(x.grad.data, tx.grad.numpy())
    assert not np.isnan(x.grad.data).any()


@pytest.mark.parametrize("name, ours, theirs", SELECTIONS, ids=[s[0] for s in SELECTIONS])
def test_an_infinite_tangent_is_selected_away_not_multiplied(name, ours, theirs):
    """The functions act elementwise, so the tangent equals the gradient for the same vector
    (PyTorch's jvp of maximum and minimum multiplies and gives NaN; its backward selects)."""
    _, tangent = tge.jvp(ours, [Tensor([-1.0, 2.0, 0.0])], [Tensor(np.full(3, INF))])
    tx = _t([-1.0, 2.0, 0.0])
    theirs(tx).backward(torch.full((3,), INF, dtype=torch.float64))
    np.testing.assert_array_equal(tangent.data, tx.grad.numpy())


@pytest.mark.parametrize("reduce", ["min", "max"])
def test_jvp_of_min_and_max_reductions_with_an_infinite_tangent(reduce):
    """jvp((1.5 ** x).min()) at x = [0.5, 2000]: the tangent of 1.5 ** 2000 is inf, but only
    the minimum's tangent counts (PyTorch's amin: 0.497)."""
    sign = 1.0 if reduce == "min" else -1.0
    x = np.array([0.5, 2000.0])
    fn = lambda t: getattr(sign * 1.5**t, reduce)()  # noqa: E731
    _, tangent = tge.jvp(fn, [Tensor(x)], [Tensor(np.ones(2))])
    theirs = lambda t: getattr(sign * 1.5**t, "a" + reduce)()  # noqa: E731
    _, expected = torch.func.jvp(theirs, (_t(x, grad=False),), (torch.ones(2, dtype=torch.float64),))
    assert tangent.item() == expected.item() == pytest.approx(sign * 1.5**0.5 * np.log(1.5))


@pytest.mark.parametrize("reduce", ["min", "max"])
def test_backward_of_min_and_max_reductions_with_an_infinite_upstream(reduce):
    """Only the extreme element receives the gradient: the others get 0, not inf * 0 = NaN
    (PyTorch's amax multiplies by the mask here and gives NaN; a selection is exact)."""
    x = Tensor([1.0, 3.0, 2.0], requires_grad=True)
    getattr(x, reduce)().backward(Tensor(INF))
    expected = [INF, 0.0, 0.0] if reduce == "min" else [0.0, INF, 0.0]
    np.testing.assert_array_equal(x.grad.data, expected)


# ---------------------------------------------------------------- softmax shifted by its maximum
SOFTMAX_POINTS = [[1e10, 1e10, 1e10 - 1], [1e20, 1e20, 0.0], [1e300, -1e300, 0.0], [-1e20, -1e20 + 1e5, -1e20]]


@pytest.mark.parametrize("logits", SOFTMAX_POINTS, ids=["1e10", "1e20", "1e300", "-1e20"])
@pytest.mark.parametrize("name", ["softmax", "log_softmax", "logsumexp"])
def test_softmax_family_at_large_logits_is_exact(name, logits):
    """softmax([1e20, 1e20, 0]) is [0.5, 0.5, 0]; exp(x - logsumexp(x)) gave [1, 1, 0].
    Values, gradients and tangents are PyTorch's, except logsumexp's gradient and tangent:
    PyTorch computes them as exp(x - logsumexp(x)) and loses the digits this test checks
    (at [1e20, 1e20, 0] it gives [1, 1, 0]); here they are its softmax, which is exact."""
    w = np.array([0.3, -1.2, 2.0])
    x = Tensor(logits, requires_grad=True)
    out = getattr(x, name)(-1)
    (out * Tensor(w[: out.size].reshape(out.shape))).sum().backward()
    _, tangent = tge.jvp(lambda t: getattr(t, name)(-1), [Tensor(logits)], [Tensor(w)])
    tx = _t(logits)
    tout = getattr(tx, name)(-1)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=2e-16, atol=0)
    if name == "logsumexp":
        p = torch.softmax(tx.detach(), -1).numpy()
        expected_grad, expected_tangent = w[0] * p, p @ w
    else:
        (tout * torch.tensor(w)).sum().backward()
        expected_grad = tx.grad.numpy()
        expected_tangent = torch.func.jvp(
            lambda t: getattr(t, name)(-1), (_t(logits, grad=False),), (torch.tensor(w),)
        )[1].numpy()
    np.testing.assert_allclose(x.grad.data, expected_grad, rtol=4e-16, atol=1e-300)
    np.testing.assert_allclose(tangent.data, expected_tangent, rtol=1e-15, atol=1e-300)


def test_softmax_at_1e20_is_one_half():
    assert Tensor([1e20, 1e20, 0.0]).softmax().tolist() == [0.5, 0.5, 0.0]
    s = Tensor([1e10, 1e10, 1e10 - 1]).softmax().data
    e = np.exp(-1.0)
    np.testing.assert_allclose(s, [1 / (2 + e), 1 / (2 + e), e / (2 + e)], rtol=2e-16)


def test_softmax_hessian_at_large_logits_is_exact():
    """d2/dx2 of w . softmax(x) at x = [1e20, 1e20, 0]: computed through the shifted formula."""
    w = torch.tensor([0.3, -1.2, 2.0], dtype=torch.float64)
    logits = [1e20, 1e20, 0.0]
    H = tge.hessian(lambda t: (t.softmax() * Tensor(w.numpy())).sum())(Tensor(logits))
    expected = torch.autograd.functional.hessian(lambda t: (t.softmax(-1) * w).sum(), _t(logits, grad=False))
    np.testing.assert_allclose(H.data, expected.numpy(), rtol=1e-15, atol=1e-16)


hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

huge_logits = st.lists(
    st.floats(min_value=-1e300, max_value=1e300, allow_nan=False, allow_infinity=False), min_size=1, max_size=8
)


@given(huge_logits, st.integers(1, 300))
def test_softmax_of_logits_up_to_1e300_sums_to_one_and_matches_pytorch(values, exponent):
    """Any logits of magnitude up to 1e300, and the same logits scaled down to 10^-exponent
    of that (ties, near-ties and ordinary spreads)."""
    for logits in (np.array(values), np.array(values) * 10.0**-exponent):
        s = Tensor(logits).softmax().data
        assert np.all(np.isfinite(s)) and np.all(s >= 0)
        assert abs(s.sum() - 1.0) <= 4 * len(s) * 2.0**-53
        np.testing.assert_allclose(s, torch.tensor(logits).softmax(-1).numpy(), rtol=4e-15, atol=1e-300)
        ls = Tensor(logits).log_softmax().data
        np.testing.assert_allclose(ls, torch.tensor(logits).log_softmax(-1).numpy(), rtol=4e-15, atol=1e-300)


def test_a_compiled_step_replays_sub_neg_div_and_mean_with_eagers_bits():
    """tge.compile calls NumPy directly for these primitives; the replay matches eager exactly."""
    rng = np.random.default_rng(0)
    W = Tensor(rng.standard_normal((3, 2)), requires_grad=True)
    b = Tensor(rng.uniform(1.0, 2.0, 3), requires_grad=True)

    def step(x):
        y = (x @ W.T) / b - b / 3.0
        loss = (-((y - 1.0) ** 2)).mean() + y.mean(axis=0).sum() / 7.0
        loss.backward()
        return loss

    x = Tensor(rng.standard_normal((5, 2)))
    eager = step(x).item()
    expected = [W.grad.data.copy(), b.grad.data.copy()]
    compiled = tge.compile(step, check=True)
    for _ in range(3):  # record, then replay twice
        W.grad = b.grad = None
        assert compiled(x).item() == eager
        np.testing.assert_array_equal(W.grad.data, expected[0])
        np.testing.assert_array_equal(b.grad.data, expected[1])
    tape = compiled.describe()
    assert all(f" {name}(" in tape for name in ("subtract", "negative", "divide"))
    assert "Sub.forward" not in tape and "MeanBackward" not in tape and "DivBackward" not in tape
