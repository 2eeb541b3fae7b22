"""The backward pass as data and as frames."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from tinygrad_edu import Tensor, viz

X_DATA = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0], [1.0, 3.0]])
Y_DATA = np.array([1.0, 3.0, 2.0, 5.0])


def lesson(W_data=(1.0, 2.0)):
    X = Tensor(X_DATA, name="X")
    y = Tensor(Y_DATA, name="y")
    W = Tensor(np.array(W_data), requires_grad=True, name="W")
    return W, ((y - X @ W) ** 2).sum()


def total(steps, name):
    return sum(arr for step in steps for n, arr in step.contributions if n == name)


@pytest.mark.parametrize("W_data", [(1.0, 2.0), ((1.0,), (2.0,))])
def test_steps_sum_to_the_gradient(W_data):
    W, loss = lesson(W_data)
    steps = viz.backward_steps(loss)
    assert W.grad is None  # nothing touched
    loss.backward()
    np.testing.assert_allclose(total(steps, "W"), W.grad.data, rtol=1e-12)
    if W.ndim == 1:  # (a column W broadcasts y - X @ W to (4, 4): still summed right)
        np.testing.assert_allclose(W.grad.data, -2 * X_DATA.T @ (Y_DATA - X_DATA @ W.data))


def test_each_contribution_is_upstream_times_local_derivative():
    W, loss = lesson()
    steps = viz.backward_steps(loss)
    assert [s.op for s in steps][0] == "Sum" and steps[0].upstream == 1.0
    for s in steps:
        assert s.rule and s.upstream.shape == s.tensor.shape
        x = [t.data for t in s.node.inputs]
        sent = dict(zip([id(t) for t in s.targets], [a for _, a in s.contributions]))
        got = sent[id(s.targets[0])]
        G = s.upstream
        if s.op == "Sum":
            np.testing.assert_allclose(got, np.ones_like(x[0]) * G)
        elif s.op == "Pow":
            np.testing.assert_allclose(got, G * x[1] * x[0] ** (x[1] - 1))
        elif s.op == "Mul":
            i = [id(t) for t in s.node.inputs].index(id(s.targets[0]))
            np.testing.assert_allclose(got, G * x[1 - i])
        elif s.op == "Add":
            np.testing.assert_allclose(got, G)
        elif s.op == "Sub":
            i = [id(t) for t in s.node.inputs].index(id(s.targets[0]))
            np.testing.assert_allclose(got, G if i == 0 else -G)
        elif s.op == "MatMul":
            assert s.rule == "∂t3/∂X: G ↦ G·Wᵀ;  ∂t3/∂W: G ↦ Xᵀ·G"  # in the learner's names
            np.testing.assert_allclose(got, x[0].swapaxes(-1, -2) @ G)  # dB = A^T G
        elif s.op == "Reshape":
            np.testing.assert_allclose(got, G.reshape(s.targets[0].shape))
    assert {"Sum", "Pow", "Sub", "MatMul"} <= {s.op for s in steps}


def test_broadcast_axes_are_named():
    A = Tensor(np.ones((3, 2)), requires_grad=True, name="A")
    b = Tensor([1.0, 2.0], requires_grad=True, name="b")
    steps = viz.backward_steps(((A + b) * 2).sum())
    add = next(s for s in steps if s.op == "Add")
    assert "summed over broadcast axes (b: axes (0,) of (3, 2) -> (2,))" in add.rule
    np.testing.assert_allclose(dict(add.contributions)["b"], [6.0, 6.0])
    assert "b <-" in str(add)


def test_fan_out_sends_one_contribution_per_use():
    a = Tensor(3.0, requires_grad=True, name="a")
    steps = viz.backward_steps(a * a)
    assert [n for n, _ in steps[0].contributions] == ["a", "a"]
    assert total(steps, "a") == 6.0


def test_freed_graph_and_non_scalar_outputs_are_explained():
    W, loss = lesson()
    loss.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        viz.backward_steps(loss)
    with pytest.raises(ValueError, match="gradient="):
        viz.backward_steps(W * 2)
    steps = viz.backward_steps(W * 2, gradient=np.ones(2))
    np.testing.assert_allclose(steps[0].contributions[0][1], [2.0, 2.0])


def test_draw_backward_frames(tmp_path):
    pytest.importorskip("graphviz")
    a = Tensor(2.0, requires_grad=True, name="a")
    b = Tensor(3.0, requires_grad=True, name="b")
    c = a * a + a * b
    frames = viz.draw_backward(c)
    assert len(frames) == len(frames.steps) + 1 == 4
    assert "grad 1" in frames[0].source and "grad 7" not in frames[0].source
    assert "grad 7" in frames[-1].source  # a's gradient once every path has arrived
    assert "#ff7f0e" in frames[1].source and "#ff7f0e" not in frames[0].source
    assert a.grad is None
    if shutil.which("dot") is None:
        pytest.skip("Graphviz `dot` not installed")
    paths = frames.save(tmp_path, format="png")
    assert [p.name for p in paths] == [f"backward_0{k}.png" for k in range(4)]
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in paths)
    html = frames._repr_html_()  # Jupyter shows the stepper
    assert html.count("<svg") == 4 and 'class="tge-next"' in html and 'type="range"' in html


def test_captions_say_what_flows_where_in_the_learners_names():
    # the lesson's f(x, y) = x^2 + 3xy at (2, 3): the letters of the rules never clash with x, y
    x = Tensor(2.0, requires_grad=True, name="x")
    y = Tensor(3.0, requires_grad=True, name="y")
    f = x**2 + 3 * x * y
    f.name = "f"
    steps = viz.backward_steps(f)
    assert [s.typed for s in steps] == ["t1 + t4", "t2 * y", "3 * x", "x ** 2"]
    assert steps[1].caption.splitlines() == [
        "Step 2 of 4: t4 = t2 * y. Upstream gradient ∂f/∂t4 = 1.",
        "• upstream 1 times the local derivative ∂t4/∂t2 = y = 3 flows into t2: 3; ∂f/∂t2 is now 3.",
        "• upstream 1 times the local derivative ∂t4/∂y = t2 = 6 flows into y: 6; y.grad is now 6.",
    ]
    assert steps[3].caption.splitlines()[1] == (
        "• upstream 1 times the local derivative ∂t1/∂x = 2·x = 4 flows into x: 4; x.grad is now 13."
    )
    text = " ".join(s.caption + s.rule for s in steps)
    assert "df/d" not in text and "-0" not in text
    f.backward()
    assert float(x.grad) == 13.0 and float(y.grad) == 6.0


def test_composed_ops_are_one_step_with_the_same_numbers():
    z = Tensor([1.0, 2.0, 0.5], requires_grad=True, name="z")
    w = Tensor([0.2, -1.0, 3.0], name="w")
    loss = (z.softmax() * w).sum()
    folded = viz.backward_steps(loss)
    expanded = viz.backward_steps(loss, expand=True)
    assert [s.op for s in folded] == ["Sum", "Mul", "softmax"]
    assert len(expanded) > len(folded) and "softmax" not in [s.op for s in expanded]
    np.testing.assert_allclose(total(folded, "z"), total(expanded, "z"), rtol=1e-12)
    loss.backward()
    np.testing.assert_allclose(total(folded, "z"), z.grad.data, rtol=1e-12)
    assert folded[-1].typed == "z.softmax()" and "∂t1/∂z: G ↦ t1·(G - sum(G·t1))" in folded[-1].rule


def test_frames_without_dot_show_the_steps_in_words(monkeypatch):
    pytest.importorskip("graphviz")
    x = Tensor(2.0, requires_grad=True, name="x")
    frames = viz.draw_backward(x * x)
    monkeypatch.setenv("PATH", "")
    page = frames._repr_html_()
    assert page.startswith("<pre>") and "Step 1 of 1: t1 = x * x." in page and "apt-get install graphviz" in page


def test_stepper_needs_one_caption_per_picture():
    with pytest.raises(ValueError, match="one caption per picture"):
        viz.Stepper(["<svg></svg>"], [])
    s = viz.Stepper(["<?xml?><svg>a</svg>", "<svg>b</svg>"], ["first", "second <b>"])
    page = s.html()
    assert page.count('class="tge-frame"') == 2 and "<?xml" not in page and "second &lt;b&gt;" in page
    assert s.id == viz.Stepper(["<?xml?><svg>a</svg>", "<svg>b</svg>"], ["first", "second <b>"]).id


def test_captions_say_a_large_gradient_as_its_size_and_norm_not_as_a_shape():
    # the lesson's loss on 100 rows: a gradient of 100 values must not read "(100,)" like a value
    rng = np.random.default_rng(0)
    X = Tensor(rng.standard_normal((100, 2)), name="X")
    y = Tensor(rng.standard_normal(100), name="y")
    W = Tensor([1.0, 2.0], requires_grad=True, name="W")
    loss = ((y - X @ W) ** 2).sum()
    loss.name = "loss"
    steps = viz.backward_steps(loss)
    r = y.data - X.data @ W.data
    first = steps[1].caption.splitlines()  # through t5 = t4 ** 2
    assert first[0] == "Step 2 of 4: t5 = t4 ** 2. Upstream gradient ∂loss/∂t5 = [100 values, norm 10]."
    assert f"flows into t4: [100 values, norm {viz._names.num(np.linalg.norm(2 * r))}]" in first[1]
    text = " ".join(s.caption for s in steps)
    assert "(100,)" not in text and "W.grad is now [" in text
