"""`ShapeMethods`: the Tensor methods that move elements without changing them (reshape,
transpose, `.T`, swapaxes, flatten, squeeze, unsqueeze, broadcast_to, indexing), mixed into
Tensor (tensor.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import movement, ops
from . import tensor as _t


class ShapeMethods:
    """Mixed into Tensor. (`self` is typed Any: mypy cannot name the subclass from here.)"""

    __slots__ = ()

    @property
    def T(self: Any) -> _t.Tensor:  # noqa: N802 - NumPy's name
        """All axes reversed, as NumPy's `.T`."""
        return ops.Transpose.apply(self, axes=tuple(range(self.ndim - 1, -1, -1)))

    def reshape(self: Any, *shape: Any) -> _t.Tensor:
        """Same elements, new shape (one entry may be -1)."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        shape_ = tuple(int(n) for n in shape)  # one entry may be -1: NumPy infers it
        if shape_ == self.shape:
            return self
        return ops.Reshape.apply(self, shape=shape_)

    def transpose(self: Any, *axes: int) -> _t.Tensor:
        """Permute the axes (reverse them when none are given), as NumPy."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        if not axes:
            axes = tuple(range(self.ndim - 1, -1, -1))
        if sorted(a % max(self.ndim, 1) for a in axes) != list(range(self.ndim)):
            raise ValueError(
                f"transpose: axes {axes} are not a permutation of the {self.ndim} axes of shape {self.shape}."
            )
        return ops.Transpose.apply(self, axes=tuple(a % self.ndim for a in axes))

    def swapaxes(self: Any, a: int, b: int) -> _t.Tensor:
        """Exchange two axes (NumPy's swapaxes)."""
        axes = list(range(self.ndim))
        axes[a], axes[b] = axes[b], axes[a]
        return ops.Transpose.apply(self, axes=tuple(axes))

    def flatten(self: Any, start_dim: int = 0, end_dim: int = -1) -> _t.Tensor:
        """Merge axes start_dim..end_dim into one (PyTorch's flatten; all of them by default)."""
        return movement.flatten(self, start_dim, end_dim)

    def squeeze(self: Any, axis: _t.Axis = None) -> _t.Tensor:
        """Drop size-1 axes (only `axis` when given; it must have size 1)."""
        axes = (
            self._axes(axis, None, "squeeze")
            if axis is not None
            else tuple(i for i, n in enumerate(self.shape) if n == 1)
        )
        for a in axes:
            if self.shape[a] != 1:
                raise ValueError(f"squeeze: axis {a} of shape {self.shape} has size {self.shape[a]}, not 1.")
        return self.reshape(tuple(n for i, n in enumerate(self.shape) if i not in axes))

    def unsqueeze(self: Any, axis: int) -> _t.Tensor:
        """Insert a size-1 axis at `axis`."""
        if not -self.ndim - 1 <= axis <= self.ndim:
            raise ValueError(f"unsqueeze: axis {axis} is out of range for shape {self.shape}.")
        axis = axis % (self.ndim + 1)
        return self.reshape(self.shape[:axis] + (1,) + self.shape[axis:])

    def broadcast_to(self: Any, shape: Sequence[int]) -> _t.Tensor:
        """Repeat along new or size-1 axes to `shape` (NumPy's broadcast_to)."""
        shape = tuple(shape)
        if shape == self.shape:
            return self
        return ops.BroadcastTo.apply(self, shape=shape)

    def __getitem__(self: Any, index: Any) -> _t.Tensor:
        """Basic slicing and integer/boolean-array indexing; repeated indices accumulate."""
        return ops.GetItem.apply(self, index=index_arrays(index))


def index_arrays(index: Any) -> Any:
    """Tensors and lists inside an index become arrays (NumPy indexing semantics)."""
    if isinstance(index, tuple):
        return tuple(index_arrays(i) for i in index)
    if isinstance(index, _t.Tensor):
        return index.data
    if isinstance(index, list):
        return np.asarray(index)
    return index
