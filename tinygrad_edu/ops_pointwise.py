"""Primitive elementwise ops beyond ops.py: rounding, rsqrt, log1p, expm1, tan, erf, softplus.

Same form as ops.py: `forward` on arrays, `backward` (VJP) and `jvp` with operators that
Tensors and ndarrays share, the math in the docstring's first line. log1p and expm1 are
primitives rather than compositions for their accuracy near 0; erf is here for the exact GELU;
softplus is one so that its derivative is sigmoid itself (exact second derivative s (1 - s)
everywhere, 1/4 at 0), which log_sigmoid and the binary cross-entropy are built on.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from . import tensor as _t
from .ops import G, Grads, Primitive, Sigmoid, _const


class Rounding(Primitive):
    """f(a) = sign(a), floor(a), ceil(a), trunc(a) or round(a) (half to even);  df/da = 0"""

    FUNCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
        "sign": np.sign, "floor": np.floor, "ceil": np.ceil, "trunc": np.trunc, "round": np.round,
    }  # fmt: skip

    def forward(self, a: np.ndarray, fn: str) -> np.ndarray:
        return self.FUNCTIONS[fn](a)

    def backward(self, g: G) -> Grads:
        return (_const(g, np.zeros(g.shape)),)

    def jvp(self, ta: _t.Tensor) -> _t.Tensor:
        return _const(ta, np.zeros(ta.shape))


class Rsqrt(Primitive):
    """f(a) = 1 / sqrt(a);  df/da = -f^3 / 2"""

    save_output = True

    def forward(self, a: np.ndarray) -> np.ndarray:
        return 1.0 / np.sqrt(a)

    def backward(self, g: G) -> Grads:
        (out,) = self.values(self.output())
        return (g * (-0.5 * out * out * out),)

    def jvp(self, ta: _t.Tensor) -> _t.Tensor:
        out = self.output()
        return ta * (-0.5 * out * out * out)


class Log1p(Primitive):
    """f(a) = log(1 + a);  df/da = 1 / (1 + a)"""

    def forward(self, a: np.ndarray) -> np.ndarray:
        return np.log1p(a)

    def backward(self, g: G) -> Grads:
        (a,) = self.values(self.inputs[0])
        return (g / (1.0 + a),)

    def jvp(self, ta: _t.Tensor) -> _t.Tensor:
        return ta / (1.0 + self.inputs[0])


class Expm1(Primitive):
    """f(a) = exp(a) - 1;  df/da = exp(a) = f + 1"""

    save_output = True

    def forward(self, a: np.ndarray) -> np.ndarray:
        return np.expm1(a)

    def backward(self, g: G) -> Grads:
        (out,) = self.values(self.output())
        return (g * (out + 1.0),)

    def jvp(self, ta: _t.Tensor) -> _t.Tensor:
        return ta * (self.output() + 1.0)


class Tan(Primitive):
    """f(a) = tan(a);  df/da = 1 + f^2"""

    save_output = True

    def forward(self, a: np.ndarray) -> np.ndarray:
        return np.tan(a)

    def backward(self, g: G) -> Grads:
        (out,) = self.values(self.output())
        return (g * (1.0 + out * out),)

    def jvp(self, ta: _t.Tensor) -> _t.Tensor:
        out = self.output()
        return ta * (1.0 + out * out)


class Erf(Primitive):
    """f(a) = erf(a) = 2/sqrt(pi) * integral of exp(-s^2) from 0 to a;  df/da = 2/sqrt(pi) exp(-a^2)"""

    def forward(self, a: np.ndarray) -> np.ndarray:
        return _erf(a)

    def _derivative(self) -> Any:
        (a,) = self.values(self.inputs[0])
        return (2.0 / math.sqrt(math.pi)) * _exp(-(a * a))

    def backward(self, g: G) -> Grads:
        return (g * self._derivative(),)

    def jvp(self, ta: _t.Tensor) -> _t.Tensor:
        return ta * self._derivative()


class Softplus(Primitive):
    """f(a) = log(1 + exp(a));  df/da = sigmoid(a)

    NumPy's logaddexp(0, a) computes max(a, 0) + log(1 + exp(-|a|)), so exp never sees a large
    number: f(800) = 800, f(-800) = exp(-800) (0 in float64), no overflow."""

    def forward(self, a: np.ndarray) -> np.ndarray:
        return np.logaddexp(0.0, a).astype(a.dtype, copy=False)

    def _derivative(self) -> Any:
        (a,) = self.values(self.inputs[0])
        return a.sigmoid() if isinstance(a, _t.Tensor) else Sigmoid().forward(a)

    def backward(self, g: G) -> Grads:
        return (g * self._derivative(),)

    def jvp(self, ta: _t.Tensor) -> _t.Tensor:
        return ta * self._derivative()


def _exp(a: Any) -> Any:
    return np.exp(a) if isinstance(a, np.ndarray) else a.exp()


def _erf(a: np.ndarray) -> np.ndarray:
    """erf on an array: SciPy's when it is installed, else Python's math.erf per element."""
    try:
        from scipy.special import erf
    except ImportError:
        return np.vectorize(math.erf, otypes=[a.dtype])(a)
    return np.asarray(erf(a), dtype=a.dtype)
