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


def legend_texts(fig):
    return [t.get_text() for legend in fig.legends for t in legend.get_texts()]


def test_contour_paths_minimizer_and_hessian(tmp_path):
    hist, _ = run(optim.SGD, lr=0.02)
    path = np.array([[-1.0, 0.0], [0.0, 0.5], [0.5, 1.0]])
    fig = viz.plot_contour(
        f, {"sgd": hist, "by hand": path}, resolution=30, layout="overlay", path=tmp_path / "contour.png"
    )
    assert (tmp_path / "contour.png").stat().st_size > 0
    ax = fig.axes[0]
    labels = [ln.get_label() for ln in ax.lines if ln.get_label() != "start"]
    assert labels == ["sgd (10 steps)", "by hand (2 steps)", "minimizer"]
    assert ax.lines[0].get_color() == COLORS[0] and ax.lines[1].get_color() == COLORS[1]
    np.testing.assert_allclose(ax.lines[0].get_xdata(), [p[0][0] for p in hist.params] + [hist.final_params[0][0]])
    star = next(ln for ln in ax.lines if ln.get_label() == "minimizer")
    np.testing.assert_allclose(np.ravel(star.get_data()), W_STAR, atol=1e-6)
    lam = np.linalg.eigvalsh(2 * X_DATA.T @ X_DATA)
    assert any(f"2/λmax = {2 / lam[1]:.4g}" in t for t in legend_texts(fig))
    assert len(ax.collections) > 0  # the contours
    assert labels[:2] == legend_texts(fig)[:2] and "start" in legend_texts(fig)


def extents(fig):
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    return renderer, [ax.get_window_extent(renderer) for ax in fig.axes if ax.get_visible()]


def test_legends_and_notes_sit_outside_the_data():
    """No legend or info box covers an axes: they go under the plots."""
    hist, _ = run(optim.SGD, lr=0.02)
    search, opt = run(optim.BacktrackingLineSearch, steps=3, lr=1.0)
    figures = [
        viz.plot_contour(f, {"sgd": hist}, resolution=20),
        viz.plot_history({"sgd": hist, "bt": search}),
        viz.plot_line_search(search, step=0, f=f, search=opt),
    ]
    for fig in figures:
        renderer, boxes = extents(fig)
        assert fig.legends and not any(ax.get_legend() for ax in fig.axes)
        for legend in fig.legends:
            box = legend.get_window_extent(renderer)
            assert not any(box.overlaps(b) for b in boxes), "a legend covers the data"
        assert not any(ax.texts for ax in fig.axes[:1] if "Hessian" in texts(ax))


def test_overlapping_paths_get_one_panel_each_on_shared_axes():
    """Two runs along the same line: drawn on one panel the first would hide under the
    second, so 'auto' draws one panel per run with the same limits."""
    a = np.array([[-1.0, 3.0], [0.0, 2.0], [0.5, 1.5], [1.0, 1.2]])
    fig = viz.plot_contour(f, {"first": a, "second": a + 1e-3}, resolution=20)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == 2
    assert axes[0].get_xlim() == axes[1].get_xlim() and axes[0].get_ylim() == axes[1].get_ylim()
    assert [ax.get_title() for ax in axes] == ["first (3 steps)", "second (3 steps)"]
    for k, ax in enumerate(axes):
        coloured = [ln for ln in ax.lines if ln.get_color() == COLORS[k]]
        assert coloured and max(ln.get_zorder() for ln in coloured) > max(
            ln.get_zorder() for ln in ax.lines if ln.get_color() == "#bbbbbb"
        )
    far = viz.plot_contour(f, {"first": a, "second": a[::-1] * [1, -1]}, resolution=20)
    assert len([ax for ax in far.axes if ax.get_visible()]) == 1  # apart: one panel
    with pytest.raises(ValueError, match="layout"):
        viz.plot_contour(f, a, layout="side")


def test_eigenvalue_labels_and_arrows_stay_inside_the_axes():
    """Even with the minimizer at the edge of the plot."""
    fig = viz.plot_contour(f, np.array([[W_STAR[0], W_STAR[1]], [W_STAR[0] + 3, W_STAR[1] + 3]]), resolution=20)
    ax = fig.axes[0]
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    labels = [t for t in ax.texts if t.get_text().startswith("λ")]
    assert len(labels) == 2
    for t in labels:
        x, y = t.get_position()
        assert x0 < x < x1 and y0 < y < y1
    arrows = [c for c in ax.texts if hasattr(c, "xyann") and c.arrow_patch is not None]
    assert len(arrows) == 2
    for arrow in arrows:
        for x, y in (arrow.xy, arrow.xyann):
            assert x0 <= x <= x1 and y0 <= y <= y1


def test_text_is_at_least_10_points_and_pngs_are_150_dpi(tmp_path):
    from matplotlib.text import Text

    hist, opt = run(optim.BacktrackingLineSearch, steps=3, lr=1.0)
    figures = {
        "contour": viz.plot_contour(f, hist, resolution=20, path=tmp_path / "c.png"),
        "history": viz.plot_history(hist, path=tmp_path / "h.png"),
        "line": viz.plot_line_search(hist, step=0, f=f, search=opt, path=tmp_path / "l.png"),
    }
    for name, fig in figures.items():
        small = [
            t.get_text()
            for t in fig.findobj(Text)
            if t.get_visible() and t.get_text().strip() and t.get_fontsize() < 10
        ]
        assert not small, f"{name}: text under 10 pt: {small}"
        width = plt.imread(tmp_path / f"{name[0]}.png").shape[1]
        assert width == pytest.approx(fig.get_figwidth() * 150, abs=2)


def test_step_counts_are_the_updates_taken():
    """A run stopped by tol records its last point without a step: the labels count updates,
    as History.steps and the demo's table do."""
    W = Tensor([-1.0, 3.0], requires_grad=True)
    hist = optim.minimize(lambda: loss_of(W), optim.ExactLineSearch([W]), steps=50, tol=1e-8)
    taken = int(np.count_nonzero(hist.step_size))
    assert len(hist) == taken + 1
    assert getattr(hist, "steps", taken) == taken
    fig = viz.plot_contour(f, {"exact": hist}, resolution=20)
    assert f"exact ({taken} steps)" in legend_texts(fig)
    assert f"exact ({taken} steps)" in legend_texts(viz.plot_history({"exact": hist}))


def test_history_shows_the_gap_to_the_minimum_on_a_log_scale():
    hist, _ = run(optim.SGD, steps=30, lr=0.02)
    f_star = float(f(W_STAR).item())
    fig = viz.plot_history(hist, f_star=f_star)
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and "f*" in ax.get_ylabel()
    np.testing.assert_allclose(ax.lines[0].get_ydata(), np.array(hist.loss) - f_star)


def test_contour_of_a_non_quadratic_marks_the_lowest_grid_point():
    def rosen(w):
        w = Tensor(w)
        return (1 - w[0]) ** 2 + 10 * (w[1] - w[0] ** 2) ** 2

    fig = viz.plot_contour(rosen, np.array([[-1.0, 1.0], [0.0, 0.0]]), resolution=25)
    ax = fig.axes[0]
    assert [ln.get_label() for ln in ax.lines][-1] == "lowest grid point"
    assert "lowest grid point" in legend_texts(fig)
    assert not any("λmax" in t for t in legend_texts(fig))
    with pytest.raises(ValueError, match="two-parameter"):
        viz.plot_contour(rosen, np.zeros((3, 4)))


def test_history_plots_loss_and_gradient_norm(tmp_path):
    small, _ = run(optim.SGD, lr=0.02)
    search, _ = run(optim.BacktrackingLineSearch, steps=5)
    fig = viz.plot_history(
        [small, search.to_dict(), [8.0, 4.0, 2.0]], labels=["sgd", "search", "by hand"], path=tmp_path / "h.png"
    )
    assert (tmp_path / "h.png").exists()
    ax_loss, ax_grad = fig.axes
    assert [ln.get_label() for ln in ax_loss.lines] == ["sgd (10 steps)", "search (5 steps)", "by hand"]
    assert [ln.get_label() for ln in ax_grad.lines] == ["sgd (10 steps)", "search (5 steps)"]
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
    accepted = next(ln for k, ln in by_label.items() if k.startswith("accepted trial")).get_xdata()
    # the replayed trials are the ones the optimizer made
    np.testing.assert_allclose(sorted(list(rejected) + list(accepted)), sorted(e for e, _ in opt.last_trials))
    assert accepted[0] == opt.last_step_size == hist.step_size[0]
    assert "phi(ε) = f(x - ε g)" in by_label and any("Armijo" in k for k in by_label)
    armijo = next(ln for k, ln in by_label.items() if "Armijo" in k)
    assert armijo.get_linestyle() == "--" and armijo.get_zorder() > by_label["phi(ε) = f(x - ε g)"].get_zorder()
    # nothing else is drawn along phi(0), where the Armijo line lies for a small c
    assert not [ln for ln in ax.lines if ln is not armijo and len(ln.get_ydata()) > 1 and len(set(ln.get_ydata())) == 1]


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
    assert any(k.startswith("accepted trial") for k in labels) and "rejected trial" in labels
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
    assert any(ln.get_label() == "phi at the tried ε" for ln in ax.lines)
    sgd, _ = run(optim.SGD, steps=3, lr=0.05)
    ax = viz.plot_line_search(sgd, step=0, f=f).axes[0]
    taken = next(ln for ln in ax.lines if ln.get_label().startswith("step taken"))
    assert taken.get_xdata()[0] == 0.05


def test_a_saved_png_notes_its_smallest_text(tmp_path):
    """So a page can show it no smaller than that text stays legible (the docs site does)."""
    from PIL import Image

    from tinygrad_edu.viz.plots import TEXT_KEY, new_figure, save

    fig = new_figure((4, 3))
    ax = fig.subplots()
    ax.plot([0, 1], [0, 1])
    ax.set_title("title")
    save(fig, tmp_path / "plain.png")
    ax.text(0.5, 0.5, "a footnote", fontsize=6)
    save(fig, tmp_path / "small.png")
    with Image.open(tmp_path / "plain.png") as plain, Image.open(tmp_path / "small.png") as small:
        assert plain.text[TEXT_KEY] == "10" and small.text[TEXT_KEY] == "6"
        assert round(plain.info["dpi"][0]) == 150
