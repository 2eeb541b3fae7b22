"""Adagrad: scale each coordinate by the root of its accumulated squared gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from .optimizer import Optimizer, ParamGroup, Params, check_nonnegative


class Adagrad(Optimizer):
    r"""Adagrad (Duchi, Hazan & Singer), with PyTorch's update (torch.optim.Adagrad).

    For each parameter x with gradient g, at step t = 1, 2, ...:

        g <- -g                                   if maximize
        g <- g + weight_decay * x                 if weight_decay != 0
        lr_t = lr / (1 + (t - 1) * lr_decay)
        S <- S + g^2                              (sum of squared gradients)
        x <- x - lr_t * g / (sqrt(S) + eps)

    eps sits outside the square root. With initial_accumulator_value 0 the first step is
    lr * g / (|g| + eps), about lr * sign(g).

    State, created on a parameter's first step (PyTorch creates it in the constructor; the
    numbers are the same): 'step' = 0 (a count), 'sum' S = initial_accumulator_value
    everywhere.

    Args: lr (1e-2), lr_decay (0), weight_decay (0), initial_accumulator_value (0),
    eps (1e-10), maximize (False).
    """

    def __init__(
        self,
        params: Params,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        maximize: bool = False,
    ) -> None:
        defaults = dict(
            lr=lr,
            lr_decay=lr_decay,
            weight_decay=weight_decay,
            initial_accumulator_value=initial_accumulator_value,
            eps=eps,
            maximize=maximize,
        )
        self._check_group(defaults)
        super().__init__(params, defaults)

    def _check_group(self, group: ParamGroup) -> None:
        check_nonnegative(group["lr"], "Invalid learning rate", "lr")
        check_nonnegative(group["lr_decay"], "Invalid lr_decay value", "lr_decay")
        check_nonnegative(group["weight_decay"], "Invalid weight_decay value", "weight_decay")
        check_nonnegative(
            group["initial_accumulator_value"],
            "Invalid initial_accumulator_value value",
            "initial_accumulator_value",
        )
        check_nonnegative(group["eps"], "Invalid epsilon value", "eps")

    def _init_state(self, x: np.ndarray, group: ParamGroup) -> dict[str, Any]:
        return {"step": 0, "sum": np.full_like(x, group["initial_accumulator_value"])}

    def _update(
        self, x: np.ndarray, g: np.ndarray, state: dict[str, Any], group: ParamGroup
    ) -> tuple[np.ndarray, dict[str, Any]]:
        if group["maximize"]:
            g = -g
        if group["weight_decay"] != 0:
            g = g + group["weight_decay"] * x
        step = state["step"] + 1
        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        total = state["sum"] + g * g
        denom = np.sqrt(total) + group["eps"]
        return x - clr * (g / denom), dict(state, step=step, sum=total)
