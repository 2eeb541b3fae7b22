"""What every workload shares: sizes, seeded data, and small per-framework helpers.

Every child process regenerates its data from the same seeds with NumPy, so every framework
starts from bit-identical inputs and initial weights without the parent shipping arrays.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

# A workload's setup function for one framework: it takes the size dictionary, imports the
# framework, prepares the data (untimed) and returns `run`, which performs the whole workload
# once from the same starting point and returns the numbers the parent checks (a final loss,
# a loss trajectory or a gradient).
Run = Callable[[], list[float]]
Setup = Callable[[dict[str, Any]], Run]

SEED = 0

# Sizes per workload: the definitions (full) and a seconds-long smoke test (quick).
SIZES: dict[str, dict[str, dict[str, Any]]] = {
    "linreg": {
        "full": {"n": 10_000, "d": 256, "steps": 100},
        "quick": {"n": 500, "d": 16, "steps": 10},
    },
    "mlp": {
        "full": {"n": 4096, "sizes": [784, 256, 256, 10], "batch": 128, "steps": 100, "lr": 0.1},
        "quick": {"n": 256, "sizes": [64, 32, 32, 10], "batch": 32, "steps": 5, "lr": 0.1},
    },
    "overhead": {
        "full": {"ops": 2000},
        "quick": {"ops": 200},
    },
    "deep": {
        "full": {"ops": [100_000, 1_000_000]},
        "quick": {"ops": [200, 2_000]},
    },
    "moons": {
        "full": {"points": 100, "sizes": [2, 16, 16, 1], "steps": 20, "alpha": 1e-4},
        "quick": {"points": 20, "sizes": [2, 16, 16, 1], "steps": 2, "alpha": 1e-4},
    },
    "conv": {
        "full": {"batch": 64, "hw": 28, "filters": 8, "kernel": 3},
        "quick": {"batch": 4, "hw": 10, "filters": 2, "kernel": 3},
    },
    "memory": {
        "full": {"steps": 10_000, "samples": 20},
        "quick": {"steps": 40, "samples": 4},
    },
}


# ---------------------------------------------------------------- data and initial weights


def linreg_data(n: int, d: int) -> tuple[np.ndarray, np.ndarray, float]:
    """X (n, d) float64, y = X w* + noise, and lr = 1 / lambda_max of the loss's Hessian.

    The loss is mean((Xw - y)^2), whose Hessian is H = (2/n) X^T X.
    """
    rng = np.random.default_rng(SEED)
    X = rng.standard_normal((n, d))
    w_star = rng.standard_normal(d)
    y = X @ w_star + 0.1 * rng.standard_normal(n)
    lam_max = float(np.linalg.eigvalsh((2.0 / n) * (X.T @ X))[-1])
    return X, y, 1.0 / lam_max


def mlp_data(n: int, n_in: int, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Random float32 inputs (n, n_in) and integer labels (n,) in [0, n_classes)."""
    rng = np.random.default_rng(SEED + 1)
    X = rng.standard_normal((n, n_in)).astype(np.float32)
    y = rng.integers(0, n_classes, size=n)
    return X, y


def linear_init(sizes: Sequence[int], dtype: type = np.float32) -> list[np.ndarray]:
    """PyTorch's nn.Linear initialization, seeded: [W1, b1, W2, b2, ...], W of shape (out, in).

    W and b are uniform in (-1/sqrt(in), 1/sqrt(in)).
    """
    rng = np.random.default_rng(SEED + 2)
    params: list[np.ndarray] = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        bound = 1.0 / np.sqrt(n_in)
        params.append(rng.uniform(-bound, bound, (n_out, n_in)).astype(dtype))
        params.append(rng.uniform(-bound, bound, n_out).astype(dtype))
    return params


def batches(n: int, batch: int, steps: int) -> list[slice]:
    """The row slices of `steps` mini-batches, cycling through the data in order."""
    per_epoch = n // batch
    return [slice((i % per_epoch) * batch, (i % per_epoch + 1) * batch) for i in range(steps)]


def moons_data(points: int) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles with Gaussian noise 0.1 (sklearn's make_moons), seeded.

    Labels are -1 and +1, as in micrograd's demo.
    """
    rng = np.random.default_rng(SEED + 3)
    n_out = points // 2
    n_in = points - n_out
    t_out = np.linspace(0, np.pi, n_out)
    t_in = np.linspace(0, np.pi, n_in)
    X = np.concatenate(
        [
            np.stack([np.cos(t_out), np.sin(t_out)], axis=1),
            np.stack([1 - np.cos(t_in), 1 - np.sin(t_in) - 0.5], axis=1),
        ]
    )
    X = X + 0.1 * rng.standard_normal(X.shape)
    y = np.concatenate([-np.ones(n_out), np.ones(n_in)])
    return X, y


def moons_init(sizes: Sequence[int]) -> list[np.ndarray]:
    """micrograd's initialization, seeded: weights uniform in (-1, 1), biases zero."""
    rng = np.random.default_rng(SEED + 4)
    params: list[np.ndarray] = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        params.append(rng.uniform(-1.0, 1.0, (n_out, n_in)))
        params.append(np.zeros(n_out))
    return params


def moons_lr(step: int) -> float:
    """micrograd's demo schedule: lr = 1.0 - 0.9 * k / 100 at step k."""
    return 1.0 - 0.9 * step / 100


def overhead_input() -> np.ndarray:
    """The shape-(4,) float64 input of the overhead workload."""
    return np.random.default_rng(SEED + 5).uniform(-1.0, 1.0, 4)


# ---------------------------------------------------------------- per-framework helpers


def import_torch() -> Any:
    """Import PyTorch restricted to one thread, as every framework here is."""
    import torch

    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    return torch


def tge_mlp(sizes: list[int], init: list[np.ndarray]) -> tuple[Any, list[Any]]:
    """nn.MLP with the shared initial weights, or the same layers by hand without nn."""
    from tinygrad_edu import Tensor

    try:
        from tinygrad_edu import nn
    except ImportError:
        params = [Tensor(value, requires_grad=True) for value in init]

        def model(x: Any) -> Any:
            for i in range(0, len(params), 2):
                x = x @ params[i].T + params[i + 1]
                if i + 2 < len(params):
                    x = x.relu()
            return x

        return model, params
    mlp = nn.MLP(sizes, activation="relu")
    params = list(mlp.parameters())
    for p, value in zip(params, init, strict=True):
        if p.shape != value.shape:
            raise ValueError(f"nn.MLP parameter of shape {p.shape}, expected {value.shape}")
    return mlp, params


class ManualSGD:
    """Plain SGD on tinygrad_edu tensors: p.data = p.data - lr * p.grad.data.

    Used only while tinygrad_edu.optim is not importable; it rebinds data out of place,
    as the core contract asks.
    """

    def __init__(self, params: Sequence[Any], lr: float) -> None:
        self.params = list(params)
        self.lr = lr

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    def step(self) -> None:
        for p in self.params:
            if p.grad is not None:
                p.data = p.data - self.lr * p.grad.data


def tge_sgd(params: Sequence[Any], lr: float) -> Any:
    """tinygrad_edu.optim.SGD when it exists, else ManualSGD (same update)."""
    try:
        from tinygrad_edu import optim
    except ImportError:
        return ManualSGD(params, lr)
    return optim.SGD(list(params), lr=lr)


def set_lr(optimizer: Any, lr: float) -> None:
    """Set the learning rate of a torch or tinygrad_edu optimizer (or of ManualSGD)."""
    if isinstance(optimizer, ManualSGD):
        optimizer.lr = lr
        return
    for group in optimizer.param_groups:
        group["lr"] = lr
