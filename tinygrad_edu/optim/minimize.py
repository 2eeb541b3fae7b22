"""`minimize`: the gradient-descent loop, written once, with a `History` of what happened.

    W = Tensor([1.0, 2.0], requires_grad=True)
    hist = optim.minimize(lambda: ((y - X @ W) ** 2).sum(), optim.SGD([W], lr=0.01), steps=200)
    hist.loss[-1], hist.grad_norm[-1], hist.trajectory()

Entry k of the history describes the point x_k where step k starts: loss[k] = f(x_k),
grad_norm[k] = ||grad f(x_k)||, params[k] = copies of x_k, step_size[k] = the step size
used to leave x_k (the group's lr for fixed-step and adaptive methods; the accepted eps for
line searches), trials[k] = the (eps, f) pairs a line search tried from x_k (empty for
other optimizers). `final_params` holds where the run ended, and `steps` how many updates
were taken (one fewer than the entries when the run stopped at `tol`).

Divergence rule: the run stops with a `DivergenceError` as soon as a loss is NaN or
infinite, or |loss| exceeds `divergence` * max(|initial loss|, 1) (the "grows without
bound" case: on a quadratic, a step size beyond 2/L multiplies the error at every step, so
the floor of 1 for a loss that starts near 0 costs only a few steps of geometric growth).
`divergence=1e6` by default; `divergence=None` turns the growth check off (a non-finite
loss still stops the run). A loss or gradient that is not finite at the starting point
raises ValueError: no step was taken, so the step size cannot be the cause.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..compiled import compile as compile_step
from ..tensor import Tensor
from .line_search import _to_float
from .optimizer import Optimizer, grad_norm

GROWTH_LIMIT = 1e6


class DivergenceError(RuntimeError):
    """The loss became non-finite or grew without bound: the step size is too large.

    Attributes: `step` (the index where it was detected), `loss` (its value), `lr` (the
    first group's lr, or None) and `history` (the History up to that point).
    """

    def __init__(self, message: str, step: int, loss: float, lr: float | None, history: History) -> None:
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
    steps: int = 0  # updates taken (optimizer.step calls)

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
            "steps": self.steps,
        }

    def trajectory(self, index: int = 0) -> np.ndarray:
        """Parameter number `index` at every step, then at the end: shape (steps + 1, ...)."""
        points = [entry[index] for entry in self.params]
        if self.final_params:
            points.append(self.final_params[index])
        return np.stack(points)

    def __repr__(self) -> str:
        from ..viz.summary import history_text

        return history_text(self)

    def _repr_html_(self) -> str:
        from ..viz.summary import history_html

        return history_html(self)

    def plot(self, **kwargs: Any) -> Any:
        """Plot loss, gradient norm and step size with `tinygrad_edu.viz.plot_history`."""
        try:
            import matplotlib  # noqa: F401

            from ..viz import plot_history
        except ImportError as err:
            raise ImportError(
                "History.plot needs matplotlib and tinygrad_edu.viz: pip install tinygrad_edu[viz]"
            ) from err
        return plot_history(self, **kwargs)


def minimize(
    loss_fn: Callable[[], Any],
    optimizer: Optimizer,
    steps: int = 100,
    tol: float | None = None,
    progress: bool = False,
    divergence: float | None = GROWTH_LIMIT,
    callback: Callable[[int, float, Optimizer], Any] | None = None,
    compile: bool = False,  # noqa: A002 - the issue's name
) -> History:
    """Run `steps` optimizer steps on `loss_fn()` (a scalar loss of the optimizer's params).

    Builds the closure (zero grads, loss = loss_fn(), loss.backward(), return loss), and
    records a History. Stops early, before stepping, once the gradient norm is below `tol`
    (that last point is recorded with step size 0.0). Raises DivergenceError when the loss
    becomes non-finite or exceeds `divergence` * max(|initial loss|, 1) (None: no growth
    limit), and ValueError when the loss or its gradient is not finite at the starting
    point (see the module docstring).

    `callback(k, loss, optimizer)` runs after every step k, with loss = history.loss[k] (f at
    the point where step k started); when it returns a true value the run stops there. Use
    `optim.EarlyStopping(val_fn, patience, min_delta)` as the callback to stop when a
    validation loss stops improving.

    With `compile=True` the loss and its backward are recorded once and replayed
    (`tge.compile`): `loss_fn`'s Python decisions are frozen at the first call.
    """
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise ValueError(f"steps must be a non-negative integer, but got {steps!r}")
    if tol is not None and not tol >= 0:
        raise ValueError(f"tol must be None or >= 0, but got {tol!r}")
    if divergence is not None and not (isinstance(divergence, (int, float)) and divergence > 1):
        raise ValueError(
            f"divergence must be None (no growth limit) or a number > 1, the factor by which the "
            f"loss may grow over max(|initial loss|, 1), but got {divergence!r}"
        )
    _check_loss_fn(loss_fn)
    if callback is not None and not callable(callback):
        raise TypeError(
            f"minimize: callback must be a function (k, loss, optimizer) -> bool | None, "
            f"but got a {type(callback).__name__}"
        )
    params = [p for group in optimizer.param_groups for p in group["params"]]
    history = History()
    cached: list[Any] = []

    def loss_and_grad() -> Any:
        loss = loss_fn()
        if not isinstance(loss, Tensor):
            raise TypeError(
                f"minimize: loss_fn() must return the loss as a scalar Tensor computed from the "
                f"optimizer's parameters, but it returned a {type(loss).__name__}"
            )
        loss.backward()
        return loss

    step = compile_step(loss_and_grad) if compile else loss_and_grad

    def evaluate() -> Any:
        optimizer.zero_grad()
        return step()

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
            _check_divergence(value, k, optimizer, history, divergence)
            if tol is not None and history.grad_norm[-1] < tol:
                history.step_size.append(0.0)
                history.trials.append([])
                break
            cached.append(loss)
            optimizer.step(closure)
            history.steps += 1
            cached.clear()
            history.step_size.append(_step_size(optimizer))
            history.trials.append(list(getattr(optimizer, "last_trials", [])))
            if bar is not None:
                bar.set_postfix(loss=f"{value:.6g}")
                bar.update(1)
            if callback is not None and callback(k, value, optimizer):
                break
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


def _check_loss_fn(loss_fn: Any) -> None:
    """minimize calls loss_fn() with no arguments: say so when it needs some."""
    if not callable(loss_fn):
        raise TypeError(
            f"minimize: loss_fn must be a function of no arguments that returns the loss, "
            f"but got a {type(loss_fn).__name__}; pass e.g. lambda: f(W)"
        )
    try:
        signature = inspect.signature(loss_fn)
    except (TypeError, ValueError):
        return  # a builtin or C function: let the call speak for itself
    required = [
        p.name
        for p in signature.parameters.values()
        if p.default is p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    if required:
        name = getattr(loss_fn, "__name__", "loss_fn")
        raise TypeError(
            f"minimize calls loss_fn() with no arguments, but {name}{signature} needs "
            f"{', '.join(required)}. The optimizer already holds the parameters: pass a "
            f"function that reads them, e.g. minimize(lambda: {name}(W), optimizer)"
        )


def _check_divergence(value: float, k: int, optimizer: Optimizer, history: History, divergence: float | None) -> None:
    first = history.loss[0]
    if k == 0 and not (math.isfinite(value) and math.isfinite(history.grad_norm[0])):
        what = (
            f"the loss is {value}"
            if not math.isfinite(value)
            else (f"the loss is {value:.6g} but its gradient is not finite (norm {history.grad_norm[0]})")
        )
        raise ValueError(
            f"minimize: {what} at the starting point, before any step. Check that the "
            "initial parameters lie in the loss's domain (no log or sqrt of a negative "
            "number or of 0, no division by 0); tge.detect_anomaly() names the op whose "
            "gradient is not finite."
        )
    limit = math.inf if divergence is None else divergence * max(abs(first), 1.0)
    if math.isfinite(value) and abs(value) <= limit:
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
    if math.isfinite(value):
        message += f" (divergence={divergence:g} sets this limit; divergence=None turns it off.)"
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
