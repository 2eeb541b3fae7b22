"""Primitives of neural-network layers and losses: linear, log_softmax and nll_loss.

Each could be composed from the elementwise and reduction primitives, and once was. As one
node each, as in PyTorch (AddmmBackward0, LogSoftmaxBackward0, NllLossBackward0), a training
step records and walks 3 nodes where it walked 15, allocates less, and reads the same math
in one place. Same form as ops.py: `forward` on arrays, `backward` (VJP) and `jvp` with
operators that Tensors and ndarrays share, the math in the docstring's first line.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import tensor as _t
from .ops import G, Grads, Primitive, _total
from .ops_movement import GetItem, ScatterAdd


def finite_max(x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """The max over `axes` (kept), 0 where it is infinite or the axes are empty: the softmax
    family's stabilizing shift."""
    if x.size == 0:
        return np.zeros(tuple(1 if i in axes else n for i, n in enumerate(x.shape)), x.dtype)
    if x.ndim == 2 and axes == (1,) and x.shape[1] <= 64:
        # a row-wise max over short rows (a batch of logits) runs NumPy's inner loop once per
        # row; on the transposed copy it is one pass down the columns: the same values
        m = np.maximum.reduce(np.ascontiguousarray(x.T), axis=0).reshape(-1, 1)
    else:
        m = np.maximum.reduce(x, axis=axes, keepdims=True)
    if np.logical_and.reduce(np.isfinite(m), axis=None):  # (m.all(), without its Python wrapper)
        return m
    return np.where(np.isfinite(m), m, 0).astype(x.dtype, copy=False)


def _exp(x: Any) -> Any:
    return x.exp() if isinstance(x, _t.Tensor) else np.exp(x)


class Linear(Primitive):
    """f(a, W, b) = a W^T + b  (a's last axis against W's rows);  df/da = G W,  df/dW = G^T a,  df/db = sum of G"""

    reads = slice(0, 2)  # a and W; b's derivative reads no value

    def forward(self, x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None) -> np.ndarray:
        out = np.matmul(x, w.T)
        if b is None:
            return out
        if b.dtype != out.dtype and np.result_type(out, b) != out.dtype:
            return out + b
        return np.add(out, b, out=out)  # into the product's own fresh array: no second allocation

    def backward(self, g: G) -> Grads:
        inputs = self.inputs
        x, w = self.values(inputs[0], inputs[1])
        g2, x2 = (g, x) if x.ndim == 2 else (g.reshape(-1, g.shape[-1]), x.reshape(-1, x.shape[-1]))
        gx = g @ w if inputs[0].requires_grad else None
        gw = g2.T @ x2 if inputs[1].requires_grad else None  # (out, in): contiguous, like W
        if len(inputs) == 2:
            return gx, gw
        return gx, gw, g2.sum(axis=0) if inputs[2].requires_grad else None

    def jvp(self, tx: _t.Tensor | None, tw: _t.Tensor | None, tb: _t.Tensor | None = None) -> _t.Tensor:
        x, w = self.inputs[:2]
        return _total(None if tx is None else tx @ w.T, None if tw is None else x @ tw.T, tb)


class LogSoftmax(Primitive):
    """f(a) = a - log(sum(exp(a))) along `axes`;  df/da: G - exp(f)·sum(G)  (exp(f) is softmax(a))"""

    save_output = True

    def forward(self, x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
        self.axes = axes
        z = x - finite_max(x, axes)  # the shift changes nothing but keeps exp(z) <= 1
        return z - np.log(np.add.reduce(np.exp(z), axis=axes, keepdims=True))

    def backward(self, g: G) -> Grads:
        (out,) = self.values(self.output())
        return (g - _exp(out) * g.sum(axis=self.axes, keepdims=True),)

    def jvp(self, ta: _t.Tensor) -> _t.Tensor:
        return ta - (self.output().exp() * ta).sum(axis=self.axes, keepdims=True)


class NllLoss(Primitive):
    """f(a) = -a[i, t_i] for each row i, then mean, sum or none;  df/da: -G at (i, t_i) (/ n for the mean)"""

    def forward(self, x: np.ndarray, target: np.ndarray, reduction: str) -> np.ndarray:
        self.index, self.reduction = (np.arange(x.shape[0]), target), reduction
        picked = negated_pick(x, *self.index)
        if reduction == "none":
            return picked
        total = np.add.reduce(picked, axis=(0,))
        if reduction == "sum":
            return total
        return _per_row(total, x.shape[0])

    def backward(self, g: G) -> Grads:
        shape = self.inputs[0].shape
        if self.reduction == "mean":
            g = _per_row(g, shape[0])
        if not isinstance(g, _t.Tensor):
            return (scatter_rows(g, *self.index, shape),)  # (a reduced G, one number, fills every row)
        if self.reduction != "none":
            g = g.broadcast_to(shape[:1])
        return (ScatterAdd.apply(-g, index=self.index, shape=shape),)

    def jvp(self, ta: _t.Tensor) -> _t.Tensor:
        picked = -GetItem.apply(ta, index=self.index)
        if self.reduction == "none":
            return picked
        return picked.sum() if self.reduction == "sum" else picked.mean()


def _per_row(total: Any, rows: int) -> Any:
    """total / rows: the mean over rows; NaN for no rows, as mean() gives."""
    if rows:
        return total / rows
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / rows


def negated_pick(x: np.ndarray, rows: np.ndarray, target: np.ndarray) -> np.ndarray:
    """-x[i, t_i] for each row i: NllLoss's forward before the reduction (tge.compile calls it too)."""
    return np.negative(x[rows, target])


def scatter_rows(g: np.ndarray, rows: np.ndarray, target: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """zeros(shape) with -g[i] at (i, t_i): NllLoss's gradient (each row holds one entry, so
    a plain assignment does what np.add.at would, at a fraction of its cost)."""
    out = np.zeros(shape, g.dtype)
    out[rows, target] = np.negative(g)
    return out
