"""The backward pass as data (`backward_steps`) and as a sequence of frames (`draw_backward`).

Backprop visits the ops from the output back to the inputs. At each op it takes the upstream
gradient G (d output / d this op's result, fully accumulated), applies the op's local
derivative rule, and sends a contribution to each input; contributions to the same tensor
add up. These functions replay that walk with the ops' own rules under `no_grad`, without
touching any `.grad`.
"""

from __future__ import annotations

import html
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _deps
from ._names import brief, num, values, wrap
from ._walk import Graph, OpNode, local_vjp, topo_order, walk
from .graph import Overlay, draw_graph, local_derivatives
from .stepper import Stepper

if TYPE_CHECKING:
    import graphviz

    from ..engine import Function
    from ..tensor import Tensor


@dataclass
class BackwardStep:
    """One op visited by backprop.

    op: the op's name ('Mul', 'MatMul', 'softmax', ...); output: the label of the tensor it
    made; typed: that op as the learner typed it ('y - t3'); upstream: the gradient arriving
    at that tensor; rule: the local derivatives in the learner's names; contributions:
    (input label, gradient sent to that input), one per use of an input that needs a
    gradient, already summed over broadcast axes; caption: the step in words.
    """

    op: str
    output: str
    upstream: np.ndarray
    rule: str
    contributions: list[tuple[str, np.ndarray]]
    node: Function = field(repr=False)
    tensor: Tensor = field(repr=False)
    targets: list[Tensor] = field(repr=False, default_factory=list)
    typed: str = ""
    caption: str = ""

    def __str__(self) -> str:
        sent = ", ".join(f"{name} <- {values(g)}" for name, g in self.contributions)
        return f"{self.output} = {self.typed}: {self.rule}; sends {sent}"


def backward_steps(t: Tensor, gradient: Any = None, expand: bool = False) -> list[BackwardStep]:
    """The steps backprop takes from `t` (a scalar, or any tensor with `gradient` given),
    in the order it takes them, computed with each op's own backward rule under `no_grad`.
    No `.grad` is touched. Call it before `t.backward()`, which frees the graph (or after
    `t.backward(retain_graph=True)`). A composed op (softmax, mse_loss, ...) is one step, as
    in `draw_graph`; `expand=True` gives one step per primitive.

    Summing each leaf's contributions gives the gradient backward would store in its `.grad`.
    """
    if gradient is None:
        if t.data.size != 1:
            raise ValueError(
                f"backward_steps: the output has shape {t.shape}; pass gradient= for a "
                "non-scalar output (as for backward)"
            )
        seed = np.ones_like(t.data)
    else:
        seed = np.broadcast_to(np.asarray(gradient, dtype=t.data.dtype), t.shape).copy()
    g = walk(t, expand=expand)
    root = g.output.title
    pending: dict[int, np.ndarray] = {id(t): seed}
    steps: list[BackwardStep] = []
    order = [x for x in reversed(topo_order(t, expand)) if x.grad_fn is not None and x.requires_grad]
    for cur in order:
        upstream = pending.get(id(cur))
        op, fn = g.op_of(cur), cur.grad_fn
        if upstream is None or op is None or fn is None:
            continue
        sent = local_vjp(cur, upstream, expand)
        local = local_derivatives(op) if cur.data.size == 1 else [None] * len(sent)
        contributions: list[tuple[str, np.ndarray]] = []
        targets: list[Tensor] = []
        summed: list[str] = []
        lines = [
            f"Step {len(steps) + 1}: {op.output.title} = {op.typed}. "
            f"Upstream gradient ∂{root}/∂{op.output.title} = {said(upstream)}."
        ]
        for i, (inp, arr, before) in enumerate(sent):
            if arr is None:
                continue
            name = g.node(inp).title
            if before != tuple(inp.shape):
                summed.append(f"{name}: {_summed_axes(before, inp.shape)}")
            pending[id(inp)] = pending[id(inp)] + arr if id(inp) in pending else arr
            contributions.append((name, arr))
            targets.append(inp)
            lines.append(
                _flow(op.derivative(i), upstream, local[i], arr, name, root, pending[id(inp)], inp.grad_fn is None)
            )
        steps.append(
            BackwardStep(
                op=op.title,
                output=op.output.title,
                upstream=upstream,
                rule=rule_text(op, summed),
                contributions=contributions,
                node=fn,
                tensor=cur,
                targets=targets,
                typed=op.typed,
                caption="\n".join(lines),
            )
        )
    for k, step in enumerate(steps, 1):
        step.caption = step.caption.replace(f"Step {k}:", f"Step {k} of {len(steps)}:", 1)
    return steps


def _flow(
    rule: str,
    upstream: np.ndarray,
    local: np.ndarray | None,
    sent: np.ndarray,
    name: str,
    root: str,
    total: np.ndarray,
    leaf: bool,
) -> str:
    """One line of a step's caption: what flows into one input, and its gradient so far."""
    so_far = f"{name}.grad is now {said(total)}" if leaf else f"∂{root}/∂{name} is now {said(total)}"
    if ": G ↦ " in rule:
        return f"• {rule} sends {said(sent)} to {name}; {so_far}."
    if local is not None:
        flat = np.asarray(local).ravel()
        value = num(flat[0]) if flat.size and bool(np.all(flat == flat[0])) else said(local)
        rule = rule if rule.endswith(f"= {value}") else f"{rule} = {value}"
    return f"• upstream {said(upstream)} times the local derivative {rule} flows into {name}: {said(sent)}; {so_far}."


def said(a: np.ndarray) -> str:
    """An array as a caption says it: every entry when few (`[10, 24]`), else how many and
    their norm (`[100 values, norm 51.64]`), never a bare shape that reads like a value."""
    a = np.asarray(a)
    shown = brief(a)
    if not shown.startswith("(") or a.ndim == 0:
        return shown
    count = "×".join(map(str, a.shape))
    return f"[{count} values, norm {num(np.linalg.norm(a.astype(np.float64)))}]"


def rule_text(op: OpNode, summed: list[str] | None = None) -> str:
    """The local derivatives in the learner's names (for matmul `∂t3/∂W: G ↦ Xᵀ·G`), plus
    the axes broadcasting made us sum over."""
    rule = op.rule or op.title
    if summed:
        rule += ";  summed over broadcast axes (" + "; ".join(summed) + ")"
    return rule


def _summed_axes(grad_shape: tuple[int, ...], shape: tuple[int, ...]) -> str:
    lead = len(grad_shape) - len(shape)
    axes = list(range(lead)) + [lead + i for i, n in enumerate(shape) if n == 1 and grad_shape[lead + i] != 1]
    return f"axes {tuple(axes)} of {tuple(grad_shape)} -> {tuple(shape)}"


class BackwardFrames:
    """The frames of `draw_backward`: frame 0 is the graph with only the output's gradient
    (1), frame k shows step k's op highlighted, its local derivatives on its edges and every
    gradient accumulated so far.

    A list of graphviz.Digraph (`frames[k]`, `len(frames)`, iteration); `.steps` holds the
    BackwardStep data and `.captions` each frame's caption; `.save(directory)` writes numbered
    images; `.stepper()` is one self-contained HTML page that steps through them (Previous /
    Next / slider), which is also what Jupyter displays.
    """

    def __init__(
        self,
        frames: list[graphviz.Digraph],
        steps: list[BackwardStep],
        captions: list[str],
        bare: list[graphviz.Digraph] | None = None,
    ) -> None:
        self.frames = frames
        self.steps = steps
        self.captions = captions
        self._bare = bare or frames  # the same frames without the caption inside the picture

    def __len__(self) -> int:
        return len(self.frames)

    def __getitem__(self, k: int) -> graphviz.Digraph:
        return self.frames[k]

    def __iter__(self) -> Iterator[graphviz.Digraph]:
        return iter(self.frames)

    def save(self, directory: str | os.PathLike[str], format: str = "png", prefix: str = "backward") -> list[Path]:
        """Render every frame to `directory/prefix_00.format`, `_01`, ...; returns the paths.
        Needs the Graphviz program `dot`."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        width = max(2, len(str(len(self.frames) - 1)))
        paths = []
        for k, frame in enumerate(self.frames):
            path = out / f"{prefix}_{k:0{width}d}.{format}"
            path.write_bytes(frame.pipe(format=format))
            paths.append(path)
        return paths

    def stepper(self, title: str = "The backward pass, step by step") -> Stepper:
        """The frames as a Stepper: one frame at a time, Previous / Next and a slider. Needs `dot`."""
        svgs = [frame.pipe(format="svg", encoding="utf-8") for frame in self._bare]
        return Stepper(svgs, self.captions, title)

    def _repr_html_(self) -> str:
        try:
            return self.stepper()._repr_html_()
        except _deps.DotNotFoundError:  # no pictures: the steps in words, and how to get pictures
            text = "\n\n".join(self.captions) + "\n\n" + _deps.INSTALL_DOT
            return f"<pre>{html.escape(text)}</pre>"

    def __repr__(self) -> str:
        return f"<BackwardFrames: {len(self.frames)} frames, {len(self.steps)} steps>"


def draw_backward(
    t: Tensor, show_data: bool = True, rankdir: str = "TB", max_nodes: int | None = 80, expand: bool = False
) -> BackwardFrames:
    """The backward pass of the scalar `t` as frames: one graph per step of
    `backward_steps(t)` with the current op's box and edges in orange, its local derivatives
    on the edges, and the gradients accumulated so far filled in. No `.grad` is touched. In
    Jupyter the result is a stepper (Previous / Next / slider); `.stepper().save(path)`
    writes it as one HTML file."""
    steps = backward_steps(t, expand=expand)
    graph: Graph = walk(t, expand=expand)
    root = graph.output.title
    acc: dict[int, np.ndarray] = {id(t): np.ones_like(t.data)}
    captions = [
        f"Start: the gradient of {root} with respect to itself is 1 (∂{root}/∂{root} = 1). "
        f"Backprop now visits the ops from {root} back to the inputs, {len(steps)} steps."
    ]
    marks: list[tuple[dict[int, np.ndarray], set[str]]] = [(dict(acc), set())]
    for step in steps:
        for target, (_, arr) in zip(step.targets, step.contributions):
            acc[id(target)] = acc[id(target)] + arr if id(target) in acc else arr
        marks.append((dict(acc), {graph.node(step.tensor).id}))
        captions.append(step.caption)

    def frame(k: int, caption: bool) -> graphviz.Digraph:
        ov = Overlay(
            grads=marks[k][0],
            focus=marks[k][1],
            legend=[("orange: this step", "")],
            caption_lines=[ln for c in captions[k].split("\n") for ln in wrap(c, 72)] if caption else [],
        )
        return draw_graph(
            t,
            show_data=show_data,
            show_grad=True,
            rankdir=rankdir,
            max_nodes=max_nodes,
            legend=caption,
            expand=expand,
            _overlay=ov,
        )

    return BackwardFrames(
        [frame(k, True) for k in range(len(marks))], steps, captions, [frame(k, False) for k in range(len(marks))]
    )
