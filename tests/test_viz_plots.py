"""The optimization plots, drawn with matplotlib's Agg backend into files."""

from __future__ import annotations

import sys

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from tinygrad_edu import Tensor, optim, viz  # noqa: E402
from tinygrad_edu.viz._runs import COLORS  # noqa: E402

X_DATA = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0], [1.0, 3.0]])
Y_DATA = np.array([1.0, 3.0, 2.0, 5.0])
W_STAR = np.linalg.solve(X_DATA.T @ X_DATA, X_DATA.T @ Y_DATA)


def loss_of(W):
    return ((Tensor(Y_DATA) - Tensor(X_DATA) @ W) ** 2).sum()


def f(w):
    return loss_of(Tensor(w))


def run(opt_cls, steps=10, **kw):
    W = Tensor([-1.0, 3.0], requires_grad=True)
    opt = opt_cls([W], **kw)
    return optim.minimize(lambda: loss_of(W), opt, steps=steps), opt


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def texts(ax):
    return "\n".join(t.get_text() for t in ax.texts)


def test_contour_paths_minimizer_and_hessian(tmp_path):
    hist, _ = run(optim.SGD, lr=0.02)
    path = np.array([[-1.0, 0.0], [0.0, 0.5], [0.5, 1.0]])
    fig = viz.plot_contour(f, {"sgd": hist, "by hand": path}, resolution=30,
                           path=tmp_path / "contour.png")
    assert (tmp_path / "contour.png").stat().st_size > 0
    ax = fig.axes[0]
    labels = [ln.get_label() for ln in ax.lines]
    assert labels == ["sgd (10 steps)", "by hand (2 steps)", "minimizer"]
    assert ax.lines[0].get_color() == COLORS[0] and ax.lines[1].get_color() == COLORS[1]
    np.testing.assert_allclose(ax.lines[0].get_xdata(), [p[0][0] for p in hist.params]
                               + [hist.final_params[0][0]])
    np.testing.assert_allclose(np.ravel(ax.lines[2].get_data()), W_STAR, atol=1e-6)
    lam = np.linalg.eigvalsh(2 * X_DATA.T @ X_DATA)
    assert f"2/λmax = {2 / lam[1]:.4g}" in texts(ax)
    assert len(ax.collections) > 0  # the contours
    assert [t.get_text() for t in ax.get_legend().get_texts()] == labels


def test_contour_of_a_non_quadratic_marks_the_lowest_grid_point():
    def rosen(w):
        w = Tensor(w)
        return (1 - w[0]) ** 2 + 10 * (w[1] - w[0] ** 2) ** 2

    fig = viz.plot_contour(rosen, np.array([[-1.0, 1.0], [0.0, 0.0]]), resolution=25)
    ax = fig.axes[0]
    assert [ln.get_label() for ln in ax.lines][-1] == "lowest grid point"
    assert "λmax" not in texts(ax)
    with pytest.raises(ValueError, match="two-parameter"):
        viz.plot_contour(rosen, np.zeros((3, 4)))


def test_history_plots_loss_and_gradient_norm(tmp_path):
    small, _ = run(optim.SGD, lr=0.02)
    search, _ = run(optim.BacktrackingLineSearch, steps=5)
    fig = viz.plot_history([small, search.to_dict(), [8.0, 4.0, 2.0]],
                           labels=["sgd", "search", "by hand"], path=tmp_path / "h.png")
    assert (tmp_path / "h.png").exists()
    ax_loss, ax_grad = fig.axes
    assert [ln.get_label() for ln in ax_loss.lines] == ["sgd", "search", "by hand"]
    assert [ln.get_label() for ln in ax_grad.lines] == ["sgd", "search"]
    assert [ln.get_color() for ln in ax_loss.lines] == COLORS[:3]
    assert ax_loss.get_yscale() == "log" and ax_grad.get_yscale() == "log"
    np.testing.assert_allclose(ax_grad.lines[0].get_ydata(), small.grad_norm)
    assert len(viz.plot_history(small).axes[0].lines) == 1
    assert small.plot() is not None  # History.plot goes through plot_history


def test_line_search_from_a_recorded_run(tmp_path):
    hist, opt = run(optim.BacktrackingLineSearch, steps=1, lr=1.0, shrink=0.5)
    fig = viz.plot_line_search(hist, step=0, f=f, search=opt, path=tmp_path / "ls.png")
    assert (tmp_path / "ls.png").exists()
    ax = fig.axes[0]
    by_label = {ln.get_label(): ln for ln in ax.lines}
    rejected = by_label["rejected trial"].get_xdata()
    accepted = by_label["accepted trial"].get_xdata()
    # the replayed trials are the ones the optimizer made
    np.testing.assert_allclose(sorted(list(rejected) + list(accepted)),
                               sorted(e for e, _ in opt.last_trials))
    assert accepted[0] == opt.last_step_size == hist.step_size[0]
    assert "phi(eps) = f(x - eps g)" in by_label and any("Armijo" in k for k in by_label)


def test_line_search_from_the_optimizer():
    W = Tensor([-1.0, 3.0], requires_grad=True)
    opt = optim.BacktrackingLineSearch([W], lr=1.0)

    def closure():
        opt.zero_grad()
        loss = loss_of(W)
        loss.backward()
        return loss

    closure()
    g0 = float(np.linalg.norm(W.grad.data))
    f0 = float(opt.step(closure))
    fig = viz.plot_line_search(opt, loss=f0, grad_norm=g0)
    ax = fig.axes[0]
    labels = [ln.get_label() for ln in ax.lines]
    assert "accepted trial" in labels and "rejected trial" in labels
    armijo = next(ln for ln in ax.lines if "Armijo" in ln.get_label())
    eps, line = armijo.get_data()
    np.testing.assert_allclose(line, f0 - 1e-4 * eps * g0**2)
    bare = viz.plot_line_search(opt)  # phi(0) and ||g|| from the optimizer's own record
    armijo = next(ln for ln in bare.axes[0].lines if "Armijo" in ln.get_label())
    eps, line = armijo.get_data()
    np.testing.assert_allclose(line, f0 - 1e-4 * eps * g0**2)


def test_missing_matplotlib_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match=r'pip install "tinygrad_edu\[viz\]"'):
        viz.plot_history([1.0, 0.5])


def test_line_search_uses_recorded_trials_and_marks_a_fixed_step():
    hist, opt = run(optim.BacktrackingLineSearch, steps=2)
    ax = viz.plot_line_search(hist, step=1).axes[0]  # trials from History.trials, no f
    xs = [x for ln in ax.lines if "trial" in ln.get_label() for x in ln.get_xdata()]
    assert sorted(xs) == sorted(e for e, _ in opt.last_trials)
    assert any(ln.get_label() == "phi at the tried eps" for ln in ax.lines)
    sgd, _ = run(optim.SGD, steps=3, lr=0.05)
    ax = viz.plot_line_search(sgd, step=0, f=f).axes[0]
    taken = next(ln for ln in ax.lines if ln.get_label().startswith("step taken"))
    assert taken.get_xdata()[0] == 0.05
