"""NumPy's functions on Tensors run the Tensor's own ops: same value, same gradient as the method."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import Tensor

A = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
B = np.array([0.3, -0.2, 1.1])

# (name, NumPy call on a Tensor, the same through Tensor methods)
CASES: list[tuple[str, Callable[[Any], Any], Callable[[Tensor], Tensor]]] = [
    ("exp", np.exp, lambda t: t.exp()),
    ("log_abs", lambda t: np.log(np.abs(t)), lambda t: t.abs().log()),
    ("sqrt_square", lambda t: np.sqrt(np.square(t) + 1.0), lambda t: (t * t + 1.0).sqrt()),
    ("sin_cos_tanh", lambda t: np.sin(t) * np.cos(t) + np.tanh(t), lambda t: t.sin() * t.cos() + t.tanh()),
    ("maximum_number", lambda t: np.maximum(t, 0), lambda t: tge.maximum(t, 0.0)),
    ("minimum_array", lambda t: np.minimum(B, t), lambda t: tge.minimum(Tensor(B), t)),
    ("array_times_tensor", lambda t: B * t, lambda t: Tensor(B) * t),
    ("array_minus_tensor", lambda t: B - t, lambda t: Tensor(B) - t),
    ("array_div_tensor", lambda t: B / (t * t + 1.0), lambda t: Tensor(B) / (t * t + 1.0)),
    ("array_pow", lambda t: np.power(np.abs(t), 1.5), lambda t: t.abs() ** 1.5),
    ("negative_reciprocal", lambda t: np.negative(np.reciprocal(t)), lambda t: -(1.0 / t)),
    ("numpy_scalar", lambda t: np.float64(2.0) * t, lambda t: t * 2.0),
    ("matmul_array", lambda t: np.matmul(t, B), lambda t: t @ Tensor(B)),
    ("array_matmul_op", lambda t: B[:2] @ t, lambda t: Tensor(B[:2]) @ t),
    ("sum_axis", lambda t: np.sum(t, axis=0), lambda t: t.sum(axis=0)),
    ("sum_keepdims", lambda t: np.sum(t, axis=1, keepdims=True), lambda t: t.sum(axis=1, keepdims=True)),
    ("mean", np.mean, lambda t: t.mean()),
    ("max_axis", lambda t: np.max(t, axis=1), lambda t: t.max(axis=1)),
    ("amin", lambda t: np.amin(t, axis=0), lambda t: t.min(axis=0)),
    ("var_std", lambda t: np.var(t, axis=1) + np.std(t), lambda t: t.var(axis=1, ddof=0) + t.std(correction=0)),
    ("var_std_ddof", lambda t: np.var(t, 0, ddof=1) + np.std(t, ddof=2), lambda t: t.var(0) + t.std(correction=2)),
    ("var_correction", lambda t: np.var(t, correction=1, keepdims=True), lambda t: t.var(keepdim=True)),
    ("dot", lambda t: np.dot(t, B), lambda t: t @ Tensor(B)),
    ("dot_scalar", lambda t: np.dot(t, 3.0), lambda t: t * 3.0),
    ("where", lambda t: np.where(A > 0, t, 0.0), lambda t: tge.where(Tensor(A > 0), t, 0.0)),
    ("concatenate", lambda t: np.concatenate([t, A], axis=1), lambda t: tge.cat([t, Tensor(A)], axis=1)),
    ("stack", lambda t: np.stack([t, t * 2.0]), lambda t: tge.stack([t, t * 2.0])),
    ("reshape", lambda t: np.reshape(t, (3, 2)), lambda t: t.reshape(3, 2)),
    ("transpose", np.transpose, lambda t: t.T),
    ("clip", lambda t: np.clip(t, -0.5, 1.0), lambda t: t.clip(-0.5, 1.0)),
    ("expand_dims_squeeze", lambda t: np.squeeze(np.expand_dims(t, 0)), lambda t: t),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c[0])
def test_numpy_call_is_the_tensor_op(case: tuple[str, Any, Any]) -> None:
    _, numpy_call, method_call = case
    t1, t2 = Tensor(A, requires_grad=True), Tensor(A, requires_grad=True)
    out1, out2 = numpy_call(t1), method_call(t2)
    assert isinstance(out1, Tensor) and out1.requires_grad
    np.testing.assert_allclose(out1.data, out2.data, rtol=1e-14)
    v = np.random.default_rng(0).standard_normal(out1.shape)
    out1.backward(Tensor(v))
    out2.backward(Tensor(v))
    np.testing.assert_allclose(t1.grad.data, t2.grad.data, rtol=1e-14)  # type: ignore[union-attr]


def test_float32_stays_float32_with_python_numbers() -> None:
    t = Tensor(A.astype(np.float32))
    assert np.maximum(t, 0).dtype == np.float32
    assert np.multiply(t, 2.0).dtype == np.float32


def test_forward_mode_through_numpy_calls() -> None:
    _, tangent = tge.jvp(lambda t: np.sum(np.exp(t), axis=0), [Tensor(A)], [Tensor(np.ones_like(A))])
    np.testing.assert_allclose(tangent.data, np.exp(A).sum(axis=0))


def test_asarray_and_value_queries_return_arrays() -> None:
    t = Tensor(A, requires_grad=True)
    arr = np.asarray(t)
    assert type(arr) is np.ndarray and arr is t.data
    assert type(np.array(t)) is np.ndarray
    assert np.shape(t) == (2, 3) and np.ndim(t) == 2 and np.size(t) == 6
    assert np.allclose(t, A) and np.array_equal(t, A)
    np.testing.assert_allclose(t, A)


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda t: np.sort(t), ["np.sort", "t.data"]),
        (lambda t: np.arctan2(t, t), ["np.arctan2", "no differentiable"]),
        (lambda t: np.add.reduce(t), ["np.add.reduce", "t.sum"]),
        (lambda t: np.maximum.reduce(t, axis=0), ["np.maximum.reduce", "t.max"]),
        (lambda t: np.exp(t, out=np.zeros(A.shape)), ["np.exp", "out=", "lose its gradient"]),
        (lambda t: np.sum(t, dtype=np.float32), ["np.sum", "dtype", "t.data"]),
        (lambda t: np.exp(t, where=A > 0), ["np.exp", "where"]),
        (lambda t: np.reshape(t, 6, order="F"), ["np.reshape", "order"]),
        (lambda t: np.linalg.solve(t[:, :2], t[:, 2]), ["np.linalg.solve", "np.linalg.solve(t.data"]),
        (lambda t: np.percentile(t, 50), ["np.percentile", "t.data"]),
    ],
)
def test_unsupported_calls_raise_type_error_naming_function_and_remedy(call: Any, words: list[str]) -> None:
    with pytest.raises(TypeError) as info:
        call(Tensor(A, requires_grad=True))
    for w in words:
        assert w in str(info.value)


def test_inplace_into_an_array_raises_instead_of_dropping_the_gradient() -> None:
    arr = np.zeros(A.shape)
    with pytest.raises(TypeError, match="arr = arr \\+ t"):
        arr += Tensor(A, requires_grad=True)
    assert np.all(arr == 0)


def test_copy_ravel_atleast_keep_the_gradient_and_predicates_give_bool_tensors() -> None:
    t = Tensor(A, requires_grad=True)
    (np.copy(t) * 2.0 + np.ravel(t).reshape(2, 3) + np.atleast_2d(t[0]) + np.atleast_1d(t.sum())).sum().backward()
    np.testing.assert_allclose(t.grad.data, [[2 + 1 + 2 + 6] * 3, [2 + 1 + 6] * 3])  # type: ignore[union-attr]
    assert np.atleast_2d(t[0]).shape == (1, 3) and np.atleast_1d(t.sum()).shape == (1,)
    finite = np.isfinite(Tensor([1.0, np.inf, np.nan]))
    assert isinstance(finite, Tensor) and finite.tolist() == [True, False, False]
    counts, _ = np.histogram(t, bins=2)
    assert counts.sum() == 6


def test_comparisons_with_arrays_are_bool_tensors() -> None:
    t = Tensor(A)
    out = np.greater(t, 0.0)
    assert isinstance(out, Tensor) and out.dtype == np.bool_
    np.testing.assert_array_equal((A < t).data, np.zeros(A.shape, bool))
