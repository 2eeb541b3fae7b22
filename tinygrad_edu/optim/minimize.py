"""`minimize`: the gradient-descent loop, written once, with a `History` of what happened.

    W = Tensor([1.0, 2.0], requires_grad=True)
    hist = optim.minimize(lambda: ((y - X @ W) ** 2).sum(), optim.SGD([W], lr=0.01), steps=200)
    hist.loss[-1], hist.grad_norm[-1], hist.trajectory()

Entry k of the history describes the point x_k where step k starts: loss[k] = f(x_k),
grad_norm[k] = ||grad f(x_k)||, params[k] = copies of x_k, step_size[k] = the step size
used to leave x_k (the group's lr for fixed-step and adaptive methods; the accepted eps for
line searches), trials[k] = the (eps, f) pairs a line search tried from x_k (empty for
other optimizers). `final_params` holds where the run ended.

Divergence rule: the run stops with a `DivergenceError` as soon as a loss is NaN or
infinite, or |loss| exceeds 1e6 * max(|initial loss|, 1e-12) (the "grows without bound"
case: on a quadratic, a step size beyond 2/L multiplies the error at every step).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .line_search import _to_float
from .optimizer import Optimizer, grad_norm

GROWTH_LIMIT = 1e6


class DivergenceError(RuntimeError):
    """The loss became non-finite or grew without bound: the step size is too large.

    Attributes: `step` (the index where it was detected), `loss` (its value), `lr` (the
    first group's lr, or None) and `history` (the History up to that point).
    """

    def __init__(self, message: str, step: int, loss: float, lr: float | None,
                 history: History) -> None:
        super().__init__(message)
        self.step = step
        self.loss = loss
        self.lr = lr
        self.history = history


@dataclass
class History:
    """What `minimize` recorded: one entry per step (see the module docstring)."""

    loss: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    step_size: list[float] = field(default_factory=list)
    params: list[list[np.ndarray]] = field(default_factory=list)
    trials: list[list[tuple[float, float]]] = field(default_factory=list)
    final_params: list[np.ndarray] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.loss)

    def to_dict(self) -> dict[str, Any]:
        """Plain lists and arrays (copies), ready for `tge.save` or JSON-like use."""
        return {
            "loss": list(self.loss),
            "grad_norm": list(self.grad_norm),
            "step_size": list(self.step_size),
            "params": [[np.array(a) for a in entry] for entry in self.params],
            "trials": [list(t) for t in self.trials],
            "final_params": [np.array(a) for a in self.final_params],
        }

    def trajectory(self, index: int = 0) -> np.ndarray:
        """Parameter number `index` at every step, then at the end: shape (steps + 1, ...)."""
        points = [entry[index] for entry in self.params]
        if self.final_params:
            points.append(self.final_params[index])
        return np.stack(points)

    def plot(self, **kwargs: Any) -> Any:
        """Plot loss, gradient norm and step size with `tinygrad_edu.viz.plot_history`."""
        try:
            import matplotlib  # noqa: F401

            from ..viz import plot_history
        except ImportError as err:
            raise ImportError(
                "History.plot needs matplotlib and tinygrad_edu.viz: "
                "pip install tinygrad_edu[viz]"
            ) from err
        return plot_history(self, **kwargs)


def minimize(
    loss_fn: Callable[[], Any],
    optimizer: Optimizer,
    steps: int = 100,
    tol: float | None = None,
    progress: bool = False,
) -> History:
    """Run `steps` optimizer steps on `loss_fn()` (a scalar loss of the optimizer's params).

    Builds the closure (zero grads, loss = loss_fn(), loss.backward(), return loss), and
    records a History. Stops early, before stepping, once the gradient norm is below `tol`
    (that last point is recorded with step size 0.0). Raises DivergenceError when the loss
    is non-finite or exceeds 1e6 times the initial loss (see the module docstring).
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be a non-negative integer, but got {steps!r}")
    if tol is not None and not tol >= 0:
        raise ValueError(f"tol must be None or >= 0, but got {tol!r}")
    params = [p for group in optimizer.param_groups for p in group["params"]]
    history = History()
    cached: list[Any] = []

    def evaluate() -> Any:
        optimizer.zero_grad()
        loss = loss_fn()
        loss.backward()
        return loss

    def closure() -> Any:
        # The first call of each step returns the loss already computed at x_k.
        return cached.pop() if cached else evaluate()

    bar = _progress_bar(steps) if progress else None
    try:
        for k in range(steps):
            loss = evaluate()
            value = _to_float(loss)
            history.loss.append(value)
            history.grad_norm.append(grad_norm(params))
            history.params.append([np.array(p.data, copy=True) for p in params])
            _check_divergence(value, k, optimizer, history)
            if tol is not None and history.grad_norm[-1] < tol:
                history.step_size.append(0.0)
                history.trials.append([])
                break
            cached.append(loss)
            optimizer.step(closure)
            cached.clear()
            history.step_size.append(_step_size(optimizer))
            history.trials.append(list(getattr(optimizer, "last_trials", [])))
            if bar is not None:
                bar.set_postfix(loss=f"{value:.6g}")
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    history.final_params = [np.array(p.data, copy=True) for p in params]
    return history


def _step_size(optimizer: Optimizer) -> float:
    size = getattr(optimizer, "last_step_size", None)
    if size is None:
        size = optimizer.param_groups[0].get("lr", float("nan"))
    return float(size)


def _check_divergence(value: float, k: int, optimizer: Optimizer, history: History) -> None:
    first = history.loss[0]
    if math.isfinite(value) and abs(value) <= GROWTH_LIMIT * max(abs(first), 1e-12):
        return
    lr = optimizer.param_groups[0].get("lr")
    what = "became non-finite" if not math.isfinite(value) else "grew without bound"
    message = (
        f"the loss {what} at step {k}: {value:.6g} (initial loss {first:.6g}). "
        "The step size is too large for this problem."
    )
    if hasattr(optimizer, "last_step_size"):
        message += " The line search could not keep the loss down; check that the loss is "
        message += "bounded below and that its gradient is right."
    elif lr is not None:
        message += f" Try a smaller learning rate than lr={lr}, e.g. lr={lr / 10:g}."
    raise DivergenceError(message, k, value, lr, history)


def _progress_bar(total: int) -> Any:
    try:
        from tqdm.auto import tqdm
    except ImportError as err:
        raise ImportError(
            "minimize(progress=True) shows a tqdm progress bar: pip install tqdm "
            "(or pip install tinygrad_edu[progress])"
        ) from err
    return tqdm(total=total, desc="minimize", unit="step")
