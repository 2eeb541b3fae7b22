"""The README's example runs and prints what the README says it prints."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_example_prints_what_the_readme_shows() -> None:
    text = README.read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", text, re.S)
    shown = re.search(r"prints\n\n```text\n(.*?)```", text, re.S)
    assert code and shown, "README needs a python example followed by its printed output"
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(compile(code.group(1), str(README), "exec"), {"__name__": "__readme__"})
    assert buf.getvalue().strip().splitlines() == shown.group(1).strip().splitlines()


def test_readme_gives_the_two_set_up_commands() -> None:
    text = README.read_text(encoding="utf-8")
    assert 'pip install ".[viz,progress]" && tinygrad-edu demo --out demo-out' in text
    assert 'pip install -e ".[dev]" && python -m pytest' in text


def test_readme_sets_up_a_venv_first_and_starts_the_docs_at_the_tutorial() -> None:
    text = README.read_text(encoding="utf-8")
    assert text.index("python3 -m venv .venv && . .venv/bin/activate") < text.index('pip install ".[viz,progress]"')
    docs = text[text.index("## Documentation") :]
    assert docs.index("docs/tutorial.md") < docs.index("docs/architecture.md")
    assert "mkdocs serve" in docs and "mkdocs build" in docs
    assert "tinygrad-edu --version" in text


def test_readme_links_point_to_existing_files() -> None:
    text = README.read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)\s#]+)[^)]*\)", text)
    assert targets
    missing = [t for t in targets if "://" not in t and not (README.parent / t).exists()]
    assert not missing, missing
