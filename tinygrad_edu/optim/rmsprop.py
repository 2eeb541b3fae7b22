"""RMSprop: divide the gradient by a running root-mean-square of recent gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from .optimizer import Optimizer, ParamGroup, Params, check_nonnegative


class RMSprop(Optimizer):
    r"""RMSprop (Hinton), with PyTorch's update equations (torch.optim.RMSprop).

    For each parameter x with gradient g:

        g <- -g                                      if maximize
        g <- g + weight_decay * x                    if weight_decay != 0
        s <- alpha * s + (1 - alpha) * g^2           (running mean of g^2)
        a <- alpha * a + (1 - alpha) * g             if centered (running mean of g)
        d <- sqrt(s - a^2) + eps   if centered,  else  sqrt(s) + eps
        if momentum > 0:
            b <- momentum * b + g / d ;   x <- x - lr * b
        else:
            x <- x - lr * g / d

    There is no bias correction, and eps sits outside the square root. So the first step
    is lr * g / (sqrt(1 - alpha) |g| + eps): with alpha = 0.99 about 10 * lr * sign(g).

    State, created on a parameter's first step: 'step' = 0 (a count), 'square_avg' s = 0,
    'momentum_buffer' b = 0 if momentum > 0, 'grad_avg' a = 0 if centered.

    Args: lr (1e-2), alpha (0.99), eps (1e-8), weight_decay (0), momentum (0),
    centered (False), maximize (False).
    """

    def __init__(
        self,
        params: Params,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            alpha=alpha,
            eps=eps,
            weight_decay=weight_decay,
            momentum=momentum,
            centered=centered,
            maximize=maximize,
        )
        self._check_group(defaults)
        super().__init__(params, defaults)

    def _check_group(self, group: ParamGroup) -> None:
        check_nonnegative(group["lr"], "Invalid learning rate", "lr")
        check_nonnegative(group["eps"], "Invalid epsilon value", "eps")
        check_nonnegative(group["momentum"], "Invalid momentum value", "momentum")
        check_nonnegative(group["weight_decay"], "Invalid weight_decay value", "weight_decay")
        check_nonnegative(group["alpha"], "Invalid alpha value", "alpha")

    def _init_state(self, x: np.ndarray, group: ParamGroup) -> dict[str, Any]:
        state: dict[str, Any] = {"step": 0, "square_avg": np.zeros_like(x)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = np.zeros_like(x)
        if group["centered"]:
            state["grad_avg"] = np.zeros_like(x)
        return state

    def _update(
        self, x: np.ndarray, g: np.ndarray, state: dict[str, Any], group: ParamGroup
    ) -> tuple[np.ndarray, dict[str, Any]]:
        lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
        momentum = group["momentum"]
        if group["maximize"]:
            g = -g
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * x
        new_state = dict(state, step=state["step"] + 1)
        square_avg = alpha * state["square_avg"] + (1 - alpha) * g * g
        new_state["square_avg"] = square_avg
        if group["centered"]:
            grad_avg = alpha * state.get("grad_avg", np.zeros_like(x)) + (1 - alpha) * g
            new_state["grad_avg"] = grad_avg
            denom = np.sqrt(square_avg - grad_avg * grad_avg) + eps
        else:
            denom = np.sqrt(square_avg) + eps
        if momentum > 0:
            buf = momentum * state.get("momentum_buffer", np.zeros_like(x)) + g / denom
            new_state["momentum_buffer"] = buf
            return x - lr * buf, new_state
        return x - lr * (g / denom), new_state
