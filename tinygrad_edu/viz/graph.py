"""The computation graph as a picture (`draw_graph`) and as text (`graph_text`).

One box per tensor, headed by the op that made it as the learner typed it (`t4 = y - t3`),
one arrow per use, ids numbered in topological order so the DOT source is the same on every
run. Top to bottom by default, with compact boxes (details on hover) and the legend as a
caption, so a graph's size follows the graph and its text stays legible in a page column.
`highlight=param` marks every path from a parameter to the output and labels each edge on
it with its local derivative: the chain rule reads as "sum over paths of products".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _deps
from ._layout import Folded, fold_fan_in, sizes, spine
from ._names import DERIVATIVES, brief, num, shape_str, summary, wrap
from ._walk import Graph, OpNode, TensorNode, doc_line, inputs_of, local_vjp, walk

if TYPE_CHECKING:
    import graphviz

    from ..tensor import Tensor

COLORS = {
    "param": "#ffe08a",  # leaves that require grad: what the optimizer updates
    "const": "#eeeeee",  # data and constants: no gradient
    "op": "#d6e6ff",  # tensors made by an op
    "output": "#c9f0c1",
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
    caption_lines: list[str] = field(default_factory=list)  # caption above the legend


FONT = "10"  # points: 13.3 px at natural size, still 9 px when a picture is shown at 2/3 of it


def escape(text: str) -> str:
    """Make any text safe inside a quoted DOT label: backslashes, quotes and newlines."""
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\r", "").replace("\n", "\\n")


def _label(lines: list[str]) -> Any:
    """Join escaped lines; `nohtml` keeps a label like '<b>' from being read as HTML."""
    gv = _deps.require("graphviz", "drawing a graph")
    return gv.nohtml("\\n".join(escape(line) for line in lines))


def tensor_lines(
    tn: TensorNode, op: OpNode | None, show_data: bool, show_grad: bool, grads: Mapping[int, np.ndarray] | None
) -> list[str]:
    """The label of a tensor's box, one entry per line (shared with the text view): what it
    is (`loss = t5.sum()`, or its name), its value (or shape, when large), its gradient."""
    t = tn.tensor
    lines = [f"{tn.title} = {op.typed}" if op is not None else tn.title]
    dtype = "" if t.data.dtype == np.float64 else f" {t.data.dtype}"
    if show_data or t.ndim or dtype:
        lines.append((brief(t.data) if show_data else shape_str(t.shape)) + dtype)
    if show_grad:
        grad = grads.get(id(t)) if grads is not None else _grad_of(t)
        if grad is not None:
            lines.append("grad " + _brief_grad(grad))
    return lines


def _brief_grad(grad: np.ndarray) -> str:
    grad = np.asarray(grad)
    if grad.size <= 6 and grad.ndim <= 2:
        return brief(grad)
    return f"norm {num(np.linalg.norm(grad.astype(np.float64)))}"


def tooltip(tn: TensorNode, op: OpNode | None, grads: Mapping[int, np.ndarray] | None) -> str:
    """Everything about a tensor, shown on hover: shape, dtype, summary of data and gradient,
    and the rule of the op that made it."""
    t = tn.tensor
    parts = [f"{tn.title}: shape {shape_str(t.shape)} {t.data.dtype}", f"data {summary(t.data)}"]
    grad = grads.get(id(t)) if grads is not None else _grad_of(t)
    if grad is not None:
        parts.append(f"grad {summary(grad)}")
    if op is not None:
        parts.append(f"{tn.title} = {op.typed}")
        if op.rule:
            parts.append(op.rule)
        if op.fn is not None and tn.group is None and op.title not in DERIVATIVES:
            parts.append(doc_line(op.fn))  # an op defined outside the library: its own docstring
        if tn.group is not None:
            parts.append(f"{tn.group.name} is drawn as one node; draw_graph(..., expand=True) shows its steps")
    return "\n".join(parts)


def _grad_of(t: Tensor) -> np.ndarray | None:
    return None if t._grad is None else np.asarray(t._grad.data)  # no non-leaf .grad warning


def path_from(g: Graph, param: Tensor) -> set[int]:
    """ids of the tensors that depend on `param` (param included): the highlighted paths."""
    on = {id(param)}
    for tn in sorted(g.nodes.values(), key=lambda n: (n.inline, n.index)):
        if any(id(x) in on for x in inputs_of(tn.tensor, g.expand)):
            on.add(id(tn.tensor))
    return on if id(g.output.tensor) in on else set()


def local_derivatives(op: OpNode) -> list[np.ndarray | None]:
    """d(output)/d(input), one per entry of `op.inputs`, when the op's output is a scalar
    (by the op's own rule, or the composed op's primitives); None where unknown or freed."""
    out = op.output.tensor
    if out.data.size != 1:
        return [None] * len(op.inputs)
    try:
        sent = local_vjp(out, np.ones_like(out.data), expand=op.output.group is None)
    except RuntimeError:  # the graph was freed by backward
        return [None] * len(op.inputs)
    return [arr for _, arr, _ in sent]


def local_derivative(op: OpNode, i: int) -> np.ndarray | None:
    """d(output)/d(input i) of a scalar-valued op (None when not a scalar or freed)."""
    return local_derivatives(op)[i]


def draw_graph(
    t: Tensor,
    show_data: bool = True,
    show_grad: bool = True,
    rankdir: str = "TB",
    highlight: Tensor | None = None,
    max_depth: int | None = None,
    max_nodes: int | None = 80,
    legend: bool = True,
    expand: bool = False,
    max_inputs: int | None = 6,
    _overlay: Overlay | None = None,
) -> graphviz.Digraph:
    """Draw everything that produced `t` as a graphviz.Digraph.

    One box per tensor, saying what it is as the learner typed it (`t4 = y - t3`, with the
    tensors' names, or ids t0, t1, ... in topological order for unnamed ones), its value (its
    shape when large; min/mean/max on hover) and its gradient once backward ran. Parameters
    are gold with a bold border, data grey, the output green. Numbers the learner typed are
    written into the expression (`t5 = t4 ** 2`). One arrow per use: `a * a` has two. A
    composed op (softmax, mse_loss, var, ...) is one box with a double border; `expand=True`
    draws its primitives instead. `.source` is identical on every run.

    show_data, show_grad: include values / gradients in the boxes.
    rankdir: 'TB' (top to bottom: narrow, reads well in a page) or 'LR' (left to right).
    highlight: a tensor (usually a parameter); every path from it to the output is red and
        each edge on it is labelled with its local derivative in the learner's names,
        `∂t3/∂x = y = 3` (the value when the op's output is a scalar).
    max_depth, max_nodes: show at most this many ops from the output / boxes in total; the
        rest is collapsed into a dashed box that says how many it hides.
    legend: a caption saying what the colours mean.
    max_inputs: an op over more inputs than this (`cat` of 20 tensors) shows its first and
        last few, and one dashed box that counts the rest, so no rank is wider than the page;
        inputs on the highlighted path always show. None shows every input.

    In Jupyter the result displays inline; `.render(path, format='svg')` or
    `.pipe(format='png')` save it (they need the Graphviz program `dot`).
    """
    ov = _overlay or Overlay()
    g = walk(t, max_depth=max_depth, max_nodes=max_nodes, expand=expand)
    on_path = path_from(g, highlight) if highlight is not None else set()
    ops = {op.output.id: op for op in g.ops}
    labels = {
        tn.id: tensor_lines(tn, ops.get(tn.id), show_data, show_grad, ov.grads) + ov.notes.get(tn.id, [])
        for tn in g.tensors
    }
    fold = fold_fan_in(g, max_inputs, on_path, lambda tn: box_width(labels[tn.id]))
    dot = _deps.new_digraph(name="graph")
    dot.attr(rankdir=rankdir, fontname="Helvetica", fontsize=FONT, nodesep="0.25", ranksep="0.3", pad="0.1")
    dot.attr("node", fontname="Helvetica", fontsize=FONT, margin="0.1,0.04", height="0.3")
    dot.attr("edge", fontname="Helvetica", fontsize=FONT, arrowsize="0.6")
    for tn in g.tensors:
        if tn.id in fold.hidden:
            continue
        kind = "output" if tn is g.output else tn.kind
        op = ops.get(tn.id)
        attrs = {
            "shape": "box",
            "style": "filled,rounded" if kind in ("op", "output") else "filled",
            "fillcolor": ov.fill.get(tn.id, COLORS[kind]),
            "tooltip": escape(tooltip(tn, op, ov.grads)),
        }
        if kind == "param":
            attrs["penwidth"] = "2"
        if tn.group is not None and op is not None:
            attrs["peripheries"] = "2"
        if id(tn.tensor) in on_path:
            attrs.update(color=COLORS["path"], penwidth="2.5")
        if tn.id in ov.focus:
            attrs.update(color=COLORS["focus"], penwidth="3")
        if tn.id in fold.boxes:
            attrs["ordering"] = "in"  # the folded box sits between the inputs it stands for
        dot.node(tn.id, _label(labels[tn.id]), **attrs)
    for tid, hidden in g.collapsed.items():
        if tid in fold.hidden:
            continue
        dot.node(f"{tid}_more", _label([f"... {hidden} more"]), shape="box", style="dashed")
        dot.edge(f"{tid}_more", tid, style="dashed")
    size = sizes(g)
    for op in g.ops:
        if op.output.id not in fold.hidden:
            _draw_edges(dot, op, on_path, ov, fold, spine(op, size))
    caption = list(ov.caption_lines)
    if highlight is not None:
        name = g.nodes[id(highlight)].title if id(highlight) in g.nodes else "the highlighted tensor"
        caption += wrap(
            f"∂{g.output.title}/∂{name} = sum over the red paths of the products of the local "
            "derivatives on their edges"
        )
    if legend:
        caption += wrap(legend_text(ov, any(tn.group is not None for tn in g.tensors)))
    if caption:  # each line ends in \l: left-aligned, so the bullets of a step line up
        dot.attr(label="".join(escape(line) + "\\l" for line in caption), labelloc="b", labeljust="l")
    # shown by Jupyter instead of the picture when `dot` is missing
    dot.text_fallback = lambda: graph_text(t, show_data, show_grad, max_depth, max_nodes, expand)
    return dot


def box_width(lines: list[str]) -> float:
    """About how wide a box with these lines is drawn, in points, spacing included."""
    return 0.56 * float(FONT) * max((len(line) for line in lines), default=1) + 32.0


def legend_text(ov: Overlay, folded: bool) -> str:
    """What the colours mean, as one caption line."""
    words = ["gold: parameter", "grey: data", "blue: computed", "green: output"]
    words += [label for label, _ in ov.legend]
    if folded:
        words.append("double border: a composed op (expand=True shows its steps)")
    return " · ".join(words)


def _draw_edges(
    dot: graphviz.Digraph, op: OpNode, on_path: set[int], ov: Overlay, fold: Folded, main: str | None
) -> None:
    """The arrows into `op`'s output: the chain's own input weighted so the chain runs straight,
    the folded inputs as one dashed box, the highlighted or current edges with their rule."""
    hot = id(op.output.tensor) in on_path
    focus = op.output.id in ov.focus
    values: list[np.ndarray | None] = []
    if hot or focus:
        values = local_derivatives(op)
    folded = fold.boxes.get(op.output.id, [])
    for i, inp in enumerate(op.inputs):
        if inp.inline:
            continue
        if folded and inp is folded[0]:
            _folded_box(dot, op, folded, fold.behind[op.output.id])
        if inp.id in fold.hidden:
            continue
        eattrs: dict[str, str] = {"weight": "4"} if inp.id == main else {}
        lit = (hot and id(inp.tensor) in on_path) or (focus and inp.tensor.requires_grad)
        if lit:
            colour = COLORS["path"] if hot else COLORS["focus"]
            eattrs.update(color=colour, penwidth="2.5", fontcolor=colour)
            words = op.derivative(i)
            value = values[i]
            if value is not None and not _says(words, value):
                words += f" = {brief(value)}"
            eattrs["label"] = _label(wrap(words, 28))
        dot.edge(inp.id, op.output.id, **eattrs)


def _folded_box(dot: graphviz.Digraph, op: OpNode, folded: list[TensorNode], behind: int) -> None:
    """One dashed box for the inputs `fold_fan_in` left out, and its arrow."""
    box = f"{op.output.id}_inputs"
    lines = [f"... {len(folded)} more inputs", f"{folded[0].title} ... {folded[-1].title}"]
    if behind > len(folded):
        lines.append(f"({behind} boxes)")
    names = ", ".join(x.title for x in folded)
    tip = f"{op.output.title} = {op.typed}: draw_graph(..., max_inputs=None) shows {names}"
    dot.node(box, _label(lines), shape="box", style="dashed", tooltip=escape(tip))
    dot.edge(box, op.output.id, style="dashed")


def _says(words: str, value: np.ndarray) -> bool:
    """True when the rule already ends in the value (every entry equal to it): `= 1`."""
    flat = np.asarray(value).ravel()
    return flat.size > 0 and bool(np.all(flat == flat[0])) and words.endswith(f" = {num(flat[0])}")


def graph_text(
    t: Tensor,
    show_data: bool = True,
    show_grad: bool = True,
    max_depth: int | None = None,
    max_nodes: int | None = 80,
    expand: bool = False,
) -> str:
    """The same graph as `draw_graph`, as an indented text tree from the output down (no
    Graphviz needed): `print(viz.graph_text(loss))`. A tensor used twice is written out the
    first time and referred to by its label afterwards."""
    g = walk(t, max_depth=max_depth, max_nodes=max_nodes, expand=expand)
    ops = {op.output.id: op for op in g.ops}
    out: list[str] = []
    shown: set[str] = set()
    # stack of (tensor node, prefix for its first line, prefix for lines below it)
    stack: list[tuple[TensorNode, str, str]] = [(g.output, "", "")]
    while stack:
        tn, first, rest = stack.pop()
        if tn.id in shown:
            out.append(f"{first}{escape_line(tn.title)} (see above)")
            continue
        shown.add(tn.id)
        op = ops.get(tn.id)
        lines = [escape_line(x) for x in tensor_lines(tn, op, show_data, show_grad, None)]
        if show_data:
            lines[1] = f"{shape_str(tn.tensor.shape)} {lines[1]}" if not lines[1].startswith("(") else lines[1]
        out.append(first + "  ".join(lines))
        if tn.id in g.collapsed:
            out.append(f"{rest}└── ... {g.collapsed[tn.id]} more")
        if op is None:
            continue
        children = []
        shown_inputs = [inp for inp in op.inputs if not inp.inline]
        for i, inp in enumerate(shown_inputs):
            last = i == len(shown_inputs) - 1
            children.append((inp, rest + ("└── " if last else "├── "), rest + ("    " if last else "│   ")))
        stack.extend(reversed(children))
    return "\n".join(out)


def escape_line(text: str) -> str:
    """A label on one line: a newline in a name is written as \\n."""
    return text.replace("\n", "\\n")
