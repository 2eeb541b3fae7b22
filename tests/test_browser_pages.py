"""What a reader sees in a browser: the demo report and the docs' graph pictures, rendered in
headless Chromium at the widths they are read at."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import browser as br
import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    """The demo report, written by the command line as a user runs it."""
    out = tmp_path_factory.mktemp("report")
    subprocess.run(
        [sys.executable, "-m", "tinygrad_edu", "demo", "--quick", "--no-progress", "--out", str(out)],
        check=True,
        capture_output=True,
        cwd=ROOT,
    )
    return out / "index.html"


@pytest.mark.parametrize("width", [1280])
def test_report_images_load_and_nothing_overflows(browser, report, width):
    page = br.open_page(browser, report, width=width)
    assert page.evaluate("document.images.length") >= 3
    assert br.broken_images(page) == []
    assert br.horizontal_overflow(page) == 0


def test_report_graphs_are_legible_at_1280(browser, report):
    page = br.open_page(browser, report, width=1280)
    labels = br.all_labels(browser, page)
    assert {label.where for label in labels} >= {"graph.svg", "gradcheck.svg"}
    assert [(label.where, label.text, round(label.px, 1)) for label in labels if label.px < br.MIN_LABEL_PX] == []


@pytest.fixture(scope="module")
def gallery(tmp_path_factory) -> Path:
    """Every picture of the gallery, drawn now by docs/make_gallery.py."""
    pytest.importorskip("matplotlib")
    import importlib.util
    import shutil

    if shutil.which("dot") is None:
        pytest.skip("Graphviz `dot` not installed")
    spec = importlib.util.spec_from_file_location("make_gallery", ROOT / "docs" / "make_gallery.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path_factory.mktemp("gallery")
    module.main(out)
    return out


@pytest.mark.parametrize("width", [880, 400])
def test_docs_graph_pictures_are_legible_in_the_docs_column(browser, gallery, width):
    """As the docs show them (scaled down to the column, never up): the pictures drawn now and
    the ones committed under docs/images."""
    svgs = {f"new/{p.name}": p.read_text() for p in sorted(gallery.glob("*.svg"))}
    svgs.update({p.name: p.read_text() for p in sorted((ROOT / "docs" / "images").glob("*.svg"))})
    assert {"new/graph.svg", "new/highlight.svg", "new/gradcheck.svg", "tutorial_graph.svg"} <= set(svgs)
    page = br.page_with(browser, br.docs_column(svgs, width=width), width=width)
    labels = br.inline_labels(page)
    assert {label.where for label in labels} == set(svgs)
    small = [(label.where, label.text, round(label.px, 1)) for label in labels if label.px < br.MIN_LABEL_PX]
    assert small == []
    text = " ".join(label.text for label in labels)
    assert "-0" not in text.replace("e-0", "") and "df/d" not in text
    assert "∂t2/∂x = 3" in text and "∂t1/∂x = 2·x = 4" in text  # the highlight picture's edges


def test_gallery_stepper_steps(browser, gallery):
    page = br.open_page(browser, gallery / "backward.html", width=880)
    assert page.locator(".tge-frame.tge-on").count() == 1
    for k in range(1, 5):
        page.click(".tge-next")
        assert page.locator(".tge-frame.tge-on .tge-caption").inner_text().startswith(f"Step {k} of 4")
    assert br.small_labels(browser, page) == [] and br.horizontal_overflow(page) == 0


@pytest.mark.parametrize("width", [880, 688])
def test_graphs_over_many_inputs_stay_legible_in_the_docs_column(browser, width):
    """One op over 20 inputs (cat, stack) and sums of 20 named leaves: no rank so wide that the
    picture, scaled down to the column, shrinks its labels under 9 px (688 px: the docs site's
    column in a 1280 px window)."""
    import shutil

    import tinygrad_edu as tge
    from tinygrad_edu import Tensor, viz

    if shutil.which("dot") is None:
        pytest.skip("Graphviz `dot` not installed")
    xs = [Tensor([float(i)], requires_grad=True, name=f"x{i}") for i in range(20)]
    chain = xs[0]
    for x in xs[1:]:
        chain = chain + x
    graphs = {
        "cat": tge.cat(xs).sum(),
        "stack": tge.stack(xs).sum(),
        "chain": chain,
        "squares": sum((x * x for x in xs), Tensor(0.0)),
    }
    svgs = {name: viz.draw_graph(out).pipe(format="svg") for name, out in graphs.items()}
    page = br.page_with(browser, br.docs_column(svgs, width=width), width=width)
    labels = br.inline_labels(page)
    assert {label.where for label in labels} == set(svgs)
    small = [(label.where, label.text, round(label.px, 1)) for label in labels if label.px < br.MIN_LABEL_PX]
    assert small == []
