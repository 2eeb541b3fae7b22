"""The demo's HTML report: one `index.html` (styles inline) with its pictures next to it.

`write_report(result, out_dir)` draws the pictures (matplotlib for plots, Graphviz's `dot`
for graphs, with the text graph instead when `dot` is missing) and writes the page: a table
of contents and one section per part of the lesson (`report_sections`, `report_step_size`),
each with its formula, the number tinygrad_edu computed next to the one derived by hand, and
a picture.
Every piece of text that goes into the HTML is escaped.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__
from .demo import START, DemoResult
from .tensor import Tensor

INSTALL_DOT = (
    "The Graphviz program `dot` was not found, so the graphs below are text. To draw them, install "
    "Graphviz: `apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS), "
    "`conda install graphviz`, or see https://graphviz.org/download/ - then run the demo again."
)
MIN_TEXT_PX = 9  # the smallest text a picture may show on screen; narrower screens scroll the picture

STYLE = """body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222;
line-height:1.45}h2{margin-top:2.2em;border-bottom:1px solid #ddd;padding-bottom:.2em}
table{border-collapse:collapse;margin:1em 0;display:block;overflow-x:auto;max-width:100%}
td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;vertical-align:top}th{background:#f3f3f3}
pre{background:#f7f7f7;padding:1em;overflow-x:auto;font-size:12px}
.formula{font-family:ui-monospace,monospace;background:#f4f7fb;border-left:4px solid #4a78c2;padding:.5em 1em;
overflow-x:auto;white-space:pre-wrap}
figure{margin:1em 0}.scroll{overflow-x:auto;max-width:100%}figure img{max-width:100%;height:auto;
border:1px solid #eee;display:block}figcaption{font-size:.92em;color:#444;margin-top:.3em}
.note{background:#fff6d6;padding:.6em 1em;border-left:4px solid #e0b000}
nav ol{columns:2;column-gap:2em}@media (max-width:600px){nav ol{columns:1}}"""


@dataclass
class Written:
    """What `write_report` wrote: the page, the picture files and whether `dot` drew graphs."""

    index: Path
    files: list[Path] = field(default_factory=list)
    dot_found: bool = True
    graph_note: str = ""  # why the graphs are text, and how to get pictures


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def table(head: Sequence[str], rows: Sequence[Sequence[object]], css_id: str = "") -> str:
    cells = "".join(f"<th>{esc(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in rows)
    ident = f' id="{esc(css_id)}"' if css_id else ""
    return f"<table{ident}><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>"


def compare(rows: Sequence[tuple[str, object, object]], rtol: float = 1e-9, atol: float = 1e-9) -> str:
    """A table 'quantity | computed by tinygrad_edu | derived by hand | agree'."""
    out = []
    for name, ours, theirs in rows:
        a, b = np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
        ok = a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))
        out.append((name, fmt(a), fmt(b), "yes" if ok else "NO"))
    return table(("quantity", "computed by tinygrad_edu", "derived by hand", "agree"), out)


def fmt(a: object) -> str:
    v = np.asarray(a, dtype=np.float64)
    if v.ndim == 0:
        return f"{float(v):.10g}"
    return "[" + ", ".join(f"{x:.10g}" for x in v.ravel()) + "]"


def formula(text: str) -> str:
    return f'<p class="formula">{esc(text)}</p>'


def picture_size(path: Path) -> tuple[float, float, float]:
    """(width, height) in CSS pixels at the picture's own size (a 150 dpi PNG at its size in
    inches, an SVG at its size in points), and the smallest text there in CSS pixels."""
    if path.suffix == ".png":
        from PIL import Image

        from .viz.plots import DPI, FONT, TEXT_KEY

        with Image.open(path) as image:  # its size, dpi and the smallest text `viz.plots.save` noted
            width, height = image.size
            dpi = float(image.info.get("dpi", (DPI, DPI))[0])
            pt = float(getattr(image, "text", {}).get(TEXT_KEY, FONT))
        css = 96 / dpi  # a CSS px is 1/96 inch: show the figure at its size in inches
        return float(width) * css, float(height) * css, pt * 96 / 72
    svg = path.read_text(encoding="utf-8")
    w = re.search(r'<svg[^>]*\swidth="([\d.]+)pt"', svg)
    h = re.search(r'<svg[^>]*\sheight="([\d.]+)pt"', svg)
    fonts = [float(s) for s in re.findall(r'font-size="([\d.]+)"', svg)] or [14.0]
    px = 4 / 3  # Graphviz writes sizes in points, 1pt = 4/3 px
    return (float(w.group(1)) * px if w else 600.0), (float(h.group(1)) * px if h else 400.0), min(fonts) * px


def figure(out: Path, name: str, alt: str, caption: str = "") -> str:
    """An image no narrower than the width at which its smallest text is MIN_TEXT_PX; on a
    narrower screen the picture scrolls sideways inside its frame, the page does not. A click
    opens the picture alone, full size."""
    width, height, text_px = picture_size(out / name)
    min_width = min(width, math.ceil(width * MIN_TEXT_PX / text_px))
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return (
        f'<figure><div class="scroll"><a href="{esc(name)}" title="open full size">'
        f'<img src="{esc(name)}" alt="{esc(alt)}" width="{width:.0f}" height="{height:.0f}" '
        f'style="min-width:{min_width}px" data-min-text-px="{text_px:.2f}"></a></div>'
        f"{cap}</figure>"
    )


class Pictures:
    """Draws a picture into the report's folder, records the file, returns its <figure>."""

    def __init__(self, out: Path, written: Written) -> None:
        self.out, self.written = out, written

    def __call__(self, name: str, draw: Callable[[Path], Any], alt: str, caption: str = "") -> str:
        path = self.out / name
        draw(path)
        self.written.files.append(path)
        return figure(self.out, name, alt, caption)


def graphs(result: DemoResult, out: Path, written: Written) -> tuple[str, str]:
    """The computation graph and the gradient-check view: SVG files, or text without `dot`."""
    from . import viz

    W = Tensor(np.array(START), requires_grad=True, name="W")
    loss = result.loss(W)
    loss.name = "loss"
    fresh = result.loss(Tensor(np.array(START), requires_grad=True, name="W"))  # for the backward steps
    fresh.name = "loss"
    loss.backward()
    text = viz.graph_text(loss)
    formula_grad = -2.0 * result.X.T @ (result.y - result.X @ W.data)
    try:
        graph_svg = viz.draw_graph(loss, rankdir="TB").pipe(format="svg")  # top to bottom: fits the page
        check = viz.draw_gradcheck(
            result.loss, [Tensor(W.data, requires_grad=True, name="W")], expected=[formula_grad], rankdir="TB"
        )
        check_svg = check.pipe(format="svg")
        stepper = viz.draw_backward(fresh).stepper(title="The backward pass of f(W), step by step").html()
    except (viz.DotNotFoundError, ImportError) as err:
        written.dot_found = False
        why = written.graph_note = INSTALL_DOT if isinstance(err, viz.DotNotFoundError) else str(err)
        (out / "graph.txt").write_text(text + "\n", encoding="utf-8")
        written.files.append(out / "graph.txt")
        return (
            f'<p class="note" id="install-dot">{esc(why)}</p><pre>{esc(text)}</pre>'
            '<p>The same text is in <a href="graph.txt">graph.txt</a>.</p>',
            "",
        )
    for name, svg in (("graph.svg", graph_svg), ("gradcheck.svg", check_svg)):
        (out / name).write_bytes(svg)
        written.files.append(out / name)
    return (
        figure(
            out,
            "graph.svg",
            "computation graph of the loss",
            "The computation graph of f(W): one box per tensor, headed by the operation that made it "
            "(t3 = X @ W); W's box shows the gradient backward left in it.",
        )
        + f"<details><summary>the graph as text</summary><pre>{esc(text)}</pre></details>"
        + "<p>Backprop walks the graph from the loss back to W; each step multiplies the upstream "
        "gradient by the op's local derivative (Previous / Next, or the slider):</p>"
        + f'<div class="scroll" id="backward-steps">{stepper}</div>',
        figure(
            out,
            "gradcheck.svg",
            "the graph with each input coloured by its gradient check",
            "The gradient check: W is green when autodiff agrees with central differences and with the hand formula.",
        ),
    )


def write_report(result: DemoResult, out_dir: str | Path) -> Written:
    """Write index.html and its pictures into `out_dir` (created if needed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from . import report_sections

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = Written(index=out / "index.html")
    graph_html, check_html = graphs(result, out, written)
    try:
        sections = report_sections.build(result, out, written, graph_html, check_html)
    finally:
        plt.close("all")
    toc = "".join(f'<li><a href="#{esc(slug)}">{esc(title)}</a></li>' for slug, title, _ in sections)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>tinygrad_edu demo: from the normal equation to gradient descent</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>From the normal equation to gradient descent</h1>",
        f"<p>The lesson end to end, computed by tinygrad_edu {esc(__version__)} on this machine (seed "
        f"{result.seed}). Each section gives the formula, the number tinygrad_edu computed next to the one "
        "derived by hand, and a picture. Learning rates are written lr (the lesson's ε); h is the step of a "
        "finite difference.</p>",
        f'<nav id="contents"><h2>Contents</h2><ol>{toc}</ol></nav>',
        *(f'<section id="{esc(slug)}"><h2>{esc(title)}</h2>{body}</section>' for slug, title, body in sections),
        "</body></html>",
    ]
    written.index.write_text("\n".join(parts) + "\n", encoding="utf-8")
    return written
