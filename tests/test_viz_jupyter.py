"""In Jupyter every plot shows once, inline, and pyplot does not keep it (a real kernel)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

ROOT = Path(__file__).resolve().parent.parent

SETUP = """\
%matplotlib inline
import numpy as np
import matplotlib.pyplot as plt
from tinygrad_edu import Tensor, optim, viz
X = Tensor([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0], [1.0, 3.0]]); y = Tensor([1.0, 3.0, 2.0, 5.0])
W = Tensor([-1.0, 3.0], requires_grad=True)
hist = optim.minimize(lambda: ((y - X @ W) ** 2).sum(), optim.BacktrackingLineSearch([W]), steps=5)
f = lambda w: ((y - X @ Tensor(w)) ** 2).sum()
"""


def images(cell: dict) -> int:
    return sum("image/png" in out.get("data", {}) for out in cell["outputs"])


def test_plots_display_once_and_are_closed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cells = [
        SETUP,
        "viz.plot_history(hist)",  # the call is the cell's value
        "fig = viz.plot_contour(f, hist, resolution=20)",  # assigned: still shown
        "fig",  # shown again on request, once
        "viz.plot_line_search(hist, step=0, f=f); print('after')",
        "print(len(plt.get_fignums()))",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))  # this checkout
    client = nbclient.NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    out = nb.cells
    assert [images(c) for c in out[1:5]] == [1, 1, 1, 1]
    assert out[5]["outputs"][0]["text"].strip() == "0"  # pyplot keeps no figure
