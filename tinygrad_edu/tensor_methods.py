"""`TensorMethods`: the Tensor methods beyond arithmetic, reductions and shape (tensor.py).

Each method is one line that calls the function of the same name in the module that defines
it (where its derivative is written down or composed), so `t.flip(0)` and `tge.flip(t, 0)`
are one thing. Tensor inherits these; nothing is attached at run time.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from . import indexing, linalg, movement, numpy_dispatch, pointwise

if TYPE_CHECKING:
    import numpy as np

    from .tensor import Axis, Tensor


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

    # ------------------------------------------------------------ elementwise (pointwise.py)
    def sign(self: Any) -> Tensor:
        return pointwise.sign(self)

    def floor(self: Any) -> Tensor:
        return pointwise.floor(self)

    def ceil(self: Any) -> Tensor:
        return pointwise.ceil(self)

    def trunc(self: Any) -> Tensor:
        return pointwise.trunc(self)

    def round(self: Any) -> Tensor:
        return pointwise.round(self)

    def rsqrt(self: Any) -> Tensor:
        return pointwise.rsqrt(self)

    def log2(self: Any) -> Tensor:
        return pointwise.log2(self)

    def log1p(self: Any) -> Tensor:
        return pointwise.log1p(self)

    def expm1(self: Any) -> Tensor:
        return pointwise.expm1(self)

    def tan(self: Any) -> Tensor:
        return pointwise.tan(self)

    def erf(self: Any) -> Tensor:
        return pointwise.erf(self)

    # ------------------------------------------------------------ activations (pointwise.py)
    def leaky_relu(self: Any, negative_slope: float = 0.01) -> Tensor:
        return pointwise.leaky_relu(self, negative_slope)

    def elu(self: Any, alpha: float = 1.0) -> Tensor:
        return pointwise.elu(self, alpha)

    def gelu(self: Any, approximate: str = "none") -> Tensor:
        return pointwise.gelu(self, approximate)

    def silu(self: Any) -> Tensor:
        return pointwise.silu(self)

    def softplus(self: Any, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
        return pointwise.softplus(self, beta, threshold)

    def relu6(self: Any) -> Tensor:
        return pointwise.relu6(self)

    def hardtanh(self: Any, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:
        return pointwise.hardtanh(self, min_val, max_val)

    def softsign(self: Any) -> Tensor:
        return pointwise.softsign(self)

    def mish(self: Any) -> Tensor:
        return pointwise.mish(self)

    def log_sigmoid(self: Any) -> Tensor:
        return pointwise.log_sigmoid(self)

    # ------------------------------------------------------------ shape (movement.py)
    def flip(self: Any, dims: int | Sequence[int]) -> Tensor:
        return movement.flip(self, dims)

    def roll(self: Any, shifts: int | Sequence[int], dims: int | Sequence[int] | None = None) -> Tensor:
        return movement.roll(self, shifts, dims)

    def repeat(self: Any, *sizes: Any) -> Tensor:
        return movement.repeat(self, *sizes)

    def tile(self: Any, reps: int | Sequence[int]) -> Tensor:
        return movement.tile(self, reps)

    def split(self: Any, split_size_or_sections: int | Sequence[int], dim: int = 0) -> list[Tensor]:
        return movement.split(self, split_size_or_sections, dim)

    def chunk(self: Any, chunks: int, dim: int = 0) -> list[Tensor]:
        return movement.chunk(self, chunks, dim)

    def tril(self: Any, diagonal: int = 0) -> Tensor:
        return movement.tril(self, diagonal)

    def triu(self: Any, diagonal: int = 0) -> Tensor:
        return movement.triu(self, diagonal)

    def diag(self: Any, diagonal: int = 0) -> Tensor:
        return movement.diag(self, diagonal)

    def trace(self: Any) -> Tensor:
        return movement.trace(self)

    def outer(self: Any, other: Tensor) -> Tensor:
        return movement.outer(self, self._operand(other))

    # ------------------------------------------------------------ indexing and scans (indexing.py)
    def gather(self: Any, dim: int, index: Any) -> Tensor:
        return indexing.gather(self, dim, index)

    def scatter_add(self: Any, dim: int, index: Any, src: Any) -> Tensor:
        return indexing.scatter_add(self, dim, index, src)

    def index_select(self: Any, dim: int, index: Any) -> Tensor:
        return indexing.index_select(self, dim, index)

    def masked_fill(self: Any, mask: Any, value: float) -> Tensor:
        return indexing.masked_fill(self, mask, value)

    def cumsum(self: Any, dim: int | None = None, *, axis: int | None = None) -> Tensor:
        return indexing.cumsum(self, axis if dim is None else dim)

    def cumprod(self: Any, dim: int | None = None, *, axis: int | None = None) -> Tensor:
        return indexing.cumprod(self, axis if dim is None else dim)

    # ------------------------------------------------------------ norms (linalg.py)
    def norm(self: Any, p: float | str = 2, dim: Axis = None, keepdim: bool = False) -> Tensor:
        return linalg.norm(self, p, dim, keepdim)
