"""Redraw docs/images/normal_vs_gd.png from the run reported on docs/normal-equation-vs-gd.md.

    python docs/make_timing_image.py [OUT_DIR]      (default: docs/images)

The page shows one measured run of examples/11_normal_equation_timing.py as a table; this
script reads that table and draws it with the example's own `plot`, so the picture is of the
same run as the numbers beside it (a new measurement would give other numbers: run the
example with --out for that).
"""

from __future__ import annotations

import importlib.util
import math
import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
PAGE = DOCS / "normal-equation-vs-gd.md"
EXAMPLE = DOCS.parent / "examples" / "11_normal_equation_timing.py"
ROW = re.compile(r"^\s*(\d+)\s+\d+\s+(\S+)\s+(\S+)\s+(\S+)\s+\d+\s+\S+\s+(\S+)\s*$", re.M)


def rows_of(page: str) -> list[tuple[int, float, float, float, float]]:
    """(n, solve, lstsq, GD, library) in seconds for every row of the page's table ('-' is NaN)."""

    def seconds(ms: str) -> float:
        return math.nan if ms == "-" else float(ms) / 1e3

    rows = [(int(m[1]), *(seconds(m[k]) for k in range(2, 6))) for m in ROW.finditer(page)]
    if not rows:
        raise ValueError(f"{PAGE.name}: no timing table found")
    return rows  # type: ignore[return-value]


def main(out_dir: str | Path = DOCS / "images") -> Path:
    spec = importlib.util.spec_from_file_location("normal_equation_timing", EXAMPLE)
    assert spec is not None and spec.loader is not None
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    path: Path = example.plot(rows_of(PAGE.read_text(encoding="utf-8")), Path(out_dir) / "normal_vs_gd.png")
    return path


if __name__ == "__main__":
    print(main(*sys.argv[1:]))
