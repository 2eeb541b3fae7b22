"""Keeping a drawn graph narrow enough to read in a page column.

Two things make a graph wide: an op over many inputs (`cat` of 20 tensors puts 20 boxes side by
side in one rank), and a long chain that Graphviz draws as a staircase drifting sideways
(`x0 + x1 + ... + x19`). `fold_fan_in` draws only the first and last few inputs of such an op,
with one dashed box that says how many are left out; `spine` picks the input that carries each
chain, whose edge the drawing weights so the chain runs straight down with its side inputs
beside it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ._walk import Graph, OpNode, TensorNode, inputs_of


@dataclass
class Folded:
    """What `fold_fan_in` left out: tensor ids not drawn, and per op (by its output's id) the
    inputs folded into one box."""

    hidden: set[str] = field(default_factory=set)
    boxes: dict[str, list[TensorNode]] = field(default_factory=dict)  # op output id -> folded inputs
    behind: dict[str, int] = field(default_factory=dict)  # op output id -> boxes hidden, inputs included


ROW_PT = 560.0  # the widest a rank of inputs may get, in points: 750 px, legible in a 690 px column
BOX_PT = 40.0  # what the folded box itself takes


def fold_fan_in(
    g: Graph, max_inputs: int | None, keep: set[int], width: Callable[[TensorNode], float] = lambda tn: 60.0
) -> Folded:
    """For every op with more than `max_inputs` distinct inputs, or inputs wider together than
    ROW_PT (`width` estimates one box in points), show its first few and its last input and
    fold the rest into one box, together with everything that only they lead to. Tensors in
    `keep` (ids of tensors, e.g. a highlighted path) are never folded."""
    out = Folded()
    if max_inputs is None:
        return out
    candidates: dict[str, list[TensorNode]] = {}
    for op in g.ops:
        distinct = list({x.id: x for x in op.inputs if not x.inline}.values())
        widths = [width(x) for x in distinct]
        if len(distinct) <= max(max_inputs, 3) and sum(widths) <= ROW_PT:
            continue
        shown, used = 0, widths[-1] + BOX_PT  # the last input and the box always show
        while shown < min(max_inputs - 2, len(distinct) - 2) and used + widths[shown] <= ROW_PT:
            used += widths[shown]
            shown += 1
        middle = [x for x in distinct[max(shown, 1) : -1] if id(x.tensor) not in keep]
        if len(middle) >= 2:  # one box for one input would save nothing
            candidates[op.output.id] = middle
    if not candidates:
        return out
    cut = {(op_id, x.id) for op_id, xs in candidates.items() for x in xs}
    reach = _reachable(g, cut)
    visible = {tn.id for tn in g.tensors}
    out.hidden = visible - reach
    for op_id, xs in candidates.items():
        gone = [x for x in xs if x.id in out.hidden]
        if len(gone) >= 2:
            out.boxes[op_id] = gone
    # a box is worth it only for inputs that are gone; the count is of every box they hide
    for op_id, xs in out.boxes.items():
        out.behind[op_id] = _count_behind(g, xs, out.hidden)
    return out


def _reachable(g: Graph, cut: set[tuple[str, str]]) -> set[str]:
    """Ids of the drawn tensors reachable from the output without crossing a cut edge."""
    ops = {op.output.id: op for op in g.ops}
    seen = {g.output.id}
    stack = [g.output]
    while stack:
        tn = stack.pop()
        op = ops.get(tn.id)
        if op is None:
            continue
        for x in op.inputs:
            if x.inline or x.id in seen or (tn.id, x.id) in cut:
                continue
            seen.add(x.id)
            stack.append(x)
    return seen


def _count_behind(g: Graph, xs: list[TensorNode], hidden: set[str]) -> int:
    """The hidden boxes behind (and including) `xs`, each counted once."""
    counted: set[str] = set()
    stack = list(xs)
    while stack:
        tn = stack.pop()
        if tn.id in counted or tn.id not in hidden:
            continue
        counted.add(tn.id)
        stack.extend(g.nodes[id(x)] for x in inputs_of(tn.tensor, g.expand) if not g.nodes[id(x)].inline)
    return len(counted)


def spine(op: OpNode, weight: dict[str, int]) -> str | None:
    """The id of the input that carries the chain through `op`: the one with the most boxes
    behind it (`weight`, filled in topological order), when it is made by an op."""
    made = [x for x in op.inputs if not x.inline and x.tensor.grad_fn is not None]
    if not made:
        return None
    return max(made, key=lambda x: weight.get(x.id, 0)).id


def sizes(g: Graph) -> dict[str, int]:
    """Boxes behind each drawn tensor (itself included), counting shared ones per path: a
    measure of how much of the graph an edge carries."""
    ops = {op.output.id: op for op in g.ops}
    size: dict[str, int] = {}
    for tn in g.tensors:  # topological order: inputs first
        op = ops.get(tn.id)
        size[tn.id] = 1 + (sum(size.get(x.id, 0) for x in op.inputs if not x.inline) if op else 0)
    return size
