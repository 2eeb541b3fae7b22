"""The gallery: its script draws every picture, and its code blocks run."""

from __future__ import annotations

import html
import importlib.util
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("graphviz")
matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_gallery_script_draws_every_picture(tmp_path):
    spec = importlib.util.spec_from_file_location("make_gallery", DOCS / "make_gallery.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    written = module.main(tmp_path)
    assert all(p.exists() and p.stat().st_size > 0 for p in written)
    names = {p.name for p in written}
    assert {"contour.png", "history.png", "line_search.png", "graph.txt"} <= names
    page = (DOCS / "gallery.md").read_text()
    shown = set(re.findall(r"\]\(images/([^)]+)\)", page))
    if shutil.which("dot") is not None:
        assert shown <= names  # every picture on the page comes from the script
        assert all((DOCS / "images" / name).exists() for name in shown)


def _texts(svg: str) -> list[str]:
    """What an SVG picture says: its text labels, in order (not where Graphviz put them)."""
    return [html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


def test_committed_pictures_show_what_the_code_draws_now(tmp_path):
    """docs/images is not stale: the text tree, the page's excerpt of it and every graph's
    labels are what make_gallery.py draws from the current code."""
    spec = importlib.util.spec_from_file_location("make_gallery", DOCS / "make_gallery.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(tmp_path)
    tree = (tmp_path / "graph.txt").read_text()
    assert (DOCS / "images" / "graph.txt").read_text() == tree
    excerpt = re.search(r"starts like this:\n\n```text\n(.*?)```", (DOCS / "gallery.md").read_text(), re.S)
    assert excerpt is not None and tree.startswith(excerpt.group(1))
    if shutil.which("dot") is not None:
        for new in sorted(tmp_path.glob("*.svg")):
            assert _texts((DOCS / "images" / new.name).read_text()) == _texts(new.read_text()), new.name


def test_gallery_code_blocks_run(capsys):
    page = (DOCS / "gallery.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", page, re.S)
    assert len(blocks) >= 6
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, "gallery.md", "exec"), namespace)
    import matplotlib.pyplot as plt

    plt.close("all")
    assert "W.grad is now [10, 24]" in capsys.readouterr().out


def test_the_timing_picture_is_drawn_from_the_run_its_page_reports(tmp_path):
    spec = importlib.util.spec_from_file_location("make_timing_image", DOCS / "make_timing_image.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rows = module.rows_of(module.PAGE.read_text(encoding="utf-8"))
    assert [r[0] for r in rows] == [50, 100, 200, 400, 800, 1200, 1600, 2000, 2400]
    assert rows[0][1] == pytest.approx(0.06e-3) and np.isnan(rows[-1][4])  # solve at n = 50; no library run
    path = module.main(tmp_path)
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_the_convolution_picture_checks_its_own_numbers(tmp_path):
    from PIL import Image

    spec = importlib.util.spec_from_file_location("make_conv_images", DOCS / "make_conv_images.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # main() asserts the two convolutions equal backward's gradients
    with Image.open(module.main(tmp_path)) as image:
        assert float(image.text["smallest text pt"]) >= 10
