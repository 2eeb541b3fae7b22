"""Run a notebook in a real Jupyter kernel and look at what it displayed.

    nb = run_notebook(DOCS / "notebooks" / "graphs.py")    # a Jupytext percent script or .ipynb
    cell = cell_with(nb, "viz.draw_graph(")
    assert len(images(cell)) == 1

Outputs stored in the file are stripped first, so what is checked is what the kernel produced
now. The kernel runs with the repository first on PYTHONPATH (this checkout is imported) and
the notebook's own directory as its working directory.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
IMAGE_TYPES = ("image/png", "image/svg+xml", "image/jpeg")
INSTALL = "notebook tests need `pip install nbclient ipykernel nbformat jupytext` (the dev extra)"


def missing() -> str | None:
    """Why notebooks cannot run here (with how to fix it), or None when they can."""
    try:
        import ipykernel  # noqa: F401
        import jupytext  # noqa: F401
        import nbclient  # noqa: F401
        import nbformat  # noqa: F401
    except ImportError as e:
        return f"{e.name} is not installed; {INSTALL}"
    return None


def read_notebook(path: str | Path) -> Any:
    """The notebook at `path` (.ipynb, or a Jupytext script such as a percent-format .py),
    with every stored output and execution count removed."""
    import jupytext

    nb = jupytext.read(str(path))
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return nb


def run_notebook(path: str | Path, timeout: int = 300, kernel: str = "python3") -> Any:
    """Execute the notebook at `path` top to bottom in a fresh kernel; returns the executed
    notebook (nbformat). A cell that raises fails the run with the cell and the traceback."""
    from nbclient import NotebookClient

    path = Path(path).resolve()
    nb = read_notebook(path)
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), old) if p)
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    try:
        client = NotebookClient(
            nb, timeout=timeout, kernel_name=kernel, resources={"metadata": {"path": str(path.parent)}}
        )
        client.execute()
    finally:
        if old is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old
    return nb


def code_cells(nb: Any) -> list[Any]:
    return [c for c in nb.cells if c.cell_type == "code"]


def cell_with(nb: Any, text: str) -> Any:
    """The first code cell whose source contains `text`."""
    for cell in code_cells(nb):
        if text in cell.source:
            return cell
    raise LookupError(f"no code cell contains {text!r}")


def displays(cell: Any) -> list[dict[str, Any]]:
    """The rich outputs of a cell (display_data and execute_result), as mime bundles."""
    return [dict(o.get("data", {})) for o in cell.outputs if o.output_type in ("display_data", "execute_result")]


def images(cell: Any) -> list[dict[str, Any]]:
    """One entry per picture the cell displayed (a bundle with a PNG, SVG or JPEG in it)."""
    return [d for d in displays(cell) if any(t in d for t in IMAGE_TYPES)]


def html(cell: Any) -> list[str]:
    """The text/html outputs of a cell."""
    return [_text(d["text/html"]) for d in displays(cell) if "text/html" in d]


def text(cell: Any) -> str:
    """Everything the cell printed (stdout, stderr) and its text/plain results, joined."""
    parts = []
    for o in cell.outputs:
        if o.output_type == "stream":
            parts.append(_text(o.text))
        elif "data" in o and "text/plain" in o.data:
            parts.append(_text(o.data["text/plain"]))
    return "".join(parts)


def errors(nb: Any) -> list[str]:
    """Error outputs of every cell (empty after a clean run)."""
    return [f"{o.ename}: {o.evalue}" for c in code_cells(nb) for o in c.outputs if o.output_type == "error"]


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)
