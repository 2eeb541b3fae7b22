"""Tensor creation, dtypes, conversion, repr, indexing, errors, and property-based checks."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import numeric_vjp
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tinygrad_edu as tge
from tinygrad_edu import Tensor

# ---------------------------------------------------------------- creation and dtypes


def test_numbers_and_lists_become_float64() -> None:
    assert Tensor(3).dtype == np.float64 and Tensor(3).shape == ()
    assert Tensor(True).dtype == np.float64
    assert Tensor([[1, 2], [3, 4]]).dtype == np.float64


def test_arrays_keep_their_dtype() -> None:
    assert Tensor(np.ones(2, dtype=np.float32)).dtype == np.float32
    assert Tensor(np.arange(3)).dtype == np.int64
    assert Tensor(np.array([True])).dtype == np.bool_
    assert Tensor([1, 2], dtype=np.float32).dtype == np.float32


def test_tensor_from_tensor_copies_data() -> None:
    a = Tensor([1.0, 2.0])
    b = Tensor(a)
    assert b.tolist() == [1.0, 2.0] and not np.shares_memory(a.data, b.data)


@pytest.mark.parametrize("bad", ["abc", {"a": 1}, object(), None, ["a", "b"]])
def test_unsupported_data_is_type_error(bad: object) -> None:
    with pytest.raises(TypeError, match="Tensor"):
        Tensor(bad)  # type: ignore[arg-type]


def test_ragged_list_is_value_error() -> None:
    with pytest.raises(ValueError, match="ragged"):
        Tensor([[1.0, 2.0], [3.0]])


def test_requires_grad_on_integer_data_is_type_error() -> None:
    with pytest.raises(TypeError, match="floating"):
        Tensor(np.arange(3), requires_grad=True)


def test_factories() -> None:
    assert Tensor.zeros(2, 3).shape == (2, 3) and Tensor.zeros((2, 3)).shape == (2, 3)
    assert Tensor.ones(2).tolist() == [1.0, 1.0]
    assert Tensor.full((2,), 7).tolist() == [7.0, 7.0]
    np.testing.assert_array_equal(Tensor.eye(3).data, np.eye(3))
    assert Tensor.arange(3).tolist() == [0.0, 1.0, 2.0] and Tensor.arange(1, 2, 0.5).tolist() == [1.0, 1.5]
    np.testing.assert_array_equal(Tensor.randn(2, 2, seed=1).data, Tensor.randn(2, 2, seed=1).data)
    u = Tensor.uniform(1000, low=-1.0, high=2.0, seed=0)
    assert u.data.min() >= -1.0 and u.data.max() < 2.0
    w = Tensor.zeros(3, requires_grad=True, name="W", dtype=np.float32)
    assert w.requires_grad and w.name == "W" and w.dtype == np.float32 and w.is_leaf


def test_attributes_and_conversions() -> None:
    t = Tensor([[1.0, 2.0, 3.0]])
    assert (t.shape, t.ndim, t.size) == ((1, 3), 2, 3)
    assert t.T.shape == (3, 1)
    assert t.numpy() is t.data
    assert np.asarray(t) is t.data
    assert np.asarray(t, dtype=np.float32).dtype == np.float32
    assert t.tolist() == [[1.0, 2.0, 3.0]]
    assert Tensor([2.5]).item() == 2.5 and float(Tensor(2.5)) == 2.5 and int(Tensor(3.0)) == 3
    with pytest.raises(ValueError, match=r"shape \(1, 3\)"):
        t.item()
    assert len(t) == 1 and [r.shape for r in t] == [(3,)]


def test_repr() -> None:
    assert repr(Tensor([1.0, 2.0])) == "Tensor([1., 2.])"
    assert repr(Tensor([1.0], requires_grad=True)) == "Tensor([1.], requires_grad=True)"
    x = Tensor([1.0], requires_grad=True)
    assert repr(x * 2.0) == "Tensor([2.], grad_fn=<MulBackward>)"
    assert "dtype=float32" in repr(Tensor(np.ones(1, np.float32)))
    assert "name='W'" in repr(Tensor(1.0, name="W"))


def test_grad_fn_has_a_readable_name_and_inputs() -> None:
    a, b = Tensor(1.0, requires_grad=True), Tensor(2.0, requires_grad=True)
    c = a * b
    assert c.grad_fn is not None and c.grad_fn.name == "MulBackward"
    assert c.grad_fn.inputs == (a, b) or c.grad_fn.inputs[0] is a


# ---------------------------------------------------------------- arithmetic details


def test_reflected_scalars_and_arrays() -> None:
    x = Tensor([1.0, 2.0])
    assert (2 - x).tolist() == [1.0, 0.0]
    assert (2 / x).tolist() == [2.0, 1.0]
    assert (2**x).tolist() == [2.0, 4.0]
    out = np.array([1.0, 1.0]) + x  # ndarray on the left still gives a Tensor
    assert isinstance(out, Tensor) and out.tolist() == [2.0, 3.0]


def test_pow_differentiates_base_and_exponent() -> None:
    x, y = Tensor(2.0, requires_grad=True), Tensor(3.0, requires_grad=True)
    (x**y).backward()
    assert x.grad.item() == pytest.approx(12.0)  # type: ignore[union-attr]
    assert y.grad.item() == pytest.approx(8 * np.log(2))  # type: ignore[union-attr]


def test_pow_exponent_gradient_at_zero_base_is_zero() -> None:
    x, y = Tensor(0.0, requires_grad=True), Tensor(2.0, requires_grad=True)
    (x**y).backward()
    assert y.grad.item() == 0.0  # type: ignore[union-attr]


def test_relu_and_abs_derivative_at_zero_is_zero() -> None:
    x = Tensor([0.0], requires_grad=True)
    x.relu().sum().backward()
    assert x.grad.tolist() == [0.0]  # type: ignore[union-attr]
    x.grad = None
    x.abs().sum().backward()
    assert x.grad.tolist() == [0.0]  # type: ignore[union-attr]


def test_max_min_maximum_split_ties_evenly() -> None:
    x = Tensor([1.0, 3.0, 3.0], requires_grad=True)
    x.max().backward()
    assert x.grad.tolist() == [0.0, 0.5, 0.5]  # type: ignore[union-attr]
    x.grad = None
    x.min().backward()
    assert x.grad.tolist() == [1.0, 0.0, 0.0]  # type: ignore[union-attr]
    a, b = Tensor(2.0, requires_grad=True), Tensor(2.0, requires_grad=True)
    tge.maximum(a, b).backward()
    assert (a.grad.item(), b.grad.item()) == (0.5, 0.5)  # type: ignore[union-attr]


def test_clip_passes_gradient_inside_the_closed_interval() -> None:
    x = Tensor([-2.0, -1.0, 0.0, 1.0, 2.0], requires_grad=True)
    x.clip(-1.0, 1.0).sum().backward()
    assert x.grad.tolist() == [0.0, 1.0, 1.0, 1.0, 0.0]  # type: ignore[union-attr]


def test_repeated_indices_accumulate() -> None:
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0]  # type: ignore[union-attr]


def test_index_with_tensor_and_boolean_mask() -> None:
    x = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    x[Tensor(np.array([1, 1]))].sum().backward()
    assert x.grad.tolist() == [[0.0, 0.0], [2.0, 2.0]]  # type: ignore[union-attr]
    assert x[x > 2.0].tolist() == [3.0, 4.0]


def test_stable_softmax_family_on_large_logits() -> None:
    x = Tensor([[1e4, 0.0, -1e4], [1000.0, 1000.0, 1000.0]], requires_grad=True)
    np.testing.assert_allclose(x.logsumexp(axis=1).data, [1e4, 1000.0 + np.log(3)])
    np.testing.assert_allclose(x.softmax().data[1], [1 / 3] * 3)
    assert np.isfinite(x.log_softmax().data).all()
    x.log_softmax().sum().backward()
    assert np.isfinite(x.grad.data).all()  # type: ignore[union-attr]


def test_sigmoid_and_tanh_saturate_without_overflow() -> None:
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        x = Tensor([-1000.0, 1000.0], requires_grad=True)
        x.sigmoid().sum().backward()
        assert x.sigmoid().tolist() == [0.0, 1.0]
        assert x.tanh().tolist() == [-1.0, 1.0]


# ---------------------------------------------------------------- errors that name the op


def test_broadcast_error_names_op_and_shapes() -> None:
    with pytest.raises(ValueError, match=r"Add.*\(2, 3\).*\(4,\)"):
        Tensor.ones(2, 3) + Tensor.ones(4)


def test_matmul_error_names_shapes_and_suggests_fix() -> None:
    with pytest.raises(ValueError, match=r"matmul.*\(100, 3\).*\(100,\).*Transpose"):
        Tensor.ones(100, 3) @ Tensor.ones(100)
    with pytest.raises(ValueError, match="scalar"):
        Tensor.ones(3) @ Tensor(2.0)


def test_axis_out_of_range() -> None:
    with pytest.raises(ValueError, match=r"sum: axis 2 .* \(2, 3\)"):
        Tensor.ones(2, 3).sum(axis=2)


def test_reshape_error_names_op() -> None:
    with pytest.raises(ValueError, match="Reshape"):
        Tensor.ones(2, 3).reshape(4, 2)


def test_cat_and_stack_errors() -> None:
    with pytest.raises(ValueError, match="Cat"):
        tge.cat([Tensor.ones(2, 3), Tensor.ones(3, 2)])
    with pytest.raises(ValueError, match="same shape"):
        tge.stack([Tensor.ones(2), Tensor.ones(3)])


# ---------------------------------------------------------------- property-based

shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
UNARY = {
    "exp": (lambda t: t.exp(), np.exp),
    "tanh": (lambda t: t.tanh(), np.tanh),
    "sigmoid": (lambda t: t.sigmoid(), lambda a: 1 / (1 + np.exp(-a))),
    "sin": (lambda t: t.sin(), np.sin),
    "square": (lambda t: t * t, np.square),
}


@given(shape=shapes, name=st.sampled_from(sorted(UNARY)), seed=st.integers(0, 2**16))
def test_elementwise_random_shapes(shape: tuple[int, ...], name: str, seed: int) -> None:
    fn, ref = UNARY[name]
    a = np.random.default_rng(seed).standard_normal(shape)
    x = Tensor(a, requires_grad=True)
    out = fn(x)
    np.testing.assert_allclose(out.data, ref(a), rtol=1e-12)
    v = np.random.default_rng(seed + 1).standard_normal(shape)
    out.backward(Tensor(v))
    (n,) = numeric_vjp(lambda b: fn(Tensor(b)).data, [a], v)
    np.testing.assert_allclose(x.grad.data, n, rtol=1e-6, atol=1e-7)  # type: ignore[union-attr]


@st.composite
def broadcast_pair(draw: st.DrawFn) -> tuple[tuple[int, ...], tuple[int, ...]]:
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=3))
    other = draw(hnp.broadcastable_shapes(shape, min_dims=0, max_dims=3, min_side=1, max_side=3))
    return shape, other


@given(pair=broadcast_pair(), op=st.sampled_from(["add", "sub", "mul", "maximum"]), seed=st.integers(0, 999))
def test_binary_ops_broadcast_random_shapes(pair: tuple[tuple[int, ...], tuple[int, ...]], op: str, seed: int) -> None:
    fns = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
           "maximum": lambda a, b: tge.maximum(a, b)}  # fmt: skip
    refs = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "maximum": np.maximum}
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s) for s in pair]
    xs = [Tensor(a, requires_grad=True) for a in arrays]
    out = fns[op](*xs)
    np.testing.assert_allclose(out.data, refs[op](*arrays))
    v = rng.standard_normal(out.shape)
    out.backward(Tensor(v))
    numeric = numeric_vjp(lambda *b: fns[op](*[Tensor(x) for x in b]).data, arrays, v)
    for x, n in zip(xs, numeric):
        assert x.grad is not None and x.grad.shape == x.shape
        np.testing.assert_allclose(x.grad.data, n, rtol=1e-6, atol=1e-7)


@given(
    shape=hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4),
    reduce=st.sampled_from(["sum", "mean", "max", "min", "logsumexp", "var"]),
    keepdims=st.booleans(),
    data=st.data(),
)
def test_reductions_random_axes(shape: tuple[int, ...], reduce: str, keepdims: bool, data: st.DataObject) -> None:
    axis = data.draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))
    a = np.random.default_rng(len(shape)).standard_normal(shape)
    x = Tensor(a, requires_grad=True)
    ddof = {"ddof": 0} if reduce in ("var", "std") else {}  # NumPy's default (the methods' is PyTorch's 1)
    out = getattr(x, reduce)(axis=axis, keepdims=keepdims, **ddof)
    if reduce == "logsumexp":
        m = a.max(axis=axis, keepdims=True)
        ref = np.log(np.exp(a - m).sum(axis=axis, keepdims=True)) + m
        ref = ref if keepdims else np.squeeze(ref, axis=axis)
    else:
        ref = getattr(np, reduce)(a, axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(out.data, ref, rtol=1e-12, atol=1e-12)
    v = np.random.default_rng(7).standard_normal(out.shape)
    out.backward(Tensor(v))
    (n,) = numeric_vjp(lambda b: getattr(Tensor(b), reduce)(axis=axis, keepdims=keepdims, **ddof).data, [a], v)
    np.testing.assert_allclose(x.grad.data, n, rtol=1e-6, atol=1e-7)  # type: ignore[union-attr]
