"""Layers: Linear (PyTorch's layout and initialization), activations, Sequential and MLP."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from .. import ops_nn
from ..data import SeedLike, _rng
from ..tensor import Tensor
from .module import Module


def _check_positive_int(fn: str, arg: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{fn}: {arg} must be an int, got {value!r} ({type(value).__name__})")
    if value < 1:
        raise ValueError(f"{fn}: {arg} must be at least 1, got {value}")
    return int(value)


class Linear(Module):
    """y = x @ W.T + b, with W of shape (out_features, in_features) and b of shape (out_features,).

    PyTorch's default initialization: kaiming_uniform with a = sqrt(5) gives
    W ~ U(-1/sqrt(in), 1/sqrt(in)), and b ~ U(-1/sqrt(in), 1/sqrt(in)); both are drawn from
    np.random.default_rng(seed), the weight first.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        seed: SeedLike = None,
        dtype: Any = np.float64,
    ) -> None:
        super().__init__()
        self.in_features = _check_positive_int("Linear", "in_features", in_features)
        self.out_features = _check_positive_int("Linear", "out_features", out_features)
        if not isinstance(bias, bool):
            raise TypeError(f"Linear: bias must be True or False, got {bias!r}")
        dt = np.dtype(dtype)
        if dt.kind != "f":
            raise TypeError(f"Linear: dtype must be a floating dtype, got {dt}")
        rng = _rng("Linear", seed)
        bound = 1.0 / math.sqrt(self.in_features)
        w = rng.uniform(-bound, bound, size=(self.out_features, self.in_features))
        self.weight = Tensor(w.astype(dt), requires_grad=True)
        self.bias: Tensor | None = None
        if bias:
            b = rng.uniform(-bound, bound, size=(self.out_features,))
            self.bias = Tensor(b.astype(dt), requires_grad=True)

    def forward(self, x: Tensor) -> Tensor:
        if not isinstance(x, Tensor):
            x = Tensor(x)
        shape = x.data.shape
        if not shape or shape[-1] != self.in_features:
            raise ValueError(
                f"Linear(in_features={self.in_features}) expects an input whose last dimension "
                f"is {self.in_features}, got shape {x.shape}"
            )
        if self.bias is None:
            return ops_nn.Linear.apply(x, self.weight)
        return ops_nn.Linear.apply(x, self.weight, self.bias)  # F.linear, its checks done above

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class ReLU(Module):
    """relu(x) = max(x, 0); relu'(x) = 1 if x > 0 else 0 (so relu'(0) = 0)."""

    def forward(self, x: Tensor) -> Tensor:
        return x.relu()


class Tanh(Module):
    """tanh(x); tanh'(x) = 1 - tanh(x)^2."""

    def forward(self, x: Tensor) -> Tensor:
        return x.tanh()


class Sigmoid(Module):
    """sigmoid(x) = 1 / (1 + exp(-x)); sigmoid'(x) = sigmoid(x) (1 - sigmoid(x))."""

    def forward(self, x: Tensor) -> Tensor:
        return x.sigmoid()


class Sequential(Module):
    """Applies its layers in order: Sequential(f, g)(x) = g(f(x)). Layers are named "0", "1", ..."""

    def __init__(self, *layers: Module) -> None:
        super().__init__()
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(
                    f"Sequential: layer {i} must be a Module, got {type(layer).__name__} "
                    f"({layer!r}); did you forget the parentheses, as in nn.ReLU()?"
                )
            setattr(self, str(i), layer)

    def forward(self, x: Any) -> Any:
        for layer in self._modules.values():
            x = layer(x)
        return x

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, index: int | slice) -> Any:
        layers = list(self._modules.values())
        if isinstance(index, slice):
            return Sequential(*layers[index])
        return layers[index]


_ACTIVATIONS: dict[str, type[Module]] = {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid}


class MLP(Sequential):
    """A multilayer perceptron: Linear(sizes[0], sizes[1]), activation, Linear(sizes[1],
    sizes[2]), ..., Linear(sizes[-2], sizes[-1]); every Linear has a bias and there is no
    activation after the last one. With `seed`, all layers draw from one
    np.random.default_rng(seed), so the whole network is reproducible.
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: str | type[Module] = "relu",
        seed: SeedLike = None,
    ) -> None:
        if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence):
            raise TypeError(f"MLP: sizes must be a list of ints such as [2, 16, 1], got {sizes!r}")
        if len(sizes) < 2:
            raise ValueError(f"MLP: sizes needs an input and an output size, got {list(sizes)!r}")
        for s in sizes:
            _check_positive_int("MLP", f"sizes (in {list(sizes)!r})", s)
        if isinstance(activation, str):
            if activation not in _ACTIVATIONS:
                raise ValueError(
                    f"MLP: activation must be one of {sorted(_ACTIVATIONS)} or a Module class, got {activation!r}"
                )
            act = _ACTIVATIONS[activation]
        elif isinstance(activation, type) and issubclass(activation, Module):
            act = activation
        else:
            raise TypeError(
                f"MLP: activation must be 'relu', 'tanh', 'sigmoid' or a Module class such as "
                f"nn.Tanh (the class, not an instance), got {activation!r}"
            )
        rng = _rng("MLP", seed)
        layers: list[Module] = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            if i > 0:
                layers.append(act())
            layers.append(Linear(int(n_in), int(n_out), seed=rng))
        super().__init__(*layers)
        self.sizes = [int(s) for s in sizes]
