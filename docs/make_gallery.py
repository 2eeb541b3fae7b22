"""Draw every picture of docs/gallery.md into a directory (default: docs/images).

    python docs/make_gallery.py [OUT_DIR]

Graphs are written as SVG (they need the Graphviz program `dot`; without it the script
writes the DOT source and the text tree instead), plots as PNG with matplotlib's Agg backend.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import matplotlib
import numpy as np

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from tinygrad_edu import Tensor, optim, viz  # noqa: E402
from tinygrad_edu.viz.plots import save  # noqa: E402

# The lesson's linear regression, f(W) = ||y - X W||^2, with W = (w0, w1): intercept, slope.
X_DATA = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0], [1.0, 3.0]])
Y_DATA = np.array([1.0, 3.0, 2.0, 5.0])


def lesson_loss(W: Tensor) -> Tensor:
    X = Tensor(X_DATA, name="X")
    y = Tensor(Y_DATA, name="y")
    return ((y - X @ W) ** 2).sum()


def f(w: np.ndarray) -> Tensor:
    """The same loss as a function of a plain vector (for contours and line searches)."""
    return lesson_loss(Tensor(w))


def run(optimizer_cls: type, steps: int, **kwargs: float) -> tuple[optim.History, object]:
    W = Tensor([-1.0, 3.0], requires_grad=True, name="W")
    opt = optimizer_cls([W], **kwargs)
    return optim.minimize(lambda: lesson_loss(W), opt, steps=steps), opt


def graphs(out: Path) -> list[Path]:
    """The computation graph, the highlighted chain rule, the backward frames, gradcheck."""
    W = Tensor([1.0, 2.0], requires_grad=True, name="W")
    loss = lesson_loss(W)
    loss.name = "loss"
    loss.backward()
    x = Tensor(2.0, requires_grad=True, name="x")
    y = Tensor(3.0, requires_grad=True, name="y")
    f = x**2 + 3 * x * y
    f.name = "f"
    pictures = {
        "graph": viz.draw_graph(loss),
        "highlight": viz.draw_graph(f, highlight=x),
        "gradcheck": viz.draw_gradcheck(
            lesson_loss,
            [Tensor([1.0, 2.0], requires_grad=True, name="W")],
            expected=[-2 * X_DATA.T @ (Y_DATA - X_DATA @ np.array([1.0, 2.0]))],
        ),
    }
    (out / "graph.txt").write_text(viz.graph_text(loss) + "\n")
    written = [out / "graph.txt"]
    if shutil.which("dot") is None:
        for name, dot in pictures.items():
            (out / f"{name}.dot").write_text(dot.source)
            written.append(out / f"{name}.dot")
        print("the Graphviz program `dot` is missing: wrote DOT sources instead of SVG")
        return written
    for name, dot in pictures.items():
        path = out / f"{name}.svg"
        path.write_bytes(dot.pipe(format="svg"))
        written.append(path)
    x = Tensor(2.0, requires_grad=True, name="x")
    f = x**2 + 3 * x * Tensor(3.0, requires_grad=True, name="y")
    f.name = "f"
    frames = viz.draw_backward(f)
    for k in (2, len(frames) - 1):  # a step through a product, and the end: every gradient in place
        path = out / f"backward_{k}.svg"
        path.write_bytes(frames[k].pipe(format="svg"))
        written.append(path)
    written.append(frames.stepper().save(out / "backward.html"))
    return written


def plots(out: Path) -> list[Path]:
    """The optimizer's path, its loss and gradient norm, and one line search."""
    small, _ = run(optim.SGD, 40, lr=0.02)
    big, _ = run(optim.SGD, 40, lr=0.055)
    search, opt = run(optim.BacktrackingLineSearch, 15, lr=1.0, shrink=0.5)
    runs = {"SGD lr=0.02": small, "SGD lr=0.055": big, "backtracking": search}
    figures = {
        "contour": viz.plot_contour(f, runs, levels=12, title="f(W) = ||y - XW||^2 and three runs"),
        "history": viz.plot_history(runs, f_star=f(np.linalg.lstsq(X_DATA, Y_DATA, rcond=None)[0]).item()),
        "line_search": viz.plot_line_search(search, step=0, f=f, search=opt),
    }
    written = []
    for name, fig in figures.items():
        path = out / f"{name}.png"
        save(fig, path)
        plt.close(fig)
        written.append(path)
    return written


def main(out_dir: str | Path = Path(__file__).parent / "images") -> list[Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return graphs(out) + plots(out)


if __name__ == "__main__":
    for p in main(*sys.argv[1:]):
        print(p)
