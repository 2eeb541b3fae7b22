"""`TensorMethods`: the Tensor methods beyond arithmetic (tensor.py), construction, reductions
and shape (tensor_create.py, tensor_reduce.py, tensor_shape.py).

Each method is one line that calls its primitive (ops.py) or the function of the same name
in the module that defines it (where its derivative is written down or composed), so
`t.flip(0)` and `tge.flip(t, 0)` are one thing. Tensor inherits these; nothing is attached at run time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import engine, indexing, linalg, movement, numpy_dispatch, ops, pointwise
from . import tensor as _t
from .functions import where


class TensorMethods:
    """Mixed into Tensor. (`self` is typed Any: mypy cannot name the subclass from here.)"""

    __slots__ = ()

    # ------------------------------------------------------------ NumPy's protocols
    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        """np.exp(t), arr * t, np.maximum(t, 0): run the Tensor's own differentiable op."""
        return numpy_dispatch.array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Any, types: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """np.sum(t, axis=0), np.concatenate([t, u]): run the Tensor's own differentiable op."""
        return numpy_dispatch.array_function(func, args, kwargs)

    # ------------------------------------------------------------ elementwise primitives (ops.py)
    def exp(self: Any) -> _t.Tensor:
        return ops.Exp.apply(self)

    def log(self: Any) -> _t.Tensor:
        return ops.Log.apply(self)

    def sqrt(self: Any) -> _t.Tensor:
        return ops.Sqrt.apply(self)

    def abs(self: Any) -> _t.Tensor:
        return ops.Abs.apply(self)

    def sin(self: Any) -> _t.Tensor:
        return ops.Sin.apply(self)

    def cos(self: Any) -> _t.Tensor:
        return ops.Cos.apply(self)

    def tanh(self: Any) -> _t.Tensor:
        return ops.Tanh.apply(self)

    def sigmoid(self: Any) -> _t.Tensor:
        return ops.Sigmoid.apply(self)

    def relu(self: Any) -> _t.Tensor:
        return ops.Relu.apply(self)

    @engine.composite("{a}.clip()", "[{low} <= {a} <= {high}]")
    def clip(self: Any, low: float | None = None, high: float | None = None) -> _t.Tensor:
        """min(max(x, low), high); the gradient is 1 inside [low, high] (ends included), else 0."""
        out = self
        if low is not None:
            out = where(out < low, low, out)
        if high is not None:
            out = where(out > high, high, out)
        return out

    # ------------------------------------------------------------ elementwise (pointwise.py)
    def sign(self: Any) -> _t.Tensor:
        return pointwise.sign(self)

    def floor(self: Any) -> _t.Tensor:
        return pointwise.floor(self)

    def ceil(self: Any) -> _t.Tensor:
        return pointwise.ceil(self)

    def trunc(self: Any) -> _t.Tensor:
        return pointwise.trunc(self)

    def round(self: Any) -> _t.Tensor:
        return pointwise.round(self)

    def rsqrt(self: Any) -> _t.Tensor:
        return pointwise.rsqrt(self)

    def log2(self: Any) -> _t.Tensor:
        return pointwise.log2(self)

    def log1p(self: Any) -> _t.Tensor:
        return pointwise.log1p(self)

    def expm1(self: Any) -> _t.Tensor:
        return pointwise.expm1(self)

    def tan(self: Any) -> _t.Tensor:
        return pointwise.tan(self)

    def erf(self: Any) -> _t.Tensor:
        return pointwise.erf(self)

    # ------------------------------------------------------------ activations (pointwise.py)
    def leaky_relu(self: Any, negative_slope: float = 0.01) -> _t.Tensor:
        return pointwise.leaky_relu(self, negative_slope)

    def elu(self: Any, alpha: float = 1.0) -> _t.Tensor:
        return pointwise.elu(self, alpha)

    def gelu(self: Any, approximate: str = "none") -> _t.Tensor:
        return pointwise.gelu(self, approximate)

    def silu(self: Any) -> _t.Tensor:
        return pointwise.silu(self)

    def softplus(self: Any, beta: float = 1.0, threshold: float = 20.0) -> _t.Tensor:
        return pointwise.softplus(self, beta, threshold)

    def relu6(self: Any) -> _t.Tensor:
        return pointwise.relu6(self)

    def hardtanh(self: Any, min_val: float = -1.0, max_val: float = 1.0) -> _t.Tensor:
        return pointwise.hardtanh(self, min_val, max_val)

    def softsign(self: Any) -> _t.Tensor:
        return pointwise.softsign(self)

    def mish(self: Any) -> _t.Tensor:
        return pointwise.mish(self)

    def log_sigmoid(self: Any) -> _t.Tensor:
        return pointwise.log_sigmoid(self)

    # ------------------------------------------------------------ shape (movement.py)
    def flip(self: Any, dims: int | Sequence[int]) -> _t.Tensor:
        return movement.flip(self, dims)

    def roll(self: Any, shifts: int | Sequence[int], dims: int | Sequence[int] | None = None) -> _t.Tensor:
        return movement.roll(self, shifts, dims)

    def pad(self: Any, pad: Sequence[int], mode: str = "constant", value: float = 0.0) -> _t.Tensor:
        """PyTorch's F.pad(t, pad, mode, value) as a method: (left, right) of the last axis first."""
        return movement.pad(self, pad, mode, value)

    def repeat(self: Any, *sizes: Any) -> _t.Tensor:
        return movement.repeat(self, *sizes)

    def tile(self: Any, reps: int | Sequence[int]) -> _t.Tensor:
        return movement.tile(self, reps)

    def split(self: Any, split_size_or_sections: int | Sequence[int], dim: int = 0) -> list[_t.Tensor]:
        return movement.split(self, split_size_or_sections, dim)

    def chunk(self: Any, chunks: int, dim: int = 0) -> list[_t.Tensor]:
        return movement.chunk(self, chunks, dim)

    def tril(self: Any, diagonal: int = 0) -> _t.Tensor:
        return movement.tril(self, diagonal)

    def triu(self: Any, diagonal: int = 0) -> _t.Tensor:
        return movement.triu(self, diagonal)

    def diag(self: Any, diagonal: int = 0) -> _t.Tensor:
        return movement.diag(self, diagonal)

    def trace(self: Any) -> _t.Tensor:
        return movement.trace(self)

    def outer(self: Any, other: _t.Tensor) -> _t.Tensor:
        return movement.outer(self, self._operand(other))

    # ------------------------------------------------------------ indexing and scans (indexing.py)
    def gather(self: Any, dim: int, index: Any) -> _t.Tensor:
        return indexing.gather(self, dim, index)

    def scatter_add(self: Any, dim: int, index: Any, src: Any) -> _t.Tensor:
        return indexing.scatter_add(self, dim, index, src)

    def index_select(self: Any, dim: int, index: Any) -> _t.Tensor:
        return indexing.index_select(self, dim, index)

    def masked_fill(self: Any, mask: Any, value: float) -> _t.Tensor:
        return indexing.masked_fill(self, mask, value)

    def cumsum(self: Any, dim: int | None = None, *, axis: int | None = None) -> _t.Tensor:
        return indexing.cumsum(self, axis if dim is None else dim)

    def cumprod(self: Any, dim: int | None = None, *, axis: int | None = None) -> _t.Tensor:
        return indexing.cumprod(self, axis if dim is None else dim)

    # ------------------------------------------------------------ norms (linalg.py)
    def norm(self: Any, p: float | str = 2, dim: _t.Axis = None, keepdim: bool = False) -> _t.Tensor:
        return linalg.norm(self, p, dim, keepdim)
