"""The graph node: `Function`, whose `apply` runs an op, records it and, in forward mode,
carries the tangent; and the in-place epoch.

A forward pass builds a graph: every op that involves a tensor requiring grad returns a
Tensor whose `grad_fn` is a `Function` instance holding the op's inputs (and anything else
its derivative needs). backward.py walks that graph. Forward mode rides on the same nodes:
while `tge.jvp` runs, every op also computes the tangent of its output from the tangents of
its inputs with the node's `jvp`.
"""

from __future__ import annotations

import itertools
import operator
import traceback
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from . import mutation
from . import tensor as _t
from .broadcasting import reducible
from .grad_mode import STATE

_DATA = operator.attrgetter("data")  # t -> t.data, without a Python frame

# In-place ops (inplace.py) advance the epoch; a node remembers the epoch it was recorded in,
# so backward checks a node's inputs only when some in-place op ran after it was recorded.
epoch = 0
_seq = itertools.count(1)  # creation numbers of recorded nodes (Function.seq)
RELEASED = -1  # the epoch of a released node (Function.release)
_new = object.__new__


def next_epoch() -> int:
    """Start a new in-place epoch (called by every in-place op) and return it."""
    global epoch
    epoch += 1
    return epoch


class Function:
    """One op in the graph. Subclasses define `forward` (on ndarrays), `backward` (the VJP,
    in Tensor ops, one entry per input, not yet reduced to the input's shape) and `jvp`
    (the tangent of the output from the inputs' tangents, in Tensor ops).

    The instance is the context: `forward` stores on `self` what the derivatives need.
    Set `save_output = True` to reach the output tensor from `backward` as `self.output()`.
    `reads` names the inputs whose values the derivatives read (PyTorch's saved tensors):
    only their memory is held read-only while the node lives. All of them unless an op says
    otherwise: `a + b`'s gradient needs no value of a or b (`reads = slice(0, 0)`).
    """

    # What every recorded node has lives in slots; what an op's forward saves for its
    # derivative goes in the instance's __dict__, which release() empties.
    __slots__ = ("inputs", "seq", "epoch", "_out", "trace", "__dict__")
    save_output = False
    reads = slice(None)  # the inputs whose values backward and jvp read, as a slice of inputs
    array_backward = False  # True when backward also accepts G as a plain ndarray (ops.Primitive)

    inputs: tuple[_t.Tensor, ...]
    _out: weakref.ReferenceType[_t.Tensor]
    trace: list[traceback.FrameSummary]  # where the op was created (only under detect_anomaly)
    locked: list[tuple[_t.Tensor, np.ndarray, list[Any]]] | tuple[()] = ()  # leaf arrays held read-only
    seq: int  # creation number: an op's inputs have smaller ones (backward.py walks by it)
    epoch: int  # the in-place epoch when this node was recorded (see check_unchanged); RELEASED after release()
    unlock_when_freed: weakref.ReferenceType[Function]
    # Each op defines these three; their signatures follow the op's inputs.
    forward: Callable[..., np.ndarray]  # (*input arrays, **options) -> output array
    backward: Callable[..., tuple[_t.Tensor | None, ...]]  # (G) -> gradient per input
    jvp: Callable[..., _t.Tensor]  # (*input tangents, None where absent) -> output tangent

    @property
    def name(self) -> str:
        """Readable node name, as PyTorch prints it: 'MulBackward'."""
        return type(self).__name__ + "Backward"

    def output(self) -> _t.Tensor:
        """The tensor this node produced (held weakly: no reference cycle)."""
        out = self._out()
        assert out is not None, f"{self.name}: output tensor was freed"
        return out

    def values(self, *tensors: _t.Tensor) -> tuple[Any, ...]:
        """The tensors as a derivative formula should see them: as Tensors while a graph is
        being recorded (create_graph=True, or forward mode), so that the formula is itself
        differentiable; otherwise as their arrays, so that the formula runs as plain NumPy.
        Formulas use operators that read the same for both (`g * (1.0 - out * out)`)."""
        if STATE.grad_enabled or STATE.fw_level:
            return tensors
        return tuple(map(_DATA, tensors))

    def lock_leaf(self, t: _t.Tensor) -> None:
        """Hold the memory of leaf `t` read-only while this node lives (see mutation.py)."""
        entry = mutation.lock(t.data)
        if entry is None:
            return
        locked = self.locked
        if not locked:
            locked = self.locked = []
            self.unlock_when_freed = weakref.ref(self, lambda _: mutation.unlock_all(locked))  # if never released
        locked.append((t, t.data, entry))

    def release(self) -> None:
        """Drop what forward saved and unlock the user's arrays; a later backward through
        this node raises."""
        locked = self.locked
        self.__dict__.clear()  # (the weakref above goes too: its callback will not run)
        self.epoch = RELEASED  # no in-place epoch equals it: backward's one check stops here
        if locked:
            mutation.unlock_all(locked)

    @property
    def released(self) -> bool:
        """True once a backward without retain_graph has dropped what forward saved."""
        return self.epoch == RELEASED

    def check_unchanged(self) -> None:
        """Raise if this node cannot run its backward: its saved values were released by an
        earlier backward, or a tensor it read was changed between the forward and the backward
        pass (by an in-place op, whose version moved on, or by `t.data = ...`)."""
        if self.epoch == RELEASED:
            raise RuntimeError(
                f"{self.name}: trying to backward through the graph a second time, but its "
                "saved values were already freed. Pass retain_graph=True to the first "
                "backward() (or autograd.grad) if you need to backward twice."
            )
        if self.epoch != epoch:  # some in-place op ran since this node was recorded
            for i in range(len(self.inputs))[type(self).reads]:  # the inputs whose values it reads
                t = self.inputs[i]
                vc = t._vc
                if vc is not None and vc.epoch > self.epoch:
                    raise mutation.modified_error(self.name, t, f"input {i}", vc.op, vc.version)
            for t, _, entry in self.locked:
                if entry[2] > self.epoch:  # written through another tensor sharing its memory
                    raise mutation.modified_error(self.name, t, "an input", entry[3], None)
        for t, arr, _ in self.locked:
            if t.data is not arr:
                label = repr(t.name) if t.name else f"of shape {t.shape}"
                raise RuntimeError(
                    f"{self.name}: the tensor {label} was given new data (t.data = ...) after "
                    "this op used it, so its gradient would be computed from values that no "
                    "longer exist. Run the forward pass again after changing it (for example, "
                    "call backward() before the optimizer step)."
                )

    def __repr__(self) -> str:
        return f"<{self.name}>"

    @classmethod
    def apply(cls, *inputs: _t.Tensor, **kwargs: Any) -> _t.Tensor:
        """Run forward on the inputs' arrays and wrap the result, recording this node when
        grad mode is on and some input requires grad. (The hot path of the library: kept
        to plain loops and attribute reads.)"""
        ctx = cls()
        ctx.inputs = inputs
        try:
            if kwargs:
                data = ctx.forward(*map(_DATA, inputs), **kwargs)
            elif len(inputs) == 2:
                data = ctx.forward(inputs[0].data, inputs[1].data)
            elif len(inputs) == 1:
                data = ctx.forward(inputs[0].data)
            else:
                data = ctx.forward(*map(_DATA, inputs))
        except (ValueError, IndexError) as e:
            shapes = ", ".join(shape_of(t) for t in inputs)
            hint = ""
            if "broadcast" in str(e):
                hint = " Shapes broadcast when each trailing axis is equal or 1: reshape or unsqueeze one operand."
            raise type(e)(f"{cls.__name__}: cannot apply to operands of shapes {shapes}: {e}.{hint}") from e
        if type(data) is not np.ndarray:
            data = np.asarray(data)
        requires = untracked = False
        if STATE.grad_enabled:
            for t in inputs:
                if t.requires_grad:
                    requires = True
                    break
        else:  # no_grad: remember when a graph would have been recorded, for backward's error
            for t in inputs:
                if t.requires_grad or t._untracked:
                    untracked = True
                    break
        out = _new(_t.Tensor)  # Tensor._wrap, inlined: this runs once per op
        out.data, out.requires_grad, out.grad_fn = data, requires, ctx if requires else None
        if requires:
            # Mutation safety: arrays the backward pass will read must not change under it.
            data.setflags(False)  # type: ignore[call-arg]  # write=False, positional: half the cost
            ctx.seq = next(_seq)
            ctx.epoch = epoch
            for t in inputs[cls.reads]:
                if t.grad_fn is None and t._lockable:
                    ctx.lock_leaf(t)  # a leaf's memory: read-only while this node lives
            if cls.save_output:
                ctx._out = weakref.ref(out)
        elif untracked:
            out._untracked = True
        if STATE.special:  # rare: forward mode, detect_anomaly or a tge.compile recording
            _special(ctx, inputs, kwargs, out, requires)
        return out


def _special(
    ctx: Function, inputs: tuple[_t.Tensor, ...], kwargs: dict[str, Any], out: _t.Tensor, requires: bool
) -> None:
    """What an op does besides its forward while a rare switch is on (see grad_mode.STATE)."""
    if requires and STATE.anomaly:
        ctx.trace = traceback.extract_stack()[:-3]  # where the op was called, for the error
    if STATE.fw_level:
        if ctx.save_output and not requires:
            ctx._out = weakref.ref(out)
        forward_tangent(ctx, out)
    if STATE.recorder is not None:  # tge.compile is recording: note the op for its replay
        STATE.recorder.op(ctx, inputs, kwargs, out)


# ---------------------------------------------------------------- forward mode
def forward_tangent(ctx: Function, out: _t.Tensor) -> None:
    """Attach the tangent of `out` when some input carries one at the current level."""
    level = STATE.fw_level
    tangents = [t._tangent if t._tlevel == level else None for t in ctx.inputs]
    if all(tt is None for tt in tangents) or not np.issubdtype(out.data.dtype, np.floating):
        return
    STATE.fw_level = 0  # the tangent rule itself is first order: no tangents of tangents
    try:
        if ctx.array_backward:  # a built-in op
            tan = ctx.jvp(*tangents)  # None for an input without a tangent: it contributes nothing
        else:
            tan = _user_tangent(ctx, tangents, out)
        if tan.shape != out.shape:
            tan = tan.broadcast_to(out.shape)
    finally:
        STATE.fw_level = level
    out._tangent, out._tlevel = tan, level


def _user_tangent(ctx: Function, tangents: list[_t.Tensor | None], out: _t.Tensor) -> _t.Tensor:
    """Run the jvp of an op defined outside the package, holding it to the op contract."""
    jvp = getattr(ctx, "jvp", None)
    if jvp is None:
        raise NotImplementedError(
            f"{type(ctx).__name__} defines no jvp, so forward mode (tge.jvp, "
            "directional_derivative, hvp, hessian, ExactLineSearch) cannot pass a tangent through "
            "it. Add `def jvp(self, *tangents)` returning the output's tangent from the inputs' "
            "tangents (None for an input without one), next to its backward; see "
            "docs/adding-an-op.md."
        )
    tan = jvp(*tangents)
    if isinstance(tan, (np.ndarray, np.generic, int, float)):
        tan = _t.Tensor(np.asarray(tan, dtype=out.dtype))
    if not isinstance(tan, _t.Tensor):
        raise RuntimeError(
            f"{type(ctx).__name__}.jvp returned {type(tan).__name__}, not a Tensor: it must "
            f"return the output's tangent, a Tensor of the output's shape {out.shape}."
        )
    if tan.shape != out.shape and not reducible(out.shape, tan.shape):
        raise RuntimeError(
            f"{type(ctx).__name__}.jvp returned a tangent of shape {tan.shape} for an output of "
            f"shape {out.shape}: return the output's tangent, with the output's shape."
        )
    return tan


# ---------------------------------------------------------------- outside the graph
def no_grad_op(fn: Callable[..., Any], *inputs: _t.Tensor, **kwargs: Any) -> _t.Tensor:
    """`fn` on the inputs' arrays, as a Tensor outside the graph (no gradient flows through
    it): comparisons, a stabilizing shift, class indices. Like an op, `tge.compile` records
    it, so its result follows the inputs' values when the recording is replayed."""
    out = _t.Tensor._wrap(np.asarray(fn(*[t.data for t in inputs], **kwargs)), False, None)
    if STATE.recorder is not None:
        STATE.recorder.no_grad_op(fn, inputs, kwargs, out)
    return out


def no_graph_hint(t: _t.Tensor) -> str:
    """Why `t` has no graph to backpropagate through, and what to do about it."""
    if t._untracked:
        return (
            "It was computed under no_grad() (a `with tge.no_grad():` block or a function "
            "decorated with it) from tensors that require grad, so no graph was recorded. "
            "Compute the loss outside no_grad; keep no_grad for evaluation and parameter updates."
        )
    if not STATE.grad_enabled:
        return (
            "Grad mode is off here (inside no_grad()), so ops record no graph: compute the loss "
            "outside the no_grad block, from inputs created with requires_grad=True."
        )
    return "Create the inputs you differentiate with requires_grad=True."


def shape_of(t: _t.Tensor) -> str:
    """A tensor's shape for an error message, with its name when it has one: "(2, 3) of 'X'"."""
    return f"{t.shape} of {t.name!r}" if t.name is not None else str(t.shape)
