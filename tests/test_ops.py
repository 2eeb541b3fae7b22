"""Every op in one table: forward against NumPy, backward against central differences
(float64, every element, a random upstream gradient, seeded), forward mode against reverse
mode (v . J u computed both ways), and, when torch is installed, both against torch."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from helpers import numeric_vjp, tensor_fn_as_numpy

import tinygrad_edu as tge
from tinygrad_edu import Tensor
from tinygrad_edu.nn import functional as F


@dataclass
class Case:
    name: str
    fn: Callable[..., Any]  # on Tensors (and on torch tensors when torch_fn is None)
    ref: Callable[..., np.ndarray]  # the same function in NumPy
    shapes: list[tuple[int, ...]]
    torch_fn: Callable[..., Any] | None = None
    positive: bool = False  # inputs drawn from (0.5, 2) instead of N(0, 1)
    torch_ok: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


def _softmax(x: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _lse(x: np.ndarray, axis: Any, keepdims: bool = False) -> np.ndarray:
    m = x.max(axis=axis, keepdims=True)
    out = np.log(np.exp(x - m).sum(axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


IDX = np.array([0, 2, 2, 1])
TARGETS = np.array([2, 0, 0, 1])  # class indices for 4 rows of 3 scores


def _tf() -> Any:
    """torch.nn.functional, imported only when a torch comparison runs."""
    return __import__("torch").nn.functional


def _targets() -> Any:
    """TARGETS as a torch tensor."""
    return __import__("torch").as_tensor(TARGETS)


CASES = [
    # binary, with broadcasting
    Case("add", lambda a, b: a + b, np.add, [(2, 3), (3,)]),
    Case("add_scalar_shape", lambda a, b: a + b, np.add, [(), (3,)]),
    Case("radd_number", lambda a: 2.5 + a, lambda a: 2.5 + a, [(2, 3)]),
    Case("sub", lambda a, b: a - b, np.subtract, [(4, 1), (1, 5)]),
    Case("rsub_number", lambda a: 1.0 - a, lambda a: 1.0 - a, [(3,)]),
    Case("mul", lambda a, b: a * b, np.multiply, [(4, 1), (1, 5)]),
    Case("mul_3d", lambda a, b: a * b, np.multiply, [(2, 1, 3), (4, 1)]),
    Case("div", lambda a, b: a / b, np.divide, [(2, 3), (3,)], positive=True),
    Case("rdiv_number", lambda a: 3.0 / a, lambda a: 3.0 / a, [(3,)], positive=True),
    Case("div_number", lambda a: a / 4.0, lambda a: a / 4.0, [(3,)]),
    Case("neg", lambda a: -a, np.negative, [(2, 3)]),
    Case("pow_number", lambda a: a**3, lambda a: a**3, [(2, 3)]),
    Case("pow_both", lambda a, b: a**b, np.power, [(2, 3), (3,)], positive=True),
    Case("rpow_number", lambda a: 2.0**a, lambda a: 2.0**a, [(3,)]),
    Case(
        "maximum",
        lambda a, b: tge.maximum(a, b),
        np.maximum,
        [(2, 3), (3,)],
        torch_fn=lambda a, b: __import__("torch").maximum(a, b),
    ),  # fmt: skip
    Case(
        "minimum",
        lambda a, b: tge.minimum(a, b),
        np.minimum,
        [(4, 1), (1, 5)],
        torch_fn=lambda a, b: __import__("torch").minimum(a, b),
    ),  # fmt: skip
    Case(
        "where",
        lambda a, b: tge.where(a > 0, a, b),
        lambda a, b: np.where(a > 0, a, b),
        [(2, 3), (3,)],
        torch_fn=lambda a, b: __import__("torch").where(a > 0, a, b),
    ),  # fmt: skip
    Case("matmul_2d", lambda a, b: a @ b, np.matmul, [(3, 4), (4, 2)]),
    Case("matmul_mv", lambda a, b: a @ b, np.matmul, [(3, 4), (4,)]),
    Case("matmul_vm", lambda a, b: a @ b, np.matmul, [(4,), (4, 2)]),
    Case("matmul_vv", lambda a, b: a @ b, np.matmul, [(4,), (4,)]),
    Case("matmul_batched", lambda a, b: a @ b, np.matmul, [(2, 1, 3), (3, 4)]),
    Case("matmul_batch_bcast", lambda a, b: a @ b, np.matmul, [(2, 1, 2, 3), (3, 3, 2)]),
    # unary
    Case("exp", lambda a: a.exp(), np.exp, [(2, 3)]),
    Case("log", lambda a: a.log(), np.log, [(2, 3)], positive=True),
    Case("sqrt", lambda a: a.sqrt(), np.sqrt, [(2, 3)], positive=True),
    Case("abs", lambda a: a.abs(), np.abs, [(2, 3)]),
    Case("sin", lambda a: a.sin(), np.sin, [(2, 3)]),
    Case("cos", lambda a: a.cos(), np.cos, [(2, 3)]),
    Case("tanh", lambda a: a.tanh(), np.tanh, [(2, 3)]),
    Case("sigmoid", lambda a: a.sigmoid(), lambda a: 1 / (1 + np.exp(-a)), [(2, 3)]),
    Case("relu", lambda a: a.relu(), lambda a: np.maximum(a, 0), [(2, 3)]),
    Case(
        "clip",
        lambda a: a.clip(-0.5, 0.5),
        lambda a: np.clip(a, -0.5, 0.5),
        [(3, 4)],
        torch_fn=lambda a: a.clamp(-0.5, 0.5),
    ),  # fmt: skip
    # reductions
    Case("sum_all", lambda a: a.sum(), np.sum, [(2, 3)]),
    Case("sum_axis", lambda a: a.sum(dim=1), lambda a: a.sum(axis=1), [(2, 3, 4)]),
    Case(
        "sum_axes_keep",
        lambda a: a.sum(dim=(0, 2), keepdim=True),
        lambda a: a.sum(axis=(0, 2), keepdims=True),
        [(2, 3, 4)],
    ),  # fmt: skip
    Case("mean", lambda a: a.mean(dim=0), lambda a: a.mean(axis=0), [(3, 4)]),
    Case("mean_all", lambda a: a.mean(), np.mean, [(3, 4)]),
    Case(
        "max_axis", lambda a: a.max(axis=1), lambda a: a.max(axis=1), [(3, 4)], torch_fn=lambda a: a.amax(dim=1)
    ),  # fmt: skip
    Case("max_all", lambda a: a.max(), np.max, [(3, 4)], torch_fn=lambda a: a.amax()),
    Case(
        "min_keep",
        lambda a: a.min(axis=0, keepdims=True),
        lambda a: a.min(axis=0, keepdims=True),
        [(3, 4)],
        torch_fn=lambda a: a.amin(dim=0, keepdim=True),
    ),  # fmt: skip
    Case(
        "var",
        lambda a: a.var(axis=1, ddof=0),
        lambda a: a.var(axis=1),
        [(3, 5)],
        torch_fn=lambda a: a.var(dim=1, correction=0),
    ),  # fmt: skip
    Case("var_ddof1", lambda a: a.var(ddof=1), lambda a: a.var(ddof=1), [(3, 5)], torch_fn=lambda a: a.var()),
    Case("logsumexp", lambda a: a.logsumexp(dim=1), lambda a: _lse(a, 1), [(3, 4)]),
    Case(
        "logsumexp_all",
        lambda a: a.logsumexp(axis=None),
        lambda a: _lse(a, None),
        [(3, 4)],
        torch_fn=lambda a: a.logsumexp(dim=(0, 1)),
    ),  # fmt: skip
    Case("softmax", lambda a: a.softmax(dim=-1), lambda a: _softmax(a, -1), [(3, 4)]),
    Case("softmax_axis0", lambda a: a.softmax(dim=0), lambda a: _softmax(a, 0), [(3, 4)]),
    Case("log_softmax", lambda a: a.log_softmax(dim=-1), lambda a: np.log(_softmax(a, -1)), [(3, 4)]),
    # movement
    Case("reshape", lambda a: a.reshape(4, 3), lambda a: a.reshape(4, 3), [(2, 6)]),
    Case("reshape_infer", lambda a: a.reshape(-1), lambda a: a.reshape(-1), [(2, 3)]),
    Case(
        "transpose",
        lambda a: a.transpose(2, 0, 1),
        lambda a: a.transpose(2, 0, 1),
        [(2, 3, 4)],
        torch_fn=lambda a: a.permute(2, 0, 1),
    ),  # fmt: skip
    Case("T", lambda a: a.T, lambda a: a.T, [(2, 3)]),
    Case("flatten", lambda a: a.flatten(), lambda a: a.flatten(), [(2, 3)]),
    Case("squeeze", lambda a: a.squeeze(1), lambda a: a.squeeze(1), [(2, 1, 3)]),
    Case("unsqueeze", lambda a: a.unsqueeze(1), lambda a: np.expand_dims(a, 1), [(2, 3)]),
    Case(
        "broadcast_to",
        lambda a: a.broadcast_to((4, 2, 3)),
        lambda a: np.broadcast_to(a, (4, 2, 3)),
        [(2, 1)],
        torch_fn=lambda a: a.expand(4, 2, 3),
    ),  # fmt: skip
    Case("getitem_slice", lambda a: a[1:, ::2], lambda a: a[1:, ::2], [(3, 4)]),
    Case("getitem_int", lambda a: a[1], lambda a: a[1], [(3, 4)]),
    Case(
        "getitem_repeat",
        lambda a: a[IDX],
        lambda a: a[IDX],
        [(3, 2)],
        torch_fn=lambda a: a[__import__("torch").as_tensor(IDX)],
    ),  # fmt: skip
    Case(
        "getitem_mixed",
        lambda a: a[IDX, 1:],
        lambda a: a[IDX, 1:],
        [(3, 3)],
        torch_fn=lambda a: a[__import__("torch").as_tensor(IDX), 1:],
    ),  # fmt: skip
    Case("getitem_mask", lambda a: a[a.data > 0], lambda a: a[a > 0], [(3, 4)], torch_ok=False),
    Case(
        "cat",
        lambda a, b: tge.cat([a, b], axis=1),
        lambda a, b: np.concatenate([a, b], axis=1),
        [(2, 3), (2, 2)],
        torch_fn=lambda a, b: __import__("torch").cat([a, b], dim=1),
    ),  # fmt: skip
    Case(
        "stack",
        lambda a, b: tge.stack([a, b], axis=-1),
        lambda a, b: np.stack([a, b], axis=-1),
        [(2, 3), (2, 3)],
        torch_fn=lambda a, b: __import__("torch").stack([a, b], dim=-1),
    ),  # fmt: skip
    # layers and losses that are one primitive each (ops_nn.py)
    Case(
        "linear",
        lambda x, W, b: F.linear(x, W, b),
        lambda x, W, b: x @ W.T + b,
        [(4, 3), (5, 3), (5,)],
        torch_fn=lambda x, W, b: _tf().linear(x, W, b),
    ),  # fmt: skip
    Case(
        "linear_3d_no_bias",
        lambda x, W: F.linear(x, W),
        lambda x, W: x @ W.T,
        [(2, 4, 3), (5, 3)],
        torch_fn=lambda x, W: _tf().linear(x, W),
    ),  # fmt: skip
    Case(
        "nll_loss",
        lambda a: F.nll_loss(a, TARGETS),
        lambda a: -a[np.arange(4), TARGETS].mean(),
        [(4, 3)],
        torch_fn=lambda a: _tf().nll_loss(a, _targets()),
    ),  # fmt: skip
    Case(
        "nll_loss_none",
        lambda a: F.nll_loss(a, TARGETS, reduction="none"),
        lambda a: -a[np.arange(4), TARGETS],
        [(4, 3)],
        torch_fn=lambda a: _tf().nll_loss(a, _targets(), reduction="none"),
    ),  # fmt: skip
    Case(
        "cross_entropy",
        lambda a: F.cross_entropy(a, TARGETS, reduction="sum"),
        lambda a: -np.log(_softmax(a, 1))[np.arange(4), TARGETS].sum(),
        [(4, 3)],
        torch_fn=lambda a: _tf().cross_entropy(a, _targets(), reduction="sum"),
    ),  # fmt: skip
    # compositions the lesson uses
    Case(
        "squared_error",
        lambda X, w, y: ((y - X @ w) ** 2).sum(),
        lambda X, w, y: ((y - X @ w) ** 2).sum(),
        [(5, 3), (3,), (5,)],
    ),  # fmt: skip
]


def _inputs(case: Case, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    if case.positive:
        return [rng.uniform(0.5, 2.0, s) for s in case.shapes]
    return [rng.standard_normal(s) for s in case.shapes]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_forward_matches_numpy(case: Case) -> None:
    arrays = _inputs(case)
    out = case.fn(*[Tensor(a) for a in arrays])
    expected = case.ref(*arrays)
    assert out.shape == np.shape(expected)
    np.testing.assert_allclose(out.data, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_backward_matches_central_differences(case: Case) -> None:
    arrays = _inputs(case)
    ts = [Tensor(a, requires_grad=True) for a in arrays]
    out = case.fn(*ts)
    v = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(Tensor(v))
    numeric = numeric_vjp(tensor_fn_as_numpy(case.fn), arrays, v)
    for t, n in zip(ts, numeric):
        assert t.grad is not None and t.grad.shape == t.shape
        np.testing.assert_allclose(t.grad.data, n, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_forward_mode_agrees_with_reverse_mode(case: Case) -> None:
    """v . (J u) from one forward pass equals (J^T v) . u from one backward pass."""
    arrays = _inputs(case)
    rng = np.random.default_rng(2)
    us = [rng.standard_normal(a.shape) for a in arrays]
    out, tangent = tge.jvp(case.fn, [Tensor(a) for a in arrays], [Tensor(u) for u in us])
    assert tangent.shape == out.shape
    v = rng.standard_normal(out.shape)
    ts = [Tensor(a, requires_grad=True) for a in arrays]
    case.fn(*ts).backward(Tensor(v))
    reverse = sum(float(np.sum(t.grad.data * u)) for t, u in zip(ts, us))  # type: ignore[union-attr]
    assert float(np.sum(v * tangent.data)) == pytest.approx(reverse, rel=1e-10, abs=1e-10)


@pytest.mark.parametrize("case", [c for c in CASES if c.torch_ok], ids=lambda c: c.name)
def test_matches_torch(case: Case) -> None:
    torch = pytest.importorskip("torch")
    arrays = _inputs(case)
    ts = [Tensor(a, requires_grad=True) for a in arrays]
    out = case.fn(*ts)
    v = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(Tensor(v))
    tt = [torch.tensor(a, requires_grad=True) for a in arrays]
    tout = (case.torch_fn or case.fn)(*tt)
    tout.backward(torch.tensor(v))
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-12, atol=1e-12)
    for t, x in zip(ts, tt):
        np.testing.assert_allclose(t.grad.data, x.grad.numpy(), rtol=1e-10, atol=1e-12)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.name in {"mul", "div", "exp", "tanh", "sigmoid", "log", "sin", "pow_both",
                                             "matmul_batched", "softmax", "logsumexp", "squared_error", "var",
                                             "log_softmax", "linear_3d_no_bias", "cross_entropy"}],
    ids=lambda c: c.name,
)  # fmt: skip
def test_second_derivatives_match_central_differences(case: Case) -> None:
    """Backward rules are Tensor ops: differentiate the gradient itself (create_graph)."""
    arrays = _inputs(case)
    v = np.random.default_rng(1).standard_normal(np.shape(case.ref(*arrays)))
    w = [np.random.default_rng(3 + i).standard_normal(a.shape) for i, a in enumerate(arrays)]

    def grad_dot_w(*xs: Tensor) -> Tensor:
        """sum_i w_i . d/dx_i (v . f(x)): a scalar built from the gradient."""
        ys = [x if x.requires_grad else x.detach().requires_grad_() for x in xs]
        gs = tge.autograd.grad(case.fn(*ys), ys, Tensor(v), create_graph=True, allow_unused=True)
        total = Tensor(0.0)
        for g, wi in zip(gs, w):
            if g is not None:
                total = total + (g * Tensor(wi)).sum()
        return total

    ts = [Tensor(a, requires_grad=True) for a in arrays]
    grad_dot_w(*ts).backward()
    numeric = numeric_vjp(lambda *a: grad_dot_w(*[Tensor(x) for x in a]).data, arrays, np.array(1.0), eps=1e-5)
    for t, n in zip(ts, numeric):
        np.testing.assert_allclose(t.grad.data, n, rtol=1e-5, atol=1e-6)  # type: ignore[union-attr]
