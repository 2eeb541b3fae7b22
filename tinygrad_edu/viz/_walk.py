"""The graph behind a tensor, as plain data: shared by the graph, text and backward views.

`walk(t)` visits everything that produced `t` (iteratively, so long chains are fine), numbers
the tensors in topological order (inputs first), so ids are the same on every run, and
applies the depth/size cap that collapses what is too big to read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from ..tensor import Tensor

if TYPE_CHECKING:
    from ..engine import Function


@dataclass
class TensorNode:
    """One tensor of the graph. `index` is its position in topological order."""

    tensor: Tensor
    index: int
    depth: int  # number of ops between this tensor and the output

    @property
    def id(self) -> str:
        return f"t{self.index}"

    @property
    def title(self) -> str:
        """The tensor's name, or its id when it has none."""
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
    """One op of the graph, with one entry in `inputs` per use (a*a lists a twice)."""

    fn: Function
    output: TensorNode
    inputs: list[TensorNode] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"op{self.output.index}"

    @property
    def title(self) -> str:
        return type(self.fn).__name__


@dataclass
class Graph:
    """Visible tensors (topological order) and ops, plus what the cap collapsed."""

    output: TensorNode
    tensors: list[TensorNode]
    ops: list[OpNode]
    collapsed: dict[str, int]  # tensor id -> number of hidden tensors and ops behind it
    nodes: dict[int, TensorNode]  # id(tensor) -> node, for every tensor (visible or not)

    def node(self, t: Tensor) -> TensorNode:
        return self.nodes[id(t)]


def inputs_of(t: Tensor) -> tuple[Tensor, ...]:
    fn = t.grad_fn
    return tuple(fn.inputs) if fn is not None else ()


def topo_order(t: Tensor) -> list[Tensor]:
    """Every tensor `t` depends on (leaves and constants too), inputs before outputs."""
    order: list[Tensor] = []
    seen = {id(t)}
    stack: list[tuple[Tensor, Iterator[Tensor]]] = [(t, iter(inputs_of(t)))]
    while stack:
        cur, children = stack[-1]
        for child in children:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append((child, iter(inputs_of(child))))
                break
        else:
            stack.pop()
            order.append(cur)
    return order


def walk(t: Tensor, max_depth: int | None = None, max_nodes: int | None = None) -> Graph:
    """The graph of `t`, cut at `max_depth` ops from the output, and shallower still when
    more than `max_nodes` tensors and ops would be shown. What lies beyond is collapsed."""
    if not isinstance(t, Tensor):
        raise TypeError(f"draw_graph: expected a Tensor (the output to draw), got {type(t).__name__}")
    order = topo_order(t)
    depth = {id(t): 0}
    for cur in reversed(order):  # outputs before inputs: depths are final when read
        for child in inputs_of(cur):
            depth[id(child)] = min(depth.get(id(child), 1 << 30), depth[id(cur)] + 1)
    nodes = {id(x): TensorNode(x, i, depth[id(x)]) for i, x in enumerate(order)}
    deepest = max(depth.values())
    cut = deepest if max_depth is None else max(1, min(max_depth, deepest))
    if max_nodes is not None:
        # shown(d) = tensors at depth <= d plus ops of tensors at depth < d
        per_depth = np.zeros(deepest + 2, dtype=np.int64)
        for x in order:
            per_depth[depth[id(x)]] += 1
            if x.grad_fn is not None:
                per_depth[depth[id(x)] + 1] += 1
        shown = np.cumsum(per_depth)
        while cut > 1 and shown[cut] > max_nodes:
            cut -= 1
    visible = [nodes[id(x)] for x in order if depth[id(x)] <= cut]
    ops = []
    collapsed: dict[str, int] = {}
    counted: set[int] = set()  # a hidden node is counted once, at the first frontier reaching it
    for tn in visible:
        fn = tn.tensor.grad_fn
        if fn is None:
            continue
        if tn.depth < cut:
            ops.append(OpNode(fn, tn, [nodes[id(x)] for x in fn.inputs]))
        else:
            collapsed[tn.id] = 1 + _count_hidden(tn.tensor, depth, cut, counted)
    return Graph(nodes[id(t)], visible, ops, collapsed, nodes)


def _count_hidden(t: Tensor, depth: dict[int, int], cut: int, counted: set[int]) -> int:
    """Tensors and ops behind the frontier tensor `t` not yet counted for another one."""
    total = 0
    stack = [x for x in inputs_of(t)]
    while stack:
        x = stack.pop()
        if id(x) in counted or depth[id(x)] <= cut:
            continue
        counted.add(id(x))
        total += 1 + (x.grad_fn is not None)
        stack.extend(inputs_of(x))
    return total


# ---------------------------------------------------------------- words and numbers
def fmt_array(a: Any, max_elems: int = 6) -> str:
    """All of `a` when it has at most `max_elems` entries, else its min/mean/max."""
    a = np.asarray(a)
    if a.size == 0:
        return "[]"
    if a.ndim == 0:
        return f"{a.item():.4g}" if np.issubdtype(a.dtype, np.floating) else str(a.item())
    if a.size <= max_elems:
        text = np.array2string(a, precision=4, separator=", ", max_line_width=10**6)
        return " ".join(text.split())  # one line, even for matrices
    f = a.astype(np.float64)
    return f"min {f.min():.4g}  mean {f.mean():.4g}  max {f.max():.4g}"


def shape_str(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def doc_line(fn: Function) -> str:
    """The first line of the op's docstring: its math."""
    doc = type(fn).__doc__ or ""
    return doc.strip().splitlines()[0].strip() if doc.strip() else type(fn).__name__


def arg_names(fn: Function) -> list[str]:
    """The argument names of the math line, 'f(x, y) = ...' -> ['x', 'y'], when they match
    the number of inputs; else x1, x2, ..."""
    n = len(fn.inputs)
    m = re.match(r"\s*\w+\(([^)]*)\)", doc_line(fn))
    names = [s.strip() for s in m.group(1).split(",")] if m else []
    if len(names) == n and all(re.fullmatch(r"\w+", s) for s in names):
        return names
    return ["x"] if n == 1 else [f"x{i + 1}" for i in range(n)]


def derivative_pieces(fn: Function) -> list[str]:
    """The local derivative for each input, from the math line: 'df/dx = y', 'dB = A^T G'.
    Empty strings when the line does not split into one piece per input."""
    line = doc_line(fn)
    n = len(fn.inputs)
    if ";" not in line:
        return [""] * n
    rule = line.split(";", 1)[1].strip()
    pieces = [p.strip() for p in re.split(r",\s{2,}(?=d)", rule)]
    return pieces if len(pieces) == n else [""] * n


def input_label(g: Graph, t: Tensor) -> str:
    """The name used for `t` in steps and labels: its name, or its id."""
    return g.node(t).title
