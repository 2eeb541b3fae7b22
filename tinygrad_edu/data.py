"""Small data sets and helpers for the lesson: linear regression data, two moons, mini-batches,
and the normal equation to compare gradient descent against.

Everything returns float64 Tensors without gradients (use `.numpy()` for arrays). Every random
function takes `seed`: an int (or a np.random.Generator) makes the result reproducible.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from .tensor import Tensor

__all__ = ["batches", "make_moons", "make_regression", "normal_equation"]

SeedLike = int | np.random.Generator | None


def _count(fn: str, arg: str, value: Any, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{fn}: {arg} must be an int, got {value!r} ({type(value).__name__})")
    if value < minimum:
        raise ValueError(f"{fn}: {arg} must be at least {minimum}, got {value}")
    return int(value)


def _noise(fn: str, noise: Any) -> float:
    if isinstance(noise, bool) or not isinstance(noise, (int, float, np.floating, np.integer)):
        raise TypeError(f"{fn}: noise must be a number, got {noise!r}")
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"{fn}: noise must be a finite number >= 0, got {noise!r}")
    return float(noise)


def _rng(fn: str, seed: SeedLike) -> np.random.Generator:
    try:
        return np.random.default_rng(seed)
    except (TypeError, ValueError) as e:
        raise type(e)(f"{fn}: seed must be a non-negative int, a np.random.Generator or None, got {seed!r}") from e


def _array(fn: str, arg: str, x: Any) -> np.ndarray:
    arr = np.asarray(x.data if isinstance(x, Tensor) else x)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{fn}: {arg} must be a Tensor or an array of numbers, got dtype {arr.dtype}")
    return arr


def make_regression(
    m: int, n: int, noise: float = 0.1, seed: SeedLike = None, bias: bool = False
) -> tuple[Tensor, Tensor, Tensor]:
    """Linear-regression data y = X w_true + noise * e, with X, w_true and e standard normal.

    Returns (X, y, w_true): X of shape (m, n), y of shape (m,), w_true of shape (n,).
    With bias=True, X gets a leading column of ones (shape (m, n + 1)) and w_true[0] is the
    intercept w_0 of the lesson's y = w_0 + w_1 x_1 + ... + w_n x_n.
    """
    m = _count("make_regression", "m", m)
    n = _count("make_regression", "n", n)
    noise = _noise("make_regression", noise)
    rng = _rng("make_regression", seed)
    X = rng.standard_normal((m, n))
    if bias:
        X = np.hstack([np.ones((m, 1)), X])
    w_true = rng.standard_normal(X.shape[1])
    y = X @ w_true + noise * rng.standard_normal(m)
    return Tensor(X), Tensor(y), Tensor(w_true)


def make_moons(m: int, noise: float = 0.1, seed: SeedLike = None) -> tuple[Tensor, Tensor]:
    """Two interleaving half circles, as sklearn.datasets.make_moons (shuffled).

    Class 0 (m // 2 points): (cos t, sin t) for t in [0, pi]; class 1 (the rest):
    (1 - cos t, 1/2 - sin t). Gaussian noise of standard deviation `noise` is added to every
    coordinate. Returns X of shape (m, 2) and labels y of shape (m,) with values 0.0 / 1.0
    (float64, ready for binary_cross_entropy_with_logits; cross_entropy accepts them too).
    """
    m = _count("make_moons", "m", m)
    noise = _noise("make_moons", noise)
    rng = _rng("make_moons", seed)
    n_out = m // 2
    n_in = m - n_out
    t_out = np.linspace(0.0, np.pi, n_out)
    t_in = np.linspace(0.0, np.pi, n_in)
    outer = np.stack([np.cos(t_out), np.sin(t_out)], axis=1)
    inner = np.stack([1.0 - np.cos(t_in), 0.5 - np.sin(t_in)], axis=1)
    X = np.vstack([outer, inner])
    y = np.concatenate([np.zeros(n_out), np.ones(n_in)])
    order = rng.permutation(m)
    X, y = X[order], y[order]
    X = X + noise * rng.standard_normal(X.shape)
    return Tensor(X), Tensor(y)


def batches(X: Any, y: Any, batch_size: int, shuffle: bool = True, seed: SeedLike = None) -> Iterator[tuple[Any, Any]]:
    """Yield (X_batch, y_batch) pairs that together cover every row exactly once (one epoch).

    Rows are taken in a random order when `shuffle` (reproducible with `seed`; pass one
    np.random.Generator for all epochs to get a different but reproducible order each epoch),
    else in order. The last batch holds the remaining rows and may be smaller. Tensors in give
    Tensors out (new leaves without gradient), arrays in give arrays out.
    """
    batch_size = _count("batches", "batch_size", batch_size)
    xs = _array("batches", "X", X)
    ys = _array("batches", "y", y)
    if xs.ndim == 0 or ys.ndim == 0 or len(xs) != len(ys):
        raise ValueError(f"batches: X and y need the same number of rows, got shapes {xs.shape} and {ys.shape}")
    rows = len(xs)
    order = _rng("batches", seed).permutation(rows) if shuffle else np.arange(rows)
    for start in range(0, rows, batch_size):
        idx = order[start : start + batch_size]
        xb, yb = xs[idx], ys[idx]  # new arrays (integer indexing copies): share, do not copy again
        yield (
            Tensor.from_numpy(xb) if isinstance(X, Tensor) else xb,
            Tensor.from_numpy(yb) if isinstance(y, Tensor) else yb,
        )


def normal_equation(X: Any, y: Any) -> Tensor:
    """The least-squares solution W of min ||y - X W||^2, i.e. of X^T X W = X^T y.

    Solved with np.linalg.lstsq (an SVD), which is stable and also handles a singular X^T X
    (it then returns the minimum-norm solution); no matrix is ever inverted explicitly.
    X: (m, n); y: (m,) or (m, k). Returns a float64 Tensor of shape (n,) or (n, k).
    """
    xs = _array("normal_equation", "X", X).astype(np.float64)
    ys = _array("normal_equation", "y", y).astype(np.float64)
    if xs.ndim != 2:
        raise ValueError(f"normal_equation: X must be 2-D (m, n), got shape {xs.shape}")
    if ys.ndim not in (1, 2) or ys.shape[0] != xs.shape[0]:
        raise ValueError(
            f"normal_equation: y must have shape ({xs.shape[0]},) or ({xs.shape[0]}, k) "
            f"to match X of shape {xs.shape}, got {ys.shape}"
        )
    w, *_ = np.linalg.lstsq(xs, ys, rcond=None)
    return Tensor(w)
