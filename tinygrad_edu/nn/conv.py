"""Convolution and pooling, PyTorch's semantics (cross-correlation, NCHW layout, weights
(out_channels, in_channels / groups, *kernel)), written for NumPy speed.

A convolution is im2col and one matrix product: `unfold` (ops_window.py) copies every
receptive field into a column, (N, C * kh * kw, H_out * W_out), and the flattened weights
(out_channels, C * kh * kw) times those columns is the output, already in NCHW order. Its
backward pass needs no rule of its own: the matrix product's rule gives the weights' gradient
(G @ columns^T, summed over the batch) and the columns' gradient (W^T @ G), and unfold's
adjoint, fold, adds each column's gradient back onto the pixels it came from: that is a
convolution of G with the flipped kernel ("transposed convolution").
Pooling is unfold followed by a max or a mean over each window.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

from ..data import SeedLike, _rng
from ..functions import where
from ..ops_window import out_size, unfold
from ..tensor import Tensor
from .module import Module
from .parameter import Parameter

IntOr = int | Sequence[int]


def _tuple(value: IntOr, d: int, name: str, op: str) -> tuple[int, ...]:
    out = (int(value),) * d if isinstance(value, (int, np.integer)) else tuple(int(v) for v in value)
    if len(out) != d:
        raise ValueError(f"{op}: {name} must be an int or {d} ints, got {value!r}")
    return out


def _check_input(x: Tensor, d: int, op: str) -> None:
    if x.ndim != d + 2:
        axes = "(N, C, L)" if d == 1 else "(N, C, H, W)"
        raise ValueError(f"{op}: expects input of shape {axes}, got {x.shape}; add a batch axis with unsqueeze(0)")


def _convnd(
    x: Tensor, weight: Tensor, bias: Tensor | None, stride: IntOr, padding: IntOr, dilation: IntOr, groups: int, d: int
) -> Tensor:
    op = f"conv{d}d"
    _check_input(x, d, op)
    if weight.ndim != d + 2:
        raise ValueError(
            f"{op}: weight must have shape (out_channels, in_channels / groups, *kernel), got {weight.shape}"
        )
    n, c = x.shape[:2]
    o, cg = weight.shape[:2]
    kernel = weight.shape[2:]
    if c % groups or o % groups or cg * groups != c:
        raise ValueError(
            f"{op}: input has {c} channels and weight {weight.shape}: in_channels must equal "
            f"weight.shape[1] * groups = {cg} * {groups}, and out_channels be divisible by groups"
        )
    s, p, dl = _tuple(stride, d, "stride", op), _tuple(padding, d, "padding", op), _tuple(dilation, d, "dilation", op)
    out = tuple(out_size(x.shape[2 + i], kernel[i], s[i], p[i], dl[i]) for i in range(d))
    if min(out) < 1:
        raise ValueError(f"{op}: the kernel {kernel} (dilation {dl}) does not fit the padded input {x.shape}")
    cols = unfold(x, kernel, s, dl, p)  # (N, C, *kernel, *out)
    k = cg * int(np.prod(kernel))
    positions = int(np.prod(out))
    if groups == 1:  # (O, k) @ (N, k, positions): the one matrix product, batched over N
        y = weight.reshape(o, k) @ cols.reshape(n, k, positions)
    else:  # each group's filters times its own channels' windows
        y = weight.reshape(groups, o // groups, k) @ cols.reshape(n, groups, k, positions)
    y = y.reshape((n, o, *out))
    if bias is not None:
        y = y + bias.reshape((o,) + (1,) * d)
    return y


def conv2d(
    input: Tensor,  # noqa: A002 - PyTorch's name
    weight: Tensor,
    bias: Tensor | None = None,
    stride: IntOr = 1,
    padding: IntOr = 0,
    dilation: IntOr = 1,
    groups: int = 1,
) -> Tensor:
    """2-D cross-correlation: out[n, o, i, j] = bias[o] + sum over c, a, b of
    weight[o, c, a, b] * input_padded[n, c, i * stride + a * dilation, j * stride + b * dilation]."""
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 2)


def conv1d(
    input: Tensor,  # noqa: A002
    weight: Tensor,
    bias: Tensor | None = None,
    stride: IntOr = 1,
    padding: IntOr = 0,
    dilation: IntOr = 1,
    groups: int = 1,
) -> Tensor:
    """1-D cross-correlation over (N, C, L): conv2d with one spatial axis."""
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 1)


def _windows(x: Tensor, kernel_size: IntOr, stride: IntOr | None, padding: IntOr, op: str, fill: float) -> Tensor:
    _check_input(x, 2, op)
    k = _tuple(kernel_size, 2, "kernel_size", op)
    s = k if stride is None else _tuple(stride, 2, "stride", op)
    p = _tuple(padding, 2, "padding", op)
    if any(2 * pi > ki for pi, ki in zip(p, k)):
        raise ValueError(f"{op}: padding {p} must be at most half the kernel size {k}")
    n, c = x.shape[:2]
    out = tuple(out_size(x.shape[2 + i], k[i], s[i], p[i], 1) for i in range(2))
    cols = unfold(x, k, s, (1, 1), p, fill)  # (N, C, kh, kw, oh, ow)
    return cols.reshape(n, c, k[0] * k[1], out[0], out[1])


def max_pool2d(
    input: Tensor,  # noqa: A002
    kernel_size: IntOr,
    stride: IntOr | None = None,
    padding: IntOr = 0,
) -> Tensor:
    """The largest value in each window (stride defaults to the kernel size; padding is -inf).
    The gradient goes to the first largest entry of each window, as in PyTorch."""
    cols = _windows(input, kernel_size, stride, padding, "max_pool2d", -np.inf)
    first_max = np.argmax(cols.data, axis=2)
    window = np.arange(cols.shape[2]).reshape(1, 1, -1, 1, 1)
    pick = window == first_max[:, :, None]  # one True per window, a constant
    return where(Tensor._wrap(pick, False, None), cols, 0.0).sum(axis=2)


def avg_pool2d(
    input: Tensor,  # noqa: A002
    kernel_size: IntOr,
    stride: IntOr | None = None,
    padding: IntOr = 0,
) -> Tensor:
    """The mean of each window (stride defaults to the kernel size; zero padding counts)."""
    cols = _windows(input, kernel_size, stride, padding, "avg_pool2d", 0.0)
    return cols.mean(axis=2)


class _ConvNd(Module):
    d = 2

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: IntOr,
        stride: IntOr = 1,
        padding: IntOr = 0,
        dilation: IntOr = 1,
        groups: int = 1,
        bias: bool = True,
        seed: SeedLike = None,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"{name}: in_channels and out_channels must be divisible by groups={groups}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _tuple(kernel_size, self.d, "kernel_size", name)
        self.stride, self.padding, self.dilation = stride, padding, dilation
        # PyTorch's default: kaiming_uniform(a=sqrt(5)) = U(-1/sqrt(fan_in), 1/sqrt(fan_in)), bias alike
        fan_in = in_channels // groups * int(np.prod(self.kernel_size))
        bound = 1.0 / math.sqrt(fan_in)
        rng = _rng(name, seed)
        shape = (out_channels, in_channels // groups, *self.kernel_size)
        self.weight = Parameter(rng.uniform(-bound, bound, shape))
        self.bias: Tensor | None = Parameter(rng.uniform(-bound, bound, out_channels)) if bias else None

    def forward(self, x: Tensor) -> Tensor:
        return _convnd(x, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups, self.d)

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}, "
            f"padding={self.padding}, dilation={self.dilation}, groups={self.groups}, bias={self.bias is not None}"
        )


class Conv2d(_ConvNd):
    """A 2-D convolution layer: weight (out, in / groups, kh, kw), bias (out,); PyTorch's init."""

    d = 2


class Conv1d(_ConvNd):
    """A 1-D convolution layer: weight (out, in / groups, k), bias (out,); PyTorch's init."""

    d = 1


class _Pool2d(Module):
    """A pooling layer: stores its window settings and applies `pool` to its input."""

    pool: Callable[..., Tensor]

    def __init__(self, kernel_size: IntOr, stride: IntOr | None = None, padding: IntOr = 0) -> None:
        super().__init__()
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding

    def forward(self, x: Tensor) -> Tensor:
        return type(self).pool(x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxPool2d(_Pool2d):
    """The maximum over each window (`max_pool2d`)."""

    pool = staticmethod(max_pool2d)


class AvgPool2d(_Pool2d):
    """The mean over each window (`avg_pool2d`)."""

    pool = staticmethod(avg_pool2d)


__all__ = ["AvgPool2d", "Conv1d", "Conv2d", "MaxPool2d", "avg_pool2d", "conv1d", "conv2d", "max_pool2d"]
