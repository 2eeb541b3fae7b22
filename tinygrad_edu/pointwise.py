"""Elementwise functions beyond tensor.py: rounding, rsqrt, log2, log1p, expm1, tan, erf, and
the activations of neural networks.

Rounding and the transcendental functions are primitives (ops_pointwise.py); the activations
are compositions of primitives, so their derivatives (and second derivatives, and forward
mode) come from the primitives' rules. Where a branch could overflow in the half that `where`
discards (exp of a large number), its input is clipped first: a `where` whose unused side is
infinite would turn the gradient into 0 * inf = NaN.
"""

from __future__ import annotations

import math

from . import engine
from . import ops_pointwise as P
from . import tensor as _t
from .functions import where


# ---------------------------------------------------------------- rounding (zero gradient)
def sign(a: _t.Tensor) -> _t.Tensor:
    """-1, 0 or 1; the gradient is 0."""
    return P.Rounding.apply(a, fn="sign")


def floor(a: _t.Tensor) -> _t.Tensor:
    """Largest integer <= a; the gradient is 0."""
    return P.Rounding.apply(a, fn="floor")


def ceil(a: _t.Tensor) -> _t.Tensor:
    """Smallest integer >= a; the gradient is 0."""
    return P.Rounding.apply(a, fn="ceil")


def trunc(a: _t.Tensor) -> _t.Tensor:
    """a rounded toward 0; the gradient is 0."""
    return P.Rounding.apply(a, fn="trunc")


def round(a: _t.Tensor) -> _t.Tensor:  # noqa: A001 - PyTorch's and NumPy's name
    """a rounded to the nearest integer, halves to even (as NumPy and PyTorch); the gradient is 0."""
    return P.Rounding.apply(a, fn="round")


# ---------------------------------------------------------------- transcendental
def rsqrt(a: _t.Tensor) -> _t.Tensor:
    """1 / sqrt(a); derivative -rsqrt(a)^3 / 2."""
    return P.Rsqrt.apply(a)


@engine.composite("{a}.log2()", "1/({a}·log 2)")
def log2(a: _t.Tensor) -> _t.Tensor:
    """log(a) / log(2); derivative 1 / (a log 2)."""
    return a.log() * (1.0 / math.log(2.0))


def log1p(a: _t.Tensor) -> _t.Tensor:
    """log(1 + a), accurate for small a; derivative 1 / (1 + a)."""
    return P.Log1p.apply(a)


def expm1(a: _t.Tensor) -> _t.Tensor:
    """exp(a) - 1, accurate for small a; derivative exp(a)."""
    return P.Expm1.apply(a)


def tan(a: _t.Tensor) -> _t.Tensor:
    """tan(a); derivative 1 + tan(a)^2."""
    return P.Tan.apply(a)


def erf(a: _t.Tensor) -> _t.Tensor:
    """The error function; derivative 2/sqrt(pi) exp(-a^2)."""
    return P.Erf.apply(a)


# ---------------------------------------------------------------- activations
@engine.composite("leaky_relu({a})", "1 if {a} > 0 else {negative_slope}")
def leaky_relu(a: _t.Tensor, negative_slope: float = 0.01) -> _t.Tensor:
    """a if a > 0 else negative_slope * a; derivative 1 or negative_slope (negative_slope at 0)."""
    return where(a > 0, a, a * negative_slope)


@engine.composite("elu({a})", "1 if {a} > 0 else {alpha}·exp({a})")
def elu(a: _t.Tensor, alpha: float = 1.0) -> _t.Tensor:
    """a if a > 0 else alpha (exp(a) - 1); derivative 1 or alpha exp(a)."""
    return where(a > 0, a, expm1(a.clip(high=0.0)) * alpha)


@engine.composite("gelu({a})", "P({a}) + {a}·P'({a}), {P}")
def gelu(a: _t.Tensor, approximate: str = "none") -> _t.Tensor:
    """a Phi(a), Phi the standard normal CDF = (1 + erf(a / sqrt 2)) / 2; with approximate='tanh',
    Phi(a) ~ (1 + tanh(sqrt(2/pi) (a + 0.044715 a^3))) / 2 (PyTorch's two forms)."""
    if approximate == "none":
        return a * (erf(a * (1.0 / math.sqrt(2.0))) + 1.0) * 0.5
    if approximate == "tanh":
        inner = (a + a * a * a * 0.044715) * math.sqrt(2.0 / math.pi)
        return a * (inner.tanh() + 1.0) * 0.5
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


@engine.composite("silu({a})", "s·(1 + {a}·(1 - s)), s = sigmoid({a})")
def silu(a: _t.Tensor) -> _t.Tensor:
    """a sigmoid(a) (also called swish); derivative s (1 + a (1 - s)) with s = sigmoid(a)."""
    return a * a.sigmoid()


@engine.composite("softplus({a})", "sigmoid({beta}·{a}), 1 where {beta}·{a} > {threshold}")
def softplus(a: _t.Tensor, beta: float = 1.0, threshold: float = 20.0) -> _t.Tensor:
    """log(1 + exp(beta a)) / beta, and a itself where beta a > threshold (PyTorch's rule);
    derivative sigmoid(beta a), or 1 above the threshold."""
    z = a * beta
    smooth = P.Softplus.apply(z)
    return where(z > threshold, a, smooth if beta == 1.0 else smooth * (1.0 / beta))


@engine.composite("hardtanh({a})", "[{min_val} < {a} < {max_val}]")
def hardtanh(a: _t.Tensor, min_val: float = -1.0, max_val: float = 1.0) -> _t.Tensor:
    """a clamped to [min_val, max_val]; derivative 1 strictly inside, 0 outside and at the ends
    (PyTorch's convention; `clip` keeps the gradient at the ends)."""
    return where(a <= min_val, min_val, where(a >= max_val, max_val, a))


def relu6(a: _t.Tensor) -> _t.Tensor:
    """min(max(a, 0), 6) = hardtanh(a, 0, 6)."""
    return hardtanh(a, 0.0, 6.0)


@engine.composite("softsign({a})", "1/(1 + |{a}|)^2")
def softsign(a: _t.Tensor) -> _t.Tensor:
    """a / (1 + |a|); derivative 1 / (1 + |a|)^2."""
    return a / (a.abs() + 1.0)


@engine.composite("mish({a})", "tanh(sp) + {a}·sigmoid({a})·(1 - tanh(sp)^2), sp = softplus({a})")
def mish(a: _t.Tensor) -> _t.Tensor:
    """a tanh(softplus(a))."""
    return a * softplus(a).tanh()


@engine.composite("log_sigmoid({a})", "1 - sigmoid({a})")
def log_sigmoid(a: _t.Tensor) -> _t.Tensor:
    """log(sigmoid(a)) = -softplus(-a), stable for large |a|; derivative 1 - sigmoid(a)."""
    return -P.Softplus.apply(-a)
