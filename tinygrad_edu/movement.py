"""Shape functions beyond tensor.py, with PyTorch's names and semantics: flatten(start, end),
flip, roll, pad, repeat, tile, chunk, split, tril, triu, diag, trace, outer.

All are compositions of primitives (indexing, reshape, broadcast, cat, where, scatter), so
their gradients need no new rule: flipping is indexing with a reversed slice, so its gradient
is G flipped back; repeating is broadcasting, so its gradient sums the copies.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import ops
from . import tensor as _t
from .functions import cat, where


def _axis(t: _t.Tensor, dim: int, op: str) -> int:
    n = max(t.ndim, 1)
    if not -n <= dim < n:
        raise ValueError(f"{op}: dim {dim} is out of range for a tensor of shape {t.shape} (valid: {-n} to {n - 1}).")
    return dim % n


def _dims(dims: int | Sequence[int]) -> tuple[int, ...]:
    return (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)


def flatten(t: _t.Tensor, start_dim: int = 0, end_dim: int = -1) -> _t.Tensor:
    """Merge the axes start_dim..end_dim (inclusive) into one: (N, C, H, W) -> (N, C*H*W) with start_dim=1."""
    if t.ndim == 0:
        return t.reshape(1)
    s, e = _axis(t, start_dim, "flatten"), _axis(t, end_dim, "flatten")
    if s > e:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} for shape {t.shape}.")
    return t.reshape(t.shape[:s] + (int(np.prod(t.shape[s : e + 1])),) + t.shape[e + 1 :])


def flip(t: _t.Tensor, dims: int | Sequence[int]) -> _t.Tensor:
    """Reverse the order of elements along `dims`."""
    index = [slice(None)] * t.ndim
    for d in _dims(dims):
        index[_axis(t, d, "flip")] = slice(None, None, -1)
    return t[tuple(index)]


def roll(t: _t.Tensor, shifts: int | Sequence[int], dims: int | Sequence[int] | None = None) -> _t.Tensor:
    """Shift elements along `dims` by `shifts`, wrapping around (the whole flattened tensor when
    dims is None, as PyTorch)."""
    if dims is None:
        return roll(t.reshape(-1), shifts, 0).reshape(t.shape)
    shift_list, dim_list = _dims(shifts), _dims(dims)
    if len(shift_list) != len(dim_list):
        raise ValueError(f"roll: {len(shift_list)} shifts for {len(dim_list)} dims; give one shift per dim.")
    out = t
    for s, d in zip(shift_list, dim_list):
        d = _axis(t, d, "roll")
        n = t.shape[d]
        s = int(s) % n if n else 0
        if s:
            lead = (slice(None),) * d
            out = cat([out[lead + (slice(n - s, None),)], out[lead + (slice(0, n - s),)]], axis=d)
    return out


_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def pad(t: _t.Tensor, pad: Sequence[int], mode: str = "constant", value: float = 0.0) -> _t.Tensor:
    """PyTorch's F.pad: pad the last len(pad) // 2 axes, (left, right) of the last axis first,
    then of the one before, ... Modes, for an axis [a0 a1 a2 a3] padded by (2, 2):

        constant  v  v  a0 a1 a2 a3 v  v     (`value`; a negative width crops, as in PyTorch)
        reflect   a2 a1 a0 a1 a2 a3 a2 a1    (the edge is not repeated; widths < the axis size)
        replicate a0 a0 a0 a1 a2 a3 a3 a3
        circular  a2 a3 a0 a1 a2 a3 a0 a1    (widths <= the axis size)

    Each padded axis is a `cat` of the tensor with slices of itself (a reversed slice for
    reflect, a broadcast edge for replicate), so the gradient is G's middle plus G's margins
    added back where they were copied from: slicing and summing, no scatter per element."""
    if len(pad) % 2 or len(pad) // 2 > t.ndim:
        raise ValueError(f"pad: {tuple(pad)} needs an even length of at most 2 * ndim = {2 * t.ndim}.")
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: mode must be one of {list(_PAD_MODES)}, got {mode!r}.")
    if mode != "constant" and value != 0:
        raise ValueError(f"pad: mode {mode!r} takes no value; value={value} belongs to mode='constant'.")
    widths = [(0, 0)] * t.ndim
    for i in range(len(pad) // 2):
        widths[t.ndim - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    if mode == "constant":
        return _pad_constant(t, widths, value)
    if any(w < 0 for pair in widths for w in pair):
        raise ValueError(f"pad: negative padding {tuple(pad)} crops, which only mode='constant' does; slice instead.")
    out = t
    for d, (lo, hi) in enumerate(widths):
        if lo or hi:
            out = cat(_margins(out, d, lo, hi, mode), axis=d)
    return out


def _pad_constant(t: _t.Tensor, widths: list[tuple[int, int]], value: float) -> _t.Tensor:
    """t placed inside a block of `value` (a negative width first crops that side)."""
    crop = tuple(slice(max(-lo, 0), n - max(-hi, 0)) for n, (lo, hi) in zip(t.shape, widths))
    if any(lo < 0 or hi < 0 for lo, hi in widths):
        t = t[crop]
        widths = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
    shape = tuple(n + lo + hi for n, (lo, hi) in zip(t.shape, widths))
    inside = tuple(slice(lo, lo + n) for n, (lo, _) in zip(t.shape, widths))
    out = ops.ScatterAdd.apply(t, index=inside, shape=shape)
    if value != 0:
        outside = np.full(shape, float(value), dtype=t.dtype)
        outside[inside] = 0
        out = out + _t.Tensor._wrap(outside, False, None)
    return out


def _margins(t: _t.Tensor, d: int, lo: int, hi: int, mode: str) -> list[_t.Tensor]:
    """[left margin, t, right margin] along axis d for mode reflect, replicate or circular (a
    margin of width 0 left out)."""
    n = t.shape[d]
    if mode == "reflect" and (lo >= n or hi >= n):
        raise ValueError(f"pad: reflect padding ({lo}, {hi}) must be smaller than the axis size {n}.")
    if mode == "replicate" and n == 0:
        raise ValueError(f"pad: replicate padding of axis {d} of shape {t.shape}: there is no edge to repeat.")
    if mode == "circular" and (lo > n or hi > n):
        raise ValueError(f"pad: circular padding ({lo}, {hi}) may not exceed the axis size {n}.")

    def take(start: int, stop: int | None, step: int = 1) -> _t.Tensor:
        return t[(slice(None),) * d + (slice(start, stop, step),)]

    def edge(i: int, width: int) -> _t.Tensor:
        return take(i, i + 1).broadcast_to(t.shape[:d] + (width,) + t.shape[d + 1 :])

    left: _t.Tensor | None
    right: _t.Tensor | None
    if mode == "reflect":
        left = take(lo, 0, -1) if lo else None  # a_lo ... a_1
        right = take(n - 2, n - 2 - hi if hi < n - 1 else None, -1) if hi else None  # a_(n-2) ... a_(n-1-hi)
    elif mode == "replicate":
        left = edge(0, lo) if lo else None
        right = edge(n - 1, hi) if hi else None
    else:
        left = take(n - lo, n) if lo else None
        right = take(0, hi) if hi else None
    return [p for p in (left, t, right) if p is not None]


def repeat(t: _t.Tensor, *sizes: Any) -> _t.Tensor:
    """PyTorch's repeat: tile the tensor sizes[i] times along axis i (leading new axes allowed)."""
    reps = tuple(int(s) for s in (sizes[0] if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes))
    if len(reps) < t.ndim:
        raise ValueError(
            f"repeat: {len(reps)} repeat counts for a tensor of {t.ndim} axes; give at least one per axis."
        )
    shape = (1,) * (len(reps) - t.ndim) + t.shape
    inter = tuple(x for n in shape for x in (1, n))  # (1, n0, 1, n1, ...)
    expanded = tuple(x for r, n in zip(reps, shape) for x in (r, n))  # (r0, n0, r1, n1, ...)
    out = t.reshape(inter).broadcast_to(expanded)
    return out.reshape(tuple(r * n for r, n in zip(reps, shape)))


def tile(t: _t.Tensor, reps: int | Sequence[int]) -> _t.Tensor:
    """NumPy's and PyTorch's tile: like repeat, with missing leading counts taken as 1."""
    counts = _dims(reps)
    return repeat(t, (1,) * (t.ndim - len(counts)) + tuple(counts))


def split(t: _t.Tensor, split_size_or_sections: int | Sequence[int], dim: int = 0) -> list[_t.Tensor]:
    """Pieces along `dim`: of split_size each (the last may be smaller), or of the given sizes."""
    d = _axis(t, dim, "split")
    n = t.shape[d]
    if isinstance(split_size_or_sections, (int, np.integer)):
        size = int(split_size_or_sections)
        if size <= 0:
            raise ValueError(f"split: split_size must be positive, got {size}.")
        sizes = [min(size, n - start) for start in range(0, n, size)] or [0]
    else:
        sizes = [int(s) for s in split_size_or_sections]
        if sum(sizes) != n:
            raise ValueError(f"split: sizes {sizes} sum to {sum(sizes)}, but axis {d} of shape {t.shape} has {n}.")
    out, start = [], 0
    for s in sizes:
        out.append(t[(slice(None),) * d + (slice(start, start + s),)])
        start += s
    return out


def chunk(t: _t.Tensor, chunks: int, dim: int = 0) -> list[_t.Tensor]:
    """`chunks` pieces along `dim` of ceil(n / chunks) each (fewer when they run out), as PyTorch."""
    if chunks <= 0:
        raise ValueError(f"chunk: chunks must be positive, got {chunks}.")
    n = t.shape[_axis(t, dim, "chunk")]
    return split(t, max(-(-n // chunks), 1), dim)


def _matrix_shape(t: _t.Tensor, op: str) -> tuple[int, int]:
    if t.ndim < 2:
        raise ValueError(f"{op}: needs a matrix (or a batch of them), got shape {t.shape}.")
    return t.shape[-2], t.shape[-1]


def _triangle(t: _t.Tensor, keep: np.ndarray) -> _t.Tensor:
    zero = _t.Tensor._wrap(np.zeros((), t.dtype), False, None)
    return where(_t.Tensor._wrap(keep, False, None), t, zero)


def tril(t: _t.Tensor, diagonal: int = 0) -> _t.Tensor:
    """The lower triangle: entries (i, j) with j - i <= diagonal kept, the rest 0."""
    n, m = _matrix_shape(t, "tril")
    return _triangle(t, np.tri(n, m, diagonal, dtype=bool))


def triu(t: _t.Tensor, diagonal: int = 0) -> _t.Tensor:
    """The upper triangle: entries (i, j) with j - i >= diagonal kept, the rest 0."""
    n, m = _matrix_shape(t, "triu")
    return _triangle(t, ~np.tri(n, m, diagonal - 1, dtype=bool))


def _diagonal_index(n: int, m: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    rows = np.arange(max(0, -k), min(n, m - k))
    return rows, rows + k


def diag(t: _t.Tensor, diagonal: int = 0) -> _t.Tensor:
    """1-D input: the square matrix with t on diagonal `diagonal`; 2-D input: that diagonal."""
    if t.ndim == 1:
        size = t.shape[0] + abs(diagonal)
        index = _diagonal_index(size, size, diagonal)
        return ops.ScatterAdd.apply(t, index=index, shape=(size, size))
    if t.ndim == 2:
        return t[_diagonal_index(t.shape[0], t.shape[1], diagonal)]
    raise ValueError(f"diag: expects a 1-D or 2-D tensor, got shape {t.shape}.")


def trace(t: _t.Tensor) -> _t.Tensor:
    """The sum of the main diagonal of a matrix."""
    if t.ndim != 2:
        raise ValueError(f"trace: expects a matrix, got shape {t.shape}.")
    return diag(t).sum()


def outer(a: _t.Tensor, b: _t.Tensor) -> _t.Tensor:
    """The outer product of two vectors: out[i, j] = a[i] b[j]."""
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError(f"outer: expects two 1-D tensors, got shapes {a.shape} and {b.shape}.")
    return a.reshape(-1, 1) * b.reshape(1, -1)
