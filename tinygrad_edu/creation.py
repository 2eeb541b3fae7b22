"""Tensors shaped like another: zeros_like, ones_like, full_like, rand_like, randn_like.

Each takes the shape and (unless `dtype` says otherwise) the dtype of its argument; none
carries the argument's graph. Random ones draw from np.random.default_rng(seed).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import tensor as _t


def _like(t: Any, arr: np.ndarray, dtype: Any, requires_grad: bool) -> _t.Tensor:
    base = t.dtype if isinstance(t, _t.Tensor) else np.asarray(t).dtype
    return _t.Tensor(arr.astype(base if dtype is None else dtype), requires_grad=requires_grad)


def _shape(t: Any) -> tuple[int, ...]:
    return t.shape if isinstance(t, _t.Tensor) else np.shape(t)


def zeros_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> _t.Tensor:
    """Zeros with t's shape and dtype."""
    return _like(t, np.zeros(_shape(t)), dtype, requires_grad)


def ones_like(t: Any, dtype: Any = None, requires_grad: bool = False) -> _t.Tensor:
    """Ones with t's shape and dtype."""
    return _like(t, np.ones(_shape(t)), dtype, requires_grad)


def full_like(t: Any, fill_value: float, dtype: Any = None, requires_grad: bool = False) -> _t.Tensor:
    """`fill_value` everywhere, with t's shape and dtype."""
    return _like(t, np.full(_shape(t), fill_value), dtype, requires_grad)


def rand_like(t: Any, dtype: Any = None, requires_grad: bool = False, seed: int | None = None) -> _t.Tensor:
    """Uniform samples in [0, 1) with t's shape and dtype."""
    return _like(t, np.random.default_rng(seed).random(_shape(t)), dtype, requires_grad)


def randn_like(t: Any, dtype: Any = None, requires_grad: bool = False, seed: int | None = None) -> _t.Tensor:
    """Standard normal samples with t's shape and dtype."""
    return _like(t, np.random.default_rng(seed).standard_normal(_shape(t)), dtype, requires_grad)
