"""EarlyStopping: a `minimize` callback that stops when a validation loss stops improving."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .assign import store
from .flat import to_float
from .optimizer import Optimizer


class EarlyStopping:
    r"""Stop training once the validation loss has not improved for `patience` checks.

        minimize(train_loss, opt, steps=1000, callback=EarlyStopping(lambda: val_loss(W), patience=10))

    After every step (or every `every` steps) it evaluates `val_fn()` (with gradient recording
    off). A value counts as an improvement when it is below best - min_delta; then best
    becomes it and the count of checks without improvement resets to 0. Otherwise the count
    grows, and when it reaches `patience` the callback returns True and `minimize` stops.
    With restore_best=True the parameters are then set back to where the best value was seen.

    Attributes: `val_loss` (every value seen, in order), `checked_steps` (the step index of
    each), `best` (+inf before the first check), `best_step`, `wait` (checks since the last
    improvement) and `stopped_step` (the step where it stopped, or None).

    Args: val_fn (returns the validation loss: a number or a one-element Tensor), patience
    (integer >= 1, default 5), min_delta (>= 0, default 0.0), restore_best (default False),
    every (check every this many steps, default 1).
    """

    def __init__(
        self,
        val_fn: Callable[[], Any],
        patience: int = 5,
        min_delta: float = 0.0,
        restore_best: bool = False,
        every: int = 1,
    ) -> None:
        if not callable(val_fn):
            raise TypeError(
                f"EarlyStopping: val_fn must be a function that returns the validation "
                f"loss, but got a {type(val_fn).__name__}"
            )
        for name, value in (("patience", patience), ("every", every)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"EarlyStopping: {name} must be an integer >= 1, but got {value!r}")
        if isinstance(min_delta, bool) or not isinstance(min_delta, (int, float)) or not min_delta >= 0:
            raise ValueError(f"EarlyStopping: min_delta must be a number >= 0, but got {min_delta!r}")
        self.val_fn = val_fn
        self.patience = int(patience)
        self.min_delta = float(min_delta)
        self.restore_best = restore_best
        self.every = int(every)
        self.val_loss: list[float] = []
        self.checked_steps: list[int] = []
        self.best = float("inf")
        self.best_step: int | None = None
        self.wait = 0
        self.stopped_step: int | None = None
        self._best_params: list[np.ndarray] | None = None

    def __call__(self, k: int, loss: float, optimizer: Optimizer) -> bool:
        if (k + 1) % self.every != 0:
            return False
        import tinygrad_edu as tge

        with tge.no_grad():
            value = to_float(self.val_fn())
        self.val_loss.append(value)
        self.checked_steps.append(k)
        params = [p for group in optimizer.param_groups for p in group["params"]]
        if value < self.best - self.min_delta:
            self.best, self.best_step, self.wait = value, k, 0
            if self.restore_best:
                self._best_params = [np.array(p.data, copy=True) for p in params]
            return False
        self.wait += 1
        if self.wait < self.patience:
            return False
        self.stopped_step = k
        if self.restore_best and self._best_params is not None:
            for p, data in zip(params, self._best_params, strict=True):
                store(p, data, "EarlyStopping.restore_best")  # a copy: training may go on
        return True
