"""Primitive movements, the cast and matmul: ops that move, copy or convert elements
(reshape, transpose, broadcast_to, indexing and its adjoint, cat, astype) and the matrix product.

Same form as ops.py: `forward` on arrays, `backward` (VJP) and `jvp` with operators that
Tensors and ndarrays share, the math in the docstring's first line. A movement's VJP moves G
back: the inverse permutation, a reshape to the input's shape, a sum over broadcast axes, or
G scattered to where the elements came from (GetItem and ScatterAdd are each other's adjoint).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import tensor as _t
from .engine import unbroadcast
from .ops import G, Grads, Primitive, _or_zeros, _total


def _getitem(g: Any, index: Any) -> Any:
    return GetItem.apply(g, index=index) if isinstance(g, _t.Tensor) else g[index]


def _scatter_add(g: Any, index: Any, shape: tuple[int, ...]) -> Any:
    if isinstance(g, _t.Tensor):
        return ScatterAdd.apply(g, index=index, shape=shape)
    return ScatterAdd().forward(np.asarray(g), index, shape)


# ================================================================ movement
class Reshape(Primitive):
    """f(a) = a viewed with a new shape;  df/da: G reshaped back"""

    def forward(self, x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        out = np.reshape(x, shape)
        self.shape = out.shape
        return out

    def backward(self, g: G) -> Grads:
        return (g.reshape(self.inputs[0].shape),)

    def jvp(self, tx: _t.Tensor) -> _t.Tensor:
        return tx.reshape(self.shape)


class Transpose(Primitive):
    """f(a) = a with axes permuted;  df/da: G permuted back (inverse permutation)"""

    def forward(self, x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
        self.axes = axes
        return np.transpose(x, axes)

    def backward(self, g: G) -> Grads:
        inverse = [0] * len(self.axes)  # the permutation that undoes axes
        for i, a in enumerate(self.axes):
            inverse[a] = i
        return (g.transpose(*inverse),)

    def jvp(self, tx: _t.Tensor) -> _t.Tensor:
        return tx.transpose(*self.axes)


class BroadcastTo(Primitive):
    """f(a) = a repeated along new or size-1 axes;  df/da: G summed over those axes"""

    def forward(self, x: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        self.shape = shape
        return np.broadcast_to(x, shape)

    def backward(self, g: G) -> Grads:
        return (unbroadcast(g, self.inputs[0].shape),)

    def jvp(self, tx: _t.Tensor) -> _t.Tensor:
        return tx.broadcast_to(self.shape)


class GetItem(Primitive):
    """f(a) = a[index];  df/da: G scattered into zeros at index (repeats accumulate)"""

    def forward(self, x: np.ndarray, index: Any) -> np.ndarray:
        self.index = index
        return x[index]

    def backward(self, g: G) -> Grads:
        return (_scatter_add(g, self.index, self.inputs[0].shape),)

    def jvp(self, tx: _t.Tensor) -> _t.Tensor:
        return GetItem.apply(tx, index=self.index)


class ScatterAdd(Primitive):
    """f(g) = zeros(shape) with g added at index;  the adjoint of GetItem: df/dg: G[index]"""

    def forward(self, g: np.ndarray, index: Any, shape: tuple[int, ...]) -> np.ndarray:
        self.index, self.shape = index, shape
        out = np.zeros(shape, dtype=g.dtype)
        if _is_basic(index):
            out[index] = g  # basic slicing never repeats an element
        else:
            np.add.at(out, index, g)
        return out

    def backward(self, g: G) -> Grads:
        return (_getitem(g, self.index),)

    def jvp(self, tg: _t.Tensor) -> _t.Tensor:
        return ScatterAdd.apply(tg, index=self.index, shape=self.shape)


def _transposed(t: _t.Tensor) -> bool:
    """A 2-D tensor laid out column by column: the transpose of a contiguous matrix."""
    data = t.data
    return data.ndim == 2 and data.flags.f_contiguous and not data.flags.c_contiguous


def _is_basic(index: Any) -> bool:
    """True for indices made of ints, slices, None and Ellipsis only (no arrays)."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (int, np.integer, slice, type(None), type(Ellipsis))) for p in parts)


class Cat(Primitive):
    """f(a1, ..., an) = concatenation along `axis`;  df/dai: the slice of G where ai sits"""

    def forward(self, *xs: np.ndarray, axis: int) -> np.ndarray:
        self.axis = axis
        return np.concatenate(xs, axis=axis)

    def backward(self, g: G) -> Grads:
        grads: list[_t.Tensor | None] = []
        start = 0
        for x in self.inputs:
            stop = start + x.shape[self.axis]
            index = (slice(None),) * self.axis + (slice(start, stop),)
            grads.append(_getitem(g, index) if x.requires_grad else None)
            start = stop
        return tuple(grads)

    def jvp(self, *ts: _t.Tensor | None) -> _t.Tensor:
        return Cat.apply(*[_or_zeros(t, x) for t, x in zip(ts, self.inputs)], axis=self.axis)


class Cast(Primitive):
    """f(a) = a converted to another float dtype;  df/da: G converted back"""

    def forward(self, x: np.ndarray, dtype: np.dtype) -> np.ndarray:
        self.dtype = dtype
        return x.astype(dtype)

    def backward(self, g: G) -> Grads:
        return (g.astype(self.inputs[0].dtype),)

    def jvp(self, tx: _t.Tensor) -> _t.Tensor:
        return Cast.apply(tx, dtype=self.dtype)


# ================================================================ matmul
class MatMul(Primitive):
    """f(A, B) = A @ B (NumPy's matmul: batch axes broadcast);  dA = G B^T,  dB = A^T G"""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.matmul(a, b)

    def backward(self, g: G) -> Grads:
        A, B = self.inputs
        a, b = self.values(A, B)
        a_vector, b_vector = A.data.ndim == 1, B.data.ndim == 1
        # A 1-D operand acts as a one-row (A) or one-column (B) matrix, as in matmul itself;
        # G gets the axis that matmul removed, and the gradient loses it again.
        if a_vector:
            a, g = a.reshape(1, -1), g.reshape(g.shape[:-1] + (1,) + g.shape[-1:])
        if b_vector:
            b, g = b.reshape(-1, 1), g.reshape(g.shape + (1,))
        ga = gb = None
        if A.requires_grad:
            ga = g @ b.swapaxes(-1, -2)
            if a_vector:
                ga = ga.reshape(ga.shape[:-2] + ga.shape[-1:])
        if B.requires_grad:
            if _transposed(B):  # x @ W.T: the same product, computed as (G^T A)^T
                gb = (g.swapaxes(-1, -2) @ a).swapaxes(-1, -2)  # so that W's gradient is contiguous
            else:
                gb = a.swapaxes(-1, -2) @ g
            if b_vector:
                gb = gb.reshape(gb.shape[:-1])
        return ga, gb

    def jvp(self, ta: _t.Tensor | None, tb: _t.Tensor | None) -> _t.Tensor:
        a, b = self.values(*self.inputs)
        return _total(None if ta is None else ta @ b, None if tb is None else a @ tb)
