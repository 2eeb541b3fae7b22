"""The documentation runs: every ```python block of every docs/**/*.md page, and every link.

Rules (stated in docs/index.md as well):
- The ```python blocks of one page run in order, in one shared namespace, in a fresh
  temporary working directory, with matplotlib's Agg backend.
- A ```text block that follows a python block with nothing but blank lines in between is the
  output that block prints: exactly (trailing spaces ignored), or, when its info string is
  ```text excerpt, as lines that appear in that order in the output, where `...`
  inside a line stands for any text (for digits that depend on the machine's rounding).
- ```python no-run blocks are shown, not run; ```python torch blocks run only where PyTorch is
  installed (the page's test is skipped at the first such block otherwise).
- Every relative link in a docs page points to an existing file (and heading, for #anchors).
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", re.S | re.M)
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)|!\[[^\]]*\]\(([^)\s]+)\)")


@dataclass
class Block:
    info: str
    code: str
    line: int  # line of the opening fence, 1-based
    expected: str | None = None
    excerpt: bool = False


def blocks_of(page: Path) -> list[Block]:
    """The python blocks of a page, each with the text block that shows its output."""
    text = page.read_text(encoding="utf-8")
    fences = list(FENCE.finditer(text))
    out: list[Block] = []
    for k, m in enumerate(fences):
        info = m.group(1).strip()
        if info.split()[:1] != ["python"]:
            continue
        block = Block(info, m.group(2), text.count("\n", 0, m.start()) + 1)
        if k + 1 < len(fences):
            nxt = fences[k + 1]
            words = nxt.group(1).split()
            if words[:1] == ["text"] and text[m.end() : nxt.start()].strip() == "":
                block.expected = nxt.group(2)
                block.excerpt = "excerpt" in words[1:]
        out.append(block)
    return out


def _lines(s: str) -> list[str]:
    return [line.rstrip() for line in s.strip("\n").splitlines()]


def _show(page: Path) -> str:
    return str(page.relative_to(ROOT)) if page.is_relative_to(ROOT) else str(page)


def check_output(page: Path, block: Block, printed: str) -> None:
    assert block.expected is not None
    got, want = _lines(printed), _lines(block.expected)
    where = f"{_show(page)}:{block.line}"
    if not block.excerpt:
        assert got == want, f"{where}: the block printed\n{printed}\nbut the page shows\n{block.expected}"
        return
    i = 0
    for line in want:
        pattern = re.compile(".*?".join(re.escape(part) for part in line.split("...")) + "$")
        while i < len(got) and not pattern.match(got[i]):
            i += 1
        assert i < len(got), f"{where}: the line {line!r} is not in the output (in order):\n{printed}"
        i += 1


def run_page(page: Path, workdir: Path) -> int:
    """Run a page's blocks in order in one namespace inside `workdir`; return how many ran."""
    namespace: dict[str, object] = {"__name__": "__docs__"}
    ran = 0
    old = os.getcwd()
    os.chdir(workdir)
    try:
        for block in blocks_of(page):
            if "no-run" in block.info.split()[1:]:
                continue
            if "torch" in block.info.split()[1:]:
                pytest.importorskip("torch")
            code = compile("\n" * (block.line) + block.code, str(page), "exec")
            buf = io.StringIO()
            with contextlib.redirect_stdout(buf):
                exec(code, namespace)
            ran += 1
            if block.expected is not None:
                check_output(page, block, buf.getvalue())
    finally:
        os.chdir(old)
        plt.close("all")
    return ran


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(DOCS)) for p in PAGES])
def test_code_blocks_run_and_print_what_the_page_shows(page, tmp_path):
    run_page(page, tmp_path)


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(DOCS)) for p in PAGES])
def test_relative_links_point_to_existing_files_and_headings(page):
    text = FENCE.sub("", page.read_text(encoding="utf-8"))  # links inside code are not links
    broken = []
    for m in LINK.finditer(text):
        link = m.group(1) or m.group(2)
        target = link.split("#")[0]
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, mailto:
            continue
        path = page.parent / target if target else page
        if not path.exists():
            broken.append(target)
        elif "#" in link and path.suffix == ".md" and link.split("#", 1)[1] not in anchors(path):
            broken.append(link)
    assert not broken, f"{page.relative_to(ROOT)} links to missing files or headings: {broken}"


def anchors(page: Path) -> set[str]:
    """The anchors GitHub gives a page's headings: lower case, punctuation dropped, spaces to -."""
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    found = set()
    for heading in re.findall(r"^#{1,6}\s+(.*?)\s*$", text, re.M):
        found.add(re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-"))
    return found


def test_block_parser_pairs_code_with_its_output(tmp_path):
    page = tmp_path / "p.md"
    page.write_text(
        "```python\nprint(1)\n```\n\n```text\n1\n```\n\nprose\n\n```python no-run\nraise SystemExit\n```\n"
        "```python\nprint('a'); print('b'); print('c = 0.123')\n```\n```text excerpt\na\nc = 0.1...\n```\n"
        "```python\nx = 2\n```\nsome prose\n```text\nnot output\n```\n"
    )
    blocks = blocks_of(page)
    assert [(b.expected, b.excerpt) for b in blocks] == [
        ("1\n", False),
        (None, False),
        ("a\nc = 0.1...\n", True),
        (None, False),
    ]
    assert run_page(page, tmp_path) == 3
    page.write_text("```python\nprint(2)\n```\n```text\n3\n```\n")
    with pytest.raises(AssertionError, match="the page shows"):
        run_page(page, tmp_path)


def test_every_api_module_has_a_page_and_the_index_links_every_page():
    api = {p.stem for p in (DOCS / "api").glob("*.md")}
    expected = {"tensor", "derivatives", "checks", "nn", "losses", "optim", "viz", "data", "serialization", "engine"}
    assert expected <= api
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    linked = {(DOCS / t.split("#")[0]).resolve() for t in re.findall(r"\]\(([^)\s]+)\)", index)}
    missing = [str(p.relative_to(DOCS)) for p in PAGES if p.name != "index.md" and p.resolve() not in linked]
    assert not missing, f"docs/index.md does not link {missing}"


def test_tutorial_images_come_from_the_tutorial_code(tmp_path):
    spec = importlib.util.spec_from_file_location("make_tutorial_images", DOCS / "make_tutorial_images.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    written = {p.name for p in module.main(tmp_path)}
    shown = set(re.findall(r"\]\(images/(tutorial_[^)]+)\)", (DOCS / "tutorial.md").read_text(encoding="utf-8")))
    assert shown and shown <= written
    assert all((DOCS / "images" / name).exists() for name in shown)
    committed = sum(p.stat().st_size for p in (DOCS / "images").glob("tutorial_*"))
    assert committed < 300_000, f"tutorial images take {committed} bytes; keep them under 300 KB"
