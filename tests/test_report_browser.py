"""The demo's report in a real browser (headless Chromium, tests/browser.py), as a reader sees it
on a laptop (1280 px) and on a phone (400 px): every section, every picture loaded, no page
wider than the window, no text in a picture under 9 px, and a table of contents that lands."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import browser as br
import pytest

pytest.importorskip("matplotlib")

SECTIONS = ["normal-equation", "slope", "gradient", "directional", "update", "learning-rate", "line-search",
            "adaptive", "next-steps", "exercise", "cost"]  # fmt: skip


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("browser") / "report"
    proc = subprocess.run(
        [sys.executable, "-m", "tinygrad_edu", "demo", "--quick", "--no-progress", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert proc.returncode == 0, proc.stderr
    return out / "index.html"


@pytest.mark.parametrize("width", [1280, 400])
def test_report_reads_well_at_this_width(report: Path, browser, width: int) -> None:  # type: ignore[no-untyped-def]
    page = br.open_page(browser, report, width=width)
    for slug in SECTIONS:
        assert page.locator(f"section#{slug} > h2").count() == 1, f"section {slug} is missing"
    assert page.evaluate("document.images.length") >= 15
    assert br.broken_images(page) == []
    assert br.horizontal_overflow(page) == 0, "the page scrolls sideways"
    # PNG plots say how big their smallest text is at the size the page gives them
    shown = page.evaluate("""[...document.images].map(i => [i.getAttribute('src'), i.dataset.minTextPx,
        i.getBoundingClientRect().width / parseFloat(i.getAttribute('width'))])""")
    for src, text_px, scale in shown:
        assert text_px is not None, f"{src} does not say how small its text is"
        assert float(text_px) * scale >= 9.0 - 1e-6, f"{src}: text {float(text_px) * scale:.1f} px at {width} px"
    # the SVG pictures' labels, measured as drawn
    assert br.small_labels(browser, page) == []
    page.close()


def test_table_of_contents_links_land_on_their_sections(report: Path, browser) -> None:  # type: ignore[no-untyped-def]
    page = br.open_page(browser, report, width=1280)
    links = page.locator("nav#contents a")
    assert links.count() == len(SECTIONS)
    for k, slug in enumerate(SECTIONS):
        page.evaluate("window.scrollTo(0, 0)")
        links.nth(k).click()
        assert page.evaluate("location.hash") == f"#{slug}"
        top = page.evaluate(f"document.getElementById('{slug}').getBoundingClientRect().top")
        at_bottom = page.evaluate("window.innerHeight + window.scrollY >= document.body.scrollHeight - 2")
        assert abs(top) < 2 or (at_bottom and 0 <= top < 900), f"{slug} is at {top} px after its link"
    page.close()
