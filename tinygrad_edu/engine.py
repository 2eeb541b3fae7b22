"""The autodiff engine: grad mode, the `Function` node, `unbroadcast`, and the backward walk.

A forward pass builds a graph: every op that involves a tensor requiring grad returns a
Tensor whose `grad_fn` is a `Function` instance holding the op's inputs (and anything else
its derivative needs). `run_backward` walks that graph from the output in reverse
topological order, calls each node's `backward` (a vector-Jacobian product written in Tensor
ops) once its gradient is fully accumulated, reduces broadcast axes with `unbroadcast`, and
accumulates into the leaves' `.grad`.

Forward mode rides on the same nodes: while `tge.jvp` runs, every op also computes the
tangent of its output from the tangents of its inputs with the node's `jvp`.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import os
import threading
import traceback
import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

if TYPE_CHECKING:
    from .tensor import Tensor

F = TypeVar("F", bound=Callable[..., Any])


# ---------------------------------------------------------------- grad mode (thread-local)
class _State(threading.local):
    """Per-thread switches: recording for backward, forward-mode level, anomaly detection."""

    def __init__(self) -> None:
        self.grad_enabled = True
        self.fw_level = 0  # id of the active forward-mode (jvp) level; 0 = off
        self.anomaly = False
        self.recorder: Any = None  # a tge.compile recording in progress (compile.py), or None


STATE = _State()


def is_grad_enabled() -> bool:
    """True when ops record the graph that backward needs (the default)."""
    return STATE.grad_enabled


class _GradMode(contextlib.ContextDecorator):
    """Set grad mode inside a `with` block or a decorated function; restore it after."""

    enabled = True

    def __enter__(self) -> None:
        self._prev = STATE.grad_enabled
        STATE.grad_enabled = self.enabled

    def __exit__(self, *exc: object) -> None:
        STATE.grad_enabled = self._prev


class no_grad(_GradMode):  # noqa: N801 - PyTorch's name
    """Ops inside do not record a graph: for evaluation and parameter updates."""

    enabled = False


class enable_grad(_GradMode):  # noqa: N801 - PyTorch's name
    """Ops inside record a graph, even within `no_grad`."""

    enabled = True


class detect_anomaly(contextlib.ContextDecorator):  # noqa: N801 - PyTorch's name
    """Backward raises at the first op whose gradient is NaN or infinite, naming the op and
    the line of user code that created it in the forward pass. Off by default."""

    def __enter__(self) -> None:
        self._prev = STATE.anomaly
        STATE.anomaly = True

    def __exit__(self, *exc: object) -> None:
        STATE.anomaly = self._prev


# ---------------------------------------------------------------- the graph node
class Function:
    """One op in the graph. Subclasses define `forward` (on ndarrays), `backward` (the VJP,
    in Tensor ops, one entry per input, not yet reduced to the input's shape) and `jvp`
    (the tangent of the output from the inputs' tangents, in Tensor ops).

    The instance is the context: `forward` stores on `self` what the derivatives need.
    Set `save_output = True` to reach the output tensor from `backward` as `self.output()`.
    """

    __slots__ = ("inputs", "_out", "trace", "__dict__")
    save_output = False
    array_backward = False  # True when backward also accepts G as a plain ndarray (ops.Primitive)
    released = False  # set by release() after a backward without retain_graph

    inputs: tuple[Tensor, ...]
    _out: weakref.ReferenceType[Tensor]
    trace: list[traceback.FrameSummary]  # where the op was created (only under detect_anomaly)
    locked: list[tuple[Tensor, np.ndarray, list[Any]]] | tuple[()] = ()  # leaf arrays held read-only (lock_leaf)
    unlock: Callable[[], None] | None = None
    epoch = 0  # the in-place epoch when this node was recorded (see check_versions)
    unlock_when_freed: weakref.ReferenceType[Function]
    # Each op defines these three; their signatures follow the op's inputs.
    forward: Callable[..., np.ndarray]  # (*input arrays, **options) -> output array
    backward: Callable[..., tuple[Tensor | None, ...]]  # (G) -> gradient per input
    jvp: Callable[..., Tensor]  # (*input tangents, None where absent) -> output tangent

    @property
    def name(self) -> str:
        """Readable node name, as PyTorch prints it: 'MulBackward'."""
        return type(self).__name__ + "Backward"

    def output(self) -> Tensor:
        """The tensor this node produced (held weakly: no reference cycle)."""
        out = self._out()
        assert out is not None, f"{self.name}: output tensor was freed"
        return out

    def values(self, *tensors: Tensor) -> tuple[Any, ...]:
        """The tensors as a derivative formula should see them: as Tensors while a graph is
        being recorded (create_graph=True, or forward mode), so that the formula is itself
        differentiable; otherwise as their arrays, so that the formula runs as plain NumPy.
        Formulas use operators that read the same for both (`g * (1.0 - out * out)`)."""
        if STATE.grad_enabled or STATE.fw_level:
            return tensors
        return tuple(t.data for t in tensors)

    def release(self) -> None:
        """Drop what forward saved and unlock the user's arrays; a later backward through
        this node raises."""
        unlock = self.unlock
        self.__dict__.clear()
        self.released = True
        if unlock is not None:
            unlock()

    def check_unchanged(self) -> None:
        """Raise if this node cannot run its backward: its saved values were released by an
        earlier backward, or a tensor it read was changed between the forward and the backward
        pass (by an in-place op, whose version moved on, or by `t.data = ...`)."""
        if self.released:
            raise RuntimeError(
                f"{self.name}: trying to backward through the graph a second time, but its "
                "saved values were already freed. Pass retain_graph=True to the first "
                "backward() (or autograd.grad) if you need to backward twice."
            )
        if self.epoch != _epoch:  # some in-place op ran since this node was recorded
            for i, t in enumerate(self.inputs):
                vc = t._vc
                if vc is not None and vc.epoch > self.epoch:
                    raise _modified_error(self, t, f"input {i}", vc.op, vc.version)
            for t, _, entry in self.locked:
                if entry[2] > self.epoch:  # written through another tensor sharing its memory
                    raise _modified_error(self, t, "an input", entry[3], None)
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
    def apply(cls, *inputs: Tensor, **kwargs: Any) -> Tensor:
        """Run forward on the inputs' arrays and wrap the result, recording this node when
        grad mode is on and some input requires grad. (The hot path of the library: kept
        to plain loops and attribute reads.)"""
        ctx = cls()
        ctx.inputs = inputs
        try:
            if len(inputs) == 2:
                data = ctx.forward(inputs[0].data, inputs[1].data, **kwargs)
            else:
                data = ctx.forward(*[t.data for t in inputs], **kwargs)
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
        out = _t.Tensor._wrap(data, requires, ctx if requires else None)
        if untracked:
            out._untracked = True
        if requires:
            # Mutation safety: arrays the backward pass will read must not change under it.
            data.setflags(write=False)  # an op result in a graph is read-only for good
            ctx.epoch = _epoch
            for t in inputs:
                if t.grad_fn is None and t._lockable:
                    lock_leaf(ctx, t)  # a leaf's memory: read-only while this node lives
        forward_mode = STATE.fw_level
        if cls.save_output and (requires or forward_mode):
            ctx._out = weakref.ref(out)
        if requires and STATE.anomaly:
            ctx.trace = traceback.extract_stack()[:-2]
        if forward_mode:
            _forward_tangent(ctx, out)
        if STATE.recorder is not None:  # tge.compile is recording: note the op for its replay
            STATE.recorder.op(ctx, inputs, kwargs, out)
        return out


def no_grad_op(fn: Callable[..., Any], *inputs: Tensor, **kwargs: Any) -> Tensor:
    """`fn` on the inputs' arrays, as a Tensor outside the graph (no gradient flows through
    it): comparisons, a stabilizing shift, class indices. Like an op, `tge.compile` records
    it, so its result follows the inputs' values when the recording is replayed."""
    out = _t.Tensor._wrap(np.asarray(fn(*[t.data for t in inputs], **kwargs)), False, None)
    if STATE.recorder is not None:
        STATE.recorder.no_grad_op(fn, inputs, kwargs, out)
    return out


# ---------------------------------------------------------------- composed ops, for pictures
class Composite:
    """What a composed op (softmax, mse_loss, ...) leaves on the tensor it returns: its name,
    how it reads as typed (`{a}.softmax()`), its derivative per operand in the letters a, b and
    out, and its tensor operands. `viz` draws the primitives between them as one node."""

    __slots__ = ("name", "typed", "derivatives", "inputs", "call")

    def __init__(
        self,
        name: str,
        typed: str,
        derivatives: tuple[str, ...],
        inputs: tuple[Tensor, ...],
        call: tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]] | None = None,
    ) -> None:
        self.name, self.typed, self.derivatives, self.inputs = name, typed, derivatives, inputs
        self.call = call  # (function, args, kwargs): read only when a picture asks for `options`

    @property
    def options(self) -> dict[str, Any]:
        """The arguments the op was called with that are not tensors, by parameter name,
        defaults included: {'reduction': 'sum'} for mse_loss(p, t, reduction='sum')."""
        if self.call is None:
            return {}
        import inspect

        fn, args, kwargs = self.call
        bound = inspect.signature(fn).bind(*args, **kwargs)
        bound.apply_defaults()
        return {k: v for k, v in bound.arguments.items() if not isinstance(v, _t.Tensor)}


def composite(typed: str, *derivatives: str) -> Callable[[F], F]:
    """Mark a function composed of primitives as one operation for the pictures: the tensor
    it returns gets `_composite` (see Composite). The derivatives may name the call's other
    arguments (`{delta}`, `{/n}`: see viz._names.option_slots). The numbers and the graph are
    unchanged; the cost is one attribute write per call, only for composed ops."""

    def mark(fn: F) -> F:
        name = fn.__name__

        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            out = fn(*args, **kwargs)
            if getattr(out, "grad_fn", None) is not None:
                operands = [
                    x
                    for arg in (*args, *kwargs.values())
                    for x in (arg if isinstance(arg, (list, tuple)) else (arg,))
                    if isinstance(x, _t.Tensor)
                ]
                if operands and all(x is not out for x in operands):
                    out._composite = Composite(name, typed, derivatives, tuple(operands), (fn, args, kwargs))
            return out

        return run  # type: ignore[return-value]

    return mark


def no_graph_hint(t: Tensor) -> str:
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


def shape_of(t: Tensor) -> str:
    """A tensor's shape for an error message, with its name when it has one: "(2, 3) of 'X'"."""
    return f"{t.shape} of {t.name!r}" if t.name is not None else str(t.shape)


# ---------------------------------------------------------------- mutation safety
# The memory of a leaf (a tensor the user made, or the result of an op outside any graph) is
# made read-only while some recorded node reads it, and writable again when the last such
# node is released by backward or freed. The lock is on the ndarray that owns the memory (the
# root of the views), so views of it taken later are read-only too. _LOCKS counts the nodes
# per root: id(root) -> [root, nodes holding it, epoch of the last in-place write, its op].
# Memory that NumPy does not own (another library's buffer) cannot be locked and is skipped.
_LOCKS: dict[int, list[Any]] = {}

# In-place ops (inplace.py) advance the epoch; a node remembers the epoch it was recorded in,
# so backward checks a node's inputs only when some in-place op ran after it was recorded.
_epoch = 0


def _root(arr: np.ndarray) -> np.ndarray:
    """The ndarray at the end of `arr`'s chain of views."""
    while isinstance(arr.base, np.ndarray):
        arr = arr.base
    return arr


def lock_leaf(ctx: Function, t: Tensor) -> None:
    arr = t.data
    root = arr if arr.base is None else _root(arr)
    entry = _LOCKS.get(id(root))
    if entry is None:
        if not root.flags.writeable or not root.flags.owndata:
            return  # read-only already (a constant, a broadcast), or not NumPy's to lock
        root.setflags(write=False)
        entry = _LOCKS[id(root)] = [root, 0, 0, ""]
    entry[1] += 1
    if ctx.unlock is None:
        locked: list[tuple[Tensor, np.ndarray, list[Any]]] = []
        ctx.locked = locked
        ctx.unlock = functools.partial(_unlock_all, locked)
        ctx.unlock_when_freed = weakref.ref(ctx, lambda _: _unlock_all(locked))  # runs if never released
    ctx.locked.append((t, arr, entry))  # type: ignore[union-attr]


def _unlock_all(locked: list[tuple[Tensor, np.ndarray, list[Any]]]) -> None:
    for _, _, entry in locked:
        entry[1] -= 1
        if entry[1] == 0 and _LOCKS.get(id(entry[0])) is entry:
            del _LOCKS[id(entry[0])]
            entry[0].setflags(write=True)
    locked.clear()


def next_epoch() -> int:
    """Start a new in-place epoch (called by every in-place op) and return it."""
    global _epoch
    _epoch += 1
    return _epoch


def is_locked(arr: np.ndarray) -> bool:
    """True while a recorded node holds the memory of `arr` (see lock_leaf)."""
    root = _root(arr)
    entry = _LOCKS.get(id(root))
    return entry is not None and entry[0] is root


def write_through_lock(arr: np.ndarray, values: np.ndarray, epoch: int, op: str) -> None:
    """Write `values` into `arr`, whose memory a graph holds locked, as PyTorch writes in place
    into a tensor a graph saved: the nodes holding the lock then raise in backward."""
    root = _root(arr)
    entry = _LOCKS[id(root)]
    was_writeable = arr.flags.writeable  # a view taken before the lock
    root.setflags(write=True)
    try:
        if not was_writeable:
            arr.setflags(write=True)  # a view taken while locked inherited read-only
        np.copyto(arr, values, casting="same_kind")
    finally:
        if not was_writeable and arr is not root:
            arr.setflags(write=False)
        root.setflags(write=False)
    entry[2], entry[3] = epoch, op


def _modified_error(node: Function, t: Tensor, which: str, op: str, version: int | None) -> RuntimeError:
    label = f"{t.name!r}, " if t.name else ""
    at = f", now at version {version}" if version is not None else ""
    return RuntimeError(
        f"{node.name}: one of the variables needed for gradient computation has been modified by "
        f"an inplace operation: {which} ({label}shape {t.shape}) was changed by {op} after this op "
        f"used it{at}. Call backward() before changing it (an optimizer step goes after "
        "backward), or, in a forward pass, write `t = t + v` instead of the in-place `t += v`."
    )


# ---------------------------------------------------------------- forward mode
def _forward_tangent(ctx: Function, out: Tensor) -> None:
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


def _user_tangent(ctx: Function, tangents: list[Tensor | None], out: Tensor) -> Tensor:
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
    if tan.shape != out.shape and not _reducible(out.shape, tan.shape):
        raise RuntimeError(
            f"{type(ctx).__name__}.jvp returned a tangent of shape {tan.shape} for an output of "
            f"shape {out.shape}: return the output's tangent, with the output's shape."
        )
    return tan


_next_level = iter(range(1, 1 << 62))


@contextlib.contextmanager
def forward_level() -> Iterator[int]:
    """Open a fresh forward-mode level; tangents from other levels are ignored inside."""
    prev = STATE.fw_level
    STATE.fw_level = next(_next_level)
    try:
        yield STATE.fw_level
    finally:
        STATE.fw_level = prev


# ---------------------------------------------------------------- broadcasting
def unbroadcast(grad: Any, shape: tuple[int, ...]) -> Any:
    """Sum `grad` over the axes that broadcasting added or stretched, so it has `shape`.

    The adjoint of broadcasting: if x of shape (3,) was broadcast to (2, 3), each x[j] was
    used twice, so its gradient is the sum of the two upstream entries. Works on Tensors and
    on ndarrays alike.
    """
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    stretched = tuple(lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1)
    if not stretched:  # only new leading axes, as for a bias: one sum gives the shape
        return grad.sum(axis=tuple(range(lead)))
    out = grad.sum(axis=tuple(range(lead)) + stretched, keepdims=True)
    return out.reshape(shape) if out.shape != shape else out


# ---------------------------------------------------------------- the backward walk
def toposort(*roots: Tensor) -> list[Tensor]:
    """Every non-leaf tensor the roots depend on through inputs that require grad, inputs
    before outputs. Iterative depth-first post-order: no recursion limit, deterministic."""
    order: list[Tensor] = []
    visited: set[int] = set()
    for root in roots:
        if root.grad_fn is None or id(root) in visited:
            continue
        visited.add(id(root))
        stack: list[tuple[Tensor, Iterator[Tensor]]] = [(root, iter(root.grad_fn.inputs))]
        while stack:
            t, children = stack[-1]
            for child in children:
                if child.grad_fn is not None and child.requires_grad and id(child) not in visited:
                    visited.add(id(child))
                    stack.append((child, iter(child.grad_fn.inputs)))
                    break
            else:
                stack.pop()
                order.append(t)
    return order


def run_backward(
    roots: Sequence[Tensor],
    grads: Sequence[Tensor],
    retain_graph: bool = False,
    create_graph: bool = False,
    inputs: Sequence[Tensor] | None = None,
) -> list[Tensor | None] | None:
    """Backpropagate `grads` from `roots`. Accumulates into leaves' `.grad` (and into
    tensors that called `retain_grad()`), or, when `inputs` is given, returns the gradient
    with respect to each of them and touches no `.grad`."""
    if STATE.recorder is not None:  # tge.compile is recording: it runs this backward itself
        return STATE.recorder.backward(roots, grads, retain_graph, create_graph, inputs)
    with _cyclic_gc_paused():  # the sort allocates as it walks: no collections over the graph
        order = toposort(*roots)
    # Without a graph to record, gradients travel as plain ndarrays (ops that accept them);
    # they become Tensors where users see them: hooks, retained and leaf gradients.
    arrays = not create_graph and not STATE.fw_level
    pending: dict[int, Any] = {}
    for r, seed in zip(roots, grads):
        value = seed.data if arrays else seed
        pending[id(r)] = pending[id(r)] + value if id(r) in pending else value
    wanted = {id(t): i for i, t in enumerate(inputs)} if inputs is not None else None
    results: list[Tensor | None] = [None] * len(inputs) if inputs is not None else []
    leaves: dict[int, Tensor] = {}  # id -> leaf tensor, in the order first reached
    stored = {id(s.data if s.data.base is None else s.data.base) for s in grads}  # never alias these
    anomaly = STATE.anomaly
    with enable_grad() if create_graph else no_grad(), _cyclic_gc_paused():
        for t in reversed(order):
            g: Any = pending.pop(id(t), None)
            if g is None:
                continue
            if t._hooks or t._retains_grad or wanted is not None:  # rare: hooks, retain_grad, autograd.grad
                g = _visit(t, g, arrays, wanted, results, create_graph, stored)
            node = t.grad_fn
            assert node is not None
            if node.released or node.locked or node.epoch != _epoch:  # rare: raise if it cannot run
                node.check_unchanged()
            # The chain rule: the op's VJP turns dL/dt into dL/d(input) for each input ...
            in_grads: tuple[Any, ...] = node.backward(g if node.array_backward or not arrays else _as_tensor(g))
            if not node.array_backward:  # an op defined outside the package: hold it to the contract
                in_grads = _checked_gradients(node, in_grads)
            if anomaly:
                _check_anomaly(node, in_grads)
            for inp, ig in zip(node.inputs, in_grads):  # ... and the paths into one input add up
                if ig is None or not inp.requires_grad:
                    continue
                if arrays and isinstance(ig, _t.Tensor):
                    ig = ig.data  # a formula that used a Tensor method
                if ig.shape != inp.data.shape:
                    ig = unbroadcast(ig, inp.data.shape)
                if ig.dtype != inp.data.dtype:
                    ig = ig.astype(inp.data.dtype)  # a float32 input gets a float32 gradient
                key = id(inp)
                if key in pending:
                    pending[key] = pending[key] + ig
                else:
                    pending[key] = ig
                    if inp.grad_fn is None:
                        leaves[key] = inp
            if not retain_graph:
                node.release()
        # roots that are leaves themselves (x.backward() on a leaf)
        for r in roots:
            if r.grad_fn is None and r.requires_grad:
                leaves.setdefault(id(r), r)
        for key, leaf in leaves.items():
            g = _run_hooks(leaf, _as_tensor(pending.pop(key)))
            if wanted is not None:
                if key in wanted:
                    results[wanted[key]] = g
            else:
                _accumulate(leaf, g, create_graph, stored)
    return results if inputs is not None else None


def _reducible(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    """True when an array of `shape` sums down to `target` (target broadcasts to shape)."""
    if len(shape) < len(target):
        return False
    return all(t == 1 or t == s for t, s in zip(reversed(target), reversed(shape)))


def _checked_gradients(node: Function, in_grads: Any) -> tuple[Any, ...]:
    """The op contract for a backward written outside the package: one gradient per input
    (None allowed), each a Tensor or an array whose shape sums down to its input's."""
    op = f"{type(node).__name__}.backward"
    inputs = node.inputs
    if not isinstance(in_grads, (tuple, list)):
        if len(inputs) == 1:  # a lone gradient for a lone input, as PyTorch accepts
            in_grads = (in_grads,)
        else:
            raise RuntimeError(
                f"{op} returned a single {type(in_grads).__name__} for {len(inputs)} inputs: "
                "return a tuple with one gradient per input, in order (None for an input "
                "that needs no gradient)."
            )
    if len(in_grads) != len(inputs):
        shapes = ", ".join(str(t.shape) for t in inputs)
        raise RuntimeError(
            f"{op} returned {len(in_grads)} gradient(s) for {len(inputs)} input(s) of shapes "
            f"{shapes}: return a tuple with one gradient per input, in order (None for an "
            "input that needs no gradient)."
        )
    checked = []
    for k, (inp, ig) in enumerate(zip(inputs, in_grads)):
        if isinstance(ig, (np.generic, int, float)):
            ig = np.asarray(ig, dtype=inp.data.dtype)
        if ig is not None and not isinstance(ig, (_t.Tensor, np.ndarray)):
            raise RuntimeError(
                f"{op} returned {type(ig).__name__} as the gradient of input {k}: return a "
                f"Tensor of the input's shape {inp.shape} (or None)."
            )
        if ig is not None and ig.shape != inp.shape and not _reducible(ig.shape, inp.shape):
            raise RuntimeError(
                f"{op} returned a gradient of shape {ig.shape} for input {k} of shape "
                f"{inp.shape}; a gradient must have its input's shape (or a shape the input "
                "broadcasts to, which the engine sums down to it). Check that formula."
            )
        checked.append(ig)
    return tuple(checked)


@contextlib.contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector during a backward pass: the pass makes no
    reference cycles (everything it allocates is freed by reference counting), but its many
    short-lived tensors would trigger collections that scan the whole graph again and again."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _as_tensor(g: Any) -> Tensor:
    """A gradient as the Tensor users see (NumPy scalars from 0-d arithmetic become arrays)."""
    if isinstance(g, _t.Tensor):
        return g
    return _t.Tensor._wrap(g if type(g) is np.ndarray else np.asarray(g), False, None)


def _visit(
    t: Tensor,
    g: Any,
    arrays: bool,
    wanted: dict[int, int] | None,
    results: list[Tensor | None],
    create_graph: bool,
    stored: set[int],
) -> Any:
    """What happens to a non-leaf's gradient besides flowing on: its hooks (which may replace
    it), `autograd.grad` collecting it, `retain_grad()` keeping it in `.grad`."""
    if t._hooks:
        hooked = _run_hooks(t, _as_tensor(g))
        g = hooked.data if arrays else hooked
    if wanted is not None:
        if id(t) in wanted:
            results[wanted[id(t)]] = _as_tensor(g)
    elif t._retains_grad:
        _accumulate(t, _as_tensor(g), create_graph, stored)
    return g


def _run_hooks(t: Tensor, g: Tensor) -> Tensor:
    for hook in t._hooks or ():
        replaced = hook(g)
        if replaced is not None:
            g = replaced
    return g


def _accumulate(t: Tensor, g: Tensor, create_graph: bool, stored: set[int]) -> None:
    """t.grad += g, PyTorch style: in place when nothing needs the old value's graph.

    `stored` holds the ids of the arrays whose memory gradients stored in this pass (or the
    caller's gradients) use: one gradient may reach two leaves (a + b sends the same one to
    both, reshape a view of it), and their `.grad`s must not share memory.
    """
    if not create_graph:
        if g.requires_grad and g._tangent is None:
            g = g.detach()
        if t.grad is None:
            memory = g.data if g.data.base is None else g.data.base  # the array owning the memory
            if (not g.data.flags.writeable or id(memory) in stored) and g._tangent is None:
                g = _t.Tensor._wrap(np.array(g.data), False, None)
                memory = g.data
            stored.add(id(memory))
            t.grad = g
            return
        if (
            t.grad.grad_fn is None
            and not t.grad.requires_grad
            and t.grad._tangent is None
            and g._tangent is None
            and t.grad.data.flags.writeable
            and t.grad.dtype == g.dtype
        ):
            t.grad.data += g.data
            return
    t.grad = g if t.grad is None else t.grad + g


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _is_user_code(filename: str | None) -> bool:
    """A frame outside this package and outside Python's own machinery (<frozen ...>)."""
    if not filename or filename.startswith("<"):
        return False
    return not os.path.abspath(filename).startswith(_PACKAGE_DIR)


def _check_anomaly(node: Function, in_grads: tuple[Any, ...]) -> None:
    for i, ig in enumerate(in_grads):
        if ig is not None and not np.all(np.isfinite(np.asarray(ig))):
            where = ""
            trace = getattr(node, "trace", None)
            if trace:
                frame = next((f for f in reversed(trace) if _is_user_code(f.filename)), trace[-1])
                where = f"\n  created at {frame.filename}:{frame.lineno}: {frame.line}"
            shapes = ", ".join(str(t.shape) for t in node.inputs)
            raise RuntimeError(
                f"detect_anomaly: {node.name} returned a NaN or infinite gradient for its "
                f"input {i} (input shapes: {shapes}).{where}\n"
                "Check the inputs of this op for values outside its domain (log of 0, "
                "sqrt of 0, division by 0, overflow in exp)."
            )


# Tensor needs this module and this module builds Tensors: see docs/architecture.md, "Imports inside the core".
from . import tensor as _t  # noqa: E402 - last: ops.py imports names from this module
