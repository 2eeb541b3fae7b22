"""Indexing and scans with PyTorch's names: gather, scatter_add, index_select, masked_fill,
cumsum, cumprod.

gather and index_select are indexing (GetItem), whose gradient scatters G back and adds
repeated indices; scatter_add is the same scatter (ScatterAdd), whose gradient gathers;
masked_fill is `where`. cumsum and cumprod are primitives (ops_scan.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import ops
from . import tensor as _t
from .functions import where
from .ops_scan import CumProd, CumSum


def _axis(t: _t.Tensor, dim: int, op: str) -> int:
    n = max(t.ndim, 1)
    if not -n <= dim < n:
        raise ValueError(f"{op}: dim {dim} is out of range for a tensor of shape {t.shape} (valid: {-n} to {n - 1}).")
    return dim % n


def _index_array(index: Any, op: str) -> np.ndarray:
    arr = np.asarray(index.data if isinstance(index, _t.Tensor) else index)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{op}: index must hold integers, got dtype {arr.dtype}.")
    return arr


def _along(index: np.ndarray, dim: int) -> tuple[np.ndarray, ...]:
    """The advanced index that picks index[i, j, k] along `dim` and i, j, k along the others."""
    grids: tuple[np.ndarray, ...] = np.indices(index.shape, sparse=True)
    return tuple(index if a == dim else grid for a, grid in enumerate(grids))


def gather(t: _t.Tensor, dim: int, index: Any) -> _t.Tensor:
    """out[i][j] = t[index[i][j]][j] for dim=0 (PyTorch's gather); index has t's number of axes."""
    idx = _index_array(index, "gather")
    d = _axis(t, dim, "gather")
    if idx.ndim != t.ndim:
        raise ValueError(f"gather: index has {idx.ndim} axes but the tensor has shape {t.shape}; they must match.")
    return t[_along(idx, d)]


def scatter_add(t: _t.Tensor, dim: int, index: Any, src: _t.Tensor) -> _t.Tensor:
    """A copy of t with src[i][j] added at [index[i][j]][j] for dim=0 (PyTorch's scatter_add;
    repeated indices add up). Differentiable in t and src."""
    idx = _index_array(index, "scatter_add")
    d = _axis(t, dim, "scatter_add")
    src = t._operand(src)
    if idx.ndim != t.ndim or src.ndim != t.ndim or any(i > s for i, s in zip(idx.shape, src.shape)):
        raise ValueError(
            f"scatter_add: index {idx.shape} and src {src.shape} must have the tensor's {t.ndim} axes, "
            "with index no larger than src along each."
        )
    used = src[tuple(slice(0, n) for n in idx.shape)] if idx.shape != src.shape else src
    return t + ops.ScatterAdd.apply(used, index=_along(idx, d), shape=t.shape)


def index_select(t: _t.Tensor, dim: int, index: Any) -> _t.Tensor:
    """The entries at the 1-D `index` along `dim` (repeats allowed; their gradients add)."""
    idx = _index_array(index, "index_select")
    if idx.ndim > 1:
        raise ValueError(f"index_select: index must be 1-D, got shape {idx.shape}.")
    return t[(slice(None),) * _axis(t, dim, "index_select") + (idx.reshape(-1),)]


def masked_fill(t: _t.Tensor, mask: Any, value: float) -> _t.Tensor:
    """t with `value` where `mask` (broadcast to t) is True; no gradient flows there."""
    m = mask.data if isinstance(mask, _t.Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise TypeError(f"masked_fill: mask must be a bool tensor, got dtype {m.dtype}.")
    return where(_t.Tensor._wrap(m, False, None), t._operand(float(value)), t)


def cumsum(t: _t.Tensor, dim: int | None = None) -> _t.Tensor:
    """Running sum along `dim` (over the flattened tensor when dim is None, as NumPy)."""
    if dim is None:
        return CumSum.apply(t.reshape(-1), axis=0)
    return CumSum.apply(t, axis=_axis(t, dim, "cumsum"))


def cumprod(t: _t.Tensor, dim: int | None = None) -> _t.Tensor:
    """Running product along `dim` (over the flattened tensor when dim is None); zeros allowed."""
    if dim is None:
        return CumProd.apply(t.reshape(-1), axis=0)
    return CumProd.apply(t, axis=_axis(t, dim, "cumprod"))
