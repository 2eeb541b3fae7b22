"""A recorded optimizer run (`optim.History`) in a few words: what `repr` prints and what
Jupyter shows, instead of every recorded number.

The HTML is a small table (steps, first and last loss, final gradient norm) and a sparkline
of the loss as an inline SVG: a few hundred bytes however long the run.
"""

from __future__ import annotations

import html
import math
from typing import Any

import numpy as np

from ._names import num

SPARK_POINTS = 60  # the sparkline samples at most this many steps
SPARK_W, SPARK_H = 160, 36


def history_text(h: Any) -> str:
    """One line: `History(50 steps, loss 10.5 -> 0.0312, final gradient norm 0.0012)`."""
    if not h.loss:
        return f"History({h.steps} steps, nothing recorded)"
    parts = [f"{h.steps} steps", f"loss {num(h.loss[0])} -> {num(h.loss[-1])}"]
    if h.grad_norm:
        parts.append(f"final gradient norm {num(h.grad_norm[-1])}")
    return "History(" + ", ".join(parts) + ")"


def sparkline(values: list[float]) -> tuple[str, bool]:
    """The values as a small SVG polyline, and whether its scale is logarithmic (when all are
    positive and they span more than a factor of 10); empty when nothing finite can be drawn."""
    v = np.asarray(values, dtype=np.float64)
    if v.size > SPARK_POINTS:
        v = v[np.linspace(0, v.size - 1, SPARK_POINTS).round().astype(int)]
    finite = v[np.isfinite(v)]
    if finite.size < 2:
        return "", False
    log = bool(finite.min() > 0 and finite.max() / finite.min() > 10)
    if log:
        v = np.log10(v)
        finite = np.log10(finite)
    lo, hi = float(finite.min()), float(finite.max())
    span = hi - lo or 1.0
    xs = np.linspace(1, SPARK_W - 1, v.size)
    points = " ".join(
        f"{x:.0f},{SPARK_H - 2 - (y - lo) / span * (SPARK_H - 4):.0f}" for x, y in zip(xs, v) if math.isfinite(y)
    )
    return (
        f'<svg width="{SPARK_W}" height="{SPARK_H}" viewBox="0 0 {SPARK_W} {SPARK_H}" role="img" '
        f'aria-label="loss per step"><polyline fill="none" stroke="#1f77b4" stroke-width="1.5" '
        f'points="{points}"/></svg>'
    ), log


def history_html(h: Any) -> str:
    """The run as a small table with a sparkline of the loss, for Jupyter."""
    rows = [("steps", str(h.steps))]
    if h.loss:
        rows += [("loss", f"{num(h.loss[0])} → {num(h.loss[-1])}")]
    if h.grad_norm:
        rows.append(("final gradient norm", num(h.grad_norm[-1])))
    cells = "".join(
        f'<tr><td style="text-align:left;padding-right:1em">{html.escape(k)}</td>'
        f'<td style="text-align:left">{html.escape(v)}</td></tr>'
        for k, v in rows
    )
    spark, log = sparkline(h.loss)
    figure = f'<div style="font-size:12px">loss per step{" (log scale)" if log else ""}</div>{spark}'
    return (
        f'<div class="tge-history" style="display:flex;gap:1.5em;align-items:center">'
        f'<table><caption style="text-align:left"><b>History</b></caption>{cells}</table>'
        f"<div>{figure if spark else ''}</div></div>"
    )
