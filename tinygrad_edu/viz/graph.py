"""The computation graph as a picture (`draw_graph`) and as text (`graph_text`).

A node per tensor (name, shape, dtype, value, gradient) and per op (its readable name), one
edge per use, ids numbered in topological order so the DOT source is the same on every run.
`highlight=param` marks every path from a parameter to the output and labels each edge on
it with its local derivative: the chain rule reads as "sum over paths of products".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _deps
from ._walk import Graph, OpNode, TensorNode, arg_names, derivative_pieces, doc_line, fmt_array, shape_str, walk

if TYPE_CHECKING:
    import graphviz

    from ..tensor import Tensor

COLORS = {
    "param": "#ffe08a",  # leaves that require grad: what the optimizer updates
    "const": "#eeeeee",  # data and constants: no gradient
    "op": "#d6e6ff",  # tensors made by an op
    "output": "#c9f0c1",
    "fn": "#ffffff",
    "path": "#d62728",  # highlight
    "focus": "#ff7f0e",  # the current node in a backward frame
    "ok": "#8fd18f",
    "bad": "#f08080",
}


@dataclass
class Overlay:
    """Extra marks used by the backward frames and the gradient-check view."""

    grads: Mapping[int, np.ndarray] | None = None  # id(tensor) -> gradient shown instead
    focus: set[str] = field(default_factory=set)  # node ids drawn as current
    fill: dict[str, str] = field(default_factory=dict)  # node id -> fill colour
    notes: dict[str, list[str]] = field(default_factory=dict)  # node id -> extra label lines
    legend: list[tuple[str, str]] = field(default_factory=list)  # extra (label, colour)
    caption: str = ""


def escape(text: str) -> str:
    """Make any text safe inside a quoted DOT label: backslashes, quotes and newlines."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "").replace("\n", "\\n")


def _label(lines: list[str]) -> Any:
    """Join escaped lines; `nohtml` keeps a label like '<b>' from being read as HTML."""
    gv = _deps.require("graphviz", "drawing a graph")
    return gv.nohtml("\\n".join(escape(line) for line in lines))


def tensor_lines(
    tn: TensorNode, show_data: bool, show_grad: bool, grads: Mapping[int, np.ndarray] | None
) -> list[str]:
    """The label of a tensor node, one entry per line (shared with the text view)."""
    t = tn.tensor
    tag = {"param": " (param)", "const": "", "op": ""}[tn.kind]
    lines = [f"{tn.title}{tag}", f"{shape_str(t.shape)} {t.data.dtype}"]
    if show_data:
        lines.append(f"data {fmt_array(t.data)}")
    if show_grad:
        grad = grads.get(id(t)) if grads is not None else _grad_of(t)
        if grad is not None:
            lines.append(f"grad {fmt_array(grad)}")
    return lines


def _grad_of(t: Tensor) -> np.ndarray | None:
    return None if t.grad is None else np.asarray(t.grad.data)


def path_from(g: Graph, param: Tensor) -> set[int]:
    """ids of the tensors that depend on `param` (param included): the highlighted paths."""
    on = {id(param)}
    for tn in sorted(g.nodes.values(), key=lambda n: n.index):
        if any(id(x) in on for x in (tn.tensor.grad_fn.inputs if tn.tensor.grad_fn else ())):
            on.add(id(tn.tensor))
    return on if id(g.output.tensor) in on else set()


def local_derivative(op: OpNode, i: int) -> np.ndarray | None:
    """d(output)/d(input i) of a scalar-valued op, by its own backward rule (None when the
    output is not a scalar or the graph was already freed by backward)."""
    from .. import engine
    from ..tensor import Tensor

    out = op.output.tensor
    if out.data.size != 1 or getattr(op.fn, "released", False):
        return None
    with engine.no_grad():
        grads = op.fn.backward(Tensor(np.ones_like(out.data)))
        g = grads[i]
        if g is None:
            return None
        return np.asarray(engine.unbroadcast(g, op.inputs[i].tensor.shape).data)


def draw_graph(
    t: Tensor,
    show_data: bool = True,
    show_grad: bool = True,
    rankdir: str = "LR",
    highlight: Tensor | None = None,
    max_depth: int | None = None,
    max_nodes: int | None = 80,
    legend: bool = True,
    _overlay: Overlay | None = None,
) -> graphviz.Digraph:
    """Draw everything that produced `t` as a graphviz.Digraph.

    Boxes are tensors (name or id, shape, dtype, value or min/mean/max, grad once backward
    ran); parameters are gold and bold, data grey, the output green; ellipses are ops. One
    edge per use: `a * a` has two edges into Mul. Ids follow topological order, so
    `.source` is identical on every run.

    show_data, show_grad: include values / gradients in the boxes.
    rankdir: 'LR' (left to right) or 'TB' (top to bottom).
    highlight: a tensor (usually a parameter); every path from it to the output is drawn in
        red and each edge on it is labelled with its local derivative (with its value when
        the op's output is a scalar and the graph has not been freed by backward).
    max_depth, max_nodes: show at most this many ops from the output / nodes in total; the
        rest is collapsed into a dashed box that says how many nodes it hides.

    In Jupyter the result displays inline; `.render(path, format='svg')` or
    `.pipe(format='png')` save it (they need the Graphviz program `dot`).
    """
    ov = _overlay or Overlay()
    g = walk(t, max_depth=max_depth, max_nodes=max_nodes)
    on_path = path_from(g, highlight) if highlight is not None else set()
    dot = _deps.new_digraph(name="graph")
    dot.attr(rankdir=rankdir, fontname="Helvetica", fontsize="10")
    dot.attr("node", fontname="Helvetica", fontsize="10")
    dot.attr("edge", fontname="Helvetica", fontsize="9")
    for tn in g.tensors:
        kind = "output" if tn is g.output else tn.kind
        attrs = {
            "shape": "box",
            "style": "filled,rounded" if kind in ("op", "output") else "filled",
            "fillcolor": ov.fill.get(tn.id, COLORS[kind]),
        }
        if kind == "param":
            attrs["penwidth"] = "2"
        if id(tn.tensor) in on_path:
            attrs.update(color=COLORS["path"], penwidth="2.5")
        if tn.id in ov.focus:
            attrs.update(color=COLORS["focus"], penwidth="3")
        lines = tensor_lines(tn, show_data, show_grad, ov.grads) + ov.notes.get(tn.id, [])
        dot.node(tn.id, _label(lines), **attrs)
    for tid, hidden in g.collapsed.items():
        dot.node(f"{tid}_more", _label([f"... {hidden} more nodes"]), shape="box", style="dashed")
        dot.edge(f"{tid}_more", tid, style="dashed")
    for op in g.ops:
        _draw_op(dot, op, on_path, ov)
    if legend:
        _legend(dot, highlight is not None, ov)
    caption = ov.caption
    if highlight is not None:
        name = g.nodes[id(highlight)].title if id(highlight) in g.nodes else "param"
        caption = caption or (
            f"d{g.output.title}/d{name} = sum over the red paths of the product of the "
            "local derivatives on their edges"
        )
    if caption:
        dot.attr(label=escape(caption), labelloc="b")
    # shown by Jupyter instead of the picture when `dot` is missing
    dot.text_fallback = lambda: graph_text(t, show_data, show_grad, max_depth, max_nodes)
    return dot


def _draw_op(dot: graphviz.Digraph, op: OpNode, on_path: set[int], ov: Overlay) -> None:
    hot = id(op.output.tensor) in on_path
    attrs = {"shape": "ellipse", "style": "filled", "fillcolor": COLORS["fn"]}
    if hot:
        attrs.update(color=COLORS["path"], penwidth="2.5")
    if op.id in ov.focus:
        attrs.update(color=COLORS["focus"], penwidth="3", fillcolor="#ffe0c0")
    dot.node(op.id, _label([op.title]), tooltip=escape(doc_line(op.fn)), **attrs)
    names = arg_names(op.fn)
    rules = derivative_pieces(op.fn) if hot else []
    for i, inp in enumerate(op.inputs):
        eattrs: dict[str, str] = {}
        words = [names[i]] if len(op.inputs) > 1 else []
        if hot and id(inp.tensor) in on_path:
            eattrs.update(color=COLORS["path"], penwidth="2.5", fontcolor=COLORS["path"])
            value = local_derivative(op, i)
            words = [rules[i] or f"d{op.title}/d{names[i]}"]
            if value is not None:
                words.append(f"= {fmt_array(value)}")
        if words:
            eattrs["label"] = _label(words)
        dot.edge(inp.id, op.id, **eattrs)
    dot.edge(op.id, op.output.id, **({"color": COLORS["path"], "penwidth": "2.5"} if hot else {}))


def _legend(dot: graphviz.Digraph, highlight: bool, ov: Overlay) -> None:
    entries = [
        ("parameter (requires grad)", COLORS["param"], "box"),
        ("data / constant", COLORS["const"], "box"),
        ("tensor made by an op", COLORS["op"], "box"),
        ("op", COLORS["fn"], "ellipse"),
    ]
    entries += [(label, colour, "box") for label, colour in ov.legend]
    with dot.subgraph(name="cluster_legend") as sub:
        sub.attr(label="legend", style="dashed", color="#999999")
        for k, (label, colour, shape) in enumerate(entries):
            sub.node(f"legend{k}", _label([label]), shape=shape, style="filled", fillcolor=colour)
            if k:
                sub.edge(f"legend{k - 1}", f"legend{k}", style="invis")  # keeps them in a row
        if highlight:
            sub.node("legend_path", _label(["path from the highlighted tensor"]), shape="box",
                     color=COLORS["path"], penwidth="2.5")
            sub.edge(f"legend{len(entries) - 1}", "legend_path", style="invis")


def graph_text(
    t: Tensor,
    show_data: bool = True,
    show_grad: bool = True,
    max_depth: int | None = None,
    max_nodes: int | None = 80,
) -> str:
    """The same graph as `draw_graph`, as an indented text tree from the output down (no
    Graphviz needed): `print(viz.graph_text(loss))`. A tensor used twice is written out the
    first time and referred to by its id afterwards."""
    g = walk(t, max_depth=max_depth, max_nodes=max_nodes)
    ops = {op.output.id: op for op in g.ops}
    out: list[str] = []
    shown: set[str] = set()
    # stack of (tensor node, prefix for its first line, prefix for lines below it)
    stack: list[tuple[TensorNode, str, str]] = [(g.output, "", "")]
    while stack:
        tn, first, rest = stack.pop()
        lines = [x.replace("\n", "\\n") for x in tensor_lines(tn, show_data, show_grad, None)]
        if tn.title == tn.id:
            lines[0] = lines[0][len(tn.id):].strip()  # no name: the id says it all
        head = f"{first}[{tn.id}] " + " | ".join(x for x in lines if x)
        if tn.id in shown:
            out.append(f"{first}[{tn.id}] (see above)")
            continue
        shown.add(tn.id)
        out.append(head)
        if tn.id in g.collapsed:
            out.append(f"{rest}└── ... {g.collapsed[tn.id]} more nodes")
        op = ops.get(tn.id)
        if op is None:
            continue
        out.append(f"{rest}└── {op.title}  ({doc_line(op.fn)})")
        inner = rest + "    "
        children = []
        for i, inp in enumerate(op.inputs):
            last = i == len(op.inputs) - 1
            children.append((inp, inner + ("└── " if last else "├── "),
                             inner + ("    " if last else "│   ")))
        stack.extend(reversed(children))
    return "\n".join(out)
