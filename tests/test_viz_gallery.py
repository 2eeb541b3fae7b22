"""The gallery: its script draws every picture, and its code blocks run."""

from __future__ import annotations

import importlib.util
import re
import shutil
from pathlib import Path

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
