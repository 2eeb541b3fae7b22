"""docs/api/tensor.md keeps one table of every op: each public Tensor method (read from the
class), each op function of `tge` and `F` (read from their __all__) has a row, or (methods
only) is listed among the methods that are not ops."""

from __future__ import annotations

import re
from pathlib import Path

import tinygrad_edu as tge
from tinygrad_edu import Tensor
from tinygrad_edu.nn import functional as F

PAGE = Path(__file__).resolve().parent.parent / "docs" / "api" / "tensor.md"
SECTION = "## Every op: its derivative and its PyTorch and NumPy names"
OTHERS = "The other public `Tensor` methods and attributes"
# the modules whose functions compute tensors from tensors (the rest of tge.__all__ is
# autograd tools, grad mode, saving and subpackages)
OP_MODULES = {"functions", "movement", "indexing", "linalg", "creation", "pointwise"}


def _names(text: str) -> set[str]:
    """The identifiers inside `backticks` in `text`, but not a call's arguments (`astype(dtype)`)."""
    spans = [re.sub(r"\([^)]*\)", "", span) for span in re.findall(r"`([^`]*)`", text)]
    return {w for span in spans for w in re.findall(r"[A-Za-z_]\w*", span)}


def _section() -> tuple[set[str], set[str], list[str]]:
    """(names in the table's first column, names in the paragraph of other methods, rows)."""
    text = PAGE.read_text()
    body = text[text.index(SECTION) :]
    body = body[: body.find("\n## ", len(SECTION))]
    rows = [line for line in body.splitlines() if line.startswith("| `")]
    ops = set().union(*(_names(row.split("|")[1]) for row in rows))
    others = _names(body[body.index(OTHERS) :].split("\n\n")[0].replace(OTHERS, ""))
    return ops, others, rows


def test_every_public_tensor_method_has_a_row_or_is_listed_as_not_an_op() -> None:
    ops, others, _ = _section()
    public = {name for name in dir(Tensor) if not name.startswith("_")}
    missing = sorted(public - ops - others)
    assert not missing, f"add a row to {PAGE.name}'s op table (or list them as not ops): {missing}"
    assert not public & ops & others, f"both an op and not an op: {sorted(public & ops & others)}"
    stale = sorted(others - public)
    assert not stale, f"listed as Tensor methods but not on Tensor: {stale}"


def test_every_tge_and_functional_op_has_a_row() -> None:
    ops, _, _ = _section()
    tge_ops = {
        name for name in tge.__all__ if getattr(getattr(tge, name), "__module__", "").split(".")[-1] in OP_MODULES
    }
    assert {"cat", "einsum", "where", "zeros_like", "gather"} <= tge_ops  # the filter keeps the ops
    missing = sorted((tge_ops | set(F.__all__)) - ops)
    assert not missing, f"add a row to {PAGE.name}'s op table: {missing}"


def test_rows_have_four_cells_and_derivatives_in_operand_letters() -> None:
    """a, b name the operands (x and y are the learner's variables in the pictures)."""
    _, _, rows = _section()
    assert len(rows) > 60
    for row in rows:
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        assert len(cells) == 4 and all(cells), row
        assert not re.search(r"\b[xy]\b", cells[1]), f"write the derivative in a, b: {row}"
