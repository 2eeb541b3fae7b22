"""Models and losses: `nn.Module`, layers, `nn.MLP`, and `nn.functional` (the losses)."""

from . import functional
from .module import (
    MLP,
    IncompatibleKeys,
    Linear,
    Module,
    ReLU,
    Sequential,
    Sigmoid,
    Tanh,
)

__all__ = [
    "MLP",
    "IncompatibleKeys",
    "Linear",
    "Module",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Tanh",
    "functional",
]
