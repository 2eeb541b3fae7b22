"""`tinygrad-edu demo`: the lesson end to end on one small data set.

Linear regression with two features (so the loss surface is a picture), the lesson's loss
f(W) = ||y - XW||^2, and every way of minimizing it that the lesson names: the normal
equation, gradient descent with a fixed step (too small, good, too large), with backtracking
(Armijo) and with exact line search, and the adaptive methods Adam, RMSprop and AdaGrad; then
the lesson's other worked numbers (`demo_lesson`). `run_demo` computes everything and returns
a `DemoResult`; `format_table` prints the comparison; `tinygrad_edu.report` writes the HTML
page, one section per part of the lesson.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from . import data, demo_lesson, optim
from .checks import GradcheckError, GradientReport, central_differences, compare_gradients, gradcheck
from .tensor import Tensor

START = (-3.0, 3.0)  # where every optimizer starts: far from the minimum, on a slope
TOL = 1e-6  # stop when ||grad f|| falls below this


@dataclass
class MethodResult:
    """One row of the comparison table."""

    name: str
    final_loss: float
    distance: float  # ||W - W_normal_equation||
    steps: int
    seconds: float
    history: optim.History | None = None
    note: str = ""


@dataclass
class DemoResult:
    """Everything the demo computed: data, the solution, the runs and the checks."""

    X: np.ndarray
    y: np.ndarray
    w_normal: np.ndarray
    lipschitz: float  # L = largest eigenvalue of the Hessian 2 X^T X
    rows: list[MethodResult] = field(default_factory=list)
    gradient_report: GradientReport | None = None
    gradcheck_ok: bool = False
    gradcheck_message: str = ""
    backtracking: optim.BacktrackingLineSearch | None = None
    seed: int = 0
    steps: int = 0
    autodiff_grad: np.ndarray | None = None  # grad f(START) by reverse mode
    numeric_grad: np.ndarray | None = None  # the same by central differences, h = 1e-6
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)  # method -> its hyper-parameters
    learning_rates: dict[str, optim.History] = field(default_factory=dict)  # too small / good / too large
    slope: demo_lesson.Slope | None = None
    directional: demo_lesson.Directional | None = None
    worked_step: tuple[np.ndarray, np.ndarray] | None = None  # (by optim.SGD, by hand)
    exercise: demo_lesson.Exercise | None = None
    next_steps: demo_lesson.NextSteps | None = None
    timing: demo_lesson.Timing | None = None

    def loss(self, w: Any) -> Tensor:
        """f(W) = ||y - XW||^2 for W a Tensor or an array (the function plotted)."""
        W = w if isinstance(w, Tensor) else Tensor(np.asarray(w, dtype=np.float64))
        return ((Tensor(self.y, name="y") - Tensor(self.X, name="X") @ W) ** 2).sum()

    def history(self, name: str) -> optim.History | None:
        """The recorded run of the method called `name`, if any."""
        return next((r.history for r in self.rows if r.name == name), None)


def make_data(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The built-in data set: data.make_regression(m=100, n=2, noise=0.5, seed), with the
    second feature scaled by 1/3 so the bowl of f is elongated (condition number ~ 9)."""
    X, y, _ = data.make_regression(100, 2, noise=0.5, seed=seed)
    return X.numpy() * np.array([1.0, 1.0 / 3.0]), y.numpy()


def methods(lipschitz: float) -> dict[str, Callable[[list[Tensor]], optim.Optimizer]]:
    """The optimizers of the lesson, each with a step size that suits the demo's data."""
    return {
        "GD, fixed step 1/L": lambda p: optim.SGD(p, lr=1.0 / lipschitz),
        "GD, backtracking": lambda p: optim.BacktrackingLineSearch(p, lr=1.0, shrink=0.5, c=1e-4),
        "GD, exact line search": lambda p: optim.ExactLineSearch(p),
        "Adam": lambda p: optim.Adam(p, lr=0.1),
        "RMSprop": lambda p: optim.RMSprop(p, lr=0.05),
        "AdaGrad": lambda p: optim.Adagrad(p, lr=1.0),
        # beyond the gradient: one step is one iteration of each
        "conjugate gradient": lambda p: optim.ConjugateGradient(p),
        "L-BFGS": lambda p: optim.LBFGS(
            p, max_iter=1, max_eval=25, line_search_fn="strong_wolfe", tolerance_change=0.0
        ),
        "Newton": lambda p: optim.Newton(p),
    }


def check_gradients(result: DemoResult) -> None:
    """Autodiff's gradient against the hand formula -2 X^T (y - XW) and central differences."""
    W = Tensor(np.array(START), requires_grad=True, name="W")
    result.loss(W).backward()
    assert W.grad is not None
    formula = -2.0 * result.X.T @ (result.y - result.X @ W.data)
    result.gradient_report = compare_gradients(W.grad, formula, names=["W (autodiff vs -2X^T(y - XW))"])
    result.autodiff_grad = W.grad.numpy().copy()
    result.numeric_grad = central_differences(lambda w: result.loss(w).item(), np.array(START), 1e-6)
    try:
        result.gradcheck_ok = gradcheck(result.loss, [Tensor(np.array(START), requires_grad=True, name="W")])
        result.gradcheck_message = "autodiff agrees with central differences (step h = 1e-6, atol = 1e-5, rtol = 1e-3)"
    except GradcheckError as err:
        result.gradcheck_ok, result.gradcheck_message = False, str(err)


def learning_rates(result: DemoResult) -> None:
    """Fixed-step gradient descent with a step too small (0.1/L), good (1/L) and too large
    (2.5/L, past the bound 2/L: it diverges), at most 60 steps each from START."""
    L = result.lipschitz
    for name, lr in (("too small, lr = 0.1/L", 0.1 / L), ("good, lr = 1/L", 1 / L), ("too large, lr = 2.5/L", 2.5 / L)):
        W = Tensor(np.array(START), requires_grad=True, name="W")
        try:
            hist = optim.minimize(partial(result.loss, W), optim.SGD([W], lr=lr), steps=60)
        except optim.DivergenceError as err:
            hist = err.history
            name += ", diverged"
        result.learning_rates[name] = hist


def run_demo(steps: int = 200, seed: int = 0, progress: bool = True, lesson: bool = True) -> DemoResult:
    """Fit the built-in data set with every method and return the results; with `lesson`,
    also compute the lesson's other worked numbers for the report."""
    X, y = make_data(seed)
    t0 = time.perf_counter()
    w_normal = data.normal_equation(X, y).numpy()
    t_normal = time.perf_counter() - t0
    lipschitz = float(np.linalg.eigvalsh(2.0 * X.T @ X).max())
    result = DemoResult(X, y, w_normal, lipschitz, seed=seed, steps=steps)
    check_gradients(result)
    f_normal = result.loss(w_normal).item()
    result.rows.append(MethodResult("normal equation", f_normal, 0.0, 1, t_normal, note="one solve"))

    makers = methods(lipschitz)
    bar = _bar(len(makers)) if progress else None
    try:
        for name, make in makers.items():
            if bar is not None:
                bar.set_description(name)
            W = Tensor(np.array(START), requires_grad=True, name="W")
            opt = make([W])
            t0 = time.perf_counter()
            hist = optim.minimize(partial(result.loss, W), opt, steps=steps, tol=TOL)
            seconds = time.perf_counter() - t0
            if isinstance(opt, optim.BacktrackingLineSearch):
                result.backtracking = opt
            result.settings[name] = {k: v for k, v in opt.param_groups[0].items() if k != "params"}
            note = f"reached ||grad f|| < {TOL:g}" if hist.grad_norm[-1] < TOL else f"stopped after {steps} steps"
            result.rows.append(
                MethodResult(
                    name,
                    result.loss(W.data).item(),
                    float(np.linalg.norm(W.data - w_normal)),
                    hist.steps,
                    seconds,
                    hist,
                    note,
                )
            )
            if bar is not None:
                bar.update(1)
        if bar is not None:
            bar.set_description("all methods done")
    finally:
        if bar is not None:
            bar.close()
    if lesson:
        lesson_numbers(result)
    return result


def lesson_numbers(result: DemoResult) -> None:
    """The worked numbers of every other part of the lesson (see `demo_lesson`)."""
    learning_rates(result)
    result.slope = demo_lesson.slope_of_square(2.0)
    result.directional = demo_lesson.directional(result.loss, np.array(START))
    result.worked_step = demo_lesson.worked_step()
    result.exercise = demo_lesson.exercise()
    result.next_steps = demo_lesson.next_steps(result.seed)
    result.timing = demo_lesson.timing()


def _bar(total: int) -> Any:
    """A tqdm bar over the methods, or None (with a hint) when tqdm is not installed."""
    try:
        from tqdm.auto import tqdm
    except ImportError:
        import sys

        print('(no progress bar: pip install "tinygrad_edu[progress]" to get one)', file=sys.stderr)
        return None
    return tqdm(total=total, unit="method", leave=True)


TABLE_HEAD = ("method", "final loss", "||W - W_ne||", "steps", "time (ms)", "note")


def table_rows(result: DemoResult) -> list[tuple[str, ...]]:
    """The comparison table as strings, one tuple per method (the header is TABLE_HEAD)."""
    return [
        (r.name, f"{r.final_loss:.8f}", f"{r.distance:.2e}", str(r.steps), f"{1e3 * r.seconds:.2f}", r.note)
        for r in result.rows
    ]


def format_table(result: DemoResult) -> str:
    """The comparison table as aligned plain text."""
    body = table_rows(result)
    widths = [max(len(row[i]) for row in [TABLE_HEAD, *body]) for i in range(len(TABLE_HEAD))]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return "\n".join([line(TABLE_HEAD), line(tuple("-" * w for w in widths)), *map(line, body)])
