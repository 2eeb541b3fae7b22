"""Adam and AdamW: running averages of the gradient and of its square, bias-corrected."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .optimizer import Optimizer, ParamGroup, Params, check_betas, check_nonnegative


class Adam(Optimizer):
    r"""Adam (Kingma & Ba), with PyTorch's update equations (torch.optim.Adam).

    For each parameter x with gradient g, at step t = 1, 2, ...:

        g <- -g                                          if maximize
        g <- g + weight_decay * x                        if weight_decay != 0 (L2, coupled)
        m <- beta1 * m + (1 - beta1) * g                 (first moment)
        v <- beta2 * v + (1 - beta2) * g^2               (second moment)
        v_max <- max(v_max, v)                           if amsgrad (max of the raw v)
        x <- x - lr / (1 - beta1^t) * m / (sqrt(v or v_max) / sqrt(1 - beta2^t) + eps)

    eps sits outside the square root. Because of the bias corrections the first step is
    x - lr * g / (|g| + eps'), about lr * sign(g) per element.

    State, created on a parameter's first step: 'step' = 0 (a count, then 1, 2, ...),
    'exp_avg' m = 0, 'exp_avg_sq' v = 0 and, with amsgrad, 'max_exp_avg_sq' v_max = 0.

    Args: lr (1e-3), betas (0.9, 0.999), eps (1e-8), weight_decay (0), amsgrad (False),
    maximize (False).
    """

    decoupled_weight_decay = False

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
        )
        self._check_group(defaults)
        super().__init__(params, defaults)

    def _check_group(self, group: ParamGroup) -> None:
        check_nonnegative(group["lr"], "Invalid learning rate", "lr")
        check_nonnegative(group["eps"], "Invalid epsilon value", "eps")
        check_betas(group["betas"])
        check_nonnegative(group["weight_decay"], "Invalid weight_decay value", "weight_decay")

    def _init_state(self, x: np.ndarray, group: ParamGroup) -> dict[str, Any]:
        state: dict[str, Any] = {
            "step": 0,
            "exp_avg": np.zeros_like(x),
            "exp_avg_sq": np.zeros_like(x),
        }
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = np.zeros_like(x)
        return state

    def _update(
        self, x: np.ndarray, g: np.ndarray, state: dict[str, Any], group: ParamGroup
    ) -> tuple[np.ndarray, dict[str, Any]]:
        lr, eps, weight_decay = group["lr"], group["eps"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        if group["maximize"]:
            g = -g
        step = state["step"] + 1
        if weight_decay != 0:
            if self.decoupled_weight_decay:
                x = x * (1 - lr * weight_decay)
            else:
                g = g + weight_decay * x
        m = beta1 * state["exp_avg"] + (1 - beta1) * g
        v = beta2 * state["exp_avg_sq"] + (1 - beta2) * g * g
        new_state = dict(state, step=step, exp_avg=m, exp_avg_sq=v)
        if group["amsgrad"]:
            v_max = np.maximum(state.get("max_exp_avg_sq", np.zeros_like(x)), v)
            new_state["max_exp_avg_sq"] = v_max
            v = v_max
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        denom = np.sqrt(v) / math.sqrt(bias_correction2) + eps
        return x - (lr / bias_correction1) * (m / denom), new_state


class AdamW(Adam):
    r"""AdamW (Loshchilov & Hutter): Adam with weight decay decoupled from the gradient.

    Same as Adam except the decay shrinks the parameter directly, before the Adam step,
    instead of being added to g (so it never enters m or v):

        x <- x * (1 - lr * weight_decay)
        m, v, v_max, x: as in Adam, with the raw gradient g

    State and its initial values: as in Adam. Defaults as Adam's, except
    weight_decay = 1e-2.
    """

    decoupled_weight_decay = True

    def __init__(
        self,
        params: Params,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        maximize: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize)
