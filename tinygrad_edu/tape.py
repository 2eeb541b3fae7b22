"""The tape of `tge.compile`: slots (the arrays a recording uses) and steps (the NumPy calls).

A recording turns one eager call of a training step into a flat list of steps, each a
`functools.partial` of a NumPy function over fixed arrays: `np.multiply(a, b, out)`. The
arrays live in slots:

- `arg` and `external` slots hold arrays the tape only reads: the Tensor arguments' data and
  the data of tensors the step closes over (parameters, constants), read where they are;
- `buffer` slots are preallocated outputs, written in place by one step each (`out=`);
- `view` slots are NumPy views (a transpose, a reshape) of other slots, made once.

When a read slot's array changes (a new batch, `p.data = ...`), the
tape `rebind`s it: its views are made again and the steps that read them are rebuilt, so a
replay never looks anything up; when nothing changed (the same batch, parameters updated in
place) nothing is rebuilt. A slot whose value chose the steps themselves (the number in
`x ** 2.0`) is `fixed`: given another array, it makes the recording stale, and the step
records again. Recording lives in recorder.py.
"""

from __future__ import annotations

import functools
import types
from collections.abc import Callable
from typing import Any

import numpy as np

ARG, EXTERNAL, BUFFER, VIEW = "arg", "external", "buffer", "view"


class Stale(Exception):
    """A read slot got an array of another shape, dtype or layout: record again."""


class Slot:
    """One array of the tape, and who depends on it."""

    __slots__ = ("array", "kind", "source", "readers", "views", "make", "tensors", "fixed")

    def __init__(self, array: np.ndarray, kind: str, source: Any = None) -> None:
        self.array = array
        self.kind = kind
        self.source = source  # ARG: the argument's index; EXTERNAL: the Tensor read
        self.readers: list[int] = []  # indices of the steps that use this array
        self.views: list[Slot] = []  # view slots made from this one
        self.make: tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]] | None = None  # VIEW: how
        self.tensors: list[Any] = []  # Tensors wrapping this array (inputs of generic rules)
        self.fixed = False  # a rule chose its steps by this array's value (Pow's exponent)

    def __repr__(self) -> str:
        return f"<{self.kind} {self.array.shape} {self.array.dtype}>"


def resolve(x: Any) -> Any:
    """Arguments as the NumPy call sees them: each Slot replaced by its current array."""
    if type(x) is Slot:
        return x.array
    if type(x) is tuple:
        return tuple([resolve(v) for v in x])
    if type(x) is list:
        return [resolve(v) for v in x]
    if type(x) is dict:
        return {k: resolve(v) for k, v in x.items()}
    return x


def bound(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Callable[[], Any]:
    """The step fn(*args, **kwargs) over the slots' current arrays, as a partial."""
    arrays = [a.array if type(a) is Slot else resolve(a) for a in args]
    if kwargs:
        return functools.partial(fn, *arrays, **resolve(kwargs))
    return functools.partial(fn, *arrays)


def slots_in(x: Any) -> list[Slot]:
    """The Slots referenced by a step's arguments (searched inside tuples, lists, dicts)."""
    if type(x) is Slot:
        return [x]
    if type(x) in (tuple, list):
        return [s for v in x for s in slots_in(v)]
    if type(x) is dict:
        return [s for v in x.values() for s in slots_in(v)]
    return []


def owner(slot: Slot) -> Slot:
    """The slot whose array owns a view slot's memory (a view of a view: followed down)."""
    while slot.kind == VIEW:
        assert slot.make is not None
        sources = slots_in(slot.make)
        slot = next((s for s in sources if np.may_share_memory(s.array, slot.array)), sources[0])
    return slot


def same_bits(a: Any, b: Any) -> bool:
    """Equal shape, dtype and bytes: what 'bit-identical' means here."""
    a, b = np.asarray(a), np.asarray(b)
    return (
        a.shape == b.shape
        and a.dtype == b.dtype
        and np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes()
    )


class Tape:
    """Steps over slots. `run` replays them after rebinding the slots that changed."""

    def __init__(self) -> None:
        self.calls: list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = []
        self.steps: list[Callable[[], Any]] = []
        self.args: list[Slot] = []  # read from the call's Tensor arguments
        self.externals: list[Slot] = []  # read from tensors the step closes over
        self.log: list[tuple[str, Any, Any]] = []  # what was recorded, in order, for describe()

    # ------------------------------------------------------------ building
    def emit(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any] | None = None) -> None:
        """Append the step fn(*args, **kwargs) and run it once (recording runs as it goes)."""
        kwargs = kwargs or {}
        index = len(self.calls)
        self.calls.append((fn, args, kwargs))
        for slot in {id(s): s for s in slots_in((args, kwargs))}.values():
            slot.readers.append(index)
        self.steps.append(bound(fn, args, kwargs))
        self.steps[-1]()
        self.log.append(("step", index, None))

    def view(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], array: np.ndarray) -> Slot:
        """A slot holding `array` = fn(*args, **kwargs), a view of slots in args: no step."""
        slot = Slot(array, VIEW)
        slot.make = (fn, args, kwargs)
        for source in {id(s): s for s in slots_in((args, kwargs))}.values():
            source.views.append(slot)
        self.log.append(("view", slot, None))
        return slot

    def note(self, text: str, *slots: Slot) -> None:
        """A line for describe(): `text` with each {} replaced by a slot's name."""
        self.log.append(("note", text, slots))

    # ------------------------------------------------------------ replaying
    def bind(self, args: tuple[Any, ...]) -> None:
        """Point the read slots at the current arrays (the arguments', the closed-over tensors')."""
        changed: set[int] = set()
        for slot in self.args:
            arr = args[slot.source].data
            if arr is not slot.array:
                self.rebind(slot, arr, changed)
        for slot in self.externals:
            arr = slot.source.data
            if arr is not slot.array:
                self.rebind(slot, arr, changed)
        if changed:
            self.rebuild(changed)

    def rebind(self, slot: Slot, array: np.ndarray, changed: set[int]) -> None:
        """Give `slot` a new array of the same shape, dtype and layout; remake its views and
        collect the steps to rebuild in `changed`."""
        old = slot.array
        if array.shape != old.shape or array.dtype != old.dtype or array.strides != old.strides or slot.fixed:
            raise Stale(f"{slot!r} got an array of shape {array.shape}, dtype {array.dtype}")
        slot.array = array
        for t in slot.tensors:
            t.data = array
        changed.update(slot.readers)
        for view in slot.views:
            assert view.make is not None
            self.rebind(view, bound(*view.make)(), changed)

    def rebuild(self, changed: set[int]) -> None:
        steps, calls = self.steps, self.calls
        for i in changed:
            steps[i] = bound(*calls[i])

    def renew(self, slot: Slot) -> None:
        """Give a buffer slot fresh memory (its array was handed to the user as a gradient)."""
        slot = owner(slot)
        if slot.kind == BUFFER:
            changed: set[int] = set()
            self.rebind(slot, np.empty_like(slot.array), changed)
            self.rebuild(changed)

    def run(self) -> None:
        for step in self.steps:
            step()


# ---------------------------------------------------------------- reading a tape
def describe(tape: Tape, arg_names: list[str]) -> str:
    """The tape as text, one line per step: `t3 = multiply(t1, W2)`. Views (no step, made once
    when an array they read changes) are listed where they were made, marked `view`."""
    names: dict[int, str] = {}
    counts = {BUFFER: 0, VIEW: 0, EXTERNAL: 0}

    def name(slot: Slot) -> str:
        if id(slot) not in names:
            if slot.kind == ARG:
                names[id(slot)] = arg_names[slot.source] if slot.source < len(arg_names) else f"arg{slot.source}"
            elif slot.kind == EXTERNAL and getattr(slot.source, "name", None):
                names[id(slot)] = slot.source.name
            elif slot.kind == EXTERNAL and slot.array.size == 1 and not slot.source.requires_grad:
                names[id(slot)] = f"{slot.array.item():g}"
            else:
                prefix = {BUFFER: "t", VIEW: "v", EXTERNAL: "c"}[slot.kind]
                names[id(slot)] = f"{prefix}{counts[slot.kind]}"
                counts[slot.kind] += 1
        return names[id(slot)]

    def show(x: Any) -> str:
        if type(x) is Slot:
            return name(x)
        if type(x) is tuple:
            return "(" + ", ".join(show(v) for v in x) + ("," if len(x) == 1 else "") + ")"
        if isinstance(x, np.ndarray):
            return f"array{x.shape}"
        if isinstance(x, np.integer):
            return str(int(x))
        if isinstance(x, np.floating):
            return repr(x.item())
        if isinstance(x, np.dtype) or isinstance(x, type):
            return np.dtype(x).name
        return repr(x) if not callable(x) else _fn_name(x)

    def call(fn: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str:
        parts = [show(a) for a in args] + [f"{k}={show(v)}" for k, v in kwargs.items()]
        return f"{_fn_name(fn)}({', '.join(parts)})"

    lines = []
    for kind, what, extra in tape.log:
        if kind == "note":
            lines.append(what.format(*[show(s) for s in extra]))
        elif kind == "view":
            assert what.make is not None
            lines.append(f"  {name(what)} = {call(*what.make)}  (view)")
        else:
            fn, args, kwargs = tape.calls[what]
            lines.append("  " + _step_text(fn, args, kwargs, name, call))
    return "\n".join(lines)


def _step_text(fn: Any, args: tuple[Any, ...], kwargs: dict[str, Any], name: Any, call: Any) -> str:
    """`out = f(...)` for a step: the output buffer is the `out` argument of the call."""
    if getattr(fn, "__name__", "") == "_into":  # the result of any function, copied into out
        out, f, *f_args = args
        return f"{name(out)} = {call(f, tuple(f_args), kwargs)}"
    if kwargs.get("out") is not None:
        rest = {k: v for k, v in kwargs.items() if k != "out"}
        return f"{name(kwargs['out'])} = {call(fn, args, rest)}"
    if getattr(fn, "__name__", "") == "reduce":  # fn.reduce(x, axis, dtype, out, keepdims)
        x, axis, _, out, keepdims = args
        return f"{name(out)} = {call(fn, (x,), {'axis': axis, 'keepdims': keepdims})}"
    if getattr(fn, "__name__", "") == "_backward_into":  # an op's own backward, run as it is
        node, g, outs = args
        targets = ", ".join("_" if o is None else name(o) for o in outs)
        return f"{targets} = {node.name}({name(g)})"
    *ins, out = args
    return f"{name(out)} = {call(fn, tuple(ins), {})}"


def _fn_name(fn: Any) -> str:
    if isinstance(fn, np.ufunc):
        return fn.__name__
    owner = getattr(fn, "__self__", None)
    if isinstance(owner, np.ufunc):
        return f"{owner.__name__}.{fn.__name__}"
    if owner is not None and not isinstance(owner, (type, types.ModuleType)):
        return f"{type(owner).__name__}.{fn.__name__}"
    return getattr(fn, "__name__", repr(fn))
