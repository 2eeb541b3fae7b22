"""binary_cross_entropy_with_logits is (1 - y) softplus(x) + y softplus(-x) with softplus one
primitive: value, gradient (logits and targets), jvp, Hessian and the second derivative at 0
(exactly 1/4) against PyTorch, at ordinary and at extreme logits (+-50, +-800)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import Tensor, nn
from tinygrad_edu.nn import functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

# logits: 0, ordinary values and extremes, each against several targets (0, 1 and soft labels)
X = np.array([0.0, 0.0, 0.0, 1.5, -2.0, 50.0, -50.0, 50.0, -50.0, 800.0, -800.0, 800.0, -800.0, 700.0])
Y = np.array([0.0, 1.0, 0.3, 0.8, 0.1, 1.0, 0.0, 0.0, 1.0, 0.2, 0.7, 1.0, 0.0, 0.5])


def _ours(x: Tensor, y: Tensor, reduction: str) -> Tensor:
    return F.binary_cross_entropy_with_logits(x, y, reduction=reduction)


def _theirs(x: Any, y: Any, reduction: str) -> Any:
    return TF.binary_cross_entropy_with_logits(x, y, reduction=reduction)


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_value_and_gradients_match_torch(reduction: str) -> None:
    x, y = Tensor(X, requires_grad=True), Tensor(Y, requires_grad=True)
    xt, yt = torch.tensor(X, requires_grad=True), torch.tensor(Y, requires_grad=True)
    out, tout = _ours(x, y, reduction), _theirs(xt, yt, reduction)
    # atol: at x = -50, y = 0 the loss is softplus(-50) = 1.9e-22; PyTorch's (1 - y) x - log_sigmoid(x) rounds it to 0
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-15, atol=1e-20)
    v = np.random.default_rng(0).standard_normal(out.shape)
    out.backward(Tensor(v))
    tout.backward(torch.tensor(v))
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-14, atol=1e-20)  # type: ignore[union-attr]
    np.testing.assert_allclose(y.grad.numpy(), yt.grad.numpy(), rtol=1e-15, atol=0)  # type: ignore[union-attr]


def test_jvp_matches_torch() -> None:
    rng = np.random.default_rng(1)
    u, w = rng.standard_normal(X.shape), rng.standard_normal(Y.shape)
    _, tangent = tge.jvp(lambda x, y: _ours(x, y, "none"), [Tensor(X), Tensor(Y)], [Tensor(u), Tensor(w)])
    _, expected = torch.func.jvp(
        lambda x, y: _theirs(x, y, "none"), (torch.tensor(X), torch.tensor(Y)), (torch.tensor(u), torch.tensor(w))
    )
    np.testing.assert_allclose(tangent.numpy(), expected.numpy(), rtol=1e-14, atol=1e-20)


def test_second_derivative_is_a_quarter_at_zero_and_matches_torch_everywhere() -> None:
    """The loss is elementwise, so its Hessian in x is diagonal: sigmoid(x) (1 - sigmoid(x))."""
    ours = tge.hessian(lambda x: _ours(x, Tensor(Y), "sum"))(Tensor(X)).numpy()
    theirs = torch.autograd.functional.hessian(lambda x: _theirs(x, torch.tensor(Y), "sum"), torch.tensor(X))
    # atol: at |x| = 50 the true value is 1.9e-22; sigmoid's f (1 - f) gives 0 where f rounds to 1 (here and in PyTorch)
    np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-14, atol=1e-20)
    assert np.all(np.diag(ours)[:3] == 0.25)  # exactly, whatever the target
    assert np.all(ours[~np.eye(len(X), dtype=bool)] == 0)
    assert np.all((np.diag(ours) >= 0) & (np.diag(ours) <= 0.25))  # no 0 * inf, no NaN at +-800


def test_mixed_second_derivative_in_logits_and_targets_matches_torch() -> None:
    """d/dy of the gradient in x is -1 for every element (the gradient is sigmoid(x) - y)."""
    x, y = Tensor(X, requires_grad=True), Tensor(Y, requires_grad=True)
    (gx,) = tge.autograd.grad(_ours(x, y, "mean"), [x], create_graph=True)
    w = np.random.default_rng(2).standard_normal(X.shape)
    (gy,) = tge.autograd.grad((gx * Tensor(w)).sum(), [y])
    xt, yt = torch.tensor(X, requires_grad=True), torch.tensor(Y, requires_grad=True)
    (gxt,) = torch.autograd.grad(_theirs(xt, yt, "mean"), [xt], create_graph=True)
    (gyt,) = torch.autograd.grad((gxt * torch.tensor(w)).sum(), [yt])
    np.testing.assert_allclose(gy.numpy(), gyt.numpy(), rtol=1e-15)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_module_matches_torch_module(reduction: str) -> None:
    rng = np.random.default_rng(3)
    logits, targets = rng.standard_normal((4, 3)) * 20, rng.uniform(0, 1, (4, 3))
    x, xt = Tensor(logits, requires_grad=True), torch.tensor(logits, requires_grad=True)
    out = nn.BCEWithLogitsLoss(reduction=reduction)(x, Tensor(targets))
    tout = torch.nn.BCEWithLogitsLoss(reduction=reduction)(xt, torch.tensor(targets))
    np.testing.assert_allclose(out.numpy(), tout.detach().numpy(), rtol=1e-14)
    out.backward()
    tout.backward()
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-14, atol=1e-20)  # type: ignore[union-attr]


def test_float32_logits_stay_float32_and_finite() -> None:
    x = Tensor(np.array([-800.0, 0.0, 800.0], dtype=np.float32), requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(x, Tensor(np.array([1.0, 0.5, 0.0], dtype=np.float32)))
    assert loss.dtype == np.float32
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), np.array([-1.0, 0.0, 1.0]) / 3, rtol=1e-6)  # type: ignore[union-attr]
