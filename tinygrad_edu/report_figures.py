"""The report's pictures that are particular to one section of the lesson (matplotlib).

Each function draws one figure from numbers the demo computed and saves it as a PNG with
`viz.plots.save` (150 dpi, text of at least 10 pt, legends outside the data), so every
picture of the report follows the same rules as the library's plots.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .demo_lesson import Directional, Exercise, NextSteps, Slope, Timing
from .viz.plots import FONT, new_figure, save


def _contour(ax: Any, f: Callable[[np.ndarray], float], lo: np.ndarray, hi: np.ndarray, levels: int = 14) -> None:
    xs, ys = np.linspace(lo[0], hi[0], 60), np.linspace(lo[1], hi[1], 60)
    Z = np.array([[f(np.array([x, y])) for x in xs] for y in ys])
    ax.contour(xs, ys, Z, levels=np.geomspace(Z.min(), Z.max(), levels), cmap="viridis", linewidths=0.8)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel("w0")
    ax.set_ylabel("w1")


def _legend_below(fig: Any, ax: Any, ncols: int = 1) -> None:
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=ncols, frameon=False)


def fit(X: np.ndarray, y: np.ndarray, w: np.ndarray, path: Path) -> None:
    """y against the normal equation's prediction X W*: the exact fit of section 1."""
    fig = new_figure((4.8, 4.6))
    ax = fig.subplots()
    pred = X @ w
    ax.plot(pred, y, "o", color="#1f77b4", markersize=4, alpha=0.7, label="data (y_i against x_i . W*)")
    span = np.array([min(pred.min(), y.min()), max(pred.max(), y.max())])
    ax.plot(span, span, color="black", linewidth=1, label="y = X W* (a perfect fit)")
    ax.set_xlabel("prediction X W*")
    ax.set_ylabel("y")
    ax.set_title("the normal equation's fit")
    ax.grid(True, alpha=0.3)
    _legend_below(fig, ax)
    save(fig, path)


def tangent(s: Slope, path: Path) -> None:
    """f(x) = x^2 with its tangent at x = 2: slope f'(2) = 4."""
    fig = new_figure((4.8, 4.4))
    ax = fig.subplots()
    x = np.linspace(-1.0, 4.0, 200)
    ax.plot(x, x**2, color="#1f77b4", linewidth=2, label="f(x) = x^2")
    ax.plot(
        x,
        s.value + s.slope * (x - s.x),
        "--",
        color="#d62728",
        linewidth=1.5,
        label=f"tangent at x = {s.x:g}: y = {s.value:g} + {s.slope:g} (x - {s.x:g})",
    )
    ax.plot([s.x], [s.value], "o", color="black", markersize=7, label=f"(2, f(2)) = ({s.x:g}, {s.value:g})")
    ax.plot([s.x, s.x + 1], [s.value, s.value], color="gray", linewidth=1)
    ax.plot([s.x + 1, s.x + 1], [s.value, s.value + s.slope], color="gray", linewidth=1)
    ax.text(s.x + 1.08, s.value + s.slope / 2, f"rise {s.slope:g}\nper run 1", fontsize=FONT, va="center")
    ax.set_ylim(-2, 16)
    ax.set_xlabel("x")
    ax.set_ylabel("f(x)")
    ax.set_title("the slope of x^2 at 2")
    ax.grid(True, alpha=0.3)
    _legend_below(fig, ax)
    save(fig, path)


def _box(points: list[np.ndarray], pad: float = 0.6) -> tuple[np.ndarray, np.ndarray]:
    p = np.array(points, dtype=np.float64)
    lo, hi = p.min(axis=0) - pad, p.max(axis=0) + pad
    half = (hi - lo).max() / 2
    mid = (lo + hi) / 2
    return mid - half, mid + half


def gradient(f: Callable[[np.ndarray], float], at: np.ndarray, g: np.ndarray, w_star: np.ndarray, path: Path) -> None:
    """The gradient at W drawn on the contours, with its two partial derivatives."""
    lo, hi = _box([at, w_star], pad=1.2)
    scale = 0.35 * (hi - lo)[0] / np.linalg.norm(g)
    lo, hi = _box(
        [at, w_star, at + scale * g, at + scale * np.array([g[0], 0.0]), at + scale * np.array([0.0, g[1]])], pad=0.8
    )  # every arrow inside the axes
    fig = new_figure((5.0, 5.4))
    ax = fig.subplots()
    _contour(ax, f, lo, hi)
    for d, colour, label in (
        (np.array([g[0], 0.0]), "#ff7f0e", f"∂f/∂w0 = {g[0]:.4g} (east-west)"),
        (np.array([0.0, g[1]]), "#2ca02c", f"∂f/∂w1 = {g[1]:.4g} (north-south)"),
        (g, "#d62728", f"grad f(W) = ({g[0]:.4g}, {g[1]:.4g})"),
    ):
        ax.annotate(
            "", xy=tuple(at + scale * d), xytext=tuple(at), arrowprops=dict(arrowstyle="->", color=colour, linewidth=2)
        )
        ax.plot([], [], color=colour, linewidth=2, label=label)
    ax.plot([at[0]], [at[1]], "o", color="black", label=f"W = ({at[0]:g}, {at[1]:g})")
    ax.plot([w_star[0]], [w_star[1]], "*", color="black", markersize=13, label="minimizer W*")
    ax.set_title("the gradient points uphill, across the contours")
    _legend_below(fig, ax)
    save(fig, path)


def directional(f: Callable[[np.ndarray], float], d: Directional, w_star: np.ndarray, path: Path) -> None:
    """Left: unit directions u at W on the contours. Right: D_u f against the angle of u."""
    fig = new_figure((8.8, 4.8))
    left, right = fig.subplots(1, 2)
    lo, hi = _box([d.at, w_star], pad=1.2)
    _contour(left, f, lo, hi)
    length = 0.3 * (hi - lo)[0]
    colours = ["#ff7f0e", "#2ca02c", "#9467bd", "#d62728"]
    for (u, forward, _), colour in zip(d.rows, colours):
        left.annotate(
            "",
            xy=tuple(d.at + length * u),
            xytext=tuple(d.at),
            arrowprops=dict(arrowstyle="->", color=colour, linewidth=2),
        )
        name = "u = -g/||g||" if colour == colours[-1] else f"u = ({u[0]:.2g}, {u[1]:.2g})"
        left.plot([], [], color=colour, linewidth=2, label=f"{name}: D_u f = {forward:.5g}")
    left.plot([d.at[0]], [d.at[1]], "o", color="black")
    left.set_title("unit directions u at W")
    degrees = np.degrees(d.angles)
    right.plot(degrees, d.rates, color="#1f77b4", linewidth=2, label="D_u f (forward mode)")
    best = int(np.argmin(d.rates))
    right.plot(
        [degrees[best]],
        [d.rates[best]],
        "o",
        color="#d62728",
        markersize=8,
        label=f"smallest: {d.rates[best]:.5g} = -||g|| at {degrees[best]:.0f}°",
    )
    right.axhline(0.0, color="gray", linewidth=0.8)
    right.set_xlabel("angle of u (degrees)")
    right.set_ylabel("D_u f(W) = u . grad f(W)")
    right.set_title("rate of change around the circle")
    right.set_xticks([0, 90, 180, 270, 360])
    right.grid(True, alpha=0.3)
    handles = left.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    labels = left.get_legend_handles_labels()[1] + right.get_legend_handles_labels()[1]
    fig.legend(handles, labels, loc="outside lower center", ncols=2, frameon=False)
    save(fig, path)


def update_step(
    f: Callable[[np.ndarray], float], at: np.ndarray, g: np.ndarray, lr: float, w_star: np.ndarray, path: Path
) -> None:
    """One gradient-descent step W_new = W - lr grad f(W) on the contours."""
    new = at - lr * g
    lo, hi = _box([at, new, w_star], pad=1.0)
    fig = new_figure((5.0, 5.2))
    ax = fig.subplots()
    _contour(ax, f, lo, hi)
    ax.annotate("", xy=tuple(new), xytext=tuple(at), arrowprops=dict(arrowstyle="->", color="#d62728", linewidth=2))
    ax.plot([at[0]], [at[1]], "o", color="black", label=f"W_old = ({at[0]:.4g}, {at[1]:.4g})")
    ax.plot([new[0]], [new[1]], "o", color="#d62728", label=f"W_new = W_old - lr g = ({new[0]:.4g}, {new[1]:.4g})")
    ax.plot([], [], color="#d62728", linewidth=2, label=f"the step -lr g, lr = 1/L = {lr:.4g}")
    ax.plot([w_star[0]], [w_star[1]], "*", color="black", markersize=13, label="minimizer W*")
    ax.set_title("one step against the gradient")
    _legend_below(fig, ax)
    save(fig, path)


def sgd_epochs(n: NextSteps, path: Path) -> None:
    fig = new_figure((4.8, 3.9))
    ax = fig.subplots()
    epochs = np.arange(1, len(n.epochs) + 1)
    ax.semilogy(epochs, n.epochs, "o-", color="#1f77b4", label=f"minibatch SGD, batch {n.batch_size}, momentum 0.9")
    ax.set_xticks(epochs)
    ax.set_xlabel("epoch (one pass over the 1000 rows)")
    ax.set_ylabel("mean squared error (log scale)")
    ax.set_title("stochastic gradient descent")
    ax.grid(True, alpha=0.3)
    _legend_below(fig, ax)
    save(fig, path)


def penalties(n: NextSteps, path: Path) -> None:
    """The learned weights without a penalty, with L2 and with L1: L1 sets most to zero."""
    assert n.w_true is not None
    fig = new_figure((8.0, 4.2))
    ax = fig.subplots()
    k = np.arange(len(n.w_true))
    width = 0.8 / len(n.weights)
    for i, (name, w) in enumerate(n.weights.items()):
        zeros = int(np.sum(np.abs(w) < 1e-2))
        ax.bar(
            k + (i - 1) * width,
            w,
            width,
            label=f"{name}: {zeros} of {len(w)} weights below 0.01",
            color=["#7f7f7f", "#1f77b4", "#d62728"][i % 3],
        )
    ax.plot(k, n.w_true, "k_", markersize=16, mew=2, label="true weights (3 non-zero)")
    ax.axhline(0.0, color="black", linewidth=0.6)
    ax.set_xticks(k)
    ax.set_xlabel("weight index")
    ax.set_ylabel("learned weight")
    ax.set_title("L2 shrinks every weight; L1 sets the useless ones to zero")
    ax.grid(True, axis="y", alpha=0.3)
    _legend_below(fig, ax, ncols=2)
    save(fig, path)


def moons(n: NextSteps, path: Path) -> None:
    """The network's decision boundary on the two moons, and its loss per step."""
    assert n.moons_X is not None and n.moons_y is not None
    from .engine import no_grad
    from .tensor import Tensor

    fig = new_figure((8.8, 4.4))
    left, right = fig.subplots(1, 2)
    X, y = n.moons_X, n.moons_y
    xs = np.linspace(X[:, 0].min() - 0.5, X[:, 0].max() + 0.5, 120)
    ys = np.linspace(X[:, 1].min() - 0.5, X[:, 1].max() + 0.5, 100)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    with no_grad():
        logits = n.net(Tensor(grid)).numpy()
    score = (logits[:, 1] - logits[:, 0]).reshape(len(ys), len(xs))
    left.contourf(xs, ys, score > 0, levels=[-0.5, 0.5, 1.5], colors=["#cfe2f3", "#f4cccc"])
    left.contour(xs, ys, score, levels=[0.0], colors="black", linewidths=1.5)
    for label, colour in ((0, "#1f77b4"), (1, "#d62728")):
        pts = X[y == label]
        left.plot(pts[:, 0], pts[:, 1], "o", color=colour, markersize=3.5, label=f"class {label}")
    left.plot([], [], color="black", label="decision boundary")
    left.set_title(f"MLP 2-16-16-2: {n.accuracy:.0%} right")
    left.set_xlabel("x0")
    left.set_ylabel("x1")
    right.semilogy(n.net_loss, color="#1f77b4", label="cross-entropy loss (Adam, lr 0.05)")
    right.set_xlabel("step")
    right.set_ylabel("loss (log scale)")
    right.set_title("training loss")
    right.grid(True, alpha=0.3)
    handles = left.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    labels = left.get_legend_handles_labels()[1] + right.get_legend_handles_labels()[1]
    fig.legend(handles, labels, loc="outside lower center", ncols=2, frameon=False)
    save(fig, path)


def exercise(e: Exercise, path: Path) -> None:
    """f(x) = x^2 - 4x + 5 with the iterates of gradient descent from 0 (lr 0.1)."""
    fig = new_figure((4.8, 4.4))
    ax = fig.subplots()
    x = np.linspace(-0.5, 4.0, 200)
    ax.plot(x, x**2 - 4 * x + 5, color="#1f77b4", linewidth=2, label="f(x) = x^2 - 4x + 5")
    path_x = np.array(e.path)
    ax.plot(
        path_x,
        path_x**2 - 4 * path_x + 5,
        "o-",
        color="#ff7f0e",
        markersize=4,
        label=f"gradient descent from 0, lr 0.1 ({len(path_x) - 1} steps)",
    )
    ax.annotate("", xy=(e.x1, e.f1), xytext=(0.0, e.f0), arrowprops=dict(arrowstyle="->", color="#d62728", linewidth=2))
    ax.plot([], [], color="#d62728", linewidth=2, label=f"first step: x 0 -> {e.x1:g}, f 5 -> {e.f1:.4g}")
    ax.plot([2.0], [1.0], "*", color="black", markersize=13, label="minimum x = 2, f(2) = 1")
    ax.set_xlabel("x")
    ax.set_ylabel("f(x)")
    ax.set_title("the exercise")
    ax.grid(True, alpha=0.3)
    _legend_below(fig, ax)
    save(fig, path)


def timing(t: Timing, path: Path) -> None:
    """Time against n on log-log axes, with an n^3 reference slope; n is labelled at the sizes measured."""
    fig = new_figure((5.2, 4.6))
    ax = fig.subplots()
    n = np.array(t.sizes, dtype=np.float64)
    ax.loglog(n, 1e3 * np.array(t.solve), "o-", color="#1f77b4", label="normal equation: solve X^T X W = X^T y")
    ax.loglog(n, 1e3 * np.array(t.gd), "^-", color="#ff7f0e", label="gradient descent, exact steps (NumPy)")
    ref = 1e3 * t.solve[-1] * (n / n[-1]) ** 3
    ax.loglog(n, ref, ":", color="gray", label="slope 3: time ~ n^3")
    ax.set_xticks(n, [f"{v:g}" for v in n])  # the sizes measured, not 2 x 10^2 ... (they collide)
    ax.xaxis.set_minor_formatter("")  # no labels on the minor ticks
    ax.set_xlabel("features n (rows m = 4n)")
    ax.set_ylabel("time (ms, best of 3)")
    ax.set_title("the cost of the exact solution, measured")
    ax.grid(True, which="both", alpha=0.3)
    _legend_below(fig, ax)
    save(fig, path)
