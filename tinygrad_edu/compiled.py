"""`tge.compile`: run a training step eagerly once, then replay it as a flat list of NumPy calls.

    def train_step(x, y):
        loss = F.mse_loss(model(x), y)
        loss.backward()
        return loss

    step = tge.compile(train_step)
    for x, y in batches:
        opt.zero_grad()
        loss = step(x, y)      # the first call records, the next ones replay
        opt.step()             # the optimizer stays eager

The first call with given argument shapes and dtypes runs `train_step` eagerly and records
the ops of the forward pass, the backward rules that `loss.backward()` ran and the arrays
they used (recorder.py). Later calls with the same shapes replay that tape: NumPy calls into
preallocated buffers (`out=`), no Tensor and no graph node created, and the parameters'
`.grad` filled as eager backward would, bit for bit. A new shape or dtype records again.

Around the NumPy calls a replay does a little bookkeeping, planned once per recording: look
the recording up by the arguments' shapes; rebind the arrays that changed (a new batch; a
parameter the optimizer updates in place keeps its array) and rebuild the steps that read
them; check that the gradient buffers handed out last time are free again (`reclaim`); copy
the outputs (a loss you keep never changes); hand each leaf its gradient buffer as `.grad`
(after `zero_grad()` a plain wrap, else the engine's `accumulate_grad`).

What a replay repeats is what the recording did: the Tensor arguments' values and the
current values of the tensors the step closes over (parameters, data) flow through it, but
anything decided in Python is frozen at the recording: an `if` on a value, a loop count read
from a tensor, `.item()`, `.numpy()` or `.data` arithmetic, random numbers drawn outside
tensor ops, value checks. `check=True` runs the first calls after each recording both ways
and raises `CompileError` on any difference. Calls under forward mode (`tge.jvp`), `no_grad`
or `detect_anomaly` run eagerly.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable, Hashable
from typing import Any

import numpy as np

from . import engine
from .engine import STATE
from .recorder import CompileError, Recorder
from .tape import ARG, BUFFER, Slot, Stale, Tape, describe, owner, same_bits
from .tensor import Tensor

__all__ = ["CompileError", "Compiled", "compile"]

CHECKED_CALLS = 3  # calls after each recording that check=True runs both ways


def compile(fn: Callable[..., Any], check: bool | int = False) -> Compiled:  # noqa: A001 - the issue's name
    """Record `fn` once per argument shape, replay it afterwards (see the module docstring).

    `fn(*args)` computes a loss from its Tensor arguments and the parameters it closes over,
    calls `loss.backward()` and returns the loss (or a tuple of Tensors, or None). Arguments
    that are not Tensors are constants of the recording (a new value records again).
    `check=True` (or a number of calls) compares replay with eager after each recording.
    """
    return Compiled(fn, CHECKED_CALLS if check is True else int(check))


class _Recording:
    """One tape and what to do with its results."""

    def __init__(self, tape: Tape, outputs: list[Slot], shape: str, segments: list[Any], checks: int) -> None:
        self.tape, self.outputs, self.shape = tape, outputs, shape
        self.fills = [(seeds, _plan(seeds, pairs)) for seeds, pairs in segments]
        self.checks_left = checks
        self.handed: list[tuple[Slot, Slot, int, tuple[int, int]]] = []  # (slot, its owner, id, references)

    def run(self) -> list[np.ndarray]:
        """Replay the tape; copies of the outputs (the user may keep them)."""
        self.reclaim()
        prev = STATE.grad_enabled
        STATE.grad_enabled = False  # rules run as they are compute on arrays
        try:
            self.tape.run()
        finally:
            STATE.grad_enabled = prev
        return [s.array.copy(order="K") for s in self.outputs]

    def leaves(self, args: tuple[Any, ...]) -> list[Tensor]:
        return [args[leaf.source] if leaf.kind == ARG else leaf.source for _, rows in self.fills for leaf, *_ in rows]

    def fill_grads(self, args: tuple[Any, ...]) -> None:
        """Accumulate into the leaves' .grad exactly as engine.run_backward does. The common
        case, a .grad that zero_grad() set to None and a gradient buffer no other leaf shares,
        is one wrap: eager's accumulate_grad would store that array as it is."""
        for seeds, rows in self.fills:
            stored: set[int] | None = None  # accumulate_grad's memory already handed out
            for leaf, g, base, alone in rows:
                t = args[leaf.source] if leaf.kind == ARG else leaf.source
                counts = sys.getrefcount(g.array), sys.getrefcount(base.array)
                if alone and t._grad is None:  # (._grad: a leaf's .grad without the property)
                    t._grad = Tensor._wrap(g.array, False, None)
                    self.handed.append((g, base, id(g.array), counts))
                    continue
                if stored is None:
                    stored = {id(s.array if s.array.base is None else s.array.base) for s in seeds}
                engine.accumulate_grad(t, Tensor._wrap(g.array, False, None), False, stored)
                if t.grad is not None and np.may_share_memory(t.grad.data, g.array):
                    self.handed.append((g, base, id(g.array), counts))

    def reclaim(self) -> None:
        """Before a replay: a buffer handed to a leaf's .grad by the last one is written again
        only when nothing outside the tape refers to it any more (`zero_grad()` dropped that
        gradient, and nobody kept it or a view of it): its reference counts, and those of the
        buffer owning its memory, are back to what they were before it was handed out.
        Otherwise the replay writes into fresh memory, so a gradient you keep is never
        overwritten."""
        for g, base, array_id, counts in self.handed:
            if id(g.array) != array_id or (sys.getrefcount(g.array), sys.getrefcount(base.array)) != counts:
                self.tape.renew(g)
        self.handed.clear()

    def pack(self, arrays: list[np.ndarray]) -> Any:
        tensors = [Tensor._wrap(a, False, None) for a in arrays]
        if self.shape == "tensor":
            return tensors[0]
        if self.shape == "none":
            return None
        return tuple(tensors) if self.shape == "tuple" else tensors


class Compiled:
    """A compiled training step: call it like the function it wraps."""

    def __init__(self, fn: Callable[..., Any], checks: int = 0) -> None:
        self.fn = fn
        self.checks = checks
        self.recordings: dict[tuple[Any, ...], _Recording] = {}

    def __repr__(self) -> str:
        return f"<tge.compile of {getattr(self.fn, '__name__', self.fn)!r}: {len(self.recordings)} recording(s)>"

    def describe(self) -> str:
        """Each recording's tape as text: one line per NumPy call, in the order they run."""
        try:
            names = list(inspect.signature(self.fn).parameters)
        except (TypeError, ValueError):
            names = []
        parts = []
        for key, rec in self.recordings.items():
            shapes = ", ".join(f"{n}: {k[0]} {np.dtype(k[1]).name}" for n, k in zip(names, key) if len(k) == 4)
            steps = len(rec.tape.steps)
            parts.append(f"recording for ({shapes}): {steps} steps\n" + describe(rec.tape, names))
        return "\n\n".join(parts)

    def __call__(self, *args: Any) -> Any:
        if STATE.recorder is not None:
            raise CompileError("tge.compile: a compiled function cannot be called while another one records.")
        if STATE.fw_level or STATE.anomaly or not STATE.grad_enabled:
            return self.fn(*args)  # forward mode, anomaly checks and no_grad are eager's alone
        key = _key(args)
        rec = self.recordings.get(key)
        if rec is None:
            return self._record(key, args)
        try:
            rec.tape.bind(args)
        except Stale:  # a closed-over tensor changed shape, dtype or layout
            return self._record(key, args)
        if rec.checks_left:
            rec.checks_left -= 1
            return self._checked(rec, args)
        outputs = rec.run()
        rec.fill_grads(args)
        return rec.pack(outputs)

    def _record(self, key: tuple[Any, ...], args: tuple[Any, ...]) -> Any:
        recorder = Recorder(args)
        STATE.recorder = recorder
        try:
            result = self.fn(*args)
        finally:
            STATE.recorder = None
        for slot in recorder.tape.externals + recorder.tape.args:
            t = slot.source if slot.kind != ARG else args[slot.source]
            if t.data is not slot.array:
                raise CompileError(
                    f"tge.compile: the function gave a tensor of shape {t.shape} new data while it ran "
                    "(an optimizer step or t.data = ... inside it?). A replay would not repeat that: "
                    "call opt.step() after the compiled step, outside it."
                )
        shape, outs = _outputs(result)
        slots = [recorder.slot(t) for t in outs]
        self.recordings[key] = _Recording(recorder.tape, slots, shape, recorder.segments, self.checks)
        return result

    def _checked(self, rec: _Recording, args: tuple[Any, ...]) -> Any:
        """Replay into a copy of the gradients, run eagerly, raise if they differ."""
        before = {id(t): (t, None if t.grad is None else np.array(t.grad.data)) for t in rec.leaves(args)}
        replayed = rec.run()
        rec.fill_grads(args)
        expected = {key: None if t.grad is None else np.array(t.grad.data) for key, (t, _) in before.items()}
        for t, old in before.values():  # back to the state before the step, for eager
            t.grad = None if old is None else Tensor._wrap(old, False, None)
        result = self.fn(*args)
        _, outs = _outputs(result)
        for i, (out, t) in enumerate(zip(replayed, outs)):
            if not same_bits(out, t.data):
                raise _differs(f"output {i} (shape {t.shape})", out, t.data)
        for key, (t, _) in before.items():
            theirs = None if t.grad is None else t.grad.data
            mine = expected[key]
            if (mine is None) != (theirs is None) or (mine is not None and not same_bits(mine, theirs)):
                label = repr(t.name) if t.name else f"of shape {t.shape}"
                raise _differs(f"the gradient of the tensor {label}", mine, theirs)
        return result


def _plan(seeds: list[Slot], pairs: list[tuple[Slot, Slot]]) -> list[tuple[Slot, Slot, Slot, bool]]:
    """What fill_grads needs per (leaf, gradient) pair of one backward, worked out once: the
    slot owning the gradient's memory, and whether that is a writable buffer of the tape that
    no seed and no other leaf's gradient uses (then, as eager's accumulate_grad, a leaf whose
    .grad is None can take the array as it is, no copy)."""
    owners = [owner(s) for s in seeds] + [owner(g) for _, g in pairs]
    return [
        (leaf, g, o, o.kind == BUFFER and g.array.flags.writeable and sum(x is o for x in owners) == 1)
        for (leaf, g), o in zip(pairs, owners[len(seeds) :])
    ]


def _differs(what: str, mine: Any, theirs: Any) -> CompileError:
    gap = ""
    if mine is not None and theirs is not None and np.shape(mine) == np.shape(theirs):
        gap = f" (largest difference {np.max(np.abs(np.asarray(mine, float) - np.asarray(theirs, float))):.3g})"
    return CompileError(
        f"tge.compile(check=True): the replay's {what} differs from eager's{gap}. The function "
        "decides something in Python from values (an if on a tensor, .item(), .numpy() or .data "
        "arithmetic, random numbers), which a replay repeats as recorded. Compute it with tensor "
        "ops, or call the function without compile."
    )


def _key(args: tuple[Any, ...]) -> tuple[Any, ...]:
    """Tensors by shape, dtype, layout and requires_grad; anything else by value."""
    key: list[Hashable] = []
    for i, a in enumerate(args):
        if isinstance(a, Tensor):
            data = a.data
            key.append((data.shape, data.dtype, data.strides, a.requires_grad))
            continue
        try:
            hash(a)
        except TypeError:
            raise TypeError(
                f"tge.compile: argument {i} is a {type(a).__name__}, neither a Tensor nor hashable; "
                "pass arrays as Tensors (they are the inputs of the recording)."
            ) from None
        key.append((type(a), a))
    return tuple(key)


def _outputs(result: Any) -> tuple[str, list[Tensor]]:
    if isinstance(result, Tensor):
        return "tensor", [result]
    if result is None:
        return "none", []
    if isinstance(result, (tuple, list)) and all(isinstance(t, Tensor) for t in result):
        return type(result).__name__, list(result)
    raise TypeError(
        f"tge.compile: the function returned a {type(result).__name__}; return the loss Tensor "
        "(or a tuple of Tensors, or None)."
    )
