"""Plots of optimization: the path on the loss surface and the loss and gradient norm per step
(`line_search.py` draws one line search). matplotlib is imported when a plot is drawn.

Every function returns its Figure, saves it when given `path` (PNG at 150 dpi, or any format
matplotlib knows from the suffix), and in Jupyter shows it once, inline. Run k has the same
colour in every plot. Legends and notes sit outside the data, text is at least 10 pt, and
when paths overlap `plot_contour` draws one panel per run on shared axes, so no path hides
another.
"""

from __future__ import annotations

import math
import os
import textwrap
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from . import _deps
from ._jupyter import show
from ._names import num
from ._runs import Run, as_runs, color, get

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PathLike = str | os.PathLike[str] | None
DPI = 150
FONT = 10  # points; the smallest text on every plot
STYLE = {
    "font.size": FONT,
    "axes.titlesize": FONT + 1,
    "axes.labelsize": FONT,
    "xtick.labelsize": FONT,
    "ytick.labelsize": FONT,
    "legend.fontsize": FONT,
    "figure.titlesize": FONT + 2,
}


def new_figure(figsize: tuple[float, float]) -> Figure:
    """A pyplot figure with the plots' text sizes and a layout that keeps legends outside."""
    plt = _deps.pyplot()
    with plt.rc_context(STYLE):
        return plt.figure(figsize=figsize, layout="constrained")


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


def quadratic_hessian(f: Callable[[np.ndarray], Any], center: np.ndarray, span: float) -> np.ndarray | None:
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
                H[i, j] = (
                    _value(f, x + ei + ej) - _value(f, x + ei - ej) - _value(f, x - ei + ej) + _value(f, x - ei - ej)
                ) / (4 * h * h)
        hessians.append(H)
    scale = np.abs(hessians[0]).max() + 1e-12
    if all(np.abs(H - hessians[0]).max() <= 1e-6 * scale for H in hessians[1:]):
        return (hessians[0] + hessians[0].T) / 2
    return None


def _finish(fig: Figure, path: PathLike) -> Figure:
    """Save (when given a path), show once in Jupyter, return the figure."""
    if path is not None:
        save(fig, path)
    return show(fig)


TEXT_KEY = "smallest text pt"  # a PNG's note of its smallest text, read by the docs site


def save(fig: Figure, path: str | os.PathLike[str], dpi: int = DPI) -> None:
    """fig.savefig at `dpi`; a PNG is stored with a 256-colour palette (a quarter of the bytes,
    no visible change for line plots) and notes the size of its smallest text in points, so a
    page can show it no smaller than that text stays legible."""
    if not str(path).lower().endswith(".png"):
        fig.savefig(path, dpi=dpi)
        return
    import io

    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    info = PngInfo()
    info.add_text(TEXT_KEY, num(smallest_text(fig)))
    with Image.open(buf) as image:
        image.convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE).save(
            path, optimize=True, dpi=(dpi, dpi), pnginfo=info
        )


def smallest_text(fig: Figure) -> float:
    """The size in points of the smallest text drawn on `fig` (titles, labels, ticks, legends)."""
    from matplotlib.text import Text

    sizes = [
        float(t.get_fontsize())
        for t in fig.findobj(Text)
        if t.get_visible() and t.get_text().strip() and t.get_window_extent().width > 0
    ]
    return min(sizes, default=float(FONT))


def steps_label(run: Run) -> str:
    """'label (N steps)', N the updates the run took (History.steps), as the tables count them."""
    n = run.steps
    return run.label if n is None else f"{run.label} ({n} step{'s' if n != 1 else ''})"


def overlapping(paths: Sequence[np.ndarray], span: float, share: float = 0.3) -> bool:
    """True when some path runs under another: `share` of its points lie within 1.5% of the
    plot's span of a later path's line (drawn on top)."""
    near = 0.015 * span
    for i, p in enumerate(paths):
        for q in paths[i + 1 :]:
            dense = _densify(q, near / 2)
            d = np.sqrt(((p[:, None, :] - dense[None, :, :]) ** 2).sum(-1)).min(axis=1)
            if len(p) > 1 and np.mean(d < near) >= share:
                return True
    return False


def _densify(p: np.ndarray, step: float) -> np.ndarray:
    """Points along the polyline p no farther than `step` apart."""
    out = [p[:1]]
    for a, b in zip(p[:-1], p[1:]):
        n = max(1, min(200, int(np.linalg.norm(b - a) / max(step, 1e-12))))
        out.append(a + (b - a) * np.linspace(0, 1, n + 1)[1:, None])
    return np.concatenate(out)


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
    layout: str = "auto",
    path: PathLike = None,
) -> Figure:
    """Contours of a two-parameter loss `f(w)` (w an array of 2 numbers; f may use Tensors
    or NumPy) with one labelled path per run, its start (hollow circle) and the minimizer
    (a star).

    trajectories: a History (its `.params`), an (n, 2) array of points, a list of those or
        a dict {label: run}. Run k gets colour k, as in `plot_history`; the legend gives
        each run's number of steps (`History.steps`).
    quadratic: None detects it; for a quadratic f the Hessian H is exact, its eigenvectors
        are drawn at the minimizer and its eigenvalues and the fixed-step stability bound
        lr < 2 / lambda_max are given under the plot.
    layout: "overlay" draws every path on one panel, "grid" one panel per run (shared axes,
        the other paths in light grey), "auto" a grid when some path would hide under
        another.
    """
    if layout not in ("auto", "overlay", "grid"):
        raise ValueError(f"plot_contour: layout must be 'auto', 'overlay' or 'grid', got {layout!r}")
    empty = trajectories is None or (isinstance(trajectories, (list, tuple, dict)) and len(trajectories) == 0)
    runs = [] if empty else as_runs(trajectories, labels)
    paths = [(k, r) for k, r in enumerate(runs) if r.params is not None]
    for _, r in paths:
        if r.params is not None and r.params.shape[1] != 2:
            raise ValueError(
                f"plot_contour draws two-parameter losses; run {r.label!r} has {r.params.shape[1]} parameters"
            )
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
    positive = bool(np.all(Z > 0))
    lv: Any = np.geomspace(Z.min(), Z.max(), levels) if positive and Z.max() > 10 * Z.min() else levels
    lv = np.unique(lv) if not isinstance(lv, int) else lv
    drawn = [r.params for _, r in paths if r.params is not None]
    grid = layout == "grid" or (layout == "auto" and len(drawn) > 1 and overlapping(drawn, span))
    n = len(paths) if grid else 1
    ncols = 1 if n == 1 else 2 if n <= 4 else 3
    nrows = math.ceil(n / ncols)
    size = 4.6 if n == 1 else 2.7
    fig = new_figure((max(4.6, size * ncols + 0.6), size * nrows + 1.3 + 0.25 * len(paths) * (not grid)))
    axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False).ravel()
    for ax in axes[n:]:
        ax.set_visible(False)
    equal = bool(np.isclose(hi[0] - lo[0], hi[1] - lo[1]))
    handles: dict[str, Any] = {}
    for i, ax in enumerate(axes[:n]):
        cs = ax.contour(xs, ys, Z, levels=lv, cmap="viridis", linewidths=0.8)
        if not grid:
            ax.clabel(cs, inline=True, fontsize=FONT - 1 if n > 1 else FONT, fmt="%.3g")
        shown = paths if not grid else [paths[i]]
        if grid:  # the other runs in grey, for comparison, when they stay inside the picture
            for k, r in paths:
                if k != paths[i][0] and r.params is not None and np.all((r.params >= lo) & (r.params <= hi)):
                    ax.plot(r.params[:, 0], r.params[:, 1], "-", color="#bbbbbb", linewidth=1, zorder=2)
            ax.set_title(textwrap.fill(steps_label(paths[i][1]), 30), color=color(paths[i][0]), fontsize=FONT)
        for k, r in shown:
            assert r.params is not None
            p = r.params
            (line,) = ax.plot(
                p[:, 0], p[:, 1], "o-", color=color(k), markersize=3, linewidth=1.5, zorder=3, label=steps_label(r)
            )
            handles.setdefault(steps_label(r), line)
        for _, r in shown:
            assert r.params is not None
            (start,) = ax.plot(
                [r.params[0, 0]],
                [r.params[0, 1]],
                "o",
                markerfacecolor="white",
                markeredgecolor="black",
                markersize=8,
                zorder=4,
                label="start",
            )
            handles.setdefault("start", start)
        if minimizer is not None:
            m = np.asarray(minimizer, dtype=np.float64)
            (star,) = ax.plot([m[0]], [m[1]], "*", color="black", markersize=13, zorder=5, label="minimizer")
            handles.setdefault("minimizer", star)
        else:
            iy, ix = np.unravel_index(np.argmin(Z), Z.shape)
            (star,) = ax.plot(
                [xs[ix]], [ys[iy]], "*", color="black", markersize=13, zorder=5, label="lowest grid point"
            )
            handles.setdefault("lowest grid point", star)
        if H is not None and i == 0:
            _eigen(ax, H, np.asarray(minimizer if minimizer is not None else center), lo, hi)
        ax.set_xlim(lo[0], hi[0])
        ax.set_ylim(lo[1], hi[1])
        if equal:
            ax.set_aspect("equal", adjustable="box")
        if i % ncols == 0:
            ax.set_ylabel("w1")
        if i >= n - ncols:  # the lowest panel of its column
            ax.set_xlabel("w0")
            ax.xaxis.set_tick_params(labelbottom=True)
    fig.suptitle(title or "loss contours and optimizer paths")
    notes = _eigen_notes(H) if H is not None else []
    keys = [k for k in handles if grid is False or k in ("start", "minimizer", "lowest grid point")]
    items, texts = [handles[k] for k in keys], list(keys)
    if grid:  # two columns: the notes, then the markers (the panels' titles name the runs)
        items, texts = [_blank() for _ in notes] + items, notes + texts
    else:
        items, texts = items + [_blank() for _ in notes], texts + notes
    fig.legend(
        items, texts, loc="outside lower center", ncols=2 if grid and notes else 1, frameon=False, handlelength=1.5
    )
    return _finish(fig, path)


def _blank() -> Any:
    from matplotlib.lines import Line2D

    return Line2D([], [], linestyle="none")


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


def _eigen(ax: Any, H: np.ndarray, at: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> None:
    """The Hessian's eigenvectors as arrows from `at`, each pointing into the plot, labelled
    inside the axes."""
    lam, vec = np.linalg.eigh(H)
    mid, width = (lo + hi) / 2, hi - lo
    for i in range(2):
        d = vec[:, i] * 0.2 * float(width.min())
        if np.dot(d, mid - at) < 0:  # the sign of an eigenvector is free: point inwards
            d = -d
        tip = np.clip(at + d, lo + 0.04 * width, hi - 0.04 * width)
        ax.annotate("", xy=tip, xytext=at, zorder=6, arrowprops=dict(arrowstyle="->", color="crimson", linewidth=1.5))
        label = np.clip(at + 1.15 * d, lo + 0.1 * width, hi - 0.1 * width)
        ax.text(
            *label,
            f"λ{i + 1}",
            color="crimson",
            fontsize=FONT,
            zorder=7,
            ha="center",
            va="center",
            bbox=dict(boxstyle="round,pad=0.1", facecolor="white", alpha=0.8, edgecolor="none"),
        )


def _eigen_notes(H: np.ndarray) -> list[str]:
    lam = np.linalg.eigvalsh(H)
    lines = [f"Hessian eigenvalues λ1 = {lam[0]:.4g}, λ2 = {lam[1]:.4g} (red arrows)"]
    if lam[1] > 0:
        lines.append(f"fixed step stable for lr < 2/λmax = {2 / lam[1]:.4g}")
        if lam[0] > 0:
            lines.append(f"condition number λmax/λmin = {lam[1] / lam[0]:.3g}")
    return lines


def plot_history(
    histories: Any,
    labels: Sequence[str] | None = None,
    log_loss: bool = True,
    f_star: float | None = None,
    title: str | None = None,
    path: PathLike = None,
) -> Figure:
    """The loss and the gradient norm against the step, one line per run (run k in colour k,
    as in `plot_contour`), both on log scales. With `f_star` (the minimum value of f) the
    left panel shows the gap f - f*, which a converging run drives to 0 in a straight line
    on the log scale; without it, f itself. `histories`: a History, a dict with lists 'loss'
    and 'grad_norm', a list of losses, a list of those or a dict {label: run}."""
    runs = as_runs(histories, labels)
    fig = new_figure((8.6, 3.6 + 0.25 * math.ceil(len(runs) / 2)))
    ax_loss, ax_grad = fig.subplots(1, 2)
    name = "loss" if f_star is None else "f - f*"
    for k, r in enumerate(runs):
        label = steps_label(r)
        if r.loss is not None:
            y = r.loss if f_star is None else _gap(r.loss, f_star)
            ax_loss.plot(np.arange(len(y)), y, color=color(k), label=label)
        if r.grad_norm is not None:
            ax_grad.plot(np.arange(len(r.grad_norm)), r.grad_norm, color=color(k), label=label)
    for ax, key in ((ax_loss, "loss"), (ax_grad, "grad_norm")):
        values = [v for r in runs for v in (get(r, key),) if v is not None]
        if f_star is not None and key == "loss":
            values = [_gap(v, f_star) for v in values]
        positive = [v[np.isfinite(v)] for v in values]
        if values and (ax is ax_grad or log_loss) and all(np.all(v > 0) for v in positive if v.size):
            ax.set_yscale("log")
        ax.set_xlabel("step")
        ax.grid(True, alpha=0.3)
    ax_loss.set_ylabel(name if f_star is None else "f(W) - f*  (log scale)")
    ax_grad.set_ylabel("||grad f(W)||  (log scale)")
    ax_loss.set_title(title or ("loss per step" if f_star is None else "distance to the minimum value"))
    ax_grad.set_title("gradient norm per step")
    lines = ax_loss.lines or ax_grad.lines
    if lines:
        fig.legend(lines, [ln.get_label() for ln in lines], loc="outside lower center", ncols=2, frameon=False)
    return _finish(fig, path)


def _gap(loss: np.ndarray, f_star: float) -> np.ndarray:
    """f - f*, with values at rounding level (or below it) left out of a log plot."""
    gap = np.asarray(loss, dtype=np.float64) - f_star
    floor = 1e-14 * max(abs(f_star), 1.0)
    return np.where(gap > floor, gap, np.nan)
