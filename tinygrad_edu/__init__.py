"""tinygrad_edu: a small, readable automatic-differentiation framework on NumPy."""

from . import autograd, data, losses, nn
from .checks import GradcheckError, GradientReport, compare_gradients, gradcheck
from .derivatives import (
    directional_derivative,
    grad,
    hessian,
    hvp,
    jacobian,
    jvp,
    tangent_of,
    value_and_grad,
)
from .engine import detect_anomaly, enable_grad, is_grad_enabled, no_grad
from .serialization import load, save
from .tensor import Tensor, cat, matmul, maximum, minimum, stack, where
from . import viz
from . import optim as optim

__version__ = "0.1.0"

__all__ = [
    "Tensor", "autograd", "cat", "compare_gradients", "detect_anomaly", "directional_derivative",
    "enable_grad", "grad", "GradcheckError", "GradientReport", "gradcheck", "hessian", "hvp",
    "is_grad_enabled", "jacobian", "jvp", "matmul", "maximum", "minimum", "no_grad", "stack",
    "tangent_of", "value_and_grad", "where",
    "data", "load", "losses", "nn", "save",
]  # fmt: skip
