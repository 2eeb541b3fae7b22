"""Shared test helpers: central differences written independently of the library."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from tinygrad_edu import Tensor


def numeric_vjp(
    f: Callable[..., np.ndarray], arrays: Sequence[np.ndarray], v: np.ndarray, eps: float = 1e-6
) -> list[np.ndarray]:
    """d/dx_i sum(v * f(x)) by central differences on every element of every input (float64)."""
    out = []
    for i, a in enumerate(arrays):
        g = np.zeros(a.shape)
        for j in np.ndindex(a.shape):
            plus = [x.copy() for x in arrays]
            minus = [x.copy() for x in arrays]
            plus[i][j] += eps
            minus[i][j] -= eps
            g[j] = (np.sum(v * f(*plus)) - np.sum(v * f(*minus))) / (2 * eps)
        out.append(g)
    return out


def tensor_fn_as_numpy(fn: Callable[..., Tensor]) -> Callable[..., np.ndarray]:
    """Evaluate a Tensor function on plain arrays."""
    return lambda *arrays: fn(*[Tensor(a) for a in arrays]).data
