"""Primitive scans: running sums and products along one axis.

Same form as ops.py: `forward` on arrays, `backward` (VJP) and `jvp` in operators that Tensors
and ndarrays share. The adjoint of a running sum is a running sum from the other end.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import functions
from . import tensor as _t
from .ops import G, Grads, Primitive


def _flip(a: Any, axis: int) -> Any:
    index = (slice(None),) * axis + (slice(None, None, -1),)
    return a[index]


def _cumsum(a: Any, axis: int) -> Any:
    return CumSum.apply(a, axis=axis) if isinstance(a, _t.Tensor) else np.cumsum(a, axis=axis)


def _reverse_cumsum(g: Any, axis: int) -> Any:
    """r_i = sum of g_j for j >= i along `axis`."""
    return _flip(_cumsum(_flip(g, axis), axis), axis)


class CumSum(Primitive):
    """f(a)_i = a_1 + ... + a_i along `axis`;  df_j/da_i = [i <= j], so dA = reverse running sum of G"""

    def forward(self, a: np.ndarray, axis: int) -> np.ndarray:
        self.axis = axis
        return np.cumsum(a, axis=axis)

    def backward(self, g: G) -> Grads:
        return (_reverse_cumsum(g, self.axis),)

    def jvp(self, ta: _t.Tensor) -> _t.Tensor:
        return CumSum.apply(ta, axis=self.axis)


class CumProd(Primitive):
    """f(a)_j = a_1 * ... * a_j along `axis`;  df_j/da_i = prod of a_k for k <= j, k != i  (i <= j)

    Without zeros this is f_j / a_i, so dA = reverse running sum of (G f) / a. Where a row
    holds a zero, the products leaving out one factor are formed explicitly (O(n^2) per row).
    """

    save_output = True

    def forward(self, a: np.ndarray, axis: int) -> np.ndarray:
        self.axis = axis
        self.has_zero = bool(np.any(a == 0))
        return np.cumprod(a, axis=axis)

    def _vjp(self, g: Any) -> Any:
        a, out = self.values(self.inputs[0], self.output())
        if not self.has_zero:
            return _reverse_cumsum(g * out, self.axis) / a
        return self._vjp_with_zeros(g)

    def _vjp_with_zeros(self, g: Any) -> Any:
        """dA_i = sum over j >= i of G_j * prod_{k <= j, k != i} a_k, with a moved last."""
        a = self.inputs[0]
        n = a.shape[self.axis]
        eye = np.eye(n, dtype=bool)
        upper = np.triu(np.ones((n, n), dtype=a.dtype))  # [i <= j]
        last = [i for i in range(a.ndim) if i != self.axis] + [self.axis]  # the scanned axis last
        if isinstance(g, _t.Tensor):
            am = a.transpose(*last).unsqueeze(-2)  # (..., 1, n): row i will drop a_i
            gm = g.transpose(*last).unsqueeze(-2)
            ones = _t.Tensor._wrap(np.ones((), a.dtype), False, None)
            left_out = CumProd.apply(functions.where(_t.Tensor(eye), ones, am), axis=a.ndim)  # (..., i, j)
            da = (left_out * gm * _t.Tensor(upper)).sum(axis=-1)
            return da.transpose(*np.argsort(last))
        rows = np.expand_dims(np.moveaxis(a.data, self.axis, -1), -2)
        products = np.cumprod(np.where(eye, 1.0, rows), axis=-1)
        grad = np.sum(products * np.expand_dims(np.moveaxis(g, self.axis, -1), -2) * upper, axis=-1)
        return np.moveaxis(grad, -1, self.axis)

    def backward(self, g: G) -> Grads:
        return (self._vjp(g),)

    def jvp(self, ta: _t.Tensor) -> _t.Tensor:
        """df_j = sum over i <= j of (df_j/da_i) ta_i; the same sums as the VJP, transposed."""
        a, out = self.inputs[0], self.output()
        if not self.has_zero:
            return CumSum.apply(ta / a, axis=self.axis) * out
        n = a.shape[self.axis]
        last = [i for i in range(a.ndim) if i != self.axis] + [self.axis]  # the scanned axis last
        eye = _t.Tensor(np.eye(n, dtype=bool))
        ones = _t.Tensor._wrap(np.ones((), a.dtype), False, None)
        am = a.transpose(*last).unsqueeze(-2)
        left_out = CumProd.apply(functions.where(eye, ones, am), axis=a.ndim)  # (..., i, j)
        lower = _t.Tensor(np.triu(np.ones((n, n), dtype=a.dtype)))
        tan = (left_out * lower * ta.transpose(*last).unsqueeze(-1)).sum(axis=-2)
        return tan.transpose(*np.argsort(last))
