"""The docs' notebook, executed in a real Jupyter kernel: what a notebook user sees."""

from __future__ import annotations

from pathlib import Path

import notebooks as nbs
import pytest

NOTEBOOK = Path(__file__).resolve().parent.parent / "docs" / "notebooks" / "graphs.py"


@pytest.fixture(scope="module")
def executed():
    why = nbs.missing()
    if why:
        pytest.skip(why)
    pytest.importorskip("graphviz")
    pytest.importorskip("matplotlib")
    return nbs.run_notebook(NOTEBOOK)


def test_the_notebook_runs(executed):
    assert nbs.errors(executed) == []


@pytest.mark.parametrize("call", ["viz.draw_graph(loss)", "viz.draw_graph(f, highlight=x)", "viz.draw_graph(p)"])
def test_graphs_display_inline_once(executed, call):
    cell = nbs.cell_with(executed, call)
    [picture] = nbs.images(cell)
    assert "<svg" in picture["image/svg+xml"]


def test_backward_frames_display_as_one_stepper(executed):
    cell = nbs.cell_with(executed, "viz.draw_backward(f)")
    assert nbs.images(cell) == []  # not a stack of pictures
    [page] = nbs.html(cell)
    assert page.count('class="tge-stepper"') == 1 and page.count("<svg") == 5
    assert 'class="tge-prev"' in page and 'class="tge-next"' in page and 'type="range"' in page
    assert "Step 2 of 4: t4 = t2 * y." in page and "x.grad is now 13" in page


def test_history_is_a_short_summary(executed):
    cell = nbs.cell_with(executed, "hist = optim.minimize(")
    [summary] = nbs.html(cell)
    assert len(summary.encode()) < 2048 and "<polyline" in summary and "steps" in summary
    assert nbs.text(cell).strip().startswith("History(50 steps, loss ")
    assert len(nbs.text(cell)) < 200


@pytest.mark.parametrize("call", ["hist.plot()", "viz.plot_contour("])
def test_plots_display_once(executed, call):
    assert len(nbs.images(nbs.cell_with(executed, call))) == 1


def test_the_stepper_steps_in_a_browser(executed, browser, tmp_path):
    import browser as br

    [page_html] = nbs.html(nbs.cell_with(executed, "viz.draw_backward(f)"))
    page = br.page_with(browser, f"<html><body>{page_html}</body></html>", width=880, base=tmp_path)
    shown = page.locator(".tge-frame.tge-on")
    assert shown.count() == 1 and "Start:" in shown.inner_text()
    page.click(".tge-next")
    page.click(".tge-next")
    assert shown.count() == 1 and shown.inner_text().startswith("Step 2 of 4")
    assert page.locator(".tge-count").inner_text() == "step 2 of 4"
    page.click(".tge-prev")
    assert shown.inner_text().startswith("Step 1 of 4")
    page.locator("input[type=range]").fill("4")
    assert shown.inner_text().startswith("Step 4 of 4") and page.locator(".tge-next").is_disabled()
    assert br.small_labels(browser, page) == [] and br.horizontal_overflow(page) == 0
