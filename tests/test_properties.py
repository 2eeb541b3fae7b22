"""Properties of random expression graphs, and numerically hard inputs.

Hypothesis draws a seed; the seed makes a small program: one to three leaves with mutually
broadcastable shapes, then one to four steps, each one op from MAKERS (elementwise, binary
with broadcasting, reductions, shape ops, matmul, indexing, cat/stack, the softmax family,
where/maximum/minimum/clip) applied to earlier values. Every program is then checked for:

- reverse mode against central differences (float64, every element, random upstream);
- forward mode against reverse mode: v . (J u) computed by `tge.jvp` and by `backward`;
- symmetric Hessians (`tge.hessian`) that match differences of `tge.grad`;
- linearity: grad(f + g) = grad(f) + grad(g).

Leaf values come from a seeded generator, so central differences never sit on a kink
(relu, abs, clip, max) by accident. The `ci` profile (default) is derandomized; run
`HYPOTHESIS_PROFILE=long python -m pytest tests/test_properties.py` for 25x more examples.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from helpers import numeric_vjp
from hypothesis import given, note, settings
from hypothesis import strategies as st

import tinygrad_edu as tge
from tinygrad_edu import Tensor

Step = Callable[[list[Tensor]], Tensor]
Rng = np.random.Generator
Maker = Callable[[Rng, list[Tensor]], "Step | None"]

# ---------------------------------------------------------------- the ops a program may use
# Domain-restricted inputs (log, sqrt, pow, division) are shifted away from their poles.
ELEMENTWISE: dict[str, Callable[[Tensor], Tensor]] = {
    "neg": lambda x: -x,
    "exp": lambda x: x.exp(),
    "log": lambda x: (x * x + 0.5).log(),
    "sqrt": lambda x: (x * x + 0.25).sqrt(),
    "abs": lambda x: x.abs(),
    "sin": lambda x: x.sin(),
    "cos": lambda x: x.cos(),
    "tanh": lambda x: x.tanh(),
    "sigmoid": lambda x: x.sigmoid(),
    "relu": lambda x: x.relu(),
    "clip": lambda x: x.clip(-0.5, 0.5),
    "pow_number": lambda x: x**3,
    "rpow_number": lambda x: 2.0**x,
    "scalar_arith": lambda x: (1.5 - x) / 2.0 + 3.0 * x - 1.0,
    "rdiv_number": lambda x: 1.0 / (x * x + 1.0),
}
BINARY: dict[str, Callable[[Tensor, Tensor], Tensor]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 0.5),
    "pow": lambda a, b: (a * a + 0.5) ** b,
    "maximum": lambda a, b: tge.maximum(a, b),
    "minimum": lambda a, b: tge.minimum(a, b),
}
REDUCTIONS = ["sum", "mean", "max", "min", "logsumexp", "var", "std"]


def _choice(rng: Rng, options: list[Any]) -> Any:
    return options[int(rng.integers(len(options)))]


def _pick(rng: Rng, vals: list[Tensor], ok: Callable[[Tensor], bool] = lambda t: True) -> int:
    """The index of an earlier value that satisfies `ok` (-1 when none does)."""
    idx = [i for i, t in enumerate(vals) if ok(t)]
    return _choice(rng, idx) if idx else -1


def _partner(rng: Rng, vals: list[Tensor], i: int) -> int:
    """An earlier value whose shape broadcasts with vals[i] (vals[i] itself if none does)."""

    def fits(t: Tensor) -> bool:
        try:
            np.broadcast_shapes(t.shape, vals[i].shape)
            return True
        except ValueError:
            return False

    return _pick(rng, vals, fits)


def make_elementwise(name: str) -> Maker:
    def make(rng: Rng, vals: list[Tensor]) -> Step:
        i = _pick(rng, vals)
        return lambda v: ELEMENTWISE[name](v[i])

    return make


def make_binary(name: str) -> Maker:
    def make(rng: Rng, vals: list[Tensor]) -> Step:
        i = _pick(rng, vals)
        j = _partner(rng, vals, i)
        return lambda v: BINARY[name](v[i], v[j])

    return make


def make_where(rng: Rng, vals: list[Tensor]) -> Step:
    i = _pick(rng, vals)
    j = _partner(rng, vals, i)
    mask = rng.random(np.broadcast_shapes(vals[i].shape, vals[j].shape)) < 0.5
    return lambda v: tge.where(mask, v[i], v[j])


def make_reduction(name: str) -> Maker:
    def make(rng: Rng, vals: list[Tensor]) -> Step:
        i = _pick(rng, vals)
        nd = vals[i].ndim
        axis = None
        if nd and rng.random() < 0.7:  # one or two distinct axes, maybe negative
            chosen = rng.choice(nd, size=min(nd, int(rng.integers(1, 3))), replace=False)
            axis = tuple(int(a) - nd * int(rng.random() < 0.5) for a in chosen)
        elif not nd and rng.random() < 0.5:  # a 0-d value takes axis 0 or -1
            axis = (0,) if rng.random() < 0.5 else (-1,)
        keepdims = bool(rng.random() < 0.5)
        # var/std: the population form, finite for a single element (n - 1 = 0 would divide by 0)
        options = {"correction": 0} if name in ("var", "std") else {}
        return lambda v: getattr(v[i], name)(axis=axis, keepdims=keepdims, **options)

    return make


def make_softmax(name: str) -> Maker:
    def make(rng: Rng, vals: list[Tensor]) -> Step:
        i = _pick(rng, vals)
        n = max(vals[i].ndim, 1)  # a 0-d value takes axis 0 or -1
        axis = int(rng.integers(-n, n))
        return lambda v: getattr(v[i], name)(axis=axis)

    return make


def make_reshape(rng: Rng, vals: list[Tensor]) -> Step:
    i = _pick(rng, vals)
    shape = vals[i].shape
    target = _choice(rng, [shape[::-1], (-1,), (1, *shape), (vals[i].size, 1)])
    return lambda v: v[i].reshape(target)


def make_transpose(rng: Rng, vals: list[Tensor]) -> Step:
    i = _pick(rng, vals)
    perm = tuple(int(a) for a in rng.permutation(vals[i].ndim))
    if rng.random() < 0.5:
        return lambda v: v[i].T
    return lambda v: v[i].transpose(*perm)


def make_squeeze_unsqueeze(rng: Rng, vals: list[Tensor]) -> Step:
    i = _pick(rng, vals)
    axis = int(rng.integers(-vals[i].ndim - 1, vals[i].ndim + 1))
    squeeze = _choice(rng, ["all", "flatten"])
    if squeeze == "all":
        return lambda v: v[i].unsqueeze(axis).squeeze()
    return lambda v: v[i].unsqueeze(axis).flatten()


def make_broadcast_to(rng: Rng, vals: list[Tensor]) -> Step:
    i = _pick(rng, vals)
    shape = (2, *vals[i].shape)
    return lambda v: v[i].broadcast_to(shape)


def make_getitem(rng: Rng, vals: list[Tensor]) -> Step | None:
    i = _pick(rng, vals, lambda t: t.ndim >= 1)
    if i < 0:
        return None
    shape = vals[i].shape
    mask = rng.random(shape) < 0.5
    mask.reshape(-1)[0] = True  # never empty
    index = _choice(
        rng,
        [
            (slice(None, None, -1),),  # reversed along axis 0
            (Ellipsis, slice(0, max(1, shape[-1] - 1))),  # basic slice of the last axis
            np.array([0, shape[0] - 1, 0]),  # integer array with a repeat: gradients accumulate
            mask,  # boolean mask
        ],
    )
    return lambda v: v[i][index]


def make_cat_stack(rng: Rng, vals: list[Tensor]) -> Step | None:
    i = _pick(rng, vals, lambda t: t.ndim >= 1)
    if i < 0:
        return None
    j = _pick(rng, vals, lambda t: t.shape == vals[i].shape)
    nd = vals[i].ndim
    if rng.random() < 0.5:
        axis = int(rng.integers(-nd, nd))
        return lambda v: tge.cat([v[i], v[j] * 2.0], axis=axis)
    axis = int(rng.integers(-nd - 1, nd + 1))
    return lambda v: tge.stack([v[i], v[j]], axis=axis)


def make_matmul(rng: Rng, vals: list[Tensor]) -> Step | None:
    i = _pick(rng, vals, lambda t: t.ndim >= 1)
    if i < 0:
        return None
    j = _pick(rng, vals, lambda t: t.shape == vals[i].shape)
    if vals[i].ndim == 1:
        return lambda v: v[i] @ v[j]  # dot product of two vectors
    kind = _choice(rng, ["batched", "matvec", "vecmat"])
    if kind == "batched":
        return lambda v: v[i] @ v[j].swapaxes(-1, -2)  # (..., m, n) @ (..., n, m)
    front = (0,) * (vals[i].ndim - 1)
    if kind == "matvec":
        return lambda v: v[i] @ v[j][front]  # (..., m, n) @ (n,)
    return lambda v: v[j][(*front[:-1], slice(None), 0)] @ v[i]  # (m,) @ (..., m, n)


MAKERS: dict[str, Maker] = {
    **{name: make_elementwise(name) for name in ELEMENTWISE},
    **{name: make_binary(name) for name in BINARY},
    "where": make_where,
    **{name: make_reduction(name) for name in REDUCTIONS},
    "softmax": make_softmax("softmax"),
    "log_softmax": make_softmax("log_softmax"),
    "reshape": make_reshape,
    "transpose": make_transpose,
    "squeeze_unsqueeze": make_squeeze_unsqueeze,
    "broadcast_to": make_broadcast_to,
    "getitem": make_getitem,
    "cat_stack": make_cat_stack,
    "matmul": make_matmul,
}
OP_NAMES = sorted(MAKERS)


@dataclass
class Program:
    """Leaves (arrays) and steps; calling it replays the steps on any leaf Tensors."""

    leaves: list[np.ndarray]
    steps: list[Step] = field(default_factory=list)
    ops: list[str] = field(default_factory=list)

    def __call__(self, *xs: Tensor) -> Tensor:
        vals = list(xs)
        for step in self.steps:
            vals.append(step(vals))
        return vals[-1]

    def __repr__(self) -> str:
        return f"Program(shapes={[a.shape for a in self.leaves]}, ops={self.ops})"


def broadcastable_shapes(rng: Rng, n: int) -> list[tuple[int, ...]]:
    """n shapes (0 to 3 axes of sizes 1 to 3) that broadcast together, as NumPy allows."""
    full = tuple(int(s) for s in rng.integers(1, 4, rng.integers(0, 4)))
    shapes = []
    for _ in range(n):
        shape = full[int(rng.integers(0, len(full) + 1)) :]  # drop leading axes
        shapes.append(tuple(1 if rng.random() < 0.25 else s for s in shape))  # stretch some
    return shapes


def random_program(seed: int, first: str | None = None, leaves: list[np.ndarray] | None = None) -> Program:
    """A program from one seed: the structure comes from the same generator as the values,
    so every op is drawn equally often (hypothesis's own choices favour the first ones)."""
    rng = np.random.default_rng(seed)
    if leaves is None:
        leaves = [rng.uniform(-1.0, 1.0, s) for s in broadcastable_shapes(rng, int(rng.integers(1, 4)))]
    prog = Program(leaves)
    vals = [Tensor(a) for a in leaves]
    names = ([first] if first else []) + [_choice(rng, OP_NAMES) for _ in range(int(rng.integers(1, 5)))]
    for name in names:
        step = MAKERS[name](rng, vals)
        if step is None:
            continue
        vals.append(step(vals))
        prog.steps.append(step)
        prog.ops.append(name)
    note(repr(prog))
    return prog


seeds = st.integers(0, 2**32 - 1)


def close(actual: np.ndarray, expected: np.ndarray, rtol: float = 1e-4) -> None:
    scale = 1.0 + float(np.max(np.abs(expected), initial=0.0))
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=1e-6 * scale)


def examples(factor: int) -> settings:
    """`factor` times the active profile's examples: a program takes milliseconds."""
    return settings(max_examples=settings().max_examples * factor)


# ---------------------------------------------------------------- reverse mode vs central differences
def check_gradients(prog: Program, seed: int) -> None:
    xs = [Tensor(a, requires_grad=True) for a in prog.leaves]
    out = prog(*xs)
    v = np.random.default_rng(seed).standard_normal(out.shape)
    if out.requires_grad:
        out.backward(Tensor(v))
    numeric = numeric_vjp(lambda *arrays: prog(*[Tensor(a) for a in arrays]).data, prog.leaves, v)
    for x, n in zip(xs, numeric):
        g = x.grad.data if x.grad is not None else np.zeros(x.shape)
        assert g.shape == x.shape and g.dtype == np.float64
        close(g, n)


@examples(10)
@given(seed=seeds)
def test_random_graphs_pass_gradcheck(seed: int) -> None:
    check_gradients(random_program(seed), seed)


@pytest.mark.parametrize("op", OP_NAMES)
@examples(1)
@given(seed=seeds)
def test_every_op_inside_a_random_graph_passes_gradcheck(op: str, seed: int) -> None:
    check_gradients(random_program(seed, first=op), seed)


@examples(10)
@given(seed=seeds)
def test_library_gradcheck_agrees_on_random_graphs(seed: int) -> None:
    prog = random_program(seed)
    xs = [Tensor(a, requires_grad=True) for a in prog.leaves]
    assert tge.gradcheck(prog, xs)


# ---------------------------------------------------------------- forward mode vs reverse mode
@examples(10)
@given(seed=seeds)
def test_forward_mode_agrees_with_reverse_mode(seed: int) -> None:
    prog = random_program(seed)
    rng = np.random.default_rng(seed + 1)
    us = [rng.standard_normal(a.shape) for a in prog.leaves]
    out, tangent = tge.jvp(prog, [Tensor(a) for a in prog.leaves], [Tensor(u) for u in us])
    np.testing.assert_allclose(out.data, prog(*[Tensor(a) for a in prog.leaves]).data)
    assert tangent.shape == out.shape
    v = rng.standard_normal(out.shape)
    xs = [Tensor(a, requires_grad=True) for a in prog.leaves]
    y = prog(*xs)
    if y.requires_grad:
        y.backward(Tensor(v))
    forward = float(np.sum(v * tangent.data))  # v . (J u)
    reverse = sum(float(np.sum(u * x.grad.data)) for u, x in zip(us, xs) if x.grad is not None)  # (J^T v) . u
    scale = 1.0 + np.sum(np.abs(v) * np.abs(tangent.data))
    assert forward == pytest.approx(reverse, rel=1e-9, abs=1e-9 * scale)


# ---------------------------------------------------------------- second order
@examples(10)
@given(seed=seeds)
def test_hessians_are_symmetric_and_match_differences_of_the_gradient(seed: int) -> None:
    prog = random_program(seed)
    x0, *others = prog.leaves
    weights = np.random.default_rng(seed + 1).standard_normal(prog(*map(Tensor, prog.leaves)).shape)

    def f(x: Tensor) -> Tensor:
        return (prog(x, *map(Tensor, others)) * Tensor(weights)).sum()

    n = x0.size
    H = tge.hessian(f)(Tensor(x0)).data.reshape(n, n)
    scale = 1.0 + float(np.max(np.abs(H), initial=0.0))
    np.testing.assert_allclose(H, H.T, rtol=1e-9, atol=1e-9 * scale)
    grad = tge.grad(f)
    eps = 1e-6
    numeric = np.zeros((n, n))
    for j in range(n):
        step = np.zeros(n)
        step[j] = eps
        plus = grad(Tensor(x0 + step.reshape(x0.shape))).data.reshape(n)
        minus = grad(Tensor(x0 - step.reshape(x0.shape))).data.reshape(n)
        numeric[:, j] = (plus - minus) / (2 * eps)
    np.testing.assert_allclose(H, numeric, rtol=1e-3, atol=1e-5 * scale)


@examples(10)
@given(seed=seeds)
def test_grad_of_a_sum_is_the_sum_of_grads(seed: int) -> None:
    p = random_program(seed)
    q = random_program(seed + 1, leaves=p.leaves)
    rng = np.random.default_rng(seed + 2)
    wp = Tensor(rng.standard_normal(p(*map(Tensor, p.leaves)).shape))
    wq = Tensor(rng.standard_normal(q(*map(Tensor, q.leaves)).shape))
    argnums = tuple(range(len(p.leaves)))

    def f(*xs: Tensor) -> Tensor:
        return (p(*xs) * wp).sum()

    def g(*xs: Tensor) -> Tensor:
        return (q(*xs) * wq).sum()

    both = tge.grad(lambda *xs: f(*xs) + g(*xs), argnums)(*p.leaves)
    separate = zip(tge.grad(f, argnums)(*p.leaves), tge.grad(g, argnums)(*p.leaves))
    for total, (a, b) in zip(both, separate):
        np.testing.assert_allclose(total.data, a.data + b.data, rtol=1e-10, atol=1e-10)


# ---------------------------------------------------------------- numerically hard inputs
def strict() -> Any:
    """Any overflow, division by zero or invalid operation inside NumPy raises."""
    return np.errstate(over="raise", divide="raise", invalid="raise")


@pytest.mark.parametrize(
    "logits",
    [[1e4, 0.0, -1e4], [1e4, 1e4, 1e4], [-1e4, -1e4 + 1.0], [1e4, 1e4 - 2.0, 5.0]],
    ids=["spread", "equal", "very_negative", "close_pair"],
)
def test_logsumexp_and_log_softmax_of_huge_logits(logits: list[float]) -> None:
    a = np.array(logits)
    m = a.max()
    p = np.exp(a - m) / np.exp(a - m).sum()
    with strict():
        x = Tensor(a, requires_grad=True)
        lse = x.logsumexp()
        assert lse.item() == pytest.approx(m + np.log(np.exp(a - m).sum()), rel=1e-15)
        lse.backward()
        np.testing.assert_allclose(x.grad.data, p, rtol=1e-12, atol=1e-300)  # type: ignore[union-attr]
        w = np.arange(1.0, a.size + 1)
        y = Tensor(a, requires_grad=True)
        (y.log_softmax() * Tensor(w)).sum().backward()
        np.testing.assert_allclose(y.grad.data, w - p * w.sum(), rtol=1e-12, atol=1e-9)  # type: ignore[union-attr]
        # forward mode and second order stay finite too: H = diag(p) - p p^T
        _, tangent = tge.jvp(lambda t: t.logsumexp(), (Tensor(a),), (Tensor(w),))
        assert tangent.item() == pytest.approx(float(p @ w), rel=1e-12)
        H = tge.hessian(lambda t: t.logsumexp())(Tensor(a)).data
        np.testing.assert_allclose(H, np.diag(p) - np.outer(p, p), atol=1e-12)


@pytest.mark.parametrize("fn", ["sigmoid", "tanh"])
def test_sigmoid_and_tanh_at_plus_minus_1000(fn: str) -> None:
    with strict():
        x = Tensor([-1000.0, 1000.0], requires_grad=True)
        y = getattr(x, fn)()
        assert y.tolist() == ([0.0, 1.0] if fn == "sigmoid" else [-1.0, 1.0])
        y.sum().backward()
        assert x.grad.tolist() == [0.0, 0.0]  # type: ignore[union-attr]
        _, tangent = tge.jvp(lambda t: getattr(t, fn)(), (Tensor([-1000.0, 1000.0]),), (Tensor([1.0, 1.0]),))
        assert tangent.tolist() == [0.0, 0.0]
        H = tge.hessian(lambda t: getattr(t, fn)().sum())(Tensor([-1000.0, 1000.0]))
        assert H.tolist() == [[0.0, 0.0], [0.0, 0.0]]


@pytest.mark.parametrize("value", [0.0, 3.0, 1e4, -1e4])
def test_softmax_of_equal_values_is_uniform_with_the_exact_gradient(value: float) -> None:
    n = 4
    w = np.array([1.0, 2.0, -3.0, 0.5])
    with strict():
        x = Tensor(np.full(n, value), requires_grad=True)
        s = x.softmax()
        # softmax shifts by the maximum first: equal logits give exactly exp(0) / n
        tol = 1e-16
        np.testing.assert_allclose(s.data, np.full(n, 1 / n), rtol=tol)
        (s * Tensor(w)).sum().backward()
        # d/dx (w . softmax(x)) = p * (w - p . w) = (w - mean(w)) / n at equal logits
        np.testing.assert_allclose(x.grad.data, (w - w.mean()) / n, atol=tol)  # type: ignore[union-attr]
        y = Tensor(np.full(n, value), requires_grad=True)
        y.softmax().sum().backward()  # softmax sums to 1 whatever x is
        np.testing.assert_allclose(y.grad.data, 0.0, atol=tol)  # type: ignore[union-attr]


# `where` chooses values, and its own gradient is exactly zero on the side it did not choose.
# But the unselected branch is still computed, and still differentiated: its backward gets
# an upstream gradient of 0 and multiplies it by its local derivative. Where that derivative
# is infinite or NaN (sqrt at 0 or below, log at 0, 1/x at 0), 0 * inf = NaN leaks into the
# input's gradient, exactly as in PyTorch and JAX. The safe pattern sanitizes the input of the
# unselected branch with a second `where`, so that branch is computed on harmless values.
NAN_LEAKS = [
    # (label, function of x, the gradient at x = [-1, 0, 4])
    ("sqrt_below_zero", lambda x: tge.where(x > 0, x.sqrt(), 0.0), [np.nan, np.nan, 0.25]),
    ("log_at_zero", lambda x: tge.where(x > 0, x.log(), 0.0), [0.0, np.nan, 0.25]),
    ("reciprocal_at_zero", lambda x: tge.where(x != 0, 1.0 / x, 0.0), [-1.0, np.nan, -1 / 16]),
]


@pytest.mark.parametrize("label, fn, expected", NAN_LEAKS, ids=[c[0] for c in NAN_LEAKS])
def test_where_with_a_nan_in_the_unselected_branch_leaks_into_the_gradient(
    label: str, fn: Callable[[Tensor], Tensor], expected: list[float]
) -> None:
    x = Tensor([-1.0, 0.0, 4.0], requires_grad=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        y = fn(x)
        assert np.all(np.isfinite(y.data))  # the forward value is clean...
        y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, expected)  # type: ignore[union-attr]  # ...its gradient is not


SAFE = [
    ("sqrt_below_zero", lambda x: tge.where(x > 0, tge.where(x > 0, x, 1.0).sqrt(), 0.0), [0.0, 0.0, 0.25]),
    ("log_at_zero", lambda x: tge.where(x > 0, tge.where(x > 0, x, 1.0).log(), 0.0), [0.0, 0.0, 0.25]),
    ("reciprocal_at_zero", lambda x: tge.where(x != 0, 1.0 / tge.where(x != 0, x, 1.0), 0.0), [-1.0, 0.0, -1 / 16]),
]


@pytest.mark.parametrize("label, fn, expected", SAFE, ids=[c[0] for c in SAFE])
def test_sanitizing_the_unselected_input_keeps_the_gradient_finite(
    label: str, fn: Callable[[Tensor], Tensor], expected: list[float]
) -> None:
    with strict():
        x = Tensor([-1.0, 0.0, 4.0], requires_grad=True)
        fn(x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, expected)  # type: ignore[union-attr]


def test_where_sends_exact_zeros_to_an_unselected_nan_leaf() -> None:
    """A NaN that is a leaf (not computed by an op) never leaks: where's own gradient is 0."""
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([np.nan, 5.0], requires_grad=True)
    y = tge.where(np.array([True, False]), a, b)
    assert y.tolist() == [1.0, 5.0]
    y.sum().backward()
    assert a.grad.tolist() == [1.0, 0.0]  # type: ignore[union-attr]
    assert b.grad.tolist() == [0.0, 1.0]  # type: ignore[union-attr]


def test_detect_anomaly_points_at_the_leaking_branch() -> None:
    x = Tensor([-1.0, 4.0], requires_grad=True)
    with np.errstate(invalid="ignore"), tge.detect_anomaly():
        y = tge.where(x > 0, x.sqrt(), 0.0)
        with pytest.raises(RuntimeError, match="SqrtBackward"):
            y.sum().backward()
