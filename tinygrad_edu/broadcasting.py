"""Broadcast reduction, done once for every op: `unbroadcast` sums a gradient down to its
input's shape, so no op author thinks about broadcasting."""

from __future__ import annotations

from typing import Any


def unbroadcast(grad: Any, shape: tuple[int, ...]) -> Any:
    """Sum `grad` over the axes that broadcasting added or stretched, so it has `shape`.

    The adjoint of broadcasting: if x of shape (3,) was broadcast to (2, 3), each x[j] was
    used twice, so its gradient is the sum of the two upstream entries. Works on Tensors and
    on ndarrays alike.
    """
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    stretched = tuple(lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1)
    if not stretched:  # only new leading axes, as for a bias: one sum gives the shape
        return grad.sum(axis=tuple(range(lead)))
    out = grad.sum(axis=tuple(range(lead)) + stretched, keepdims=True)
    return out.reshape(shape) if out.shape != shape else out


def reducible(shape: tuple[int, ...], target: tuple[int, ...]) -> bool:
    """True when an array of `shape` sums down to `target` (target broadcasts to shape)."""
    if len(shape) < len(target):
        return False
    return all(t == 1 or t == s for t, s in zip(reversed(target), reversed(shape)))
