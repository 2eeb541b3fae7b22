"""viz.plot_contour draws the paths of Newton, CG and L-BFGS from their History like any other
optimizer's: every point the run visited, labelled with the method."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_edu import Tensor, optim

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")


def test_contour_plot_draws_second_order_paths():
    from tinygrad_edu import viz

    X = Tensor([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0], [1.0, 3.0]])
    y = Tensor([1.0, 3.0, 2.0, 5.0])

    def f(W):
        return ((y - X @ W) ** 2).sum()

    makers = {
        "Newton": optim.Newton,
        "conjugate gradient": optim.ConjugateGradient,
        "L-BFGS": lambda p: optim.LBFGS(p, max_iter=1, max_eval=25, line_search_fn="strong_wolfe"),
        "steepest descent": optim.ExactLineSearch,
    }

    def run(make):
        W = Tensor([-2.0, 4.0], requires_grad=True)
        return optim.minimize(lambda: f(W), make([W]), steps=30, tol=1e-8)

    runs = {name: run(make) for name, make in makers.items()}
    fig = viz.plot_contour(lambda w: f(Tensor(w)), runs)
    lines = [line for ax in fig.axes for line in ax.get_lines()]
    for name, hist in runs.items():
        path = hist.trajectory(0)
        drawn = [
            line
            for line in lines
            if len(line.get_xdata()) == len(path)
            and np.allclose(line.get_xdata(), path[:, 0])
            and np.allclose(line.get_ydata(), path[:, 1])
        ]
        assert drawn, f"no line follows the {name} path"
        assert any(name in str(line.get_label()) for line in drawn) or any(
            name in text.get_text()
            for ax in fig.axes
            for legend in [ax.get_legend()]
            if legend
            for text in legend.get_texts()
        )
    assert runs["Newton"].steps == 1 and runs["conjugate gradient"].steps == 2
    matplotlib.pyplot.close(fig)
