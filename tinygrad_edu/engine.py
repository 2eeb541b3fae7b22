"""The autodiff engine, one concern per file; this module gathers its names.

| file | what it holds |
|---|---|
| grad_mode.py | the per-thread switches: `no_grad`, `enable_grad`, `detect_anomaly`, `forward_level` |
| graph.py | the node, `Function`: `apply` runs an op, records it and carries forward-mode tangents |
| broadcasting.py | `unbroadcast`: the sum that undoes broadcasting, done once for every op |
| backward.py | `run_backward`: the chain rule from the output back to the leaves, newest node first |
| mutation.py | the read-only marking that keeps a graph's arrays from changing under it |
| composite.py | `@composite`: a composed op (softmax, mse_loss) drawn as one node in the pictures |
"""

from .backward import accumulate_grad, run_backward, toposort
from .broadcasting import unbroadcast
from .composite import Composite, composite
from .grad_mode import STATE, detect_anomaly, enable_grad, forward_level, is_grad_enabled, no_grad
from .graph import Function, next_epoch, no_grad_op, no_graph_hint, shape_of
from .mutation import is_locked, write_through_lock

__all__ = [
    "STATE", "Composite", "Function", "accumulate_grad", "composite", "detect_anomaly", "enable_grad",
    "forward_level", "is_grad_enabled", "is_locked", "next_epoch", "no_grad", "no_grad_op", "no_graph_hint",
    "run_backward", "shape_of", "toposort", "unbroadcast", "write_through_lock",
]  # fmt: skip
