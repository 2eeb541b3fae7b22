"""ReduceLROnPlateau: lower the lr when a monitored metric stops improving."""

from __future__ import annotations

import math
from typing import Any

from .optimizer import Optimizer
from .scheduler_base import LRScheduler


class ReduceLROnPlateau(LRScheduler):
    r"""Multiply the lr by `factor` once the metric has not improved for `patience` epochs.

    Call `step(metric)` once per epoch with the monitored value (a validation loss in
    mode 'min', an accuracy in mode 'max'). PyTorch's rule, with best = the best value so far
    (initially +inf in 'min' mode, -inf in 'max'):

        improved = metric < best * (1 - threshold)   ('min', 'rel')    metric < best - threshold ('min', 'abs')
                   metric > best * (1 + threshold)   ('max', 'rel')    metric > best + threshold ('max', 'abs')
        if improved: best = metric, bad epochs = 0; else bad epochs += 1
        during a cooldown (cooldown epochs after a reduction) bad epochs are not counted
        if bad epochs > patience: lr <- max(lr * factor, min_lr) (skipped when that changes lr
            by no more than eps), cooldown starts, bad epochs = 0

    Args (PyTorch's defaults): mode ('min'), factor (0.1, must be < 1), patience (10),
    threshold (1e-4), threshold_mode ('rel'), cooldown (0), min_lr (0, or one per group),
    eps (1e-8).
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | list[float] = 0,
        eps: float = 1e-8,
    ) -> None:
        if factor >= 1.0:
            raise ValueError(f"Factor should be < 1.0, but got factor={factor}")
        self.factor = factor
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != len(optimizer.param_groups):
                raise ValueError(f"expected {len(optimizer.param_groups)} min_lrs, got {len(min_lr)}")
            self.default_min_lr: float | None = None
            self.min_lrs = list(min_lr)
        else:
            self.default_min_lr = min_lr
            self.min_lrs = [min_lr] * len(optimizer.param_groups)
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.last_epoch = 0
        self._last_lr = self._current_lrs()
        self._init_is_better(mode, threshold, threshold_mode)
        self._reset()

    def _reset(self) -> None:
        self.best = self.mode_worse
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def step(self, metrics: Any = None) -> None:
        """One epoch: compare `metrics` (a number or a one-element Tensor) with the best so far."""
        if metrics is None:
            raise TypeError("ReduceLROnPlateau.step needs the monitored value: scheduler.step(validation_loss)")
        current = float(metrics)
        self.last_epoch += 1
        if self._is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad epochs during a cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self._current_lrs()

    def _reduce_lr(self) -> None:
        if len(self.optimizer.param_groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(
                    f"The number of param groups in the optimizer ({len(self.optimizer.param_groups)}) "
                    f"differs from when ReduceLROnPlateau was initialized ({len(self.min_lrs)}), "
                    "usually because a param group was added; set `min_lrs` to match"
                )
            self.min_lrs = [self.default_min_lr] * len(self.optimizer.param_groups)
        for group, low in zip(self.optimizer.param_groups, self.min_lrs, strict=True):
            old = float(group["lr"])
            new = max(old * self.factor, low)
            if old - new > self.eps:
                group["lr"] = new

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def _is_better(self, a: float, best: float) -> bool:
        if self.mode == "min" and self.threshold_mode == "rel":
            return a < best * (1.0 - self.threshold)
        if self.mode == "min":
            return a < best - self.threshold
        if self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    def _init_is_better(self, mode: str, threshold: float, threshold_mode: str) -> None:
        if mode not in {"min", "max"}:
            raise ValueError(f"mode {mode!r} is unknown! Use 'min' (a loss) or 'max' (an accuracy)")
        if threshold_mode not in {"rel", "abs"}:
            raise ValueError(f"threshold mode {threshold_mode!r} is unknown! Use 'rel' or 'abs'")
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.__dict__.update(state_dict)
        self._init_is_better(self.mode, self.threshold, self.threshold_mode)
