"""The backward walk: `run_backward` applies the chain rule from the output back to the leaves.

It walks the graph from the output, newest node first (which is a reverse topological
order), calls each node's `backward` (a vector-Jacobian product) once its gradient is fully
accumulated, reduces broadcast axes with `unbroadcast`, and accumulates into the leaves'
`.grad`. The rare cases (hooks, retain_grad, autograd.grad, anomaly mode, ops defined
outside the package) are one guarded call each, below the walk.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator, Sequence
from heapq import heappop, heappush
from typing import Any

import numpy as np

from . import graph
from . import tensor as _t
from .broadcasting import reducible, unbroadcast
from .grad_mode import STATE


def toposort(*roots: _t.Tensor) -> list[_t.Tensor]:
    """Every non-leaf tensor the roots depend on through inputs that require grad, inputs
    before outputs. Iterative depth-first post-order: no recursion limit, deterministic.
    (run_backward does not need it: it walks by creation number.)"""
    order: list[_t.Tensor] = []
    visited: set[int] = set()
    for root in roots:
        if root.grad_fn is None or id(root) in visited:
            continue
        visited.add(id(root))
        stack: list[tuple[_t.Tensor, Iterator[_t.Tensor]]] = [(root, iter(root.grad_fn.inputs))]
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
    roots: Sequence[_t.Tensor],
    grads: Sequence[_t.Tensor],
    retain_graph: bool = False,
    create_graph: bool = False,
    inputs: Sequence[_t.Tensor] | None = None,
) -> list[_t.Tensor | None] | None:
    """Backpropagate `grads` from `roots`. Accumulates into leaves' `.grad` (and into
    tensors that called `retain_grad()`), or, when `inputs` is given, returns the gradient
    with respect to each of them and touches no `.grad`.

    The walk needs no separate sorting pass: every node has a creation number (`seq`), and an
    op's inputs were made before it, so taking the tensors that hold a gradient latest-made
    first (a heap keyed by -seq) reaches each one after everything that used it: its
    gradient is complete when its turn comes."""
    if STATE.recorder is not None:  # tge.compile is recording: it runs this backward itself
        return STATE.recorder.backward(roots, grads, retain_graph, create_graph, inputs)
    # Without a graph to record, gradients travel as plain ndarrays (ops that accept them);
    # they become Tensors where users see them: hooks, retained and leaf gradients.
    arrays = not create_graph and not STATE.fw_level
    pending: dict[int, Any] = {}  # id(tensor) -> the sum of the gradients that reached it so far
    ready: list[tuple[int, int, _t.Tensor]] = []  # heap of (-seq, arrival, tensor): non-leaves with a gradient
    arrivals = 0  # breaks ties between tensors of one node (an in-place op's `before`)
    leaves: dict[int, _t.Tensor] = {}  # id -> leaf tensor, in the order first reached
    for r, seed in zip(roots, grads):
        key = id(r)
        value = seed.data if arrays else seed
        if key in pending:
            pending[key] = pending[key] + value
        else:
            pending[key] = value
            if r.grad_fn is not None:
                arrivals += 1
                heappush(ready, (-r.grad_fn.seq, arrivals, r))
            elif r.requires_grad:
                leaves[key] = r  # x.backward() on a leaf
    wanted = {id(t): i for i, t in enumerate(inputs)} if inputs is not None else None
    results: list[_t.Tensor | None] = [None] * len(inputs) if inputs is not None else []
    stored: set[int] = set()  # the memory of the given gradients: no .grad may alias it
    for s in grads:
        stored.add(id(s.data if s.data.base is None else s.data.base))
    anomaly = STATE.anomaly
    with _PassMode(create_graph):
        while ready:
            t = heappop(ready)[2]
            g: Any = pending.pop(id(t))
            if t._hooks or t._retains_grad or wanted is not None:  # rare: hooks, retain_grad, autograd.grad
                g = _visit(t, g, arrays, wanted, results, create_graph, stored)
            node = t.grad_fn
            assert node is not None
            if node.epoch != graph.epoch or node.locked:  # rare: released, changed in place, or reading a leaf
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
                if arrays and type(ig) is not np.ndarray and isinstance(ig, _t.Tensor):
                    ig = ig.data  # a formula that used a Tensor method
                data = inp.data
                if ig.shape != data.shape:
                    ig = unbroadcast(ig, data.shape)
                if ig.dtype is not data.dtype and ig.dtype != data.dtype:
                    ig = ig.astype(data.dtype)  # a float32 input gets a float32 gradient
                key = id(inp)
                if key in pending:
                    pending[key] = pending[key] + ig
                else:
                    pending[key] = ig
                    if inp.grad_fn is not None:
                        arrivals += 1
                        heappush(ready, (-inp.grad_fn.seq, arrivals, inp))
                    else:
                        leaves[key] = inp
            if not retain_graph:
                node.release()
        for key, leaf in leaves.items():
            g = _as_tensor(pending.pop(key))
            if leaf._hooks:
                g = _run_hooks(leaf, g)
            if wanted is not None:
                if key in wanted:
                    results[wanted[key]] = g
            else:
                accumulate_grad(leaf, g, create_graph, stored)
    return results if inputs is not None else None


def _checked_gradients(node: graph.Function, in_grads: Any) -> tuple[Any, ...]:
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
        if ig is not None and ig.shape != inp.shape and not reducible(ig.shape, inp.shape):
            raise RuntimeError(
                f"{op} returned a gradient of shape {ig.shape} for input {k} of shape "
                f"{inp.shape}; a gradient must have its input's shape (or a shape the input "
                "broadcasts to, which the engine sums down to it). Check that formula."
            )
        checked.append(ig)
    return tuple(checked)


class _PassMode:
    """The switches a backward pass runs under: grad mode on only with create_graph (so that
    the formulas record a graph of their own), and Python's cyclic garbage collector paused:
    the pass makes no reference cycles (everything it allocates is freed by reference
    counting), but its many short-lived tensors would trigger collections that scan the whole
    graph again and again."""

    __slots__ = ("grad_enabled", "saved")

    def __init__(self, grad_enabled: bool) -> None:
        self.grad_enabled = grad_enabled

    def __enter__(self) -> None:
        self.saved = STATE.grad_enabled, gc.isenabled()
        STATE.grad_enabled = self.grad_enabled
        gc.disable()

    def __exit__(self, *exc: object) -> None:
        grad_enabled, gc_enabled = self.saved
        STATE.grad_enabled = grad_enabled
        if gc_enabled:
            gc.enable()


def _as_tensor(g: Any) -> _t.Tensor:
    """A gradient as the Tensor users see (NumPy scalars from 0-d arithmetic become arrays)."""
    if isinstance(g, _t.Tensor):
        return g
    return _t.Tensor._wrap(g if type(g) is np.ndarray else np.asarray(g), False, None)


def _visit(
    t: _t.Tensor,
    g: Any,
    arrays: bool,
    wanted: dict[int, int] | None,
    results: list[_t.Tensor | None],
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
        accumulate_grad(t, _as_tensor(g), create_graph, stored)
    return g


def _run_hooks(t: _t.Tensor, g: _t.Tensor) -> _t.Tensor:
    for hook in t._hooks or ():
        replaced = hook(g)
        if replaced is not None:
            g = replaced
    return g


def accumulate_grad(t: _t.Tensor, g: _t.Tensor, create_graph: bool, stored: set[int]) -> None:
    """t.grad += g, PyTorch style: in place when nothing needs the old value's graph.

    `stored` holds the ids of the arrays whose memory gradients stored in this pass (or the
    caller's gradients) use: one gradient may reach two leaves (a + b sends the same one to
    both, reshape a view of it), and their `.grad`s must not share memory.
    """
    grad = t._grad  # (the storage behind the .grad property, which warns for non-leaves)
    if not create_graph:
        if g.requires_grad and g._tangent is None:
            g = g.detach()
        if grad is None:
            memory = g.data if g.data.base is None else g.data.base  # the array owning the memory
            if (not g.data.flags.writeable or id(memory) in stored) and g._tangent is None:
                g = _t.Tensor._wrap(np.array(g.data), False, None)
                memory = g.data
            stored.add(id(memory))
            t._grad = g
            return
        if (
            grad.grad_fn is None
            and not grad.requires_grad
            and grad._tangent is None
            and g._tangent is None
            and grad.data.flags.writeable
            and grad.data.dtype == g.data.dtype
        ):
            grad.data += g.data
            return
    t._grad = g if grad is None else grad + g


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _is_user_code(filename: str | None) -> bool:
    """A frame outside this package and outside Python's own machinery (<frozen ...>)."""
    if not filename or filename.startswith("<"):
        return False
    return not os.path.abspath(filename).startswith(_PACKAGE_DIR)


def _check_anomaly(node: graph.Function, in_grads: tuple[Any, ...]) -> None:
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
