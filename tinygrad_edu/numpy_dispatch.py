"""NumPy's functions on Tensors: `np.exp(t)` is `t.exp()`, `np.sum(t, axis=0)` is `t.sum(axis=0)`.

NumPy hands a call whose operands include a Tensor to the Tensor (the `__array_ufunc__` and
`__array_function__` protocols, NEP 13 and NEP 18). The two tables below say which Tensor op
each NumPy function becomes, so the result is a Tensor with the same value and gradient as the
method. A NumPy function missing from the tables raises a TypeError that names it and says
what to use instead, never NumPy's internal error. `np.asarray(t)` and `np.array(t)` are not
dispatched: they return the values (`Tensor.__array__`), without gradients.

The ufunc table and `array_ufunc` are in numpy_ufuncs.py (gathered here); this file holds the
table of functions (`np.sum`, `np.concatenate`, ...) and `array_function`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import creation, functions, linalg, movement
from . import tensor as _t
from .numpy_ufuncs import UFUNCS, _binary, _method_hint, _tensor, array_ufunc  # noqa: F401


def _first_tensor(args: Sequence[Any]) -> _t.Tensor | None:
    return next((a for a in args if isinstance(a, _t.Tensor)), None)


# ================================================================ functions: np.sum(t, axis=0)
def _sum(a: Any, axis: Any = None, keepdims: bool = False) -> _t.Tensor:
    return _tensor(a).sum(axis, keepdims)


def _mean(a: Any, axis: Any = None, keepdims: bool = False) -> _t.Tensor:
    return _tensor(a).mean(axis, keepdims)


def _max(a: Any, axis: Any = None, keepdims: bool = False) -> _t.Tensor:
    return _tensor(a).max(axis, keepdims)


def _min(a: Any, axis: Any = None, keepdims: bool = False) -> _t.Tensor:
    return _tensor(a).min(axis, keepdims)


def _var(
    a: Any, axis: Any = None, *, ddof: float | None = None, keepdims: bool = False, correction: float | None = None
) -> _t.Tensor:
    """np.var: NumPy's default ddof=0 (the Tensor method's default is PyTorch's 1); NumPy 2's correction= too."""
    ddof = 0 if ddof is None and correction is None else ddof
    return _tensor(a).var(axis, keepdims, ddof=ddof, correction=correction)


def _std(
    a: Any, axis: Any = None, *, ddof: float | None = None, keepdims: bool = False, correction: float | None = None
) -> _t.Tensor:
    """np.std, with np.var's ddof/correction."""
    ddof = 0 if ddof is None and correction is None else ddof
    return _tensor(a).std(axis, keepdims, ddof=ddof, correction=correction)


def _dot(a: Any, b: Any) -> _t.Tensor:
    """np.dot: products of scalars, and matmul for 1-D and 2-D operands."""
    like = _first_tensor((a, b))
    at, bt = _tensor(a, like), _tensor(b, like)
    if at.ndim == 0 or bt.ndim == 0:
        return at * bt
    if at.ndim > 2 or bt.ndim > 2:
        raise TypeError(
            f"np.dot of operands with shapes {at.shape} and {bt.shape}: only 0-, 1- and 2-D "
            "operands are supported on Tensors; use t @ other (np.matmul) for batched products."
        )
    return at @ bt


def _where(condition: Any, x: Any, y: Any) -> _t.Tensor:
    return functions.where(condition, x, y)


def _concatenate(arrays: Sequence[Any], axis: int = 0) -> _t.Tensor:
    like = _first_tensor(arrays)
    return functions.cat([_tensor(a, like) for a in arrays], axis=axis)


def _stack(arrays: Sequence[Any], axis: int = 0) -> _t.Tensor:
    like = _first_tensor(arrays)
    return functions.stack([_tensor(a, like) for a in arrays], axis=axis)


def _reshape(a: Any, newshape: Any = None, order: str = "C", *, shape: Any = None) -> _t.Tensor:
    if order != "C":
        raise TypeError(f"np.reshape(..., order={order!r}): Tensors reshape in C order only.")
    return _tensor(a).reshape(shape if shape is not None else newshape)


def _transpose(a: Any, axes: Any = None) -> _t.Tensor:
    return _tensor(a).transpose(*(axes or ()))


def _clip(a: Any, a_min: Any = None, a_max: Any = None) -> _t.Tensor:
    return _tensor(a).clip(a_min, a_max)


def _squeeze(a: Any, axis: Any = None) -> _t.Tensor:
    return _tensor(a).squeeze(axis)


def _expand_dims(a: Any, axis: int) -> _t.Tensor:
    return _tensor(a).unsqueeze(axis)


def _broadcast_to(a: Any, shape: Any) -> _t.Tensor:
    return _tensor(a).broadcast_to((shape,) if isinstance(shape, int) else shape)


def _argmax(a: Any, axis: int | None = None) -> _t.Tensor:
    return _tensor(a).argmax(axis)


def _argmin(a: Any, axis: int | None = None) -> _t.Tensor:
    return _tensor(a).argmin(axis)


def _round(a: Any, decimals: int = 0) -> _t.Tensor:
    if decimals:
        raise TypeError("np.round(t, decimals) on a Tensor: only decimals=0 is supported (t.round()).")
    return _tensor(a).round()


def _cumsum(a: Any, axis: int | None = None) -> _t.Tensor:
    return _tensor(a).cumsum(axis)


def _cumprod(a: Any, axis: int | None = None) -> _t.Tensor:
    return _tensor(a).cumprod(axis)


def _flip(a: Any, axis: Any = None) -> _t.Tensor:
    t = _tensor(a)
    return t.flip(tuple(range(t.ndim)) if axis is None else axis)


def _roll(a: Any, shift: Any, axis: Any = None) -> _t.Tensor:
    return _tensor(a).roll(shift, axis)


def _tile(a: Any, reps: Any) -> _t.Tensor:
    return _tensor(a).tile(reps)


def _tril(m: Any, k: int = 0) -> _t.Tensor:
    return _tensor(m).tril(k)


def _triu(m: Any, k: int = 0) -> _t.Tensor:
    return _tensor(m).triu(k)


def _diag(v: Any, k: int = 0) -> _t.Tensor:
    return _tensor(v).diag(k)


def _trace(a: Any) -> _t.Tensor:
    return _tensor(a).trace()


def _outer(a: Any, b: Any) -> _t.Tensor:
    like = _first_tensor((a, b))
    return _tensor(a, like).reshape(-1).outer(_tensor(b, like).reshape(-1))


def _einsum(subscripts: str, *operands: Any) -> _t.Tensor:
    return linalg.einsum(subscripts, *operands)


def _norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> _t.Tensor:
    t = _tensor(x)
    if ord is None or ord == "fro":
        return t.norm(2, axis, keepdims)
    if t.ndim > 1 and axis is None or isinstance(axis, tuple) and len(axis) > 1:
        raise TypeError(f"np.linalg.norm(t, ord={ord!r}) of a matrix: only the Frobenius norm (ord=None) is supported.")
    return t.norm(ord, axis, keepdims)


def _pad(array: Any, pad_width: Any, mode: str = "constant", constant_values: float = 0.0) -> _t.Tensor:
    """NumPy's pad_width ((before, after) per axis, or one pair or number for all) in PyTorch's order."""
    t = _tensor(array)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (t.ndim, 2))
    modes = {"constant": "constant", "reflect": "reflect", "edge": "replicate", "wrap": "circular"}
    if mode not in modes:
        raise TypeError(f"np.pad(t, mode={mode!r}): Tensors pad with {sorted(modes)}.")
    flat = [int(w) for pair in widths[::-1] for w in pair]
    return movement.pad(t, flat, modes[mode], float(constant_values))


def _zeros_like(a: Any, dtype: Any = None) -> _t.Tensor:
    return creation.zeros_like(a, dtype)


def _ones_like(a: Any, dtype: Any = None) -> _t.Tensor:
    return creation.ones_like(a, dtype)


def _full_like(a: Any, fill_value: float, dtype: Any = None) -> _t.Tensor:
    return creation.full_like(a, fill_value, dtype)


def _ravel(a: Any, order: str = "C") -> _t.Tensor:
    if order != "C":
        raise TypeError(f"np.ravel(..., order={order!r}): Tensors flatten in C order only.")
    return _tensor(a).reshape(-1)


def _copy(a: Any) -> _t.Tensor:
    """A new tensor with the same values whose gradient flows back to `a` (PyTorch's clone)."""
    t = _tensor(a)
    return t * 1.0 if t.requires_grad else _t.Tensor(np.array(t.data))


def _atleast(ndim: int) -> Callable[..., Any]:
    def call(*arys: Any) -> Any:
        out = []
        for a in arys:
            t = _tensor(a)
            if ndim == 1 or t.ndim != 1:
                shape = (1,) * (ndim - t.ndim) + t.shape
            else:
                shape = (1,) + t.shape  # NumPy's atleast_2d: a row
            out.append(t.reshape(shape) if t.ndim < ndim else t)
        return out[0] if len(out) == 1 else out

    return call


def _values(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A query on the values (no gradient to keep): run NumPy's own function on the arrays."""

    def call(*args: Any, **kwargs: Any) -> Any:
        return fn(*[np.asarray(a) if isinstance(a, _t.Tensor) else a for a in args], **kwargs)

    return call


FUNCTIONS: dict[Callable[..., Any], Callable[..., Any]] = {
    np.sum: _sum,
    np.mean: _mean,
    np.max: _max,
    np.amax: _max,
    np.min: _min,
    np.amin: _min,
    np.var: _var,
    np.std: _std,
    np.dot: _dot,
    np.matmul: _binary(lambda a, b: a @ b),
    np.where: _where,
    np.concatenate: _concatenate,
    np.stack: _stack,
    np.reshape: _reshape,
    np.transpose: _transpose,
    np.clip: _clip,
    np.squeeze: _squeeze,
    np.expand_dims: _expand_dims,
    np.broadcast_to: _broadcast_to,
    np.argmax: _argmax,
    np.argmin: _argmin,
    np.round: _round,
    np.around: _round,
    np.cumsum: _cumsum,
    np.cumprod: _cumprod,
    np.flip: _flip,
    np.roll: _roll,
    np.tile: _tile,
    np.tril: _tril,
    np.triu: _triu,
    np.diag: _diag,
    np.trace: _trace,
    np.outer: _outer,
    np.einsum: _einsum,
    np.linalg.norm: _norm,
    np.pad: _pad,
    np.zeros_like: _zeros_like,
    np.ones_like: _ones_like,
    np.full_like: _full_like,
    np.ravel: _ravel,
    np.copy: _copy,
    np.atleast_1d: _atleast(1),
    np.atleast_2d: _atleast(2),
    # queries on values: nothing to differentiate
    np.histogram: _values(np.histogram),
    np.count_nonzero: _values(np.count_nonzero),
    np.shape: _values(np.shape),
    np.ndim: _values(np.ndim),
    np.size: _values(np.size),
    np.allclose: _values(np.allclose),
    np.all: _values(np.all),
    np.any: _values(np.any),
    np.isclose: _values(np.isclose),
    np.array_equal: _values(np.array_equal),
    np.array2string: _values(np.array2string),
    np.array_repr: _values(np.array_repr),
    np.array_str: _values(np.array_str),
}


def array_function(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """`Tensor.__array_function__`: run the Tensor version of the NumPy function `func`."""
    impl = FUNCTIONS.get(func)
    module = getattr(func, "__module__", "numpy") or "numpy"
    name = module.replace("numpy", "np", 1) + "." + func.__name__ if module.startswith("numpy") else func.__name__
    if impl is None:
        raise TypeError(f"{name} is not supported on a tinygrad_edu Tensor: {_method_hint(func.__name__, name)}.")
    try:
        inspect.signature(impl).bind(*args, **kwargs)
    except TypeError as e:
        raise TypeError(
            f"{name} on a Tensor takes the options of the Tensor method it runs, not all of "
            f"NumPy's ({e}); use {name}(t.data, ...) for plain values without a gradient."
        ) from e
    return impl(*args, **kwargs)
