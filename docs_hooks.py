"""MkDocs hooks for the documentation site (`mkdocs build`, `mkdocs serve`; see mkdocs.yml).

- The tutorial is the site's home page (`/`); docs/index.md, the list of every page, moves to
  `/contents/`.
- The tests' markers on code fences (```python no-run, ```python torch, ```text excerpt) are
  dropped, so the site highlights those blocks as plain python and text.
- The pages link files of the repository outside docs/ (the examples, the benchmarks, the
  tests) as `../examples/01_slope.py`, which works on GitHub. On the site each such file
  becomes a page of its own under `source/` that shows the file, and a link to a folder
  becomes a page that lists its files; the links are rewritten to point there.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

LINK = re.compile(r"(\]\()([^)\s#]+)((?:#[^)\s]*)?\))")
FENCE = re.compile(r"^```.*?^```[ \t]*$", re.S | re.M)
LANGUAGES = {".py": "python", ".toml": "toml", ".yml": "yaml", ".yaml": "yaml", ".md": "markdown"}
MARKER = re.compile(r"^(```(?:python|text))[ \t]+(?:no-run|torch|excerpt)[ \t]*$", re.M)
SOURCE = "source"  # where the repository's files appear on the site

_outside: dict[str, str] = {}  # repository path -> src_uri of its generated page


def _repo_root(config: Any) -> Path:
    return Path(config["docs_dir"]).resolve().parent


def _targets(markdown: str, page_uri: str, docs: Path, root: Path) -> list[tuple[str, Path]]:
    """(link, absolute path) of every relative link in `markdown` that leaves docs/."""
    found = []
    for m in LINK.finditer(FENCE.sub("", markdown)):
        link = m.group(2)
        if re.match(r"^[a-z][a-z0-9+.-]*:", link):
            continue
        target = (docs / posixpath.dirname(page_uri) / link).resolve()
        if target.is_relative_to(root) and not target.is_relative_to(docs) and target.exists():
            found.append((link, target))
    return found


def _file_page(rel: str, path: Path) -> str:
    language = LANGUAGES.get(path.suffix, "text")
    text = path.read_text(encoding="utf-8")
    return f"# `{rel}`\n\nThe file `{rel}` of the repository.\n\n````{language}\n{text}\n````\n"


def _folder_page(rel: str, path: Path, pages: dict[str, str]) -> str:
    rows = [
        f"- [`{p.name}`]({p.name}.md)"
        for p in sorted(path.iterdir())
        if p.is_file() and not p.name.startswith(".") and f"{rel}/{p.name}" in pages
    ]
    return f"# `{rel}/`\n\nThe files of the repository's folder `{rel}/`.\n\n" + "\n".join(rows) + "\n"


def on_files(files: Files, config: Any) -> Files:
    """Home = tutorial; one generated page per repository file or folder the docs link."""
    home, contents = files.get_file_from_path("tutorial.md"), files.get_file_from_path("index.md")
    if home is not None and contents is not None:
        contents.dest_uri = "contents/index.html"
        home.dest_uri = "index.html"
    docs, root = Path(config["docs_dir"]).resolve(), _repo_root(config)
    files_wanted: dict[str, Path] = {}
    folders: dict[str, Path] = {}
    for page in files.documentation_pages():
        markdown = Path(page.abs_src_path or "").read_text(encoding="utf-8") if page.abs_src_path else ""
        for _, target in _targets(markdown, page.src_uri, docs, root):
            rel = target.relative_to(root).as_posix()
            if target.is_dir():
                folders[rel] = target
                for child in target.iterdir():
                    if child.is_file() and child.suffix in LANGUAGES and not child.name.startswith("."):
                        files_wanted[f"{rel}/{child.name}"] = child
            else:
                files_wanted[rel] = target
    _outside.clear()
    for rel, path in sorted(files_wanted.items()):
        uri = f"{SOURCE}/{rel}.md"
        files.append(File.generated(config, uri, content=_file_page(rel, path)))
        _outside[rel] = uri
    for rel, path in sorted(folders.items()):
        uri = f"{SOURCE}/{rel}/index.md"
        files.append(File.generated(config, uri, content=_folder_page(rel, path, _outside)))
        _outside[rel] = uri
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    """Point links that leave docs/ at the generated pages."""
    docs, root = Path(config["docs_dir"]).resolve(), _repo_root(config)
    here = posixpath.dirname(page.file.src_uri)

    def swap(m: re.Match[str]) -> str:
        link = m.group(2)
        if re.match(r"^[a-z][a-z0-9+.-]*:", link):
            return m.group(0)
        target = (docs / here / link).resolve()
        if not target.is_relative_to(root) or target.is_relative_to(docs):
            return m.group(0)
        uri = _outside.get(target.relative_to(root).as_posix())
        if uri is None:
            return m.group(0)
        return m.group(1) + posixpath.relpath(uri, here or ".") + m.group(3)

    markdown = MARKER.sub(r"\1", markdown)
    parts = re.split(r"(^```.*?^```[ \t]*$)", markdown, flags=re.S | re.M)  # leave code alone
    return "".join(p if p.startswith("```") else LINK.sub(swap, p) for p in parts)
