"""Shared test helpers: central differences of NumPy functions, Tensor functions as NumPy ones."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from tinygrad_edu import Tensor
from tinygrad_edu.checks import central_differences


def numeric_vjp(
    f: Callable[..., np.ndarray], arrays: Sequence[np.ndarray], v: np.ndarray, eps: float = 1e-6
) -> list[np.ndarray]:
    """d/dx_i sum(v * f(x)) by central differences on every element of every input (float64),
    with the package's one implementation (`checks.central_differences`, itself checked
    against exact derivatives in test_central_differences.py)."""
    out = []
    for i, a in enumerate(arrays):

        def value(moved: np.ndarray, i: int = i) -> float:
            args = [moved if k == i else x for k, x in enumerate(arrays)]
            return float(np.sum(v * f(*args)))

        out.append(central_differences(value, a, eps))
    return out


def tensor_fn_as_numpy(fn: Callable[..., Tensor]) -> Callable[..., np.ndarray]:
    """Evaluate a Tensor function on plain arrays."""
    return lambda *arrays: fn(*[Tensor(a) for a in arrays]).data
