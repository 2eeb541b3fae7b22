"""`tge.autograd.grad`: gradients of outputs with respect to chosen inputs (PyTorch's API)."""

from __future__ import annotations

from collections.abc import Sequence

from .engine import detect_anomaly, enable_grad, is_grad_enabled, no_grad, no_graph_hint, run_backward
from .tensor import Tensor

__all__ = ["grad", "no_grad", "enable_grad", "is_grad_enabled", "detect_anomaly"]


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Tensor | Sequence[Tensor | None] | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple[Tensor | None, ...]:
    """sum_k grad_outputs[k] . d outputs[k] / d inputs, one entry per input; no `.grad` is
    touched. `retain_graph` defaults to `create_graph`; with `create_graph=True` the results
    carry a graph themselves (for second derivatives)."""
    outs = [outputs] if isinstance(outputs, Tensor) else list(outputs)
    ins = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    gos = [grad_outputs] if isinstance(grad_outputs, Tensor) else list(grad_outputs or [None] * len(outs))
    if len(gos) != len(outs):
        raise ValueError(f"autograd.grad: got {len(outs)} outputs but {len(gos)} grad_outputs.")
    for i, t in enumerate(ins):
        if not t.requires_grad:
            raise RuntimeError(
                f"autograd.grad: input {i} (shape {t.shape}) does not require grad; create it with requires_grad=True."
            )
    seeds = []
    for i, (o, g) in enumerate(zip(outs, gos)):
        if not o.requires_grad:
            raise RuntimeError(
                f"autograd.grad: output {i} does not require grad and has no grad_fn. {no_graph_hint(o)}"
            )
        if g is None:
            if o.size != 1:
                raise RuntimeError(
                    f"autograd.grad: output {i} has shape {o.shape}; grad_outputs can be "
                    "implicit only for one-element outputs. Pass grad_outputs."
                )
            g = Tensor.ones(*o.shape, dtype=o.dtype)
        elif g.shape != o.shape:
            raise ValueError(f"autograd.grad: grad_outputs[{i}] has shape {g.shape}, output {i} has {o.shape}.")
        seeds.append(g)
    retain = create_graph if retain_graph is None else retain_graph
    result = run_backward(outs, seeds, retain, create_graph, ins)
    assert result is not None
    if not allow_unused:
        for i, r in enumerate(result):
            if r is None:
                raise RuntimeError(
                    f"autograd.grad: input {i} (shape {ins[i].shape}) was not used to compute "
                    "the outputs. Pass allow_unused=True to get None for it."
                )
    return tuple(result)
