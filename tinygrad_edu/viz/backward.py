"""The backward pass as data (`backward_steps`) and as a sequence of frames (`draw_backward`).

Backprop visits the ops from the output back to the inputs. At each op it takes the upstream
gradient G (d output / d this op's result, fully accumulated), applies the op's local
derivative rule, and sends a contribution to each input; contributions to the same tensor
add up. These functions replay that walk with the ops' own rules under `no_grad`, without
touching any `.grad`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _deps
from ._walk import Graph, doc_line, walk
from .graph import Overlay, draw_graph

if TYPE_CHECKING:
    import graphviz

    from ..engine import Function
    from ..tensor import Tensor


@dataclass
class BackwardStep:
    """One op visited by backprop.

    op: the op's name ('Mul', 'MatMul', ...); output: the name of the tensor it made;
    upstream: the gradient arriving at that tensor; rule: the local derivative in words;
    contributions: (input name, gradient sent to that input), one per use of an input that
    needs a gradient, already summed over broadcast axes.
    """

    op: str
    output: str
    upstream: np.ndarray
    rule: str
    contributions: list[tuple[str, np.ndarray]]
    node: Function = field(repr=False)
    tensor: Tensor = field(repr=False)
    targets: list[Tensor] = field(repr=False, default_factory=list)

    def __str__(self) -> str:
        sent = ", ".join(f"{name} <- {np.array2string(np.asarray(g), precision=4)}"
                         for name, g in self.contributions)
        return f"{self.op} -> {self.output}: {self.rule}; sends {sent}"


def backward_steps(t: Tensor, gradient: Any = None) -> list[BackwardStep]:
    """The steps backprop takes from `t` (a scalar, or any tensor with `gradient` given),
    in the order it takes them, computed with each op's own backward rule under `no_grad`.
    No `.grad` is touched. Call it before `t.backward()`, which frees the graph (or after
    `t.backward(retain_graph=True)`).

    Summing each leaf's contributions gives the gradient backward would store in its `.grad`.
    """
    from .. import engine
    from ..tensor import Tensor

    if gradient is None:
        if t.data.size != 1:
            raise ValueError(
                f"backward_steps: the output has shape {t.shape}; pass gradient= for a "
                "non-scalar output (as for backward)"
            )
        seed = np.ones_like(t.data)
    else:
        seed = np.broadcast_to(np.asarray(gradient, dtype=t.data.dtype), t.shape).copy()
    g = walk(t)
    pending: dict[int, np.ndarray] = {id(t): seed}
    steps: list[BackwardStep] = []
    with engine.no_grad():
        for cur in reversed(engine.toposort(t)):
            upstream = pending.get(id(cur))
            node = cur.grad_fn
            if upstream is None or node is None:
                continue
            if getattr(node, "released", False):
                raise RuntimeError(
                    f"backward_steps: {node.name} was freed by an earlier backward(); call "
                    "backward_steps before backward, or use backward(retain_graph=True)"
                )
            raw = node.backward(Tensor(upstream))
            contributions: list[tuple[str, np.ndarray]] = []
            targets: list[Tensor] = []
            summed: list[str] = []
            for inp, gi in zip(node.inputs, raw):
                if gi is None or not inp.requires_grad:
                    continue
                before = tuple(gi.shape)
                gi = engine.unbroadcast(gi, inp.shape)
                arr = np.array(gi.data)
                if before != tuple(inp.shape):
                    summed.append(f"{g.node(inp).title}: {_summed_axes(before, inp.shape)}")
                pending[id(inp)] = pending[id(inp)] + arr if id(inp) in pending else arr
                contributions.append((g.node(inp).title, arr))
                targets.append(inp)
            steps.append(BackwardStep(
                op=type(node).__name__, output=g.node(cur).title, upstream=upstream,
                rule=rule_text(node, summed), contributions=contributions,
                node=node, tensor=cur, targets=targets,
            ))
    return steps


def rule_text(node: Function, summed: list[str] | None = None) -> str:
    """The local derivative in words: the math line of the op's docstring (it gives
    dA = G B^T, dB = A^T G for matmul), plus the axes broadcasting made us sum over."""
    rule = doc_line(node)
    if type(node).__name__ == "MatMul" and "dA = G B^T" not in rule:
        rule += ";  dA = G B^T,  dB = A^T G"
    if summed:
        rule += ";  summed over broadcast axes (" + "; ".join(summed) + ")"
    return rule


def _summed_axes(grad_shape: tuple[int, ...], shape: tuple[int, ...]) -> str:
    lead = len(grad_shape) - len(shape)
    axes = list(range(lead)) + [lead + i for i, n in enumerate(shape)
                                if n == 1 and grad_shape[lead + i] != 1]
    return f"axes {tuple(axes)} of {tuple(grad_shape)} -> {tuple(shape)}"


class BackwardFrames:
    """The frames of `draw_backward`: frame 0 is the graph with only the output's gradient
    (1), frame k shows step k's op highlighted and every gradient accumulated so far.

    A list of graphviz.Digraph (`frames[k]`, `len(frames)`, iteration); `.steps` holds the
    BackwardStep data; `.save(directory)` writes numbered images; in Jupyter it shows the
    frames one under another.
    """

    def __init__(self, frames: list[graphviz.Digraph], steps: list[BackwardStep]) -> None:
        self.frames = frames
        self.steps = steps

    def __len__(self) -> int:
        return len(self.frames)

    def __getitem__(self, k: int) -> graphviz.Digraph:
        return self.frames[k]

    def __iter__(self) -> Iterator[graphviz.Digraph]:
        return iter(self.frames)

    def save(self, directory: str | os.PathLike[str], format: str = "png",
             prefix: str = "backward") -> list[Path]:
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

    def _repr_html_(self) -> str | None:
        try:
            svgs = [f.pipe(format="svg", encoding="utf-8") for f in self.frames]
        except _deps.DotNotFoundError:
            return None
        return "".join(f"<div><b>frame {k}</b>{s}</div>" for k, s in enumerate(svgs))

    def __repr__(self) -> str:
        return f"<BackwardFrames: {len(self.frames)} frames, {len(self.steps)} steps>"


def draw_backward(t: Tensor, show_data: bool = False, rankdir: str = "LR",
                  max_nodes: int | None = 80) -> BackwardFrames:
    """The backward pass of the scalar `t` as frames: one graph per step of
    `backward_steps(t)` with the current op and its output highlighted and the gradients
    accumulated so far filled in. No `.grad` is touched."""
    steps = backward_steps(t)
    graph: Graph = walk(t)
    acc: dict[int, np.ndarray] = {id(t): np.ones_like(t.data)}
    frames = [_frame(t, acc, set(), "start: d out / d out = 1", show_data, rankdir, max_nodes)]
    for k, step in enumerate(steps, 1):
        for target, (_, arr) in zip(step.targets, step.contributions):
            acc[id(target)] = acc[id(target)] + arr if id(target) in acc else arr
        out = graph.node(step.tensor)
        focus = {out.id, f"op{out.index}"}
        caption = f"step {k}/{len(steps)}: {step.op}: {step.rule}"
        frames.append(_frame(t, dict(acc), focus, caption, show_data, rankdir, max_nodes))
    return BackwardFrames(frames, steps)


def _frame(t: Tensor, grads: dict[int, np.ndarray], focus: set[str], caption: str,
           show_data: bool, rankdir: str, max_nodes: int | None) -> graphviz.Digraph:
    ov = Overlay(grads=grads, focus=focus, caption=caption,
                 legend=[("current step", "#ffe0c0")])
    return draw_graph(t, show_data=show_data, show_grad=True, rankdir=rankdir,
                      max_nodes=max_nodes, _overlay=ov)
