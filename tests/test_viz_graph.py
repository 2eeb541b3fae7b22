"""The graph pictures: DOT source (no `dot` needed), text tree, escaping, renders."""

from __future__ import annotations

import re
import shutil
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pytest.importorskip("graphviz")

from tinygrad_edu import Tensor, viz  # noqa: E402
from tinygrad_edu.viz import _deps  # noqa: E402
from tinygrad_edu.viz.graph import COLORS  # noqa: E402

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` not installed")


def lesson():
    X = Tensor([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]], name="X")
    y = Tensor([1.0, 3.0, 2.0], name="y")
    W = Tensor([1.0, 2.0], requires_grad=True, name="W")
    loss = ((y - X @ W) ** 2).sum()
    loss.name = "loss"
    return X, y, W, loss


def node_lines(source: str) -> list[str]:
    return [ln for ln in source.splitlines() if re.match(r"\s*(t|op)\d+ \[", ln)]


def label_of(source: str, node: str) -> str:
    m = re.search(rf"^\s*{node} \[label=(\"(?:[^\"\\]|\\.)*\"|\S+)", source, re.M)
    assert m, f"no node {node}"
    return m.group(1)


def test_nodes_labels_and_legend():
    _, _, W, loss = lesson()
    src = viz.draw_graph(loss).source
    assert label_of(src, "t2") == '"W\\n[1, 2]"' and label_of(src, "t1") == '"X\\n(3, 2)"'
    # each box says how it was made, as typed, in the learner's names; numbers typed inline
    for typed in ("t3 = X @ W", "t4 = y - t3", "t5 = t4 ** 2", "loss = t5.sum()"):
        assert typed in src
    assert "cluster" not in src and "gold: parameter" in src  # the legend is a caption
    assert "rankdir=TB" in src
    # parameters styled differently from data and from intermediates
    assert f'fillcolor="{COLORS["param"]}" penwidth=2' in src
    assert "grad" not in label_of(src, "t2")  # no gradient before backward
    # details on hover: shape, dtype, summary, the rule in the learner's names
    assert 'tooltip="X: shape (3, 2) float64\\ndata [[1, 0], [1, 1], [1, 2]]"' in src
    assert "∂t3/∂W: G ↦ Xᵀ·G" in src


def test_grad_after_backward_and_options():
    _, _, W, loss = lesson()
    loss.backward()
    src = viz.draw_graph(loss).source
    assert label_of(src, "t2") == '"W\\n[1, 2]\\ngrad [6, 12]"'
    bare = viz.draw_graph(loss, show_data=False, show_grad=False, rankdir="LR").source
    assert label_of(bare, "t2") == '"W\\n(2,)"' and "rankdir=LR" in bare


def test_large_values_are_summarized():
    x = Tensor(np.arange(100.0), requires_grad=True, name="x")
    src = viz.draw_graph((x * 2).sum()).source
    assert "min 0  mean 49.5  max 99" in src


def test_one_edge_per_use_and_topological_ids():
    a = Tensor(3.0, requires_grad=True, name="a")
    src = viz.draw_graph(a * a).source
    assert src.count("t0 -> t1") == 2 and "t1 = a * a" in src
    # ids follow topological order: every edge goes from a smaller to a larger number
    for u, v in re.findall(r"t(\d+) -> t(\d+)", src):
        assert int(u) <= int(v)


def test_source_is_deterministic():
    sources = {viz.draw_graph(lesson()[3]).source for _ in range(3)}
    assert len(sources) == 1
    assert len({viz.graph_text(lesson()[3]) for _ in range(3)}) == 1


def test_highlight_marks_every_path_with_local_derivatives():
    a = Tensor(2.0, requires_grad=True, name="a")
    b = Tensor(3.0, requires_grad=True, name="b")
    c = a * a + a * b
    c.name = "c"
    src = viz.draw_graph(c, highlight=a).source
    red = [ln for ln in src.splitlines() if "->" in ln and COLORS["path"] in ln]
    from_a = [ln for ln in red if ln.strip().startswith("t0 ->")]
    assert len(from_a) == 3  # a*a twice, a*b once
    # local derivatives in the learner's names: d(a*a)/da = a = 2 per use, d(a*b)/da = b = 3
    assert ["∂t1/∂a = a = 2" in ln for ln in from_a].count(True) == 2 and "∂t3/∂a = b = 3" in from_a[2]
    assert not any(ln.strip().startswith("t2 ->") for ln in red)  # b is not on a path
    assert "∂c/∂a = sum over the red paths of the products" in src.replace("\\n", " ")
    assert "df/d" not in src and "-0" not in src
    # the sum over paths of products is a's gradient: 2*1 + 2*1 + 3*1
    c.backward()
    assert float(a.grad) == 7.0


def test_cap_collapses_what_is_too_big():
    x = Tensor(np.ones(3), requires_grad=True, name="x")
    z = x
    for _ in range(100):
        z = z * 1.5 + 1.0
    z = z.sum()
    g = viz.draw_graph(z, max_nodes=25)
    assert len(node_lines(g.source)) <= 25
    assert "more" in g.source and "style=dashed" in g.source
    shallow = viz.draw_graph(z, max_depth=2, max_nodes=None).source
    assert len(node_lines(shallow)) == 3  # z, the Add below it, the Mul below that (numbers inline)
    assert "... 199 more" in shallow  # the rest of the chain and x
    assert "more" in viz.graph_text(z, max_depth=2)


ODD = 'a "q" <b> {c} \\n back\\slash\nnewline'


def test_labels_are_escaped():
    a = Tensor(1.0, requires_grad=True, name=ODD)
    b = Tensor(2.0, requires_grad=True, name="<b>")
    src = viz.draw_graph(a * b, highlight=a).source
    assert '"a \\"q\\" <b> {c} \\\\n back\\\\slash\\nnewline\\n1' in src
    assert 't1 [label="<b>\\n2' in src  # quoted, not read as an HTML label


@needs_dot
def test_escaped_labels_render():
    a = Tensor(1.0, requires_grad=True, name=ODD)
    b = Tensor(2.0, requires_grad=True, name="<b>")
    c = a * b
    c.name = "end\\"
    svg = viz.draw_graph(c, highlight=a).pipe(format="svg", encoding="utf-8")
    assert "back\\slash" in svg and "&lt;b&gt;" in svg and "newline" in svg


def test_graph_text_is_the_same_graph():
    a = Tensor(2.0, requires_grad=True, name="a")
    b = Tensor(3.0, name="b")
    c = a * a + a * b
    text = viz.graph_text(c)
    assert text.splitlines() == [
        "t4 = t1 + t3  () 10",
        "├── t1 = a * a  () 4",
        "│   ├── a  () 2",
        "│   └── a (see above)",  # a is used three times, written out once
        "└── t3 = a * b  () 6",
        "    ├── a (see above)",
        "    └── b  () 3",
    ]
    assert "\\n" in viz.graph_text(Tensor(1.0, requires_grad=True, name="x\ny") * 2)


def test_missing_dot_says_how_to_install(monkeypatch, tmp_path):
    g = viz.draw_graph(lesson()[3])
    monkeypatch.setenv("PATH", "")
    with pytest.raises(viz.DotNotFoundError) as err:
        g.pipe(format="svg")
    assert "apt-get install graphviz" in str(err.value)
    assert "brew install graphviz" in str(err.value) and "graph_text" in str(err.value)
    with pytest.raises(RuntimeError, match="apt-get"):
        g.render(tmp_path / "graph", format="png")
    bundle = g._repr_mimebundle_()  # Jupyter falls back to the text tree
    assert "loss = t5.sum()" in bundle["text/plain"]


def test_missing_graphviz_package_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "graphviz", None)
    _deps._digraph_class.cache_clear()
    try:
        with pytest.raises(ImportError, match=r'pip install "tinygrad_edu\[viz\]"'):
            viz.draw_graph(lesson()[3])
    finally:
        monkeypatch.undo()
        _deps._digraph_class.cache_clear()


@needs_dot
def test_svg_and_png_renders(tmp_path):
    g = viz.draw_graph(lesson()[3], highlight=lesson()[2])
    assert b"<svg" in g.pipe(format="svg")
    out = g.render(tmp_path / "graph", format="png")
    assert open(out, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    import graphviz

    assert isinstance(g, graphviz.Digraph)  # Jupyter shows it inline
    assert "image/svg+xml" in g._repr_mimebundle_()


def test_gradcheck_view_colours_agreement():
    X = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]])
    y = np.array([1.0, 3.0, 2.0])
    W = Tensor([1.0, 2.0], requires_grad=True, name="W")

    def f(W):
        return ((Tensor(y) - Tensor(X) @ W) ** 2).sum()

    right = -2 * X.T @ (y - X @ np.array([1.0, 2.0]))
    good = viz.draw_gradcheck(f, [W], expected=[right])
    assert f'fillcolor="{COLORS["ok"]}"' in label_line(good.source, "W")
    assert good.check_rows[0].ok and good.check_rows[0].numeric_error < 1e-6
    bad = viz.draw_gradcheck(f, W, expected={"W": 2 * right})
    assert f'fillcolor="{COLORS["bad"]}"' in label_line(bad.source, "W")
    assert "MISMATCH" in bad.source and W.grad is None


def label_line(source: str, name: str) -> str:
    return next(ln for ln in source.splitlines() if f'label="{name}\\n' in ln)


def test_long_chains_need_no_recursion():
    x = Tensor(1.0, requires_grad=True, name="x")
    z = x
    for _ in range(5_000):
        z = z * 1.0
    g = viz.draw_graph(z)  # capped at 80 nodes by default
    assert len(node_lines(g.source)) <= 80 and "more" in g.source
    assert len(viz.backward_steps(z)) == 5_000


def dot_unescape(quoted: str) -> str:
    r"""What `dot` reads from a quoted label: \\ is a backslash, \" a quote, \n a newline."""
    body = quoted[1:-1]
    out, i = [], 0
    while i < len(body):
        if body[i] == "\\":
            nxt = body[i + 1]
            out.append({"n": "\n", "\\": "\\", '"': '"'}.get(nxt, "\\" + nxt))
            i += 2
        else:
            assert body[i] != '"', "an unescaped quote ends the string early"
            out.append(body[i])
            i += 1
    return "".join(out)


@settings(deadline=None)
@given(st.text(min_size=1, max_size=20))
def test_any_name_survives_escaping(name):
    a = Tensor(1.0, requires_grad=True, name=name)
    src = viz.draw_graph(a * 2.0, legend=False).source
    label = label_of(src, "t0")
    if label.startswith('"'):
        text = dot_unescape(label)
    else:
        text = label  # a plain DOT id needs no quotes
    assert text.startswith(name.replace("\r", "") + "\n1")


def test_composed_ops_are_one_box_as_typed_and_expand_on_request():
    from tinygrad_edu import nn

    X, y, W, _ = lesson()
    pred = X @ W
    pred.name = "pred"
    loss = nn.functional.mse_loss(pred, y)
    src = viz.draw_graph(loss, highlight=W).source
    assert "t4 = mse_loss(pred, y)" in src and "peripheries=2" in src
    assert len(node_lines(src)) == 5  # X, W, y, pred, the loss: the primitives inside are folded
    assert "∂t4/∂pred = 2·(pred - y)/3 = [0, 0, 2]" in src.replace("\\n", " ")  # the value is d(loss)/d(pred)
    assert "double border: a composed op" in src
    expanded = viz.draw_graph(loss, expand=True).source
    assert "mse_loss" not in expanded and len(node_lines(expanded)) > 5
    loss.backward()
    np.testing.assert_allclose(W.grad.data, 2 / 3 * X.data.T @ (X.data @ W.data - y.data))
    # softmax, log_softmax, var, std, logsumexp are one box each, labelled as typed
    z = Tensor([1.0, 2.0, 3.0], requires_grad=True, name="z")
    for out, typed in [
        (z.softmax(), "z.softmax()"),
        (z.log_softmax(), "z.log_softmax()"),
        (z.var(), "z.var()"),
        (z.std(), "z.std()"),
        (z.logsumexp(), "z.logsumexp()"),
        (z.T, "z.T"),
    ]:
        source = viz.draw_graph(out).source
        assert f"t1 = {typed}" in source and len(node_lines(source)) == 2


def test_no_minus_zero_and_numbers_written_inline():
    a = Tensor([0.0, 1.0], requires_grad=True, name="a")
    out = (a * -1.0).sum()
    src = viz.draw_graph(out).source + viz.graph_text(out)
    assert "t1 = a * -1" in src and "[0, -1]" in src and "-0" not in src
    assert viz._names.num(-0.0) == "0" and viz._names.values(np.array([-0.0, 2.5])) == "[0, 2.5]"


def test_arguments_are_written_as_typed():
    A = Tensor(np.ones((3, 4, 2)), requires_grad=True, name="A")
    cases = [
        (A.sum(), "t1 = A.sum()"),
        (A.sum(axis=1), "t1 = A.sum(axis=1)"),
        (A.sum(axis=(0, 2), keepdims=True), "t1 = A.sum(axis=(0, 2), keepdims=True)"),
        (A.reshape(12, 2), "t1 = A.reshape(12, 2)"),
        (A.transpose(1, 0, 2), "t1 = A.transpose(1, 0, 2)"),
        (A.max(axis=0), "t1 = A.max(axis=0)"),
        (A.astype(np.float32), "t1 = A.astype(float32)"),
    ]
    for out, typed in cases:
        assert viz.graph_text(out, show_data=False).splitlines()[0].startswith(typed)
    B = A.sum(axis=1)
    B.sum().backward()  # frees what the op saved: the shapes still tell the axes
    assert viz.graph_text(B, show_data=False).startswith("t1 = A.sum(axis=1)")


def _rule(out) -> str:
    from tinygrad_edu.viz._walk import walk

    (op,) = [op for op in walk(out).ops if op.output.group is not None]
    return op.rule


def test_composed_ops_derivative_text_follows_the_arguments_they_were_called_with():
    """The rule on a folded node is the derivative of what the call computed: a sum is not
    divided by n, a variance divides by n - correction (1 unless given), label smoothing changes the target."""
    from tinygrad_edu import linalg
    from tinygrad_edu.nn import functional as F

    p = Tensor([1.0, 2.0, 3.0], requires_grad=True, name="p")
    q = Tensor([0.0, 2.0, 5.0], name="q")
    z = Tensor(np.ones((2, 3)), requires_grad=True, name="z")
    t = Tensor([0.0, 2.0], name="t")
    s = Tensor([1.0, -1.0, 1.0], name="s")
    cases = [
        (F.mse_loss(p, q), "∂t2/∂p = 2·(p - q)/3;  ∂t2/∂q = -2·(p - q)/3"),
        (F.mse_loss(p, q, reduction="sum"), "∂t2/∂p = 2·(p - q);  ∂t2/∂q = -2·(p - q)"),
        (F.mse_loss(p, q, reduction="none"), "∂t2/∂p = 2·(p - q);  ∂t2/∂q = -2·(p - q)"),
        (F.l1_loss(p, q, reduction="sum"), "∂t2/∂p = sign(p - q);  ∂t2/∂q = -sign(p - q)"),
        (F.huber_loss(p, q, delta=0.5), "∂t2/∂p = clip(p - q, -0.5, 0.5)/3;  ∂t2/∂q = -clip(p - q, -0.5, 0.5)/3"),
        (F.binary_cross_entropy_with_logits(p, q, reduction="sum"), "∂t2/∂p = (sigmoid(p) - q);  ∂t2/∂q = -p"),
        (F.hinge_loss(p, s, reduction="sum"), "∂t2/∂p = -s·[s·p < 1];  ∂t2/∂s = -p·[s·p < 1]"),
        (F.cross_entropy(z, t), "∂t2/∂z = (softmax(z) - onehot)/2;  ∂t2/∂t = 0 (class indices)"),
        (
            F.cross_entropy(z, t, reduction="sum", label_smoothing=0.1),
            "∂t2/∂z = (softmax(z) - ((1 - 0.1)·onehot + 0.1/3));  ∂t2/∂t = 0 (class indices)",
        ),
        (p.var(), "∂t1/∂p = 2·(p - mean)/(3 - 1)"),
        (p.var(correction=0), "∂t1/∂p = 2·(p - mean)/3"),
        (p.var(ddof=2), "∂t1/∂p = 2·(p - mean)/(3 - 2)"),
        (p.std(unbiased=False), "∂t1/∂p = (p - mean)/(3·t1)"),
        (p.std(ddof=1), "∂t1/∂p = (p - mean)/((3 - 1)·t1)"),
        (p.clip(low=1.5), "∂t1/∂p = [1.5 <= p <= ∞]"),
        (F.hardtanh(p, 0.0, 6.0), "∂t1/∂p = [0 < p < 6]"),
        (F.leaky_relu(p, 0.2), "∂t1/∂p = 1 if p > 0 else 0.2"),
        (F.elu(p, alpha=0.5), "∂t1/∂p = 1 if p > 0 else 0.5·exp(p)"),
        (linalg.norm(p), "∂t1/∂p = p/t1"),
        (linalg.norm(p, p=1), "∂t1/∂p = sign(p)"),
        (F.gelu(p), "∂t1/∂p = P(p) + p·P'(p), P = Phi, the normal CDF"),
    ]
    for out, rule in cases:
        assert _rule(out) == rule


def test_the_value_on_a_folded_edge_is_what_its_rule_says():
    """A sum-reduced mse_loss: the edge reads 2·(p - q) and shows 2·(p - q), not divided by n."""
    from tinygrad_edu.nn import functional as F

    p = Tensor([1.0, 2.0, 3.0], requires_grad=True, name="p")
    loss = F.mse_loss(p, Tensor([0.0, 2.0, 5.0], name="q"), reduction="sum")
    src = viz.draw_graph(loss, highlight=p).source.replace("\\n", " ")
    assert "∂t2/∂p = 2·(p - q) = [2, 0, -4]" in src


def test_an_op_over_many_inputs_folds_the_middle_ones_into_one_box():
    import tinygrad_edu as tge

    xs = [Tensor([float(i)], requires_grad=True, name=f"x{i}") for i in range(20)]
    loss = tge.cat(xs).sum()
    loss.name = "loss"
    src = viz.draw_graph(loss).source
    shown = [f"x{i}" for i in range(20) if f'label="x{i}\\n' in src]
    assert shown == ["x0", "x1", "x2", "x3", "x19"]
    assert "... 15 more inputs\\nx4 ... x18" in src and "style=dashed" in src
    assert "t20 = cat(x0, x1, x2, x3, …, x19)" in src
    # on request every input shows; a highlighted input is never folded and its edge is labelled
    assert all(f'label="x{i}\\n' in viz.draw_graph(loss, max_inputs=None).source for i in range(20))
    lit = viz.draw_graph(loss, highlight=xs[7]).source
    assert 'label="x7\\n' in lit and "... 14 more inputs" in lit and "∂t20/∂x7: G ↦ G's slice" in lit
    # stacked inputs made by ops fold with what only they lead to, and say how many boxes that is
    stacked = viz.draw_graph(tge.stack(xs).sum()).source
    assert re.search(r"\.\.\. \d+ more inputs\\n\S+ \.\.\. \S+\\n\(\d+ boxes\)", stacked)
    loss.backward()
    assert [float(x.grad) for x in xs] == [1.0] * 20  # the numbers do not change


def test_a_long_chain_runs_straight_down():
    """x0 + x1 + ... + x19: the chain's own edges are weighted, so dot does not draw a staircase."""
    xs = [Tensor(float(i), requires_grad=True, name=f"x{i}") for i in range(20)]
    s = xs[0]
    for x in xs[1:]:
        s = s + x
    src = viz.draw_graph(s).source
    assert src.count("weight=4") == 18  # t2 -> t4 -> ... -> the output
