"""Recording for `tge.compile`: one eager call of a training step, written down as a tape.

While a `Recorder` is active, the engine hands it every op (`Function.apply`), every
gradient-free array op (`engine.no_grad_op`) and every `backward()`. For each it emits the
NumPy calls that compute the same arrays into preallocated buffers (tape.py), runs them at
once, and checks that they give eager's bits. Built-in ops with a rule in `FORWARD` and
`BACKWARD` (recorder_rules.py) become direct NumPy calls (`np.multiply(g, y, out)`); any other
op, and any case a rule leaves out by returning None (Pow with a tensor exponent), is
replayed by calling the op's own `forward` and `backward` on arrays, with the result copied
into a buffer. The backward walk mirrors `engine.run_backward` step for step (order, broadcast
reduction, dtype, accumulation), so the sums happen in eager's order.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from heapq import heappop, heappush
from typing import Any

import numpy as np

from . import engine
from .engine import STATE
from .recorder_rules import BACKWARD, FORWARD
from .tape import ARG, BUFFER, EXTERNAL, Slot, Tape, resolve, same_bits
from .tensor import Tensor


class CompileError(RuntimeError):
    """A step that `tge.compile` cannot record or whose replay differs from eager."""


class _Node:
    """What the tape knows of one recorded op: its slots, options and (for ops without a
    rule here) a private copy of the node whose forward and backward the replay calls."""

    __slots__ = ("op", "ins", "needs", "out", "kwargs", "saved", "shadow")

    def __init__(self, op: type, ins: list[Slot], needs: list[bool], kwargs: dict[str, Any]) -> None:
        self.op, self.ins, self.needs, self.kwargs = op, ins, needs, kwargs
        self.out: Slot
        self.saved: dict[str, Slot] = {}
        self.shadow: engine.Function | None = None


class Recorder:
    """Builds a Tape while the step runs eagerly once (see the module docstring)."""

    def __init__(self, args: Sequence[Any]) -> None:
        self.tape = Tape()
        self.slots: dict[int, Slot] = {}  # id(Tensor) -> its slot
        self.by_array: dict[int, Slot] = {}  # id(ndarray) -> the slot of the tensor holding it
        self.nodes: dict[int, _Node] = {}  # id(Function) -> what its replay needs
        self.alive: list[Any] = []  # everything whose id is a key above, kept alive meanwhile
        self.segments: list[tuple[list[Slot], list[tuple[Slot, Slot]]]] = []  # per backward: seeds, (leaf, grad)
        self.tape.note("forward")
        for i, a in enumerate(args):
            if isinstance(a, Tensor):
                self._add(a, Slot(a.data, ARG, i))
                self.tape.args.append(self.slots[id(a)])

    # ------------------------------------------------------------ slots
    def _add(self, t: Tensor, slot: Slot) -> Slot:
        self.slots[id(t)] = slot
        self.by_array[id(t.data)] = slot
        self.alive += [t, t.data]
        return slot

    def slot(self, t: Tensor) -> Slot:
        """The slot of a tensor; one the recording has not seen is read where it is."""
        slot = self.slots.get(id(t))
        if slot is None:
            slot = self._add(t, Slot(t.data, EXTERNAL, t))
            self.tape.externals.append(slot)
        return slot

    def refs(self, x: Any) -> Any:
        """Option values with arrays the recording knows (an index from a Tensor) as slots."""
        if isinstance(x, np.ndarray):
            return self.by_array.get(id(x), x)
        if type(x) in (tuple, list):
            return type(x)(self.refs(v) for v in x)
        if type(x) is dict:
            return {k: self.refs(v) for k, v in x.items()}
        return x

    def tensor(self, slot: Slot, requires_grad: bool) -> Tensor:
        """A Tensor that always holds the slot's current array (for rules run as they are)."""
        t = Tensor._wrap(slot.array, requires_grad, None)
        slot.tensors.append(t)
        return t

    def buffer(self, like: Any) -> Slot:
        return Slot(np.empty_like(np.asarray(like)), BUFFER)

    # ------------------------------------------------------------ emitting NumPy calls
    def ufunc(self, fn: np.ufunc, *args: Any) -> Slot:
        """out = fn(*args) for a ufunc, written into a new buffer."""
        out = self.buffer(fn(*[a.array if type(a) is Slot else a for a in args]))
        if fn is np.maximum or fn is np.minimum:  # they take `out` by keyword only
            self.tape.emit(fn, args, {"out": out})
        else:
            self.tape.emit(fn, (*args, out))  # positional: a partial calls it faster
        return out

    def reduce(self, fn: np.ufunc, x: Slot, axis: tuple[int, ...], keepdims: bool) -> Slot:
        """out = fn.reduce(x, axis, keepdims=keepdims) (what ndarray.sum calls)."""
        out = self.buffer(fn.reduce(x.array, axis=axis, keepdims=keepdims))
        self.tape.emit(fn.reduce, (x, axis, None, out, keepdims))
        return out

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Slot:
        """fn(*args, **kwargs) for any function of arrays: the argument's own slot when the
        result is the argument itself (np.asarray of an array of the right dtype), a view slot
        when it is a view of an argument, else a buffer that a step copies the result into."""
        arrays = [a.array for a in args if type(a) is Slot]
        res = fn(*[a.array if type(a) is Slot else a for a in args], **resolve(kwargs))
        same = [a for a in args if type(a) is Slot and a.array is res]
        if same:
            return same[0]
        if isinstance(res, np.ndarray) and any(np.may_share_memory(res, a) for a in arrays):
            return self.tape.view(fn, args, kwargs, res)
        out = self.buffer(res)
        self.tape.emit(_into, (out, fn, *args), kwargs)  # flat: a rebind resolves no nested tuple
        return out

    # ------------------------------------------------------------ what the engine reports
    def op(self, ctx: engine.Function, inputs: Sequence[Tensor], kwargs: dict[str, Any], out: Tensor) -> None:
        if STATE.fw_level or STATE.anomaly:
            raise CompileError(
                f"tge.compile: {ctx.name[:-8]} ran under forward mode (jvp) or detect_anomaly, "
                "which a replay does not reproduce; call the function without compile."
            )
        node = _Node(type(ctx), [self.slot(t) for t in inputs], [t.requires_grad for t in inputs], self.refs(kwargs))
        with _paused():
            rule = FORWARD.get(node.op)
            slot = rule(self, node) if rule is not None else None
            if slot is not None:
                node.out = slot
            else:  # no rule, or one that leaves this case to the op's own code
                node.shadow = shadow = type(ctx)()
                shadow.inputs = tuple(self.tensor(s, r) for s, r in zip(node.ins, node.needs))
                node.out = self.call(shadow.forward, *node.ins, **node.kwargs)
                if ctx.save_output:
                    keep = self.tensor(node.out, out.requires_grad)
                    shadow._out = weakref.ref(keep)
        self._check(node.out, out, ctx.name[:-8])
        self._add(out, node.out)
        self.nodes[id(ctx)] = node
        self.alive.append(ctx)

    def no_grad_op(self, fn: Callable[..., Any], inputs: Sequence[Tensor], kwargs: dict[str, Any], out: Tensor) -> None:
        with _paused():
            slot = self.call(fn, *[self.slot(t) for t in inputs], **self.refs(kwargs))
        self._check(slot, out, getattr(fn, "__name__", "no_grad_op"))
        self._add(out, slot)

    def in_place(self, t: Tensor, op: str) -> None:
        raise CompileError(
            f"tge.compile: {op} changed a tensor of shape {t.shape} in place inside the compiled "
            "function, which a replay does not repeat. Write t = t + v there, or make the change "
            "outside the compiled function (an optimizer step, a running statistic)."
        )

    def _check(self, slot: Slot, out: Tensor, what: str) -> None:
        if not same_bits(slot.array, out.data):
            raise CompileError(f"tge.compile: the replay of {what} does not reproduce eager's result.")

    def backward(
        self,
        roots: Sequence[Tensor],
        grads: Sequence[Tensor],
        retain_graph: bool,
        create_graph: bool,
        inputs: Sequence[Tensor] | None,
    ) -> Any:
        """Record the backward pass (mirroring engine.run_backward), then run it eagerly."""
        if create_graph or inputs is not None or STATE.fw_level or STATE.anomaly:
            raise CompileError(
                "tge.compile records loss.backward() only: not create_graph=True, autograd.grad, "
                "forward mode or detect_anomaly; call the function without compile."
            )
        with _paused():
            self._record_backward(roots, grads)
            return engine.run_backward(roots, grads, retain_graph, create_graph, inputs)

    def _record_backward(self, roots: Sequence[Tensor], grads: Sequence[Tensor]) -> None:
        seeds = [self.slot(s) for s in grads]
        self.tape.note("backward from " + ", ".join(["{}"] * len(seeds)), *seeds)
        # The walk of engine.run_backward, step for step: the tensors holding a gradient are
        # taken latest-made node first (a heap keyed by -seq), leaves collected as reached.
        pending: dict[int, Slot] = {}
        ready: list[tuple[int, int, Tensor]] = []
        leaves: dict[int, Tensor] = {}
        arrivals = 0
        for r, seed in zip(roots, seeds):
            if id(r) in pending:
                pending[id(r)] = self.ufunc(np.add, pending[id(r)], seed)
            else:
                pending[id(r)] = seed
                if r.grad_fn is not None:
                    arrivals += 1
                    heappush(ready, (-r.grad_fn.seq, arrivals, r))
                elif r.requires_grad:
                    leaves[id(r)] = r
        while ready:
            t = heappop(ready)[2]
            g = pending.pop(id(t))
            if t._hooks or t._retains_grad:
                raise CompileError("tge.compile: hooks and retain_grad() are not replayed; call the function eagerly.")
            node = self.nodes.get(id(t.grad_fn))
            if node is None:
                raise CompileError(
                    "tge.compile: the loss depends on a tensor computed before the compiled function "
                    "was called (it has a grad_fn); compute it inside the function, or detach() it."
                )
            rule = BACKWARD.get(node.op)
            in_grads = rule(self, node, g) if rule is not None else None
            if in_grads is None:
                in_grads = self._generic_backward(node, g)
            assert t.grad_fn is not None
            for inp, ig in zip(t.grad_fn.inputs, in_grads):
                if ig is None or not inp.requires_grad:
                    continue
                if ig.array.shape != inp.data.shape:
                    ig = self.unbroadcast(ig, inp.data.shape)
                if ig.array.dtype != inp.data.dtype:
                    ig = self.call(np.ndarray.astype, ig, inp.data.dtype)
                key = id(inp)
                if key in pending:
                    pending[key] = self.ufunc(np.add, pending[key], ig)
                else:
                    pending[key] = ig
                    if inp.grad_fn is not None:
                        arrivals += 1
                        heappush(ready, (-inp.grad_fn.seq, arrivals, inp))
                    else:
                        leaves[key] = inp
        for leaf in leaves.values():
            if leaf._hooks:
                raise CompileError("tge.compile: hooks are not replayed; call the function without compile.")
        pairs = [(self.slot(leaf), pending.pop(key)) for key, leaf in leaves.items()]
        self.tape.note("then, into the leaves (as eager backward does):")
        for leaf_slot, g in pairs:
            self.tape.note("  {}.grad += {}", leaf_slot, g)
        self.segments.append((seeds, pairs))

    def _generic_backward(self, node: _Node, g: Slot) -> list[Slot | None]:
        """Run the op's own backward on arrays; copy each gradient into a buffer."""
        shadow = node.shadow
        assert shadow is not None
        grads = shadow.backward(g.array if shadow.array_backward else Tensor._wrap(g.array, False, None))
        outs = tuple(
            None if ig is None or not need else self.buffer(ig.data if isinstance(ig, Tensor) else ig)
            for ig, need in zip(grads, node.needs)
        )
        self.tape.emit(_backward_into, (shadow, g, outs))
        return list(outs)

    def unbroadcast(self, g: Slot, shape: tuple[int, ...]) -> Slot:
        """engine.unbroadcast as NumPy calls (ndarray.sum is np.add.reduce)."""
        lead = g.array.ndim - len(shape)
        stretched = tuple(lead + i for i, n in enumerate(shape) if n == 1 and g.array.shape[lead + i] != 1)
        if not stretched:
            return self.reduce(np.add, g, tuple(range(lead)), False)
        out = self.reduce(np.add, g, tuple(range(lead)) + stretched, True)
        return self.call(np.reshape, out, shape) if out.array.shape != shape else out


# ---------------------------------------------------------------- helpers the steps call
def _into(out: np.ndarray, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
    np.copyto(out, fn(*args, **kwargs), casting="unsafe")


def _backward_into(node: engine.Function, g: Any, outs: tuple[np.ndarray | None, ...]) -> None:
    grads = node.backward(g if node.array_backward else Tensor._wrap(g, False, None))
    for ig, out in zip(grads, outs):
        if out is not None and ig is not None:
            np.copyto(out, ig.data if isinstance(ig, Tensor) else ig, casting="unsafe")


class _paused:  # noqa: N801 - used as a context manager
    """No recording and no graph while the recorder itself computes."""

    def __enter__(self) -> None:
        self.prev = STATE.recorder, STATE.grad_enabled
        STATE.recorder, STATE.grad_enabled = None, False

    def __exit__(self, *exc: object) -> None:
        STATE.recorder, STATE.grad_enabled = self.prev
