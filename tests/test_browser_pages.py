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
    subprocess.run([sys.executable, "-m", "tinygrad_edu", "demo", "--quick", "--no-progress", "--out", str(out)],
                   check=True, capture_output=True, cwd=ROOT)
    return out / "index.html"


@pytest.mark.parametrize("width", [1280])
def test_report_images_load_and_nothing_overflows(browser, report, width):
    page = br.open_page(browser, report, width=width)
    assert page.evaluate("document.images.length") >= 3
    assert br.broken_images(page) == []
    assert br.horizontal_overflow(page) == 0
