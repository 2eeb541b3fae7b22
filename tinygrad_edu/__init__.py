"""tinygrad_edu: a small, readable automatic-differentiation framework on NumPy."""

from . import autograd, data, losses, nn, optim, viz
from .checks import GradcheckError, GradientReport, compare_gradients, gradcheck
from .compiled import CompileError, compile
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
from .functions import cat, matmul, maximum, minimum, stack, where
from .serialization import load, save
from .tensor import Tensor

__version__ = "0.1.0"

__all__ = [
    "CompileError", "GradcheckError", "GradientReport", "Tensor", "autograd", "cat", "compare_gradients",
    "compile", "data", "detect_anomaly", "directional_derivative", "enable_grad", "grad", "gradcheck", "hessian", "hvp",
    "is_grad_enabled", "jacobian", "jvp", "load", "losses", "matmul", "maximum", "minimum", "nn",
    "no_grad", "optim", "save", "stack", "tangent_of", "value_and_grad", "viz", "where",
]  # fmt: skip
