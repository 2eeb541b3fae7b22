"""Draw the pictures of docs/tutorial.md by running the tutorial's own code.

    python docs/make_tutorial_images.py [OUT_DIR]      (default: docs/images)

The tutorial's ```python blocks run in order, in one namespace, inside OUT_DIR, with
matplotlib's Agg backend; the blocks save their pictures as tutorial_*.png / tutorial_*.svg
in the working directory, so the pictures on the page are exactly what its code draws.
The graph picture needs the Graphviz program `dot`.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

TUTORIAL = Path(__file__).resolve().parent / "tutorial.md"
IMAGES = TUTORIAL.parent / "images"
BLOCK = re.compile(r"^```python([^\n]*)\n(.*?)^```", re.S | re.M)


def main(out_dir: str | Path = IMAGES) -> list[Path]:
    out = Path(out_dir).resolve()
    out.mkdir(parents=True, exist_ok=True)
    namespace: dict[str, object] = {"__name__": "__tutorial__"}
    old = os.getcwd()
    os.chdir(out)
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # the page shows what they print
            for m in BLOCK.finditer(TUTORIAL.read_text(encoding="utf-8")):
                if "no-run" not in m.group(1).split():
                    exec(compile(m.group(2), str(TUTORIAL), "exec"), namespace)
    finally:
        os.chdir(old)
        plt.close("all")
    return sorted(out.glob("tutorial_*"))


if __name__ == "__main__":
    for path in main(*sys.argv[1:]):
        print(path)
