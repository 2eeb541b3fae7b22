"""linear, log_softmax and nll_loss as one primitive each (ops_nn.py): the graph they record,
their agreement with the compositions they replace, and tge.compile replaying them bit for bit.
(Values, gradients, jvp and second derivatives against NumPy, central differences and torch
are rows of test_ops.py and test_boundary_points.py.)"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import Tensor, nn
from tinygrad_edu.nn import functional as F


def same(a: Any, b: Any) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def _nodes(t: Tensor) -> list[str]:
    names, stack, seen = [], [t], set()
    while stack:
        x = stack.pop()
        if x.grad_fn is not None and id(x.grad_fn) not in seen:
            seen.add(id(x.grad_fn))
            names.append(x.grad_fn.name)
            stack.extend(x.grad_fn.inputs)
    return names


def test_a_two_layer_net_and_its_loss_record_one_node_per_layer_and_two_for_the_loss() -> None:
    model = nn.Sequential(nn.Linear(4, 8, seed=0), nn.ReLU(), nn.Linear(8, 3, seed=1))
    loss = F.cross_entropy(model(Tensor(np.ones((5, 4)))), [0, 1, 2, 0, 1])
    assert sorted(_nodes(loss)) == sorted(
        ["NllLossBackward", "LogSoftmaxBackward", "LinearBackward", "ReluBackward", "LinearBackward"]
    )


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_agrees_with_its_composition_from_elementwise_ops(reduction: str) -> None:
    rng = np.random.default_rng(0)
    z, t = rng.standard_normal((6, 4)) * 5, rng.integers(0, 4, 6)
    a, b = Tensor(z, requires_grad=True), Tensor(z, requires_grad=True)
    ours = F.cross_entropy(a, t, reduction=reduction)
    shifted = b - Tensor(z.max(axis=1, keepdims=True))
    composed = -(shifted - shifted.exp().sum(axis=1, keepdims=True).log())[np.arange(6), t]
    composed = {"mean": composed.mean(), "sum": composed.sum(), "none": composed}[reduction]
    np.testing.assert_allclose(ours.data, composed.data, rtol=1e-14)
    ours.sum().backward()
    composed.sum().backward()
    np.testing.assert_allclose(a.grad.data, b.grad.data, rtol=1e-13, atol=1e-16)  # type: ignore[union-attr]


def test_linear_agrees_with_matmul_and_add_including_batch_axes() -> None:
    rng = np.random.default_rng(1)
    x, W, b = rng.standard_normal((2, 5, 3)), rng.standard_normal((4, 3)), rng.standard_normal(4)
    ts = [Tensor(v, requires_grad=True) for v in (x, W, b)]
    us = [Tensor(v, requires_grad=True) for v in (x, W, b)]
    F.linear(*ts).sum().backward()
    (us[0] @ us[1].T + us[2]).sum().backward()
    for t, u in zip(ts, us):
        np.testing.assert_allclose(t.grad.data, u.grad.data, rtol=1e-13)  # type: ignore[union-attr]


def test_linear_with_a_bias_of_a_wider_dtype_takes_numpys_result_type() -> None:
    x = Tensor(np.ones((2, 3), np.float32))
    out = F.linear(x, Tensor(np.ones((4, 3), np.float32)), Tensor(np.full(4, 0.1)))
    assert out.dtype == np.float64 and np.allclose(out.data, 3.1)


def test_linear_and_nll_loss_say_what_is_wrong() -> None:
    with pytest.raises(ValueError, match=r"linear: x's last axis must match weight's columns"):
        F.linear(Tensor(np.ones((2, 3))), Tensor(np.ones((3, 4))))
    with pytest.raises(ValueError, match=r"linear: bias must have shape \(4,\)"):
        F.linear(Tensor(np.ones((2, 3))), Tensor(np.ones((4, 3))), Tensor(np.ones(3)))
    with pytest.raises(ValueError, match=r"nll_loss: log_probs must have shape \(N, C\)"):
        F.nll_loss(Tensor(np.ones(3)), [0])
    with pytest.raises(ValueError, match=r"must lie in \[0, 2\]"):
        F.nll_loss(Tensor(np.ones((2, 3))), [0, 3])


def _step(model: nn.Module, loss_fn: Any) -> Any:
    def step(x: Tensor, y: Tensor) -> Tensor:
        loss = loss_fn(model(x), y)
        loss.backward()
        return loss

    return step


LOSSES = {
    "cross_entropy": lambda out, y: F.cross_entropy(out, y),
    "cross_entropy sum": lambda out, y: F.cross_entropy(out, y, reduction="sum"),
    "label smoothing": lambda out, y: F.cross_entropy(out, y, label_smoothing=0.1),
    "nll_loss none": lambda out, y: F.nll_loss(F.log_softmax(out, dim=1), y, reduction="none").sum(),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("loss", list(LOSSES))
def test_compile_replays_linear_log_softmax_and_nll_loss_bit_for_bit(loss: str, dtype: Any) -> None:
    def model_and_params() -> tuple[nn.Module, list[Tensor]]:
        model = nn.Sequential(nn.Linear(4, 8, seed=0), nn.Tanh(), nn.Linear(8, 3, bias=False, seed=1))
        for p in model.parameters():
            p.data = p.data.astype(dtype)
        return model, list(model.parameters())

    eager_model, eager_params = model_and_params()
    model, params = model_and_params()
    compiled = tge.compile(_step(model, LOSSES[loss]), check=2)
    eager = _step(eager_model, LOSSES[loss])
    rng = np.random.default_rng(2)
    for _ in range(4):  # records, checks twice, then replays
        x, y = rng.standard_normal((6, 4)).astype(dtype), rng.integers(0, 3, 6)
        for p in params + eager_params:
            p.grad = None
        got, want = compiled(Tensor(x), Tensor(y)), eager(Tensor(x), Tensor(y))
        assert same(got.data, want.data)
        for p, q in zip(params, eager_params):
            assert same(p.grad.data, q.grad.data)  # type: ignore[union-attr]


def test_compile_replays_linear_on_batch_axes_and_a_wider_bias() -> None:
    W = Tensor(np.random.default_rng(3).standard_normal((4, 3)).astype(np.float32), requires_grad=True)
    b = Tensor(np.linspace(-1, 1, 4), requires_grad=True)  # float64 bias on a float32 product

    def step(x: Tensor) -> Tensor:
        loss = (F.linear(x, W, b) ** 2).sum()
        loss.backward()
        return loss

    compiled = tge.compile(step, check=True)
    rng = np.random.default_rng(4)
    for _ in range(5):
        x = Tensor(rng.standard_normal((2, 5, 3)).astype(np.float32), requires_grad=True)
        W.grad = b.grad = None
        got = compiled(x)
        grads = [W.grad.data.copy(), b.grad.data.copy(), x.grad.data.copy()]  # type: ignore[union-attr]
        W.grad = b.grad = None
        x2 = Tensor(x.data, requires_grad=True)
        assert same(step(x2).data, got.data)
        for g, want in zip(grads, [W.grad.data, b.grad.data, x2.grad.data]):  # type: ignore[union-attr]
            assert same(g, want)
