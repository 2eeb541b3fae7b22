"""Stochastic gradient descent, with momentum, Nesterov momentum and weight decay."""

from __future__ import annotations

from typing import Any

import numpy as np

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
