"""The benchmark script's quick mode runs, so it cannot rot. No test here asserts a time."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
WORKLOADS = ["linreg", "mlp", "overhead", "deep (200 ops)", "deep (2,000 ops)", "moons", "conv"]


@pytest.fixture(scope="module")
def quick_run() -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "run.py"), "--quick"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )


def table_rows(output: str, title: str) -> dict[str, list[str]]:
    """The rows of the markdown table under '### title', keyed by framework."""
    section = output.split(f"### {title}\n", 1)[1].split("\n### ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| ") and cells[0] not in ("framework",):
            rows[cells[0]] = cells
    return rows


def test_quick_mode_exits_cleanly(quick_run: subprocess.CompletedProcess[str]) -> None:
    assert quick_run.returncode == 0, quick_run.stdout + quick_run.stderr
    assert "## Machine" in quick_run.stdout
    assert "peers found:" in quick_run.stdout


@pytest.mark.parametrize("title", WORKLOADS)
def test_tinygrad_edu_matches_the_numpy_baseline(quick_run: subprocess.CompletedProcess[str], title: str) -> None:
    rows = table_rows(quick_run.stdout, title)
    assert rows["numpy"][5] == "ok (reference)"
    assert rows["tinygrad_edu"][5] == "ok", rows["tinygrad_edu"]
    assert re.fullmatch(r"[\d.]+x", rows["tinygrad_edu"][2])
    if not title.startswith("deep") and title != "conv":  # the compiled loop is timed on the training workloads
        assert rows["tinygrad_edu_compile"][5] == "ok", rows["tinygrad_edu_compile"]
    # every peer that ran agrees with the baseline too (a failure is a benchmark bug)
    assert all(row[5] != "MISMATCH" for row in rows.values()), rows


def test_memory_section(quick_run: subprocess.CompletedProcess[str]) -> None:
    out = quick_run.stdout
    assert "### memory (tinygrad_edu" in out
    assert "graph freed by refcounting: yes" in out


def test_unknown_workload_is_rejected() -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "run.py"), "--only", "nope"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "unknown workload 'nope'" in proc.stderr
