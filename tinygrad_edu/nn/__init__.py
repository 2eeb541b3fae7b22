"""Models and losses: `nn.Module`, layers, `nn.MLP`, and `nn.functional` (the losses)."""

from . import functional, init, utils
from .activation import (
    ELU,
    GELU,
    Hardtanh,
    LeakyReLU,
    LogSigmoid,
    LogSoftmax,
    Mish,
    ReLU6,
    SiLU,
    Softmax,
    Softplus,
    Softsign,
)
from .basic import Dropout, Embedding, Flatten, Identity
from .conv import AvgPool2d, Conv1d, Conv2d, MaxPool2d
from .layers import MLP, Linear, ReLU, Sequential, Sigmoid, Tanh
from .loss import BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss
from .module import IncompatibleKeys, Module
from .normalization import BatchNorm1d, LayerNorm
from .parameter import Parameter

__all__ = [
    "ELU", "GELU", "MLP", "AvgPool2d", "BCEWithLogitsLoss", "BatchNorm1d", "Conv1d", "Conv2d", "CrossEntropyLoss",
    "Dropout", "Embedding", "Flatten", "Hardtanh", "HuberLoss", "Identity", "IncompatibleKeys", "L1Loss", "LayerNorm",
    "LeakyReLU", "Linear", "LogSigmoid", "LogSoftmax", "MSELoss", "MaxPool2d", "Mish", "Module", "Parameter", "ReLU",
    "ReLU6", "Sequential", "SiLU", "Sigmoid", "Softmax", "Softplus", "Softsign", "Tanh", "functional", "init", "utils",
]  # fmt: skip
