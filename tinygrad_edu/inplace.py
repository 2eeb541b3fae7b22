"""In-place ops (`t += v`, `t.add_(v)`, `t[i] = v`, `t.zero_()`, ...) with PyTorch's rules.

- On a leaf that requires grad, while grad mode is on: RuntimeError, nothing changes (PyTorch:
  "a leaf Variable that requires grad is being used in an in-place operation"). Under
  `no_grad` the values change and the tensor stays a leaf that requires grad: that is how
  parameters are updated (`with no_grad(): W -= lr * W.grad`).
- On a tensor made by an op, in grad mode: the op is recorded, and the tensor becomes its
  output (its `grad_fn` changes), so gradients flow through the update.
- Every in-place op adds one to the tensor's version counter (`t._version`). A node recorded
  before the change that has the tensor as an input raises in backward, as PyTorch does when
  a tensor saved for backward was modified.

Values are written into the tensor's own array (so `Tensor.from_numpy` memory and arrays from
`.numpy()` see them, as in PyTorch) unless the array is read-only because a graph saved it:
then the tensor gets a new array, or, for a leaf's memory locked by a graph, the write goes
through and the nodes holding the lock raise in backward (see engine.write_through_lock).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from . import engine
from . import tensor as _t
from .engine import Function
from .tensor_shape import index_arrays


class VersionCounter:
    """How many in-place ops changed a tensor (shared with its `detach()`es), the epoch of the
    last one (engine.next_epoch) and its name, for the error message."""

    __slots__ = ("version", "epoch", "op")

    def __init__(self) -> None:
        self.version, self.epoch, self.op = 0, 0, ""


def version_counter(t: _t.Tensor) -> VersionCounter:
    if t._vc is None:
        t._vc = VersionCounter()
    return t._vc


# ---------------------------------------------------------------- the one primitive
class SetItem(Function):
    """f(a, v) = a with a[index] replaced by v;  df/da = 1 outside index, 0 inside;  df/dv = 1 at index"""

    array_backward = True

    def forward(self, a: np.ndarray, v: np.ndarray, index: Any) -> np.ndarray:
        self.index = index
        out = a.copy()
        out[index] = v
        return out

    def backward(self, g: Any) -> tuple[Any, Any]:
        ga = gv = None
        a, v = self.inputs
        if a.requires_grad:
            ga = _set(g, self.index, 0.0)
        if v.requires_grad:
            gv = g[self.index]
            if gv.ndim < v.ndim:  # v had extra leading axes of size 1 (NumPy allows that)
                gv = gv.reshape((1,) * (v.ndim - gv.ndim) + gv.shape)
        return ga, gv

    def jvp(self, ta: _t.Tensor | None, tv: _t.Tensor | None) -> _t.Tensor:
        a, v = self.inputs
        base = ta if ta is not None else _zeros_like(a)
        return SetItem.apply(base, tv if tv is not None else _zeros_like(v), index=self.index)


def _set(g: Any, index: Any, value: float) -> Any:
    """g with g[index] = value, as an ndarray or a recorded Tensor op."""
    if isinstance(g, _t.Tensor):
        return SetItem.apply(g, _t.Tensor._wrap(np.asarray(value, g.dtype), False, None), index=index)
    out = np.array(g)
    out[index] = value
    return out


def _zeros_like(t: _t.Tensor) -> _t.Tensor:
    return _t.Tensor._wrap(np.broadcast_to(np.zeros((), t.dtype), t.shape), False, None)


# ---------------------------------------------------------------- the methods
class InPlaceMethods:
    """Mixed into Tensor: the in-place methods, each one call of `modify` (below). (`self` is
    typed Any: mypy cannot name the subclass from here.)"""

    __slots__ = ()

    def __iadd__(self: Any, other: Any) -> _t.Tensor:
        return modify(self, "+=", lambda a: a + a._operand(_same(other, self, a)))

    def __isub__(self: Any, other: Any) -> _t.Tensor:
        return modify(self, "-=", lambda a: a - a._operand(_same(other, self, a)))

    def __imul__(self: Any, other: Any) -> _t.Tensor:
        return modify(self, "*=", lambda a: a * a._operand(_same(other, self, a)))

    def __itruediv__(self: Any, other: Any) -> _t.Tensor:
        return modify(self, "/=", lambda a: a / a._operand(_same(other, self, a)))

    def add_(self: Any, other: Any, alpha: float = 1) -> _t.Tensor:
        """self += alpha * other, in place."""
        return modify(self, "add_", lambda a: a + a._operand(_same(other, self, a)) * alpha)

    def sub_(self: Any, other: Any, alpha: float = 1) -> _t.Tensor:
        """self -= alpha * other, in place."""
        return modify(self, "sub_", lambda a: a - a._operand(_same(other, self, a)) * alpha)

    def mul_(self: Any, other: Any) -> _t.Tensor:
        """self *= other, in place."""
        return modify(self, "mul_", lambda a: a * a._operand(_same(other, self, a)))

    def div_(self: Any, other: Any) -> _t.Tensor:
        """self /= other, in place."""
        return modify(self, "div_", lambda a: a / a._operand(_same(other, self, a)))

    def clamp_(self: Any, min: float | None = None, max: float | None = None) -> _t.Tensor:  # noqa: A002
        """Clip the values to [min, max] in place (as `clip`)."""
        if min is None and max is None:
            raise ValueError("clamp_: at least one of 'min' or 'max' must not be None.")
        return modify(self, "clamp_", lambda a: a.clip(min, max))

    def copy_(self: Any, src: Any) -> _t.Tensor:
        """Copy `src`'s values (broadcast to this shape, cast to this dtype) into self, in place;
        the gradient flows to `src`."""
        return modify(self, "copy_", lambda a: SetItem.apply(a, a._operand(_same(src, self, a)), index=...))

    def fill_(self: Any, value: float) -> _t.Tensor:
        """Set every element to `value`, in place."""
        return modify(self, "fill_", lambda a: SetItem.apply(a, a._operand(value), index=...))

    def zero_(self: Any) -> _t.Tensor:
        """Set every element to 0, in place (`W.grad.zero_()`)."""
        return self.fill_(0)

    def __setitem__(self: Any, index: Any, value: Any) -> None:
        """`t[index] = value` with NumPy's indexing; in place, under PyTorch's rules."""
        set_item(self, index_arrays(index), value)


# ---------------------------------------------------------------- the in-place protocol
def modify(t: _t.Tensor, op: str, compute: Callable[[_t.Tensor], _t.Tensor]) -> _t.Tensor:
    """Change `t` in place to `compute(t_before)` following PyTorch's rules, and return `t`.

    `compute` gets a stand-in for `t`'s value before the change (use it, never `t` itself,
    so a recorded graph does not loop back to `t`) and returns the new value as a Tensor
    made by ordinary (differentiable) ops.
    """
    if t.requires_grad and t.grad_fn is None and engine.is_grad_enabled():
        label = f"{t.name!r} " if t.name else ""
        raise RuntimeError(
            f"{op}: a leaf Variable that requires grad is being used in an in-place operation (the "
            f"tensor {label}of shape {t.shape}). "
            "To update a parameter, do it under `with tge.no_grad():` (as an optimizer step does); "
            "to compute a new value from it, write `t = t + v` instead of `t += v`."
        )
    before = _t.Tensor._wrap(t.data, t.requires_grad, t.grad_fn)
    before._tangent, before._tlevel = t._tangent, t._tlevel
    new = compute(before)
    if new.shape != t.shape:
        raise ValueError(
            f"{op}: output with shape {t.shape} doesn't match the broadcast shape {new.shape}; "
            "an in-place op cannot change a tensor's shape. Write `t = t + v` for a new tensor."
        )
    if new.dtype != t.dtype:
        if not np.can_cast(new.dtype, t.dtype, "same_kind"):
            raise TypeError(
                f"{op}: result type {new.dtype} can't be cast to the desired output type {t.dtype}; "
                f"convert the tensor first (t = t.astype(np.float64))."
            )
        new = new.astype(t.dtype)
    epoch = engine.next_epoch()
    if t.grad_fn is not None and t.grad_fn.save_output:
        t.grad_fn._out = weakref.ref(before)  # the old node's output is the value before the change
    if new.grad_fn is not None:  # recorded: t becomes the output of the new node
        t.data, t.requires_grad, t.grad_fn = new.data, True, new.grad_fn
        if new.grad_fn.save_output:
            new.grad_fn._out = weakref.ref(t)
    else:
        _write(t, new.data, epoch, op)
    if new._tangent is not None or t._tangent is not None:
        t._tangent, t._tlevel = new._tangent, new._tlevel
    bump(t, epoch, op)
    return t


def set_item(t: _t.Tensor, index: Any, value: Any) -> _t.Tensor:
    """`t[index] = value`: NumPy's assignment semantics, PyTorch's autograd rules."""
    v = value if isinstance(value, _t.Tensor) else t._operand(value)
    recording = engine.is_grad_enabled() and (t.requires_grad or v.requires_grad)
    fast = not recording and not engine.STATE.fw_level and t.is_leaf and t.data.flags.writeable
    if not fast or engine.is_locked(t.data):
        return modify(t, "__setitem__", lambda a: SetItem.apply(a, v if v is not t else a, index=index))
    if not isinstance(value, (int, float, bool)) and not np.can_cast(v.dtype, t.dtype, "same_kind"):
        raise TypeError(
            f"__setitem__: value of type {v.dtype} can't be cast to the tensor's type {t.dtype}; "
            "convert the tensor first (t = t.astype(np.float64))."
        )
    try:
        t.data[index] = v.data  # the fast path: one NumPy assignment, no copy of t
    except (ValueError, IndexError) as e:
        raise type(e)(
            f"__setitem__: cannot assign a value of shape {v.shape} into a tensor of shape {t.shape}: {e}"
        ) from e
    bump(t, engine.next_epoch(), "__setitem__")
    return t


def _same(other: Any, t: _t.Tensor, before: _t.Tensor) -> Any:
    """`other`, or the value before the change if `other` is `t` itself (`t += t`)."""
    return before if other is t else other


def _write(t: _t.Tensor, values: np.ndarray, epoch: int, op: str) -> None:
    """Store `values` in `t`: into its own array when it may be written, else a new array."""
    arr = t.data
    if t.grad_fn is None and engine.is_locked(arr):
        engine.write_through_lock(arr, values, epoch, op)
    elif arr.flags.writeable and t.grad_fn is None:
        np.copyto(arr, values, casting="same_kind")
    else:  # an op's result saved by a graph, a constant or a broadcast: give t a new array
        t.data = values if values.base is None else np.array(values)


def bump(t: _t.Tensor, epoch: int, op: str) -> None:
    """Count one in-place change of `t` (made by `op` in in-place epoch `epoch`): its version
    goes up by one, and nodes recorded before the change will raise in backward."""
    if engine.STATE.recorder is not None:  # tge.compile cannot replay an in-place change
        engine.STATE.recorder.in_place(t, op)
    vc = t._vc if t._vc is not None else version_counter(t)
    vc.version += 1
    vc.epoch, vc.op = epoch, op
