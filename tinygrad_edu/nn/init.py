"""Weight initialization, PyTorch's `torch.nn.init`: the same formulas, defaults and names.

Each function fills the tensor in place (it gets a new array of the same shape and dtype,
outside any graph) and returns it. Randomness comes from np.random.default_rng(seed)
(`seed` may be an int or a np.random.Generator; PyTorch's `generator=` is accepted too).

fan_in and fan_out of a weight of shape (out, in, *kernel) are in * k and out * k, with k the
number of kernel elements: a Linear weight (out, in) has fan_in = in.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..data import SeedLike, _rng
from ..tensor import Tensor

__all__ = [
    "calculate_gain",
    "constant_",
    "kaiming_normal_",
    "kaiming_uniform_",
    "normal_",
    "ones_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The factor that keeps activations' variance: 1 for linear layers and sigmoid, 5/3 for
    tanh, sqrt(2) for relu, sqrt(2 / (1 + slope^2)) for leaky_relu (slope 0.01 by default)."""
    if nonlinearity in ("linear", "conv1d", "conv2d", "conv3d", "sigmoid", "identity"):
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4.0
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _fans(t: Tensor) -> tuple[int, int]:
    if t.ndim < 2:
        raise ValueError(f"init: fan in and fan out need a tensor of at least 2 axes, got shape {t.shape}")
    receptive = int(np.prod(t.shape[2:]))
    return t.shape[1] * receptive, t.shape[0] * receptive


def _fill(t: Tensor, values: Any) -> Tensor:
    if not isinstance(t, Tensor):
        raise TypeError(f"init: expected a Tensor to fill, got {type(t).__name__}")
    t.data = np.array(np.broadcast_to(values, t.shape), dtype=t.dtype)
    return t


def _seed(seed: SeedLike, generator: SeedLike) -> np.random.Generator:
    return _rng("init", generator if seed is None else seed)


def uniform_(t: Tensor, a: float = 0.0, b: float = 1.0, seed: SeedLike = None, generator: SeedLike = None) -> Tensor:
    """Samples from U(a, b)."""
    return _fill(t, _seed(seed, generator).uniform(a, b, t.shape))


def normal_(
    t: Tensor, mean: float = 0.0, std: float = 1.0, seed: SeedLike = None, generator: SeedLike = None
) -> Tensor:
    """Samples from N(mean, std^2)."""
    return _fill(t, _seed(seed, generator).normal(mean, std, t.shape))


def constant_(t: Tensor, val: float) -> Tensor:
    """Every entry = val."""
    return _fill(t, val)


def zeros_(t: Tensor) -> Tensor:
    """Every entry = 0."""
    return _fill(t, 0.0)


def ones_(t: Tensor) -> Tensor:
    """Every entry = 1."""
    return _fill(t, 1.0)


def xavier_uniform_(t: Tensor, gain: float = 1.0, seed: SeedLike = None, generator: SeedLike = None) -> Tensor:
    """U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out)) (Glorot and Bengio, 2010)."""
    fan_in, fan_out = _fans(t)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(t, -bound, bound, seed, generator)


def xavier_normal_(t: Tensor, gain: float = 1.0, seed: SeedLike = None, generator: SeedLike = None) -> Tensor:
    """N(0, s^2) with s = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(t)
    return normal_(t, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), seed, generator)


def _kaiming_std(t: Tensor, a: float, mode: str, nonlinearity: str) -> float:
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"kaiming init: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _fans(t)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(
    t: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    seed: SeedLike = None,
    generator: SeedLike = None,
) -> Tensor:
    """U(-b, b) with b = gain * sqrt(3 / fan) (He et al., 2015); gain from `nonlinearity` and `a`."""
    bound = math.sqrt(3.0) * _kaiming_std(t, a, mode, nonlinearity)
    return uniform_(t, -bound, bound, seed, generator)


def kaiming_normal_(
    t: Tensor,
    a: float = 0.0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    seed: SeedLike = None,
    generator: SeedLike = None,
) -> Tensor:
    """N(0, s^2) with s = gain / sqrt(fan)."""
    return normal_(t, 0.0, _kaiming_std(t, a, mode, nonlinearity), seed, generator)
