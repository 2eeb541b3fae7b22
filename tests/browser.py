"""Headless Chromium for the tests: open a page at a given width and measure what a reader sees.

The system's Chromium is driven through the `playwright` package (no browser download):

    with launch() as browser:                       # or the `browser` fixture of conftest.py
        page = open_page(browser, path, width=1280)
        assert not small_labels(page)               # every SVG text at least 9 px tall
        assert not broken_images(page) and horizontal_overflow(page) == 0

Labels are measured as their rendered font size in CSS pixels (font-size times the scale the
SVG is drawn at): the em height a reader's eye gets. SVG pictures shown through <img> are
measured by drawing the same file inline at the width the <img> has on the page.
"""

from __future__ import annotations

import contextlib
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
INSTALL = (
    "these tests need headless Chromium driven by Playwright: `apt-get install chromium` "
    "and `pip install playwright` (the system Chromium is used; no browser download)"
)
MIN_LABEL_PX = 9.0


def chromium_path() -> str | None:
    """The system Chromium, or None."""
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def missing() -> str | None:
    """Why the browser tests cannot run here (with how to fix it), or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright is not installed; " + INSTALL
    if chromium_path() is None:
        return "Chromium is not installed; " + INSTALL
    return None


@contextlib.contextmanager
def launch() -> Iterator[Any]:
    """A headless Chromium browser (playwright's Browser), closed on exit."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def url_of(target: str | Path) -> str:
    """A file path or a URL, as a URL."""
    text = str(target)
    if re.match(r"^[a-z]+://", text):
        return text
    return Path(text).resolve().as_uri()


def open_page(browser: Any, target: str | Path, width: int = 1280, height: int = 900) -> Any:
    """A new page showing `target` (a file path or URL) in a window `width` px wide, fully
    loaded (images included)."""
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(url_of(target), wait_until="load")
    return page


def page_with(browser: Any, html: str, width: int = 1280, base: Path | None = None) -> Any:
    """A page showing `html`. With `base`, the page is written there as a file first, so
    relative links and images resolve against that directory."""
    if base is not None:
        path = Path(base) / "_browser_page.html"
        path.write_text(html, encoding="utf-8")
        return open_page(browser, path, width)
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.set_content(html, wait_until="load")
    return page


@dataclass
class Label:
    """One SVG text as rendered: its text, its em height in CSS px, and where it came from."""

    text: str
    px: float
    where: str = ""


_MEASURE_JS = """
() => Array.from(document.querySelectorAll('svg text')).filter(t => {
    const r = t.getBoundingClientRect();
    return t.textContent.trim() && r.width > 0 && r.height > 0;   // drawn, not hidden
}).map(t => {
    const m = t.getScreenCTM();
    const scale = m ? Math.hypot(m.a, m.b) : 1;
    const owner = t.closest('[data-name]');
    return [t.textContent.trim(), parseFloat(getComputedStyle(t).fontSize) * scale,
            owner ? owner.dataset.name : 'inline'];
})
"""


def inline_labels(page: Any) -> list[Label]:
    """Every visible <text> of the SVGs inlined in the page, with its rendered em height."""
    return [Label(text, px, where) for text, px, where in page.evaluate(_MEASURE_JS)]


def svg_markup(svg: str | bytes) -> str:
    """An SVG file's text from its <svg> element on (no XML prolog or DOCTYPE)."""
    text = svg.decode("utf-8") if isinstance(svg, bytes) else svg
    return text[text.index("<svg") :]


def svg_labels_at(browser: Any, svg: str | bytes, width: float) -> list[Label]:
    """The labels of an SVG drawn `width` CSS px wide (as an <img> of that width shows it)."""
    html = (
        f'<html><body style="margin:0"><div style="width:{width}px">'
        f"<style>svg{{width:100%;height:auto;display:block}}</style>{svg_markup(svg)}</div></body></html>"
    )
    page = page_with(browser, html, width=max(int(width) + 40, 100))
    try:
        return inline_labels(page)
    finally:
        page.close()


def image_labels(browser: Any, page: Any) -> list[Label]:
    """The labels inside every SVG shown through <img> on the page, at the size shown."""
    found: list[Label] = []
    images = page.evaluate(
        "() => Array.from(document.images).filter(i => i.getBoundingClientRect().width > 0)"
        ".map(i => [i.currentSrc || i.src, i.getBoundingClientRect().width])"
    )
    for src, width in images:
        parsed = urlparse(src)
        if parsed.scheme != "file" or not parsed.path.lower().endswith(".svg"):
            continue
        path = Path(unquote(parsed.path))
        for label in svg_labels_at(browser, path.read_bytes(), width):
            found.append(Label(label.text, label.px, path.name))
    return found


def all_labels(browser: Any, page: Any) -> list[Label]:
    """Inline SVG labels plus the labels of SVG images, as rendered on `page`."""
    return inline_labels(page) + image_labels(browser, page)


def small_labels(browser: Any, page: Any, min_px: float = MIN_LABEL_PX) -> list[Label]:
    """The labels rendered smaller than `min_px` (an empty list when all are legible)."""
    return [label for label in all_labels(browser, page) if label.px < min_px - 1e-6]


def broken_images(page: Any) -> list[str]:
    """The src of every <img> that did not load."""
    return list(
        page.evaluate(
            "() => Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0)"
            ".map(i => i.getAttribute('src'))"
        )
    )


def horizontal_overflow(page: Any) -> int:
    """How many CSS px the page is wider than its window (0 when nothing overflows)."""
    return int(
        page.evaluate(
            "() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
            " - document.documentElement.clientWidth"
        )
    )


def docs_column(svgs: dict[str, str | bytes], width: int = 880) -> str:
    """An HTML page showing each SVG like a docs page does: in a column `width` px wide,
    scaled down to the column when wider (max-width: 100%), never up."""
    parts = []
    for name, svg in svgs.items():
        parts.append(f'<figure data-name="{name}" style="margin:0 0 2em 0">{svg_markup(svg)}</figure>')
    return (
        f"<html><head><style>body{{margin:0}}main{{width:{width}px}}"
        "svg{max-width:100%;height:auto;display:block}</style></head>"
        f"<body><main>{''.join(parts)}</main></body></html>"
    )


def screenshot(page: Any, path: str | Path) -> Path:
    """Save the whole page as a PNG (for looking at a picture at the size a reader sees it)."""
    page.screenshot(path=str(path), full_page=True)
    return Path(path)
