"""Primitive reductions over axes: sum, mean, var, std and max.

Same form as ops.py: `forward` on arrays, `backward` (VJP) and `jvp` with operators that
Tensors and ndarrays share, the math in the docstring's first line. Each VJP puts back the
reduced axes (as size 1, unless keepdims kept them) and broadcasts G over them; var and std
are primitives rather than compositions so that their derivatives reuse the centered values
and stay finite where the standard deviation is 0.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from . import tensor as _t
from .ops import G, Grads, Primitive, _const, _select, _where


def _broadcast_to(g: Any, shape: tuple[int, ...]) -> Any:
    """G back over the reduced axes: a read-only view, no copy."""
    if isinstance(g, _t.Tensor):
        return g.broadcast_to(shape)
    if isinstance(g, (np.ndarray, np.generic)) and g.ndim == 0 and g.dtype.kind in "fc":
        # one number, as after loss.backward(): every element of the view reads it (stride 0),
        # what np.broadcast_to makes, built directly (this runs in nearly every backward)
        view = np.ndarray(shape, g.dtype, g, 0, (0,) * len(shape))
        view.setflags(write=False)
        return view
    return np.broadcast_to(g, shape)


def _kept_shape(shape: tuple[int, ...], axis: tuple[int, ...]) -> tuple[int, ...]:
    """`shape` with the reduced axes kept as size 1: the shape G takes before broadcasting back."""
    return tuple(1 if i in axis else n for i, n in enumerate(shape))


class Sum(Primitive):
    """f(a) = sum of a over `axis`;  df/da = 1 (G is broadcast back to a's shape)"""

    reads = slice(0, 0)  # only a's shape

    def forward(self, x: np.ndarray, axis: tuple[int, ...], keepdims: bool) -> np.ndarray:
        self.axis, self.keepdims = axis, keepdims
        return np.add.reduce(x, axis=axis, keepdims=keepdims)  # type: ignore[call-overload]  # np.sum, less wrapper

    def backward(self, g: G) -> Grads:
        shape = self.inputs[0].data.shape
        if not self.keepdims and g.ndim:  # (a 0-d G broadcasts to any shape as it is)
            g = g.reshape(_kept_shape(shape, self.axis))
        return (_broadcast_to(g, shape),)

    def jvp(self, tx: _t.Tensor) -> _t.Tensor:
        return tx.sum(axis=self.axis, keepdims=self.keepdims)


class Mean(Primitive):
    """f(a) = sum of a over `axis` / n  (n elements summed);  df/da = 1 / n (G / n broadcast back)"""

    reads = slice(0, 0)

    def forward(self, a: np.ndarray, axis: tuple[int, ...], keepdims: bool) -> np.ndarray:
        self.axis, self.keepdims = axis, keepdims
        self.n = math.prod(map(a.shape.__getitem__, axis))  # the number of elements summed
        total = np.add.reduce(a, axis=axis, keepdims=keepdims)  # type: ignore[call-overload]
        if self.n == 0:
            with np.errstate(invalid="ignore", divide="ignore"):  # the mean of nothing is NaN, as in NumPy
                return total / self.n
        return total / self.n

    def backward(self, g: G) -> Grads:
        shape = self.inputs[0].data.shape
        if self.n == 0:
            with np.errstate(divide="ignore", invalid="ignore"):
                g = g / self.n
        else:
            g = g / self.n
        if not self.keepdims and g.ndim:
            g = g.reshape(_kept_shape(shape, self.axis))
        return (_broadcast_to(g, shape),)

    def jvp(self, ta: _t.Tensor) -> _t.Tensor:
        return Mean.apply(ta, axis=self.axis, keepdims=self.keepdims)


class Var(Primitive):
    """f(a) = sum((a - mean(a))^2) / d over `axis`, d = n - correction;  df/da = 2 (a - mean(a)) / d

    (The mean's own dependence on a drops out: the centered values sum to 0.) correction = 1
    is PyTorch's default (the unbiased estimate), 0 NumPy's. d is clamped at 0 as both clamp
    it, so correction >= n gives inf, or NaN for a constant, and a gradient that is not finite."""

    def forward(self, a: np.ndarray, axis: tuple[int, ...], keepdims: bool, correction: float) -> np.ndarray:
        self.axis, self.keepdims = axis, keepdims
        n = int(np.prod([a.shape[i] for i in axis]))
        dof = max(n - correction, 0.0)
        self.scale = 2.0 / dof if dof > 0 else np.inf  # the derivative's factor 2 / d
        with np.errstate(invalid="ignore", divide="ignore"):  # no elements, or correction >= n: NaN or inf
            centered = a - np.add.reduce(a, axis=axis, keepdims=True) / n
            return np.add.reduce(centered * centered, axis=axis, keepdims=keepdims) / dof  # type: ignore[call-overload]

    def _centered(self) -> Any:
        (a,) = self.values(self.inputs[0])
        return a - a.mean(axis=self.axis, keepdims=True)

    def backward(self, g: G) -> Grads:
        if not self.keepdims and g.ndim:
            g = g.reshape(_kept_shape(self.inputs[0].shape, self.axis))
        return (self.scale * g * self._centered(),)

    def jvp(self, ta: _t.Tensor) -> _t.Tensor:
        return self.scale * (ta * self._centered()).sum(axis=self.axis, keepdims=self.keepdims)


class Std(Var):
    """f(a) = sqrt(var(a)) over `axis`;  df/da = var'(a) / (2 f) = (a - mean(a)) / (d f)  (0 where f = 0)

    Var's rules applied to G / (2 f). At f = 0 (a constant along the axis) the derivative is
    set to 0, as PyTorch sets it: the formula would give 0 / 0."""

    save_output = True

    def forward(self, a: np.ndarray, axis: tuple[int, ...], keepdims: bool, correction: float) -> np.ndarray:
        return np.sqrt(super().forward(a, axis, keepdims, correction))

    def _over_2f(self, g: Any) -> Any:
        """g / (2 f), 0 where f = 0 (f is replaced by 1 there, so even the discarded branch is finite)."""
        (out,) = self.values(self.output())
        zero = self.output().data == 0
        return _select(~zero, g / (2.0 * _where(zero, 1.0, out)))

    def backward(self, g: G) -> Grads:
        return super().backward(self._over_2f(g))

    def jvp(self, ta: _t.Tensor) -> _t.Tensor:
        return self._over_2f(super().jvp(ta))


class Max(Primitive):
    """f(a) = max of a over `axis`;  df/da = [a = f] / (number of ties)  (ties split evenly)"""

    def forward(self, x: np.ndarray, axis: tuple[int, ...], keepdims: bool) -> np.ndarray:
        self.axis, self.keepdims = axis, keepdims
        m = np.maximum.reduce(x, axis=axis, keepdims=True)
        self.mask = x == m
        self.weight = self.mask / np.sum(self.mask, axis=axis, keepdims=True)
        return m if keepdims else np.squeeze(m, axis=axis)

    def backward(self, g: G) -> Grads:
        x = self.inputs[0]
        if not self.keepdims:
            g = g.reshape(_kept_shape(x.shape, self.axis))
        return (_select(self.mask, g * _const(g, self.weight)),)

    def jvp(self, tx: _t.Tensor) -> _t.Tensor:
        return _select(self.mask, tx * _const(tx, self.weight)).sum(axis=self.axis, keepdims=self.keepdims)
