"""Stochastic gradient descent, with momentum, Nesterov momentum and weight decay."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, ParamGroup, Params, check_nonnegative, check_number


class SGD(Optimizer):
    r"""Gradient descent: the lesson's W_new = W_old - eps * grad f(W_old), plus options.

    PyTorch's update (torch.optim.SGD), for each parameter x with gradient g:

        g <- -g                                   if maximize
        g <- g + weight_decay * x                 if weight_decay != 0
        if momentum != 0:
            b <- g                                on the first step (no dampening)
            b <- momentum * b + (1 - dampening) * g   afterwards
            g <- g + momentum * b                 if nesterov
            g <- b                                otherwise
        x <- x - lr * g

    State: 'momentum_buffer' (the b above), only when momentum != 0; it is created on the
    first step as a copy of g. With momentum == 0 the optimizer keeps no state.

    Without weight decay and maximize (the common case) a step allocates nothing: lr * g
    goes into a scratch array kept per parameter (not part of the state), then
    `np.subtract(x, scratch, out=x)`: two passes over memory, the same bits as x - lr * g.
    With momentum, the new b is computed into a second array and swapped with the old one.

    Args:
        params: Tensors or param-group dicts.
        lr: the step size eps (default 1e-3).
        momentum: the factor of the running direction b (default 0).
        dampening: how much of the new gradient is left out of b (default 0).
        weight_decay: L2 penalty coefficient added to the gradient (default 0).
        nesterov: use Nesterov momentum (needs momentum > 0 and dampening 0).
        maximize: ascend instead of descend.
    """

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
            maximize=maximize,
        )
        self._check_group(defaults)
        self._scratch: dict[int, np.ndarray] = {}  # id(p) -> lr * g goes here (or the new b)
        self._spare: dict[int, np.ndarray] = {}  # id(p) -> the array the next b is computed in
        super().__init__(params, defaults)

    def _check_group(self, group: ParamGroup) -> None:
        check_nonnegative(group["lr"], "Invalid learning rate", "lr")
        check_nonnegative(group["momentum"], "Invalid momentum value", "momentum")
        check_nonnegative(group["weight_decay"], "Invalid weight_decay value", "weight_decay")
        check_number("dampening", group["dampening"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                "Nesterov momentum requires a momentum and zero dampening "
                f"(got momentum={group['momentum']}, dampening={group['dampening']})"
            )

    def _update(
        self, x: np.ndarray, g: np.ndarray, state: dict[str, Any], group: ParamGroup
    ) -> tuple[np.ndarray, dict[str, Any]]:
        momentum = group["momentum"]
        if group["maximize"]:
            g = -g
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * x
        if momentum != 0:
            if "momentum_buffer" not in state:
                buf = np.array(g, copy=True)
            else:
                buf = momentum * state["momentum_buffer"] + (1 - group["dampening"]) * g
            state["momentum_buffer"] = buf
            g = g + momentum * buf if group["nesterov"] else buf
        return x - group["lr"] * g, state

    def _compute(self, p: Tensor, g: np.ndarray, group: ParamGroup) -> tuple[np.ndarray, bool, dict[str, Any]]:
        """`_update`'s rule, computed into arrays kept between steps (same bits, in the same
        order); weight decay, maximize and hyper-parameters of a wider dtype than x take
        `_update` itself."""
        x, lr, momentum = p.data, group["lr"], group["momentum"]
        state = self.state.get(p) or {}
        buf = state.get("momentum_buffer")
        numbers = (lr, momentum, 1 - group["dampening"])
        if group["weight_decay"] != 0 or group["maximize"] or not _keeps_dtype(x, g, buf, *numbers):
            return super()._compute(p, g, group)
        step = _buffer(self._scratch, p, x)
        if momentum != 0:
            if buf is None:
                new_buf = np.array(g, copy=True)
            else:
                new_buf = _buffer(self._spare, p, x, avoid=buf)
                np.multiply(buf, momentum, out=new_buf)
                np.multiply(g, 1 - group["dampening"], out=step)
                np.add(new_buf, step, out=new_buf)
                self._spare[id(p)] = buf  # once swapped in below, the old b is the next spare
            state = dict(state, momentum_buffer=new_buf)
            if group["nesterov"]:
                np.multiply(new_buf, momentum, out=step)
                g = np.add(g, step, out=step)
            else:
                g = new_buf
        np.multiply(g, lr, out=step)
        return step, True, state


def _keeps_dtype(x: np.ndarray, g: np.ndarray, buf: Any, *numbers: Any) -> bool:
    """True when the rule's every result has x's dtype (Python numbers do not widen float32),
    so computing into arrays of x's dtype rounds as `_update` does."""
    if g.dtype != x.dtype or (buf is not None and (buf.dtype != x.dtype or buf.shape != x.shape)):
        return False
    for n in numbers:
        if type(n) not in _WEAK and np.result_type(x.dtype, n) != x.dtype:
            return False
    return True


_WEAK = (float, int)  # Python numbers: NumPy computes with them in the array's dtype


def _buffer(buffers: dict[int, np.ndarray], p: Tensor, like: np.ndarray, avoid: Any = None) -> np.ndarray:
    """The array kept for p in `buffers`, made again when p's shape or dtype changed."""
    arr = buffers.get(id(p))
    if arr is None or arr.shape != like.shape or arr.dtype != like.dtype or arr is avoid:
        arr = buffers[id(p)] = np.empty_like(like)
    return arr
