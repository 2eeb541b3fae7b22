"""`nn.utils`: gradient clipping, PyTorch's `torch.nn.utils.clip_grad_norm_` and `clip_grad_value_`.

Both act on the `.grad` of the parameters that have one, in place (each gradient Tensor keeps
its identity and gets the clipped values), between `loss.backward()` and `optimizer.step()`:

    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    optimizer.step()
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable

import numpy as np

from ..tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_"]


def _gradients(parameters: Tensor | Iterable[Tensor], who: str) -> list[Tensor]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(
                f"{who}: parameter {i} is a {type(p).__name__}, not a Tensor; pass "
                "model.parameters() or a list of Tensors"
            )
    return [p.grad for p in params if p.grad is not None]


def _real(name: str, value: object, who: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, Tensor)):
        raise TypeError(f"{who}: {name} must be a number, but got {type(value).__name__}: {value!r}")
    return float(value)


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    r"""Scale all gradients together so that their total norm is at most max_norm.

        total = || (||g_1||_p, ||g_2||_p, ...) ||_p     (the p-norm of all gradients as one vector;
                                                        p = inf: the largest |entry|)
        g_i <- g_i * min(1, max_norm / (total + 1e-6))

    Returns `total`, the norm before clipping, as a 0-d Tensor (0.0 when no parameter has a
    gradient). A non-finite total raises RuntimeError when error_if_nonfinite=True (otherwise
    the gradients are scaled by it, as in PyTorch, and become NaN). `foreach` is accepted for
    compatibility and ignored.
    """
    who = "clip_grad_norm_"
    grads = _gradients(parameters, who)
    max_norm = _real("max_norm", max_norm, who)
    p = _real("norm_type", norm_type, who)
    if not grads:
        return Tensor(0.0)
    dtype = np.result_type(*[g.data.dtype for g in grads])
    norms = np.array(
        [np.linalg.norm(np.asarray(g.data).ravel(), ord=p) if g.data.size else 0.0 for g in grads], dtype=dtype
    )
    total = np.asarray(np.linalg.norm(norms, ord=p), dtype=dtype)
    if error_if_nonfinite and not math.isfinite(float(total)):
        raise RuntimeError(
            f"The total norm of order {p} for gradients from `parameters` is non-finite, so it "
            "cannot be clipped. To disable this error and scale the gradients by the non-finite "
            "norm anyway, set `error_if_nonfinite=False`"
        )
    coef = np.minimum(np.asarray(max_norm, dtype=dtype) / (total + dtype.type(1e-6)), 1.0)
    with np.errstate(invalid="ignore"):  # inf * 0 = nan, as PyTorch gives
        for g in grads:
            g.data = np.asarray(g.data * coef, dtype=g.data.dtype)
    return Tensor(total)


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float, foreach: bool | None = None) -> None:
    r"""Clamp every gradient entry to [-clip_value, clip_value], in place.

    `foreach` is accepted for compatibility and ignored.
    """
    who = "clip_grad_value_"
    grads = _gradients(parameters, who)
    clip_value = _real("clip_value", clip_value, who)
    for g in grads:
        g.data = np.asarray(np.clip(g.data, -clip_value, clip_value), dtype=g.data.dtype)
