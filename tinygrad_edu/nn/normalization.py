"""LayerNorm and BatchNorm1d, PyTorch's definitions, defaults, parameter and buffer names."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..tensor import Tensor
from .module import Module
from .parameter import Parameter


class LayerNorm(Module):
    """y = (x - mean) / sqrt(var + eps) * weight + bias, the mean and (biased) variance taken
    over the last len(normalized_shape) axes of each example; weight starts at 1, bias at 0."""

    def __init__(
        self, normalized_shape: int | Sequence[int], eps: float = 1e-5, elementwise_affine: bool = True
    ) -> None:
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.normalized_shape, self.eps = shape, float(eps)
        self.weight: Tensor | None = Parameter(np.ones(shape)) if elementwise_affine else None
        self.bias: Tensor | None = Parameter(np.zeros(shape)) if elementwise_affine else None

    def forward(self, x: Tensor) -> Tensor:
        k = len(self.normalized_shape)
        if x.shape[x.ndim - k :] != self.normalized_shape:
            raise ValueError(
                f"LayerNorm({self.normalized_shape}): the input's last axes must have that shape, got {x.shape}"
            )
        axes = tuple(range(x.ndim - k, x.ndim))
        centered = x - x.mean(axes, keepdims=True)
        y = centered * ((centered * centered).mean(axes, keepdims=True) + self.eps).rsqrt()
        if self.weight is not None and self.bias is not None:
            y = y * self.weight + self.bias
        return y

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.weight is not None}"


class BatchNorm1d(Module):
    """Normalize each feature (channel) over the batch: input (N, C) or (N, C, L).

    Training: y = (x - mean_B) / sqrt(var_B + eps) * weight + bias with the batch's mean and
    biased variance, and the running statistics move toward the batch's:
    running = (1 - momentum) * running + momentum * batch (the variance unbiased, n / (n - 1)).
    Eval: the running statistics replace the batch's. running_mean starts at 0, running_var at 1.
    """

    running_mean: Tensor  # buffers: in state_dict(), not in parameters()
    running_var: Tensor
    num_batches_tracked: Tensor

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
    ) -> None:
        super().__init__()
        self.num_features, self.eps, self.momentum = int(num_features), float(eps), float(momentum)
        self.weight: Tensor | None = Parameter(np.ones(num_features)) if affine else None
        self.bias: Tensor | None = Parameter(np.zeros(num_features)) if affine else None
        self.track_running_stats = track_running_stats
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(np.zeros(num_features)))
            self.register_buffer("running_var", Tensor(np.ones(num_features)))
            self.register_buffer("num_batches_tracked", Tensor(np.array(0, dtype=np.int64)))

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim not in (2, 3) or x.shape[1] != self.num_features:
            raise ValueError(
                f"BatchNorm1d({self.num_features}): expects input (N, {self.num_features}) or "
                f"(N, {self.num_features}, L), got shape {x.shape}"
            )
        axes = (0,) if x.ndim == 2 else (0, 2)
        shape = (1, self.num_features) + (1,) * (x.ndim - 2)
        if self.training or not self.track_running_stats:
            mean = x.mean(axes, keepdims=True)
            centered = x - mean
            var = (centered * centered).mean(axes, keepdims=True)
            if self.training and self.track_running_stats:
                n = x.size // self.num_features
                if n < 2:
                    raise ValueError(
                        f"BatchNorm1d: expected more than 1 value per channel when training, got input {x.shape}"
                    )
                m = self.momentum
                self.running_mean = Tensor((1 - m) * self.running_mean.data + m * mean.data.reshape(-1))
                unbiased = var.data.reshape(-1) * n / (n - 1)
                self.running_var = Tensor((1 - m) * self.running_var.data + m * unbiased)
                self.num_batches_tracked = Tensor(self.num_batches_tracked.data + 1)
            y = centered * (var + self.eps).rsqrt()
        else:
            mean_c = self.running_mean.data.reshape(shape).astype(x.dtype)
            inv = (1.0 / np.sqrt(self.running_var.data + self.eps)).reshape(shape).astype(x.dtype)
            y = (x - Tensor(mean_c)) * Tensor(inv)
        if self.weight is not None and self.bias is not None:
            y = y * self.weight.reshape(shape) + self.bias.reshape(shape)
        return y

    def extra_repr(self) -> str:
        return f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.weight is not None}"
