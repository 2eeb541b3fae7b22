"""The primitive window ops behind convolution and pooling: Unfold (im2col) and its adjoint Fold.

`Unfold` copies every window a kernel sees into one array of shape (N, C, *kernel, *out): a
convolution is then one matrix product with the weights (the output comes out in NCHW
order, with no transpose), pooling one reduction. It is linear,
so its VJP is its adjoint `Fold`, which adds each window back where it came from (overlapping
windows add up), and `Fold`'s VJP is `Unfold`. Both loop over the kernel's offsets (9 for a
3x3 kernel), never over pixels; NumPy's `sliding_window_view` does the rest.

Works for 1 or 2 spatial axes: x is (N, C, L) or (N, C, H, W).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from . import tensor as _t
from .ops import G, Grads, Primitive

Ints = tuple[int, ...]


def out_size(n: int, k: int, stride: int, padding: int, dilation: int) -> int:
    """Output length along one axis: floor((n + 2p - d (k - 1) - 1) / s) + 1 (PyTorch's formula)."""
    return (n + 2 * padding - dilation * (k - 1) - 1) // stride + 1


def _unfold(x: np.ndarray, kernel: Ints, stride: Ints, dilation: Ints, padding: Ints, pad_value: float) -> np.ndarray:
    d = len(kernel)
    if any(padding):
        x = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in padding], constant_values=pad_value)
    span = tuple(dl * (k - 1) + 1 for k, dl in zip(kernel, dilation))
    win = sliding_window_view(x, span, axis=tuple(range(2, 2 + d)))  # (N, C, *positions, *span)
    index = (slice(None), slice(None)) + tuple(slice(None, None, s) for s in stride)
    win = win[index + tuple(slice(None, None, dl) for dl in dilation)]  # (N, C, *out, *kernel)
    order = (0, 1, *range(2 + d, 2 + 2 * d), *range(2, 2 + d))
    return np.ascontiguousarray(win.transpose(order))  # (N, C, *kernel, *out)


def _fold(cols: np.ndarray, shape: Ints, kernel: Ints, stride: Ints, dilation: Ints, padding: Ints) -> np.ndarray:
    d = len(kernel)
    n, c = shape[:2]
    padded = tuple(s + 2 * p for s, p in zip(shape[2:], padding))
    out_shape = cols.shape[2 + d :]
    x = np.zeros((n, c) + padded, dtype=cols.dtype)
    for offset in itertools.product(*[range(k) for k in kernel]):
        window = tuple(
            slice(o * dl, o * dl + s * (m - 1) + 1, s) for o, dl, s, m in zip(offset, dilation, stride, out_shape)
        )
        x[(slice(None), slice(None)) + window] += cols[(slice(None), slice(None)) + offset]
    crop = tuple(slice(p, p + s) for p, s in zip(padding, shape[2:]))
    return x[(slice(None), slice(None)) + crop]


def unfold(x: Any, kernel: Ints, stride: Ints, dilation: Ints, padding: Ints, pad_value: float = 0.0) -> Any:
    if isinstance(x, _t.Tensor):
        return Unfold.apply(x, kernel=kernel, stride=stride, dilation=dilation, padding=padding, pad_value=pad_value)
    return _unfold(x, kernel, stride, dilation, padding, pad_value)


def fold(cols: Any, shape: Ints, kernel: Ints, stride: Ints, dilation: Ints, padding: Ints) -> Any:
    if isinstance(cols, _t.Tensor):
        return Fold.apply(cols, shape=shape, kernel=kernel, stride=stride, dilation=dilation, padding=padding)
    return _fold(cols, shape, kernel, stride, dilation, padding)


class Unfold(Primitive):
    """f(a)[n, c, *k, *o] = a_padded[n, c, *(o * stride + k * dilation)];  dA = Fold(G) (the adjoint)"""

    def forward(
        self, a: np.ndarray, kernel: Ints, stride: Ints, dilation: Ints, padding: Ints, pad_value: float
    ) -> np.ndarray:
        self.args = (kernel, stride, dilation, padding)
        self.pad_value = pad_value
        return _unfold(a, kernel, stride, dilation, padding, pad_value)

    def backward(self, g: G) -> Grads:
        return (fold(g, self.inputs[0].shape, *self.args),)

    def jvp(self, ta: _t.Tensor) -> _t.Tensor:
        return unfold(ta, *self.args)  # padding contributes no tangent: pad with 0


class Fold(Primitive):
    """f(a) = each window of a added back at its place (the adjoint of Unfold);  dA = Unfold(G)"""

    def forward(
        self, a: np.ndarray, shape: Ints, kernel: Ints, stride: Ints, dilation: Ints, padding: Ints
    ) -> np.ndarray:
        self.args = (kernel, stride, dilation, padding)
        self.shape = shape
        return _fold(a, shape, kernel, stride, dilation, padding)

    def backward(self, g: G) -> Grads:
        return (unfold(g, *self.args),)

    def jvp(self, ta: _t.Tensor) -> _t.Tensor:
        return fold(ta, self.shape, *self.args)
