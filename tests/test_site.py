"""The documentation site builds with `mkdocs build --strict`, and every link in it lands."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

pytest.importorskip("mkdocs")
pytest.importorskip("material")

ROOT = Path(__file__).resolve().parent.parent


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        for key in ("href", "src"):
            if a.get(key) and tag in ("a", "img", "script", "link"):
                self.links.append(str(a[key]))
        if a.get("id"):
            self.ids.add(str(a["id"]))


def parse(page: Path) -> Links:
    links = Links()
    links.feed(page.read_text(encoding="utf-8"))
    return links


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = tmp_path_factory.mktemp("site")
    proc = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    return proc, out


def test_site_builds_strict_without_warnings(site: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    proc, _ = site
    assert proc.returncode == 0, proc.stderr
    assert "WARNING" not in proc.stderr, proc.stderr


def test_the_tutorial_is_the_home_page(site: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    _, out = site
    home = (out / "index.html").read_text(encoding="utf-8")
    assert "Tutorial: gradient descent, step by step" in home
    assert "2-what-is-a-gradient-the-slope-of-x2-at-2" in parse(out / "index.html").ids
    assert "tinygrad_edu documentation" in (out / "contents" / "index.html").read_text(encoding="utf-8")
    for page in ("api/optim", "gallery", "moving-to-pytorch"):
        assert (out / page / "index.html").is_file(), page


def test_every_link_in_the_site_lands(site: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    """Every relative link and image of every page exists in the built site (and its #anchor on
    the page), including the repository's files the docs link outside docs/."""
    _, out = site
    broken = []
    for page in out.rglob("*.html"):
        if page.name == "404.html":
            continue
        for link in parse(page).links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith("//"):
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                broken.append(f"{page.relative_to(out)} -> {link}")
            elif parts.fragment and target.suffix == ".html" and parts.fragment not in parse(target).ids:
                broken.append(f"{page.relative_to(out)} -> {link} (no such anchor)")
    assert not broken, "\n".join(broken[:30])


def test_repository_files_outside_docs_get_pages(site: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    _, out = site
    example = out / "source" / "examples" / "01_slope.py" / "index.html"
    text = example.read_text(encoding="utf-8")
    assert "examples/01_slope.py" in text and "exercise" in text  # the file, highlighted
    tutorial_links = parse(out / "index.html").links
    assert "source/examples/01_slope.py/" in tutorial_links
    assert not [link for link in tutorial_links if re.match(r"\.\./examples", link)]
