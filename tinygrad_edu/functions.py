"""Functions of several tensors: matmul, where, maximum, minimum, cat and stack.

Each is a primitive from ops.py (or a composition of them) behind NumPy's name and semantics.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import engine, ops
from . import tensor as _t
from .engine import shape_of
from .tensor_create import to_array


def _tensor(x: Any, like: _t.Tensor | None = None) -> _t.Tensor:
    if isinstance(x, _t.Tensor):
        return x
    return like._operand(x) if like is not None else _t.Tensor(x)


def matmul(a: _t.Tensor, b: _t.Tensor) -> _t.Tensor:
    """NumPy's matmul: 1-D operands are promoted (and the added axis removed), batch axes
    broadcast. dA = G B^T, dB = A^T G."""
    shape_a, shape_b = a.data.shape, b.data.shape
    if not shape_a or not shape_b:
        raise ValueError(
            f"matmul: both operands need at least one dimension, got shapes {shape_of(a)} and "
            f"{shape_of(b)}; use * to multiply by a scalar."
        )
    inner_b = shape_b[-2] if len(shape_b) > 1 else shape_b[0]
    if shape_a[-1] != inner_b:
        first, second = (repr(t.name) if t.name is not None else f"the {k}" for t, k in ((a, "first"), (b, "second")))
        raise ValueError(
            f"matmul: shapes {shape_of(a)} and {shape_of(b)} do not align: the last axis of {first} "
            f"({a.shape[-1]}) must equal the {'second-to-last' if b.ndim > 1 else 'only'} axis "
            f"of {second} ({inner_b}). Transpose an operand (.T) if that is what you meant."
        )
    return ops.MatMul.apply(a, b)


def where(condition: _t.ArrayLike, x: _t.ArrayLike, y: _t.ArrayLike) -> _t.Tensor:
    """x where condition holds, else y (broadcasting); gradients flow to the chosen side."""
    like = x if isinstance(x, _t.Tensor) else y if isinstance(y, _t.Tensor) else None
    cond = condition if isinstance(condition, _t.Tensor) else _t.Tensor(to_array(condition, None).astype(bool))
    if cond.dtype != np.bool_:
        cond = engine.no_grad_op(np.asarray, cond, dtype=bool)
    xt, yt = _tensor(x, like), _tensor(y, like)
    return ops.Where.apply(cond, xt, yt)


def maximum(a: _t.ArrayLike, b: _t.ArrayLike) -> _t.Tensor:
    """Elementwise max(a, b); at ties the gradient is split evenly."""
    at = _tensor(a, b if isinstance(b, _t.Tensor) else None)
    return ops.Maximum.apply(at, at._operand(b))


def minimum(a: _t.ArrayLike, b: _t.ArrayLike) -> _t.Tensor:
    """Elementwise min(a, b) = -max(-a, -b)."""
    at = _tensor(a, b if isinstance(b, _t.Tensor) else None)
    return -maximum(-at, -at._operand(b))


def cat(tensors: Sequence[_t.Tensor], axis: int = 0) -> _t.Tensor:
    """Join tensors along an existing axis."""
    ts = [_tensor(t) for t in tensors]
    if not ts:
        raise ValueError("cat: expected a non-empty list of tensors.")
    ndim = ts[0].ndim
    if ndim == 0 or not -ndim <= axis < ndim:
        raise ValueError(f"cat: axis {axis} is out of range for tensors of shape {ts[0].shape}.")
    return ops.Cat.apply(*ts, axis=axis % ndim)


def stack(tensors: Sequence[_t.Tensor], axis: int = 0) -> _t.Tensor:
    """Join same-shape tensors along a new axis."""
    ts = [_tensor(t) for t in tensors]
    if not ts:
        raise ValueError("stack: expected a non-empty list of tensors.")
    shapes = {t.shape for t in ts}
    if len(shapes) != 1:
        raise ValueError(f"stack: all tensors need the same shape, got {sorted(shapes)}.")
    return cat([t.unsqueeze(axis) for t in ts], axis=axis if axis >= 0 else axis + ts[0].ndim + 1)
