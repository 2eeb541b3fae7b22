"""tinygrad_edu: a small, readable automatic-differentiation framework on NumPy."""

# tensor.py first: the core modules it imports reach the class as `_t.Tensor` (see
# docs/architecture.md, "Imports inside the core").
from .tensor import Tensor

# isort: split
from . import autograd, data, losses, nn, optim, viz
from .checks import GradcheckError, GradientReport, compare_gradients, gradcheck
from .compiled import CompileError, compile
from .creation import full_like, ones_like, rand_like, randn_like, zeros_like
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
from .indexing import cumprod, cumsum, gather, index_select
from .linalg import einsum, norm
from .movement import chunk, diag, flip, outer, roll, split, trace, tril, triu
from .serialization import load, save

__version__ = "0.1.0"

__all__ = [
    "CompileError", "GradcheckError", "GradientReport", "Tensor", "autograd", "cat", "chunk", "compare_gradients",
    "compile", "cumprod", "cumsum", "data", "detect_anomaly", "diag", "directional_derivative", "einsum",
    "enable_grad", "flip", "full_like", "gather", "grad", "gradcheck", "hessian", "hvp", "index_select",
    "is_grad_enabled", "jacobian", "jvp", "load", "losses", "matmul", "maximum", "minimum", "nn", "no_grad", "norm",
    "ones_like", "optim", "outer", "rand_like", "randn_like", "roll", "save", "split", "stack", "tangent_of", "trace",
    "tril", "triu", "value_and_grad", "viz", "where", "zeros_like",
]  # fmt: skip
