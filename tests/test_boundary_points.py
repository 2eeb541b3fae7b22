"""Every rule of ops.py (with the reductions and movements it gathers) at its boundary points, against PyTorch.

The op table (test_ops.py) checks each op at random inputs, where no formula meets 0 / 0 or
0 * inf. Here each row puts an op at the points where one could: 0, +-1, ties, a constant
input, an empty axis, an infinite upstream gradient. For each row and each of four results,
value, gradient (backward with upstream ones), tangent (jvp with tangent ones) and second
derivative (the gradient of the sum of the gradient, create_graph=True), tinygrad_edu must
give PyTorch's number, NaN where PyTorch gives NaN, unless the row lists the result in
`differs`: there PyTorch gives NaN (or a value it rounds away) and tinygrad_edu the limit,
which the row states and the test checks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import Tensor

torch = pytest.importorskip("torch")

CHECKS = ("value", "grad", "jvp", "grad2")


@dataclass
class Row:
    op: str
    points: list[Any]  # one entry per input (numbers or nested lists)
    ours: Callable[..., Any]
    theirs: Callable[..., Any] | None = None  # the same on torch tensors (default: ours)
    differs: dict[str, Any] = field(default_factory=dict)  # check -> our expected value(s)
    skip: tuple[str, ...] = ()  # checks that do not apply (e.g. a linear op's grad2 is None)

    @property
    def id(self) -> str:
        return f"{self.op}@{self.points}"


T = torch  # short, for the table


def _F(x: Any) -> Any:
    """nn.functional of the framework x belongs to."""
    from tinygrad_edu.nn import functional

    return functional if isinstance(x, Tensor) else torch.nn.functional


def _target(x: Any, classes: list[int]) -> Any:
    return np.array(classes, dtype=np.int64) if isinstance(x, Tensor) else torch.tensor(classes, dtype=torch.int64)


def _nll(x: Any, classes: list[int], reduction: str = "mean") -> Any:
    return _F(x).nll_loss(x, _target(x, classes), reduction=reduction)


ROWS = [
    # binary elementwise
    Row("add", [[0.0, -1.0, 1.0], [0.0, 1.0, 1.0]], lambda a, b: a + b, skip=("grad2",)),
    Row("sub", [[0.0, -1.0, 1.0], [0.0, 1.0, 1.0]], lambda a, b: a - b, skip=("grad2",)),
    Row("mul", [[0.0, -1.0, 1.0], [0.0, 1.0, -0.0]], lambda a, b: a * b),
    Row("div", [[0.0, 1.0, -1.0, 0.0], [0.0, 0.0, 1.0, -1.0]], lambda a, b: a / b),
    Row("div_subnormal", [[5e-324, 1e-310], [5e-324, 1e-310]], lambda a, b: a / b),
    Row("neg", [[0.0, -1.0, 1.0]], lambda a: -a, skip=("grad2",)),
    # powers: every base in {0, 1, -1, 2} against every exponent in {0, 1, 2, 0.5, -1, 3}
    Row("pow_0", [[0.0, 1.0, -1.0, 2.0]], lambda a: a**0),
    Row("pow_1", [[0.0, 1.0, -1.0, 2.0]], lambda a: a**1),
    Row("pow_2", [[0.0, 1.0, -1.0, 2.0]], lambda a: a**2),
    Row("pow_3", [[0.0, 1.0, -1.0, 2.0]], lambda a: a**3),
    Row("pow_half", [[0.0, 1.0, 2.0]], lambda a: a**0.5),
    Row("pow_-1", [[0.0, 1.0, -1.0, 2.0]], lambda a: a**-1.0),
    # 0 ** b is constant (0) for b > 0: its second derivative is 0, PyTorch's 0 * log(0) = NaN
    Row("rpow_0_base", [[0.0, 1.0, 2.0, -1.0]], lambda b: 0.0**b, differs={"grad2": ([0.0, 0.0, 0.0, np.inf],)}),
    Row("rpow_1_base", [[0.0, 1.0, -1.0]], lambda b: 1.0**b),
    Row(
        "pow_both",
        [[0.0, 0.0, 0.0, 2.0, 1.0, -1.0], [0.0, 1.0, 2.0, 0.0, 0.0, 2.0]],
        lambda a, b: a**b,
        # a = 0: PyTorch's second derivatives meet 0 * inf = NaN in the branch its own masks
        # discard; here that branch is computed on safe values, so its conventions (df/da = 0
        # where b = 0, df/db = 0 where a = 0 <= b) hold at second order too
        differs={"grad2": ([0.0, 0.0, 2.0, 0.5, 1.0, np.nan], [0.0, 1.0, 0.0, np.log(2) ** 2, 0.0, np.nan])},
    ),
    Row("maximum_tie", [[0.0, 1.0, -1.0], [0.0, 1.0, 2.0]], lambda a, b: tge.maximum(a, b), T.maximum),
    Row("minimum_tie", [[0.0, 1.0, -1.0], [0.0, 1.0, 2.0]], lambda a, b: tge.minimum(a, b), T.minimum),
    Row(
        "where",
        [[0.0, 1.0], [1.0, 0.0]],
        lambda a, b: tge.where(a > 0.5, a, b),
        lambda a, b: T.where(a > 0.5, a, b),
        skip=("grad2",),
    ),
    # unary elementwise
    Row("exp", [[0.0, -1.0, 1.0, -800.0, 800.0]], lambda a: a.exp()),
    Row("log", [[0.0, 1.0, -1.0]], lambda a: a.log()),
    Row("sqrt", [[0.0, 1.0, -1.0]], lambda a: a.sqrt()),
    Row("abs", [[0.0, 1.0, -1.0]], lambda a: a.abs()),
    Row("sin", [[0.0, 1.0, -1.0]], lambda a: a.sin()),
    Row("cos", [[0.0, 1.0, -1.0]], lambda a: a.cos()),
    Row("tanh", [[0.0, 1.0, -1.0, 800.0]], lambda a: a.tanh()),
    Row("sigmoid", [[0.0, 1.0, -1.0, -800.0, 800.0]], lambda a: a.sigmoid()),
    Row("relu", [[0.0, 1.0, -1.0]], lambda a: a.relu()),
    Row("clip_at_ends", [[-1.0, -0.5, 0.0, 0.5, 1.0]], lambda a: a.clip(-0.5, 0.5), lambda a: a.clamp(-0.5, 0.5)),
    # reductions: ties, constants, single elements, empty axes
    Row("sum_empty", [np.zeros((0, 2)).tolist()], lambda a: a.sum(axis=0) if isinstance(a, Tensor) else a.sum(0)),
    Row("mean_empty", [np.zeros((0, 2)).tolist()], lambda a: a.mean(axis=0) if isinstance(a, Tensor) else a.mean(0)),
    Row("mean", [[0.0, 1.0, -1.0]], lambda a: a.mean(), skip=("grad2",)),
    Row("max_tie", [[1.0, 1.0, 0.0]], lambda a: a.max(), lambda a: a.amax()),
    Row("min_tie", [[0.0, 1.0, 0.0]], lambda a: a.min(), lambda a: a.amin()),
    Row("max_all_equal", [[[2.0, 2.0], [-1.0, -1.0]]], lambda a: a.max(axis=1), lambda a: a.amax(1)),
    Row("var_constant", [[2.0, 2.0, 2.0]], lambda a: a.var()),
    Row("var_single", [[3.0]], lambda a: a.var(correction=0)),
    # 0 / 0: NaN value, gradient and jvp (PyTorch's second derivative of that NaN gradient is 0; ours stays NaN)
    Row("var_single_unbiased", [[3.0]], lambda a: a.var(), skip=("grad2",)),
    Row("std_constant", [[2.0, 2.0, 2.0]], lambda a: a.std()),
    Row("std_single", [[3.0]], lambda a: a.std(correction=0)),
    Row("std_single_unbiased", [[3.0]], lambda a: a.std()),
    Row("std_constant_axis", [[[1.0, 1.0], [0.0, 2.0]]], lambda a: a.std(axis=1, ddof=1), lambda a: a.std(1)),
    Row("std_zero", [[0.0, 0.0]], lambda a: a.std(correction=0)),
    Row("logsumexp_tie", [[0.0, 0.0]], lambda a: a.logsumexp(axis=0), lambda a: a.logsumexp(0)),
    Row("logsumexp_-inf", [[float("-inf"), 0.0]], lambda a: a.logsumexp(axis=0), lambda a: a.logsumexp(0)),
    Row("logsumexp_empty", [np.zeros((0,)).tolist()], lambda a: a.logsumexp(axis=0), lambda a: a.logsumexp(0)),
    Row("softmax_tie", [[1.0, 1.0, 1.0]], lambda a: a.softmax(-1)),
    Row("softmax_-inf", [[float("-inf"), 0.0, 1.0]], lambda a: a.softmax(-1)),
    Row("log_softmax_tie", [[0.0, 0.0]], lambda a: a.log_softmax(-1)),
    Row("softmax_empty", [np.zeros((0,)).tolist()], lambda a: a.softmax(-1)),
    # 0-d tensors reduce over axis 0 or -1 (over nothing), as PyTorch
    Row("sum_0d_axis0", [2.0], lambda a: a.sum(0), skip=("grad2",)),
    Row("mean_0d_axis-1", [2.0], lambda a: a.mean(-1), skip=("grad2",)),
    Row("max_0d_axis0", [2.0], lambda a: a.max(0) if isinstance(a, Tensor) else a.amax(0), skip=("grad2",)),
    Row("logsumexp_0d", [2.0], lambda a: a.logsumexp(0)),
    Row("softmax_0d", [2.0], lambda a: a.softmax(0)),
    Row("log_softmax_0d", [2.0], lambda a: a.log_softmax(-1)),
    Row("log_softmax_-inf", [[float("-inf"), 0.0, 0.0]], lambda a: a.log_softmax(-1)),
    Row("log_softmax_empty", [np.zeros((2, 0)).tolist()], lambda a: a.log_softmax(-1)),
    # layers and losses that are one primitive each: zeros, ties, batch axes
    Row("linear_zeros", [[[0.0, 0.0]], [[0.0, 0.0], [0.0, 0.0]], [0.0, 0.0]], lambda x, w, b: _F(x).linear(x, w, b)),
    Row("linear_no_bias", [[[1.0, -1.0]], [[0.0, 2.0]]], lambda x, w: _F(x).linear(x, w)),
    Row("linear_3d", [[[[1.0, 0.0]], [[0.0, -1.0]]], [[1.0, 2.0]], [0.5]], lambda x, w, b: _F(x).linear(x, w, b)),
    Row("nll_loss_tie", [[[0.0, 0.0], [0.0, 0.0]]], lambda a: _nll(a, [0, 1]), skip=("grad2",)),
    Row("nll_loss_sum", [[[0.0, -1.0], [2.0, 0.0]]], lambda a: _nll(a, [1, 1], "sum"), skip=("grad2",)),
    Row("nll_loss_none", [[[0.0, -1.0], [2.0, 0.0]]], lambda a: _nll(a, [1, 0], "none"), skip=("grad2",)),
    Row(
        "cross_entropy_-inf", [[[float("-inf"), 0.0], [1.0, 1.0]]], lambda a: _F(a).cross_entropy(a, _target(a, [1, 0]))
    ),
    # movement and matmul at empty and zero operands
    Row("matmul_zeros", [[[0.0, 0.0]], [[0.0], [0.0]]], lambda a, b: a @ b, skip=("grad2",)),
    Row("matmul_empty_inner", [np.zeros((2, 0)).tolist(), np.zeros((0, 3)).tolist()], lambda a, b: a @ b),
    Row("getitem_repeat", [[0.0, 1.0]], lambda a: a[[0, 0, 1]], skip=("grad2",)),
    Row(
        "cat_empty",
        [np.zeros((0,)).tolist(), [1.0]],
        lambda a, b: tge.cat([a, b]) if isinstance(a, Tensor) else T.cat([a, b]),
        skip=("grad2",),
    ),  # fmt: skip
]


def _ours(row: Row, check: str) -> list[np.ndarray]:
    """The row's `check` result(s) by tinygrad_edu, as arrays."""
    xs = [Tensor(np.array(p, dtype=np.float64), requires_grad=True) for p in row.points]
    with np.errstate(all="ignore"):
        if check == "value":
            return [row.ours(*xs).data]
        if check == "jvp":
            ones = [Tensor(np.ones(x.shape)) for x in xs]
            return [tge.jvp(row.ours, [x.detach() for x in xs], ones)[1].data]
        out = row.ours(*xs)
        grads = tge.autograd.grad(out, xs, Tensor(np.ones(out.shape)), create_graph=True, allow_unused=True)
        if check == "grad":
            return [np.zeros(x.shape) if g is None else g.data for g, x in zip(grads, xs)]
        total = sum(g.sum() for g in grads if g is not None and g.requires_grad)
        if not isinstance(total, Tensor):
            return [np.zeros(x.shape) for x in xs]
        second = tge.autograd.grad(total, xs, allow_unused=True)
        return [np.zeros(x.shape) if g is None else g.data for g, x in zip(second, xs)]


def _theirs(row: Row, check: str) -> list[np.ndarray]:
    fn = row.theirs or row.ours
    xs = [torch.tensor(p, dtype=torch.float64, requires_grad=True) for p in row.points]
    if check == "value":
        return [fn(*xs).detach().numpy()]
    if check == "jvp":
        args = tuple(x.detach() for x in xs)
        return [torch.func.jvp(fn, args, tuple(torch.ones_like(x) for x in args))[1].numpy()]
    out = fn(*xs)
    grads = torch.autograd.grad(out, xs, torch.ones_like(out), create_graph=True, allow_unused=True)
    if check == "grad":
        return [np.zeros(tuple(x.shape)) if g is None else g.detach().numpy() for g, x in zip(grads, xs)]
    total = sum(g.sum() for g in grads if g is not None and g.requires_grad)
    if not isinstance(total, torch.Tensor):
        return [np.zeros(tuple(x.shape)) for x in xs]
    second = torch.autograd.grad(total, xs, allow_unused=True)
    return [np.zeros(tuple(x.shape)) if g is None else g.numpy(force=True) for g, x in zip(second, xs)]


CASES = [pytest.param(row, check, id=f"{row.op}-{check}") for row in ROWS for check in CHECKS if check not in row.skip]


@pytest.mark.parametrize("row, check", CASES)
def test_boundary_point_matches_pytorch(row: Row, check: str) -> None:
    ours = _ours(row, check)
    if check in row.differs:
        expected = [np.asarray(e, dtype=np.float64) for e in row.differs[check]]
        theirs = _theirs(row, check)
        assert any(np.isnan(t).any() for t in theirs), "PyTorch agrees now: drop the entry in `differs`"
    else:
        expected = _theirs(row, check)
    assert len(ours) == len(expected)
    for o, e in zip(ours, expected):
        assert o.shape == e.shape
        np.testing.assert_allclose(o, e, rtol=1e-15, atol=1e-16, equal_nan=True, err_msg=f"{row.op} {check}")


def test_the_table_covers_every_primitive() -> None:
    """Each primitive reachable as ops.X (ops.py gathers the reductions and movements) is exercised
    by at least one row (by the node names it records)."""
    from tinygrad_edu import ops

    primitives = {c.__name__ for c in vars(ops).values() if isinstance(c, type) and issubclass(c, ops.Primitive)}
    primitives.discard("Primitive")
    seen: set[str] = set()
    for row in ROWS:
        xs = [Tensor(np.array(p, dtype=np.float64), requires_grad=True) for p in row.points]
        with np.errstate(all="ignore"):
            out = row.ours(*xs)
        stack = [out]
        while stack:
            t = stack.pop()
            if t.grad_fn is not None:
                seen.add(type(t.grad_fn).__name__)
                stack.extend(t.grad_fn.inputs)
    # movements (no arithmetic, no boundary) and Cast are checked in test_ops.py
    assert primitives - seen <= {"ScatterAdd", "Cast", "Transpose", "Reshape", "BroadcastTo"}, primitives - seen


# ---------------------------------------------------------------- powers at 0, to every order
def _nth_derivative(f: Callable[[Any], Any], n: int, grad: Callable[..., Any]) -> Callable[[Any], Any]:
    for _ in range(n):
        f = grad(f)
    return f


def _torch_grad(f: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def g(x: Any) -> Any:
        x = x if x.requires_grad else x.detach().requires_grad_()
        y = f(x)
        if not y.requires_grad:  # PyTorch's derivative of x ** 0 is a constant zero
            return torch.zeros_like(x)
        (d,) = torch.autograd.grad(y, x, create_graph=True)
        return d

    return g


@pytest.mark.parametrize(
    "exponent, order", [(0, 1), (0, 2), (1, 2), (1, 3), (2, 3), (3, 3), (3, 4), (3, 5), (0.5, 1), (-1.0, 1)]
)
def test_derivatives_of_every_order_of_x_to_a_power_at_0(exponent: float, order: int) -> None:
    """The second derivative of x ** 1 and the fourth of x ** 3 at 0 are 0 (they were NaN)."""
    ours = _nth_derivative(lambda x: x**exponent, order, tge.grad)(Tensor(0.0)).item()
    theirs = _nth_derivative(lambda x: x**exponent, order, _torch_grad)(
        torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    ).item()
    assert ours == theirs or (np.isnan(ours) and np.isnan(theirs))


def test_polynomial_at_0_gradient_jvp_and_hessian_are_pytorchs() -> None:
    """d/dx (w0 x^0 + w1 x + w2 x^2) at 0 is w1 (it was NaN); so are the jvp and the Hessian."""
    w = [2.0, 3.0, 4.0]

    def poly(x: Any) -> Any:
        return (w[0] * x**0 + w[1] * x + w[2] * x**2).sum()

    x0 = np.array([0.0, 1.0])
    assert tge.grad(poly)(Tensor(x0)).tolist() == [3.0, 11.0]
    _, tangent = tge.jvp(poly, [Tensor(x0)], [Tensor([1.0, 1.0])])
    _, expected = torch.func.jvp(poly, (torch.tensor(x0),), (torch.ones(2, dtype=torch.float64),))
    assert tangent.item() == expected.item() == 14.0
    H = tge.hessian(poly)(Tensor(x0)).data
    np.testing.assert_array_equal(H, torch.autograd.functional.hessian(poly, torch.tensor(x0)).numpy())
    np.testing.assert_array_equal(H, [[8.0, 0.0], [0.0, 8.0]])
