"""The graph behind a tensor, as plain data: shared by the graph, text and backward views.

`walk(t)` visits everything that produced `t` (iteratively, so long chains are fine), numbers
the tensors in topological order (inputs first), so ids are the same on every run, and
applies the depth/size cap that collapses what is too big to read.

Two things make the graph read like the code that built it:
- a composed op (softmax, mse_loss, var, ...; see `engine.composite`) is one node whose
  operands are the composed op's arguments; `expand=True` shows its primitives instead;
- a number the learner typed (`x ** 2`, `0.5 * x`) is written into the expression of the op
  that uses it instead of getting a box of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..tensor import Tensor
from . import _names

if TYPE_CHECKING:
    from ..engine import Composite, Function


@dataclass
class TensorNode:
    """One tensor of the graph. `index` is its position in topological order among the
    tensors that get a box (-1 for a number written into its op's expression)."""

    tensor: Tensor
    index: int
    depth: int  # number of ops between this tensor and the output
    inline: bool = False
    group: Composite | None = None  # the composed op that made it, when folded

    @property
    def id(self) -> str:
        return f"t{self.index}"

    @property
    def title(self) -> str:
        """The tensor's name, its id when it has none, or its value when it is a number."""
        if self.inline:
            return _names.values(self.tensor.data.reshape(()))
        name = self.tensor.name
        return str(name) if name else self.id

    @property
    def kind(self) -> str:
        """'param' (a leaf that requires grad), 'const' (no grad), or 'op' (made by an op)."""
        t = self.tensor
        if t.grad_fn is not None:
            return "op"
        return "param" if t.requires_grad else "const"


@dataclass
class OpNode:
    """The op (or folded composed op) that made `output`, with one entry in `inputs` per use
    (a*a lists a twice)."""

    fn: Function | None
    output: TensorNode
    inputs: list[TensorNode] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"op{self.output.index}"

    @property
    def title(self) -> str:
        """The op's name: 'Mul', or a composed op's name such as 'softmax'."""
        group = self.output.group
        return group.name if group is not None else type(self.fn).__name__

    @property
    def typed(self) -> str:
        """The op as the learner typed it, in their names: 'y - t3', 'z.softmax()'."""
        group = self.output.group
        labels = [x.title for x in self.inputs]
        return _names.typed(self.title, labels, self.output.title, group.typed if group else None, self._options())

    def _options(self) -> dict[str, str]:
        """The arguments an op was called with, as typed: axis, shape, axes, dtype."""
        out = self.output.tensor
        inp = self.inputs[0].tensor if self.inputs else out
        saved = getattr(self.fn, "__dict__", {})  # (emptied when backward freed the graph)
        axes = saved.get("axes")
        if axes is None or tuple(axes) == tuple(range(inp.ndim - 1, -1, -1)):
            transpose = ".T"
        else:
            transpose = f".transpose{tuple(axes)}"
        if axes is None and inp.ndim > 2:
            transpose = ".transpose(…)"
        return {
            "axis": _names.reduced_axes(inp.shape, out.shape, saved.get("axis"), saved.get("keepdims")),
            "shape": _names.shape_str(out.shape),
            "transpose": transpose,
            "dtype": str(out.dtype),
        }

    def derivative(self, i: int) -> str:
        """The local derivative for input `i`, in the learner's names ('∂t3/∂x = y')."""
        group = self.output.group
        labels = [x.title for x in self.inputs]
        inp, out = self.inputs[i].tensor, self.output.tensor
        n = inp.data.size // max(out.data.size, 1)
        constant = None
        if self.title == "Pow" and self.inputs[1].inline:
            constant = self.inputs[1].tensor.data.reshape(()).item()
        rules = group.derivatives if group else ()
        options = group.options if group else None
        return _names.derivative(self.title, i, labels, self.output.title, rules, constant, n, options, inp.shape)

    @property
    def rule(self) -> str:
        """Every operand's local derivative, joined: the op's rule in the learner's names."""
        pieces = [self.derivative(i) for i, x in enumerate(self.inputs) if not x.inline]
        return ";  ".join(p for p in pieces if p)


@dataclass
class Graph:
    """Visible tensors (topological order) and ops, plus what the cap collapsed."""

    output: TensorNode
    tensors: list[TensorNode]
    ops: list[OpNode]
    collapsed: dict[str, int]  # tensor id -> number of hidden tensors and ops behind it
    nodes: dict[int, TensorNode]  # id(tensor) -> node, for every tensor (visible or not)
    expand: bool = False

    def node(self, t: Tensor) -> TensorNode:
        return self.nodes[id(t)]

    def op_of(self, t: Tensor) -> OpNode | None:
        """The op that made `t` (None for a leaf), whether or not the cap shows it."""
        tn = self.nodes[id(t)]
        if t.grad_fn is None:
            return None
        return OpNode(t.grad_fn, tn, [self.nodes[id(x)] for x in inputs_of(t, self.expand)])


def group_of(t: Tensor, expand: bool) -> Composite | None:
    """The composed op that made `t`, when it is drawn folded."""
    return None if expand else getattr(t, "_composite", None)


def inputs_of(t: Tensor, expand: bool = True) -> tuple[Tensor, ...]:
    """What `t` was computed from: its op's inputs, or a folded composed op's operands."""
    group = group_of(t, expand)
    if group is not None:
        return tuple({id(x): x for x in group.inputs}.values())  # each operand once
    fn = t.grad_fn
    return tuple(fn.inputs) if fn is not None else ()


def topo_order(t: Tensor, expand: bool = True) -> list[Tensor]:
    """Every tensor `t` depends on (leaves and constants too), inputs before outputs."""
    order: list[Tensor] = []
    seen = {id(t)}
    stack: list[tuple[Tensor, Iterator[Tensor]]] = [(t, iter(inputs_of(t, expand)))]
    while stack:
        cur, children = stack[-1]
        for child in children:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append((child, iter(inputs_of(child, expand))))
                break
        else:
            stack.pop()
            order.append(cur)
    return order


def is_number(t: Tensor) -> bool:
    """A one-element constant without a name: a number the learner typed (`x ** 2`)."""
    return t.grad_fn is None and not t.requires_grad and not t.name and t.data.size == 1


def walk(t: Tensor, max_depth: int | None = None, max_nodes: int | None = None, expand: bool = False) -> Graph:
    """The graph of `t`, cut at `max_depth` ops from the output, and shallower still when
    more than `max_nodes` tensors would be shown. What lies beyond is collapsed."""
    if not isinstance(t, Tensor):
        raise TypeError(f"draw_graph: expected a Tensor (the output to draw), got {type(t).__name__}")
    order = topo_order(t, expand)
    depth = {id(t): 0}
    for cur in reversed(order):  # outputs before inputs: depths are final when read
        for child in inputs_of(cur, expand):
            depth[id(child)] = min(depth.get(id(child), 1 << 30), depth[id(cur)] + 1)
    nodes: dict[int, TensorNode] = {}
    count = 0
    for x in order:
        inline = x is not t and is_number(x)
        nodes[id(x)] = TensorNode(x, -1 if inline else count, depth[id(x)], inline, group_of(x, expand))
        count += not inline
    deepest = max(depth.values())
    cut = deepest if max_depth is None else max(1, min(max_depth, deepest))
    if max_nodes is not None:
        per_depth = np.zeros(deepest + 2, dtype=np.int64)  # boxes at each depth
        for x in order:
            per_depth[depth[id(x)]] += not nodes[id(x)].inline
        shown = np.cumsum(per_depth)
        while cut > 1 and shown[cut] > max_nodes:
            cut -= 1
    visible = [nodes[id(x)] for x in order if depth[id(x)] <= cut and not nodes[id(x)].inline]
    ops = []
    collapsed: dict[str, int] = {}
    counted: set[int] = set()  # a hidden node is counted once, at the first frontier reaching it
    for tn in visible:
        if tn.tensor.grad_fn is None:
            continue
        if tn.depth < cut:
            ops.append(OpNode(tn.tensor.grad_fn, tn, [nodes[id(x)] for x in inputs_of(tn.tensor, expand)]))
        else:
            collapsed[tn.id] = _count_hidden(tn.tensor, depth, cut, counted, nodes, expand)
    return Graph(nodes[id(t)], visible, ops, collapsed, nodes, expand)


def _count_hidden(
    t: Tensor, depth: dict[int, int], cut: int, counted: set[int], nodes: dict[int, TensorNode], expand: bool
) -> int:
    """Boxes behind the frontier tensor `t` not yet counted for another one."""
    total = 0
    stack = list(inputs_of(t, expand))
    while stack:
        x = stack.pop()
        if id(x) in counted or depth[id(x)] <= cut:
            continue
        counted.add(id(x))
        total += not nodes[id(x)].inline
        stack.extend(inputs_of(x, expand))
    return total


# ---------------------------------------------------------------- local vector-Jacobian products
Sent = tuple[Tensor, "np.ndarray | None", tuple[int, ...]]  # (input, gradient for it, shape before reduction)


def local_vjp(t: Tensor, upstream: np.ndarray, expand: bool = False) -> list[Sent]:
    """What backprop sends from `t` (its gradient `upstream`) to each input of the op that made
    it: (input, gradient reduced to the input's shape or None, shape before that reduction),
    one entry per use. A folded composed op runs its primitives' rules inside, so its entries
    are one per operand. Runs under `no_grad`; no `.grad` is touched."""
    from .. import engine

    group = group_of(t, expand)
    with engine.no_grad():
        if group is None:
            node = _alive(t.grad_fn)
            raw = node.backward(Tensor(upstream))
            return [_reduced(x, g) for x, g in zip(node.inputs, raw)]
        operands = inputs_of(t, expand)
        stop = {id(x) for x in operands}
        pending: dict[int, np.ndarray] = {id(t): upstream}
        for cur in reversed(_inside(t, stop)):
            node = _alive(cur.grad_fn)
            up = pending.pop(id(cur), None)
            if up is None:
                continue
            for x, g in zip(node.inputs, node.backward(Tensor(up))):
                _, arr, _ = _reduced(x, g)
                if arr is not None:
                    pending[id(x)] = pending[id(x)] + arr if id(x) in pending else arr
        return [(x, pending.get(id(x)), tuple(x.shape)) for x in operands]


def _alive(node: Any) -> Any:
    if getattr(node, "released", False):
        raise RuntimeError(
            f"backward_steps: {node.name} was freed by an earlier backward(); call backward_steps "
            "before backward, or use backward(retain_graph=True)"
        )
    return node


def _reduced(x: Tensor, g: Any) -> Sent:
    from .. import engine

    if g is None or not x.requires_grad:
        return x, None, tuple(x.shape)
    before = tuple(np.shape(getattr(g, "data", g)))
    g = engine.unbroadcast(g, x.shape)
    return x, np.array(getattr(g, "data", g)), before


def _inside(t: Tensor, stop: set[int]) -> list[Tensor]:
    """The tensors made by the primitives of a composed op, inputs before outputs."""
    order: list[Tensor] = []
    seen = {id(t)}
    stack: list[tuple[Tensor, Iterator[Tensor]]] = [(t, iter(t.grad_fn.inputs if t.grad_fn else ()))]
    while stack:
        cur, children = stack[-1]
        for child in children:
            if id(child) not in seen and id(child) not in stop and child.grad_fn is not None:
                seen.add(id(child))
                stack.append((child, iter(child.grad_fn.inputs)))
                break
        else:
            stack.pop()
            order.append(cur)
    return order


# ---------------------------------------------------------------- words and numbers
def fmt_array(a: Any, max_elems: int = 6) -> str:
    """All of `a` when it has at most `max_elems` entries, else its min/mean/max."""
    a = np.asarray(a)
    return _names.values(a) if 0 < a.size <= max_elems else _names.summary(a)


def shape_str(shape: tuple[int, ...]) -> str:
    return _names.shape_str(shape)


def doc_line(fn: Function) -> str:
    """The first line of the op's docstring: its math."""
    doc = type(fn).__doc__ or ""
    return doc.strip().splitlines()[0].strip() if doc.strip() else type(fn).__name__
