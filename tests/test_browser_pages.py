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


def test_every_report_picture_opens_full_size(browser, report):
    page = br.open_page(browser, report, width=1280)
    pictures = page.evaluate(
        """() => [...document.querySelectorAll('figure img')].map(img => [
            img.getAttribute('src'), img.closest('a') ? img.closest('a').getAttribute('href') : null])"""
    )
    assert len(pictures) >= 10
    assert [src for src, href in pictures if href != src] == []


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


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The documentation site, built as `mkdocs build --strict` builds it."""
    pytest.importorskip("mkdocs")
    pytest.importorskip("material")
    import os

    out = tmp_path_factory.mktemp("site")
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert proc.returncode == 0, proc.stderr
    return out


PICTURE_PAGES = ["index.html", "gallery/index.html", "verifying-gradients/index.html",
                 "normal-equation-vs-gd/index.html", "api/nn/index.html"]  # fmt: skip


@pytest.mark.parametrize("width", [1280, 400])
def test_docs_pictures_are_legible_on_a_laptop_and_a_phone(browser, site, width):
    """Every picture of the docs opens full size from a link, and is shown no smaller than
    its smallest text stays 9 px tall: a PNG wider than a phone scrolls sideways inside its
    link (the page does not), an SVG's labels are measured as drawn."""
    for name in PICTURE_PAGES:
        page = br.open_page(browser, site / name, width=width)
        shown = page.evaluate("""[...document.querySelectorAll('article img')].map(i => [
            i.getAttribute('src'), i.closest('a') ? i.closest('a').getAttribute('href') : null,
            i.dataset.minTextPx || null, i.getBoundingClientRect().width / i.naturalWidth])""")
        assert shown, f"{name} shows no picture"
        for src, href, text_px, scale in shown:
            assert href == src, f"{name}: {src} does not open full size"
            if src.endswith(".png"):
                assert text_px is not None, f"{name}: {src} does not say how small its text is"
                assert float(text_px) * scale >= br.MIN_LABEL_PX - 1e-6, f"{name}: {src} text at {width} px"
        assert br.broken_images(page) == []
        assert br.horizontal_overflow(page) == 0, f"{name} scrolls sideways at {width} px"
        small = [(x.where, x.text, round(x.px, 1)) for x in br.small_labels(browser, page)]
        assert small == [], name
        page.close()


def test_every_docs_png_records_its_smallest_text():
    from PIL import Image

    for path in sorted((ROOT / "docs" / "images").glob("*.png")):
        with Image.open(path) as image:
            pt = float(image.text["smallest text pt"])  # type: ignore[attr-defined]
            dpi = image.info["dpi"][0]
        assert pt * dpi / 72 >= 13, f"{path.name}: its smallest text is {pt} pt at {dpi:.0f} dpi"
