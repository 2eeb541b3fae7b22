"""NumPy's ufuncs on Tensors: `np.exp(t)` is `t.exp()`, `arr * t` is `Tensor(arr) * t`.

NumPy hands a ufunc call with a Tensor among its operands to `Tensor.__array_ufunc__` (NEP 13),
which runs the Tensor op that the table below names, so the result keeps the gradient. A ufunc
missing from the table, a ufunc method (`np.add.reduce`) or `out=` raises a TypeError that
says what to write instead. The functions (`np.sum`, `np.concatenate`, ...) are in
numpy_dispatch.py, which gathers both.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import functions
from . import tensor as _t


def _tensor(x: Any, like: _t.Tensor | None = None) -> _t.Tensor:
    """An operand as a Tensor: Python numbers take `like`'s float dtype (as in `t * 2`)."""
    if isinstance(x, _t.Tensor):
        return x
    if like is not None:
        return like._operand(x)
    return _t.Tensor(x)


# ================================================================ ufuncs: np.exp(t), arr * t
def _binary(method: Callable[[_t.Tensor, Any], _t.Tensor]) -> Callable[[Any, Any], _t.Tensor]:
    def call(a: Any, b: Any) -> _t.Tensor:
        like = a if isinstance(a, _t.Tensor) else b
        return method(_tensor(a, like), _tensor(b, like))

    return call


def _unary(method: Callable[[_t.Tensor], _t.Tensor]) -> Callable[[Any], _t.Tensor]:
    return lambda a: method(_tensor(a))


def _predicate(ufunc: np.ufunc) -> Callable[[Any], _t.Tensor]:
    """A test of the values (isfinite, isnan): a bool tensor, nothing to differentiate."""
    return lambda a: _t.Tensor._wrap(np.asarray(ufunc(np.asarray(a))), False, None)


UFUNCS: dict[np.ufunc, Callable[..., _t.Tensor]] = {
    np.add: _binary(lambda a, b: a + b),
    np.subtract: _binary(lambda a, b: a - b),
    np.multiply: _binary(lambda a, b: a * b),
    np.true_divide: _binary(lambda a, b: a / b),
    np.power: _binary(lambda a, b: a**b),
    np.float_power: _binary(lambda a, b: a**b),
    np.matmul: _binary(lambda a, b: a @ b),
    np.maximum: _binary(functions.maximum),
    np.minimum: _binary(functions.minimum),
    np.less: _binary(lambda a, b: a < b),
    np.less_equal: _binary(lambda a, b: a <= b),
    np.greater: _binary(lambda a, b: a > b),
    np.greater_equal: _binary(lambda a, b: a >= b),
    np.equal: _binary(lambda a, b: a == b),
    np.not_equal: _binary(lambda a, b: a != b),
    np.negative: _unary(lambda a: -a),
    np.positive: _unary(lambda a: a),
    np.square: _unary(lambda a: a * a),
    np.reciprocal: _unary(lambda a: 1.0 / a),
    np.exp: _unary(lambda a: a.exp()),
    np.log: _unary(lambda a: a.log()),
    np.sqrt: _unary(lambda a: a.sqrt()),
    np.absolute: _unary(lambda a: a.abs()),
    np.sin: _unary(lambda a: a.sin()),
    np.cos: _unary(lambda a: a.cos()),
    np.tanh: _unary(lambda a: a.tanh()),
    np.tan: _unary(lambda a: a.tan()),
    np.log2: _unary(lambda a: a.log2()),
    np.log1p: _unary(lambda a: a.log1p()),
    np.expm1: _unary(lambda a: a.expm1()),
    np.sign: _unary(lambda a: a.sign()),
    np.floor: _unary(lambda a: a.floor()),
    np.ceil: _unary(lambda a: a.ceil()),
    np.trunc: _unary(lambda a: a.trunc()),
    np.rint: _unary(lambda a: a.round()),
    np.log10: _unary(lambda a: a.log() * (1.0 / np.log(10.0))),
    np.isfinite: _predicate(np.isfinite),
    np.isnan: _predicate(np.isnan),
    np.isinf: _predicate(np.isinf),
    np.signbit: _predicate(np.signbit),
}

# Where a ufunc has no differentiable counterpart, the message says what to write instead.
_UFUNC_HINTS = {
    "add.reduce": "use t.sum(axis)",
    "add.accumulate": "use t.cumsum(axis)",
    "multiply.accumulate": "use t.cumprod(axis)",
    "maximum.reduce": "use t.max(axis)",
    "minimum.reduce": "use t.min(axis)",
}


def array_ufunc(ufunc: np.ufunc, method: str, inputs: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """`Tensor.__array_ufunc__`: run the Tensor op that `ufunc` names on the inputs."""
    name = f"np.{ufunc.__name__}" + ("" if method == "__call__" else f".{method}")
    if "out" in kwargs:
        raise TypeError(
            f"{name}(..., out=...) would write a Tensor's values into an array and lose its gradient "
            "(`arr += t` does this too). Assign the result instead: `arr = arr + t` gives a Tensor; "
            "use `t.data` (or np.asarray(t)) for plain values."
        )
    op = UFUNCS.get(ufunc) if method == "__call__" else None
    if op is None or kwargs:
        hint = _UFUNC_HINTS.get(f"{ufunc.__name__}.{method}")
        if hint is None:
            hint = _method_hint(ufunc.__name__)
        detail = f" with the options {sorted(kwargs)}" if op is not None else ""
        raise TypeError(f"{name} is not supported on a tinygrad_edu Tensor{detail}: {hint}.")
    return op(*inputs)


def _method_hint(name: str, qualified: str = "") -> str:
    """What to use instead of the NumPy function `name` (`qualified`: as the user typed it)."""
    if hasattr(_t.Tensor, name) and not name.startswith("_"):
        return f"use the method t.{name}(...), which keeps the gradient"
    return (
        f"there is no differentiable {name} for Tensors; use {qualified or 'np.' + name}(t.data, ...) "
        "(np.asarray(t)) for plain values without a gradient"
    )
