"""Models and losses: `nn.Module`, layers, `nn.MLP`, and `nn.functional` (the losses)."""

from . import functional, utils
from .layers import MLP, Linear, ReLU, Sequential, Sigmoid, Tanh
from .module import IncompatibleKeys, Module

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
    "utils",
]
