"""Layers without learned arithmetic of their own: Identity, Flatten, Dropout, Embedding."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import movement
from ..data import SeedLike, _rng
from ..tensor import Tensor
from .module import Module
from .parameter import Parameter


class Identity(Module):
    """Returns its input."""

    def forward(self, x: Tensor) -> Tensor:
        return x


class Flatten(Module):
    """x.flatten(start_dim, end_dim): (N, C, H, W) -> (N, C*H*W) with the defaults."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: Tensor) -> Tensor:
        return movement.flatten(x, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Dropout(Module):
    """In training mode, zero each entry with probability p and scale the rest by 1 / (1 - p),
    so the expected output is the input; in eval mode (`model.eval()`), the identity.

    The masks come from np.random.default_rng(seed), drawn anew at every call.
    """

    def __init__(self, p: float = 0.5, seed: SeedLike = None) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must be a probability in [0, 1], got {p}")
        self.p = float(p)
        self.rng = _rng("Dropout", seed)

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.p == 0.0:
            return x
        if self.p == 1.0:
            return x * 0.0
        keep = self.rng.random(x.shape) >= self.p
        scale = (keep / (1.0 - self.p)).astype(x.dtype)
        return x * Tensor._wrap(scale, False, None)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Embedding(Module):
    """A lookup table: row i of `weight` (num_embeddings, embedding_dim) for index i.

    weight ~ N(0, 1) as in PyTorch; the row at `padding_idx` (if given) starts at zero and gets
    no gradient. The gradient of a row used several times is the sum of its uses.
    """

    def __init__(
        self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None, seed: SeedLike = None
    ) -> None:
        super().__init__()
        self.num_embeddings, self.embedding_dim = int(num_embeddings), int(embedding_dim)
        w = _rng("Embedding", seed).standard_normal((self.num_embeddings, self.embedding_dim))
        if padding_idx is not None:
            padding_idx = padding_idx % self.num_embeddings
            w[padding_idx] = 0.0
        self.padding_idx = padding_idx
        self.weight = Parameter(w)

    def forward(self, indices: Any) -> Tensor:
        idx = np.asarray(indices.data if isinstance(indices, Tensor) else indices)
        if idx.dtype.kind not in "iu":
            raise TypeError(f"Embedding: indices must be integers, got dtype {idx.dtype}")
        if idx.size and (idx.min() < 0 or idx.max() >= self.num_embeddings):
            raise IndexError(
                f"Embedding: indices must lie in [0, {self.num_embeddings - 1}], got {idx.min()} to {idx.max()}"
            )
        out = self.weight[idx]
        if self.padding_idx is not None and self.weight.requires_grad:
            keep = (idx != self.padding_idx)[..., None].astype(self.weight.dtype)
            out = out * Tensor._wrap(keep, False, None) + Tensor._wrap(
                self.weight.data[self.padding_idx] * (1.0 - keep), False, None
            )
        return out

    def extra_repr(self) -> str:
        pad = "" if self.padding_idx is None else f", padding_idx={self.padding_idx}"
        return f"{self.num_embeddings}, {self.embedding_dim}{pad}"
