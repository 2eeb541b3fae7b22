"""Plots of optimization: the path on the loss surface, the loss and gradient norm per step,
and one line search. matplotlib is imported when a plot is drawn; every function returns
its Figure and also saves it when given `path`. Run k has the same colour in every plot."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _deps
from ._runs import as_runs, color, get

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PathLike = str | os.PathLike[str] | None


def _value(f: Callable[[np.ndarray], Any], w: np.ndarray) -> float:
    """f(w) as a float, for f written with Tensors or with NumPy."""
    from .. import engine

    with engine.no_grad():
        out = f(np.asarray(w, dtype=np.float64))
    return float(np.asarray(getattr(out, "data", out)).sum())


def numeric_gradient(f: Callable[[np.ndarray], Any], w: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central differences in float64 (`checks.central_differences`)."""
    from ..checks import central_differences

    return central_differences(lambda moved: _value(f, moved), w, h)


def quadratic_hessian(f: Callable[[np.ndarray], Any], center: np.ndarray,
                      span: float) -> np.ndarray | None:
    """The Hessian of f when f is quadratic near `center` (the same at three points), else
    None. Second differences are exact for quadratics, so a wide step is fine."""
    h = 0.05 * span
    hessians = []
    for shift in (np.zeros(2), np.array([0.25 * span, 0.0]), np.array([0.0, 0.25 * span])):
        x = center + shift
        H = np.zeros((2, 2))
        for i in range(2):
            for j in range(2):
                ei, ej = np.eye(2)[i] * h, np.eye(2)[j] * h
                H[i, j] = (_value(f, x + ei + ej) - _value(f, x + ei - ej)
                           - _value(f, x - ei + ej) + _value(f, x - ei - ej)) / (4 * h * h)
        hessians.append(H)
    scale = np.abs(hessians[0]).max() + 1e-12
    if all(np.abs(H - hessians[0]).max() <= 1e-6 * scale for H in hessians[1:]):
        return (hessians[0] + hessians[0].T) / 2
    return None


def _finish(fig: Figure, path: PathLike) -> Figure:
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=100)
    return fig


def plot_contour(
    f: Callable[[np.ndarray], Any],
    trajectories: Any = (),
    labels: Sequence[str] | None = None,
    xlim: tuple[float, float] | None = None,
    ylim: tuple[float, float] | None = None,
    minimizer: Sequence[float] | None = None,
    levels: int = 20,
    resolution: int = 80,
    quadratic: bool | None = None,
    title: str | None = None,
    path: PathLike = None,
) -> Figure:
    """Contours of a two-parameter loss `f(w)` (w an array of 2 numbers; f may use Tensors
    or NumPy) with one labelled path per run and the minimizer marked (a star).

    trajectories: a History (its `.params`), an (n, 2) array of points, a list of those or
        a dict {label: run}. Run k gets colour k, as in `plot_history`.
    quadratic: None detects it; for a quadratic f the Hessian H is exact, its eigenvectors
        are drawn at the minimizer and its eigenvalues and the fixed-step stability bound
        lr < 2 / lambda_max are printed on the plot.
    """
    plt = _deps.pyplot()
    empty = trajectories is None or (isinstance(trajectories, (list, tuple, dict))
                                     and len(trajectories) == 0)
    runs = [] if empty else as_runs(trajectories, labels)
    paths = [(k, r) for k, r in enumerate(runs) if r.params is not None]
    for _, r in paths:
        if r.params is not None and r.params.shape[1] != 2:
            raise ValueError(f"plot_contour draws two-parameter losses; run {r.label!r} has "
                             f"{r.params.shape[1]} parameters")
    points = [r.params for _, r in paths if r.params is not None]
    if minimizer is not None:
        points.append(np.asarray(minimizer, dtype=np.float64).reshape(1, 2))
    lo, hi = _box(points, xlim, ylim)
    span = float(max(hi - lo))
    center = (lo + hi) / 2
    H = quadratic_hessian(f, center, span) if quadratic is not False else None
    if minimizer is None and H is not None and np.all(np.linalg.eigvalsh(H) > 0):
        minimizer = center - np.linalg.solve(H, numeric_gradient(f, center, 1e-3 * span))
        lo, hi = _box(points + [np.reshape(minimizer, (1, 2))], xlim, ylim)
    xs = np.linspace(lo[0], hi[0], resolution)
    ys = np.linspace(lo[1], hi[1], resolution)
    Z = np.array([[_value(f, np.array([x, y])) for x in xs] for y in ys])
    fig, ax = plt.subplots(figsize=(6.4, 5.2))
    positive = bool(np.all(Z > 0))
    lv = np.geomspace(Z.min(), Z.max(), levels) if positive and Z.max() > 10 * Z.min() else levels
    lv = np.unique(lv) if not isinstance(lv, int) else lv
    cs = ax.contour(xs, ys, Z, levels=lv, cmap="viridis", linewidths=0.8)
    ax.clabel(cs, inline=True, fontsize=7, fmt="%.3g")
    for k, r in paths:
        assert r.params is not None
        p = r.params
        ax.plot(p[:, 0], p[:, 1], "o-", color=color(k), markersize=3, linewidth=1.5,
                label=f"{r.label} ({_steps(r.source, len(p) - 1)} steps)")
    if minimizer is not None:
        m = np.asarray(minimizer, dtype=np.float64)
        ax.plot([m[0]], [m[1]], "*", color="black", markersize=14, label="minimizer")
    else:
        iy, ix = np.unravel_index(np.argmin(Z), Z.shape)
        ax.plot([xs[ix]], [ys[iy]], "*", color="black", markersize=14, label="lowest grid point")
    if H is not None:
        _eigen(ax, H, np.asarray(minimizer if minimizer is not None else center), span)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    if np.isclose(hi[0] - lo[0], hi[1] - lo[1]):
        ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel("w0")
    ax.set_ylabel("w1")
    ax.set_title(title or "loss contours and optimizer paths")
    ax.legend(loc="upper right", fontsize=8)
    return _finish(fig, path)


def _box(points: list[np.ndarray], xlim: Any, ylim: Any) -> tuple[np.ndarray, np.ndarray]:
    if points:
        allp = np.concatenate(points)
        lo, hi = allp.min(axis=0), allp.max(axis=0)
        pad = np.maximum((hi - lo) * 0.15, 0.5)
        lo, hi = lo - pad, hi + pad
        width = hi - lo
        if width.max() <= 3 * width.min():  # equal spans: true angles and shapes
            grow = (width.max() - width) / 2
            lo, hi = lo - grow, hi + grow
    else:
        lo, hi = np.array([-2.0, -2.0]), np.array([2.0, 2.0])
    if xlim is not None:
        lo[0], hi[0] = xlim
    if ylim is not None:
        lo[1], hi[1] = ylim
    return lo, hi


def _eigen(ax: Any, H: np.ndarray, at: np.ndarray, span: float) -> None:
    lam, vec = np.linalg.eigh(H)
    for i in range(2):
        d = vec[:, i] * 0.2 * span
        ax.annotate("", xy=at + d, xytext=at, zorder=5,
                    arrowprops=dict(arrowstyle="->", color="crimson", linewidth=1.5))
        ax.text(*(at + 1.1 * d), f"λ{i + 1}={lam[i]:.3g}", color="crimson", fontsize=8,
                zorder=6, bbox=dict(boxstyle="round,pad=0.1", facecolor="white", alpha=0.7,
                                    edgecolor="none"))
    lines = [f"Hessian eigenvalues: {lam[0]:.4g}, {lam[1]:.4g}"]
    if lam[1] > 0:
        lines.append(f"fixed step stable for lr < 2/λmax = {2 / lam[1]:.4g}")
        if lam[0] > 0:
            lines.append(f"condition number λmax/λmin = {lam[1] / lam[0]:.3g}")
    ax.text(0.02, 0.02, "\n".join(lines), transform=ax.transAxes, fontsize=8, va="bottom",
            bbox=dict(boxstyle="round", facecolor="white", alpha=0.85))


def plot_history(
    histories: Any,
    labels: Sequence[str] | None = None,
    log_loss: bool = True,
    title: str | None = None,
    path: PathLike = None,
) -> Figure:
    """The loss (log scale) and the gradient norm against the step, one line per run, run k
    in colour k as in `plot_contour`. `histories`: a History, a dict with lists 'loss' and
    'grad_norm', a list of losses, a list of those or a dict {label: run}."""
    plt = _deps.pyplot()
    runs = as_runs(histories, labels)
    fig, (ax_loss, ax_grad) = plt.subplots(1, 2, figsize=(10, 4))
    for k, r in enumerate(runs):
        if r.loss is not None:
            ax_loss.plot(np.arange(len(r.loss)), r.loss, color=color(k), label=r.label)
        if r.grad_norm is not None:
            ax_grad.plot(np.arange(len(r.grad_norm)), r.grad_norm, color=color(k), label=r.label)
    for ax, name in ((ax_loss, "loss"), (ax_grad, "gradient norm ||g||")):
        values = [v for r in runs for v in (get(r, "loss" if ax is ax_loss else "grad_norm"),)
                  if v is not None]
        if values and (ax is ax_grad or log_loss) and all(np.all(v > 0) for v in values):
            ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.set_ylabel(name)
        ax.grid(True, alpha=0.3)
        if ax.lines:
            ax.legend(fontsize=8)
    ax_loss.set_title(title or "loss per step")
    ax_grad.set_title("gradient norm per step")
    return _finish(fig, path)


def _steps(source: Any, default: int) -> int:
    """Updates taken: a History's `steps` when the run has it."""
    steps = get(source, "steps")
    return default if steps is None else int(steps)
