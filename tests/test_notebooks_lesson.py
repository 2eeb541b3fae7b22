"""The lesson's notebooks (docs/notebooks/*.py, Jupytext percent scripts) run top to bottom in a
real Jupyter kernel, and their graphs, backward steps and plots show inline, once each."""

from __future__ import annotations

import shutil
from pathlib import Path

import notebooks as nbk
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "docs" / "notebooks"
HAS_DOT = shutil.which("dot") is not None


@pytest.fixture(scope="module", params=sorted(p.name for p in NOTEBOOKS.glob("[0-9][0-9]_*.py")))
def executed(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    why = nbk.missing()
    if why:
        pytest.skip(why)
    return request.param, nbk.run_notebook(NOTEBOOKS / request.param)


def test_notebook_runs_and_shows_its_pictures(executed) -> None:  # type: ignore[no-untyped-def]
    name, nb = executed
    assert nbk.errors(nb) == []
    expected = {
        "01_gradients.py": {"viz.draw_graph(loss)": HAS_DOT, "plt.show()": True},
        "02_gradient_descent.py": {
            "viz.plot_history(rates": True,
            "viz.plot_contour(": True,
            "viz.plot_line_search(": True,
            "fig = viz.plot_history(adaptive": True,
        },
        "03_next_steps.py": {"plt.show()": True, "hist.plot()": True},
    }[name]
    for text, shown in expected.items():
        pictures = nbk.images(nbk.cell_with(nb, text))
        assert len(pictures) == (1 if shown else 0), f"{name}: the cell with {text!r} showed {len(pictures)} pictures"


def test_notebooks_print_the_lessons_numbers(executed) -> None:  # type: ignore[no-untyped-def]
    name, nb = executed
    if name == "01_gradients.py":
        assert "f(2) = 4.0  f'(2) = 4.0" in nbk.text(nbk.cell_with(nb, "y.backward()"))
        if HAS_DOT:  # the backward pass shows as a stepper, inline
            assert any("tge-stepper" in h for h in nbk.html(nbk.cell_with(nb, "viz.draw_backward(c)")))
        assert "all gradients agree" in nbk.text(nbk.cell_with(nb, "compare_gradients"))
    elif name == "02_gradient_descent.py":
        assert "[0.75 2.12]" in nbk.text(nbk.cell_with(nb, "W.grad = Tensor([2.5, -1.2])"))
        assert "x_new = 0.4" in nbk.text(nbk.cell_with(nb, "x_new"))
    else:
        assert "training accuracy 100.0%" in nbk.text(nbk.cell_with(nb, "make_moons"))


def test_every_notebook_is_linked_from_the_readme_and_the_site() -> None:
    readme = (NOTEBOOKS.parent.parent / "README.md").read_text(encoding="utf-8")
    page = (NOTEBOOKS.parent / "notebooks.md").read_text(encoding="utf-8")
    for path in NOTEBOOKS.glob("[0-9][0-9]_*.py"):
        assert f"docs/notebooks/{path.name}" in readme
        assert f"notebooks/{path.name}" in page
