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
from .tape import ARG, VIEW, Slot, Stale, Tape, describe, same_bits, slots_in
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
        self.tape, self.outputs, self.shape, self.segments = tape, outputs, shape, segments
        self.checks_left = checks
        self.handed: list[tuple[Slot, int, tuple[int, int]]] = []  # (slot, id of its array, references)

    def run(self) -> list[np.ndarray]:
        """Replay the tape; copies of the outputs (the user may keep them)."""
        self.reclaim()
        prev = STATE.grad_enabled
        STATE.grad_enabled = False  # rules run as they are compute on arrays
        try:
            self.tape.run()
        finally:
            STATE.grad_enabled = prev
        return [np.array(s.array) for s in self.outputs]

    def leaves(self, args: tuple[Any, ...]) -> list[tuple[Tensor, Slot]]:
        return [
            (args[leaf.source] if leaf.kind == ARG else leaf.source, g)
            for _, pairs in self.segments
            for leaf, g in pairs
        ]

    def fill_grads(self, args: tuple[Any, ...]) -> None:
        """Accumulate into the leaves' .grad exactly as engine.run_backward does."""
        for seeds, pairs in self.segments:
            stored = {id(s.array if s.array.base is None else s.array.base) for s in seeds}
            for leaf, g in pairs:
                t = args[leaf.source] if leaf.kind == ARG else leaf.source
                counts = _references(g)
                engine.accumulate_grad(t, Tensor._wrap(g.array, False, None), False, stored)
                if t.grad is not None and np.may_share_memory(t.grad.data, g.array):
                    self.handed.append((g, id(g.array), counts))

    def reclaim(self) -> None:
        """Before a replay: a buffer handed to a leaf's .grad by the last one is written again
        only when nothing outside the tape refers to it any more (`zero_grad()` dropped that
        gradient, and nobody kept it or a view of it): its reference counts are back to what
        they were before it was handed out. Otherwise the replay writes into fresh memory, so
        a gradient you keep is never overwritten."""
        for g, array_id, counts in self.handed:
            if id(g.array) != array_id or _references(g) != counts:
                self.tape.renew(g)
        self.handed = []

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
        before = {id(t): (t, None if t.grad is None else np.array(t.grad.data)) for t, _ in rec.leaves(args)}
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


def _references(slot: Slot) -> tuple[int, int]:
    """How many references there are to a slot's array and to the buffer that owns its memory."""
    owner = slot
    while owner.kind == VIEW:
        assert owner.make is not None
        owner = slots_in(owner.make[1])[0]
    return sys.getrefcount(slot.array), sys.getrefcount(owner.array)


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
            key.append((a.shape, a.dtype.str, a.data.strides, a.requires_grad))
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
