"""The test run says how many PyTorch comparisons it skipped, and how to run them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import torch_skips

ROOT = Path(__file__).resolve().parent.parent


class Skipped:
    def __init__(self, reason: str) -> None:
        self.longrepr = ("tests/test_x.py", 3, f"Skipped: {reason}")


def test_only_torch_skips_are_counted() -> None:
    reports = [
        Skipped("could not import 'torch': No module named 'torch'"),
        Skipped("could not import 'torch': blocked"),
        Skipped("could not import 'sklearn.datasets': No module named 'sklearn'"),
        Skipped("needs dot"),
    ]
    assert torch_skips(reports) == 2
    assert torch_skips([]) == 0


def test_summary_line_when_torch_is_missing(tmp_path: Path) -> None:
    """With torch made unimportable, the run ends with the count and the install hint."""
    fake = tmp_path / "torch"
    fake.mkdir()
    (fake / "__init__.py").write_text("raise ImportError('torch is hidden for this test')\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "tests/test_losses.py::test_against_torch_functional",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "2 PyTorch comparisons skipped because torch is not installed; `pip install torch` runs them" in proc.stdout
    assert proc.stdout.strip().splitlines()[-1].startswith("2 skipped")  # pytest's own line stays last
