"""The demo's HTML report: one `index.html` (styles inline) with its pictures next to it.

`write_report(result, out_dir)` draws the pictures with `tinygrad_edu.viz` (matplotlib for
plots; Graphviz's `dot` for graphs, with the text graph instead when `dot` is missing) and
writes the page. Every piece of text that goes into the HTML is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import __version__
from .demo import START, TABLE_HEAD, TOL, DemoResult, table_rows
from .tensor import Tensor

INSTALL_DOT = ("The Graphviz program `dot` was not found, so the graphs below are text. To draw them, install "
               "Graphviz: `apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS), "
               "`conda install graphviz`, or see https://graphviz.org/download/ - then run the demo again.")

STYLE = """body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}
th{background:#f3f3f3}pre{background:#f7f7f7;padding:1em;overflow-x:auto;font-size:12px}
img{max-width:100%;border:1px solid #eee}.note{background:#fff6d6;padding:.6em 1em;border-left:4px solid #e0b000}"""


@dataclass
class Written:
    """What `write_report` wrote: the page, the picture files and whether `dot` drew graphs."""

    index: Path
    files: list[Path] = field(default_factory=list)
    dot_found: bool = True
    graph_note: str = ""  # why the graphs are text, and how to get pictures


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _table(head: Sequence[str], rows: Sequence[Sequence[str]], css_id: str) -> str:
    cells = "".join(f"<th>{_esc(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{_esc(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table id="{_esc(css_id)}"><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>'


def _img(name: str, alt: str) -> str:
    return f'<p><img src="{_esc(name)}" alt="{_esc(alt)}"></p>'


def _graphs(result: DemoResult, out: Path, written: Written) -> tuple[str, str]:
    """The computation graph and the gradient-check view: SVG files, or text without `dot`."""
    from . import viz

    W = Tensor(np.array(START), requires_grad=True, name="W")
    loss = result.loss(W)
    loss.name = "loss"
    loss.backward()
    text = viz.graph_text(loss)
    formula = -2.0 * result.X.T @ (result.y - result.X @ W.data)
    try:
        graph_svg = viz.draw_graph(loss).pipe(format="svg")
        check = viz.draw_gradcheck(result.loss, [Tensor(W.data, requires_grad=True, name="W")], expected=[formula])
        check_svg = check.pipe(format="svg")
    except (viz.DotNotFoundError, ImportError) as err:
        written.dot_found = False
        why = written.graph_note = INSTALL_DOT if isinstance(err, viz.DotNotFoundError) else str(err)
        (out / "graph.txt").write_text(text + "\n", encoding="utf-8")
        written.files.append(out / "graph.txt")
        return (f'<p class="note" id="install-dot">{_esc(why)}</p><pre>{_esc(text)}</pre>'
                '<p>The same text is in <a href="graph.txt">graph.txt</a>.</p>', "")
    for name, svg in (("graph.svg", graph_svg), ("gradcheck.svg", check_svg)):
        (out / name).write_bytes(svg)
        written.files.append(out / name)
    return (_img("graph.svg", "computation graph of the loss") + f"<details><summary>as text</summary>"
            f"<pre>{_esc(text)}</pre></details>",
            _img("gradcheck.svg", "the graph with each input coloured by its gradient check"))


def _plots(result: DemoResult, out: Path, written: Written) -> None:
    """The contour plot with every path, the loss curves and the Armijo picture (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from . import viz

    runs = {r.name: r.history for r in result.rows if r.history is not None}
    figures = {
        "contour.png": lambda path: viz.plot_contour(result.loss, runs, minimizer=list(result.w_normal), path=path,
                                                     title="f(W) = ||y - XW||^2 and every optimizer's path"),
        "history.png": lambda path: viz.plot_history(runs, f_star=result.rows[0].final_loss, path=path),
    }
    if result.backtracking is not None and result.history("GD, backtracking") is not None:
        hist, search = result.history("GD, backtracking"), result.backtracking
        figures["line_search.png"] = lambda path: viz.plot_line_search(
            hist, step=0, f=result.loss, search=search, path=path, title="backtracking, step 0: the Armijo test")
    for name, draw in figures.items():
        fig = draw(out / name)
        plt.close(fig)
        written.files.append(out / name)


def write_report(result: DemoResult, out_dir: str | Path) -> Written:
    """Write index.html and its pictures into `out_dir` (created if needed)."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = Written(index=out / "index.html")
    _plots(result, out, written)
    graph_html, check_img = _graphs(result, out, written)
    ne = np.array2string(result.w_normal, precision=6)
    report = result.gradient_report
    grad_rows = [(r.name, str(r.shape), f"{r.max_abs_error:.3e}", f"{r.max_rel_error:.3e}", "yes" if r.ok else "NO")
                 for r in (report.rows if report else [])]
    grad_rows.append(("W (autodiff vs central differences, gradcheck)", "(2,)", "-", "-",
                      "yes" if result.gradcheck_ok else "NO"))
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        "<title>tinygrad_edu demo: gradient descent end to end</title>", f"<style>{STYLE}</style></head><body>",
        "<h1>Gradient descent, end to end</h1>",
        f"<p>tinygrad_edu {_esc(__version__)} &middot; seed {result.seed} &middot; at most {result.steps} steps "
        f"per optimizer &middot; every optimizer starts at W = {_esc(START)}.</p>",
        "<h2>1. The data and the loss</h2>",
        f"<p>Linear regression with {result.X.shape[0]} rows and 2 features (data.make_regression, the second "
        "feature scaled by 1/3 so the bowl is elongated), and the lesson's loss "
        "<code>f(W) = ||y - XW||^2</code>. Its Hessian is <code>2X^T X</code> with largest eigenvalue "
        f"L = {result.lipschitz:.4g}, so a fixed step is stable for eps &lt; 2/L = {2 / result.lipschitz:.4g}.</p>",
        "<h2>2. The computation graph</h2>", graph_html,
        "<h2>3. Checking the gradient</h2>",
        "<p>Autodiff's gradient against the hand-derived <code>-2X^T(y - XW)</code> "
        "(<code>tge.compare_gradients</code>) and against central differences (<code>tge.gradcheck</code>).</p>",
        _table(("check", "shape", "max abs error", "max rel error", "ok"), grad_rows, "gradient-check"),
        f"<p>{_esc(result.gradcheck_message)}</p>", check_img,
        "<h2>4. The comparison</h2>",
        f"<p>The normal equation gives W = {_esc(ne)} in one solve; every other row is an iterative method "
        f"stopped when ||grad f|| &lt; {TOL:g} or after the step limit.</p>",
        _table(TABLE_HEAD, table_rows(result), "comparison"),
        "<h2>5. The paths on the loss surface</h2>", _img("contour.png", "contours of f with every path"),
        "<h2>6. Loss and gradient norm per step</h2>", _img("history.png", "loss curves"),
    ]
    if (out / "line_search.png") in written.files:
        parts += ["<h2>7. One backtracking step: the Armijo condition</h2>",
                  "<p>From W with gradient g, backtracking tries eps = 1, 1/2, 1/4, ... and accepts the first "
                  "with f(W - eps g) &le; f(W) - c eps ||g||^2 (the dotted line).</p>",
                  _img("line_search.png", "the Armijo picture")]
    parts.append("</body></html>")
    written.index.write_text("\n".join(parts) + "\n", encoding="utf-8")
    return written
