"""Losses: forward against NumPy formulas, backward against central differences and PyTorch."""

import numpy as np
import pytest

import tinygrad_edu.losses as losses
from tinygrad_edu import Tensor
from tinygrad_edu.checks import central_differences
from tinygrad_edu.nn import functional as F

N, C = 6, 4


def _softplus(x):
    return np.logaddexp(0.0, x)


def _log_softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def _data(rng):
    """Inputs for each case: (differentiable input, fixed second argument)."""
    return {
        "pred": rng.standard_normal((N, 3)),
        "target": rng.standard_normal((N, 3)),
        "logits": rng.standard_normal((N, C)),
        "classes": rng.integers(0, C, N),
        "binary_logits": rng.standard_normal(N) * 3,
        "binary_targets": rng.uniform(0, 1, N),
        "scores": rng.standard_normal(N) * 2,
        "signs": rng.choice([-1.0, 1.0], N),
    }


# name -> (fn(x, other), numpy formula(x, other), key of x, key of other)
CASES = {
    "mse_mean": (lambda x, t: F.mse_loss(x, t), lambda x, t: np.mean((x - t) ** 2), "pred", "target"),
    "mse_sum": (
        lambda x, t: F.mse_loss(x, t, reduction="sum"),
        lambda x, t: np.sum((x - t) ** 2),
        "pred",
        "target",
    ),
    "mse_none": (
        lambda x, t: F.mse_loss(x, t, reduction="none"),
        lambda x, t: (x - t) ** 2,
        "pred",
        "target",
    ),
    "squared_error": (
        lambda x, t: F.squared_error(x, t),
        lambda x, t: np.sum((t - x) ** 2),
        "pred",
        "target",
    ),
    "cross_entropy_mean": (
        lambda x, t: F.cross_entropy(x, t),
        lambda x, t: -np.mean(_log_softmax(x)[np.arange(N), t]),
        "logits",
        "classes",
    ),
    "cross_entropy_none": (
        lambda x, t: F.cross_entropy(x, t, reduction="none"),
        lambda x, t: -_log_softmax(x)[np.arange(N), t],
        "logits",
        "classes",
    ),
    "bce_with_logits": (
        lambda x, y: F.binary_cross_entropy_with_logits(x, y),
        lambda x, y: np.mean(-(y * -_softplus(-x) + (1 - y) * -_softplus(x))),
        "binary_logits",
        "binary_targets",
    ),
    "bce_with_logits_none": (
        lambda x, y: F.binary_cross_entropy_with_logits(x, y, reduction="none"),
        lambda x, y: -(y * -_softplus(-x) + (1 - y) * -_softplus(x)),
        "binary_logits",
        "binary_targets",
    ),
    "hinge": (
        lambda s, y: F.hinge_loss(s, y),
        lambda s, y: np.mean(np.maximum(0.0, 1 - y * s)),
        "scores",
        "signs",
    ),
    "l1_penalty": (
        lambda x, x2: F.l1_penalty([x, Tensor(x2)]),
        lambda x, x2: np.abs(x).sum() + np.abs(x2).sum(),
        "pred",
        "target",
    ),
    "l2_penalty": (
        lambda x, x2: F.l2_penalty([x, Tensor(x2)]),
        lambda x, x2: (x**2).sum() + (x2**2).sum(),
        "pred",
        "target",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_forward_matches_numpy(name):
    fn, ref, xk, tk = CASES[name]
    d = _data(np.random.default_rng(0))
    out = fn(Tensor(d[xk], requires_grad=True), d[tk])
    np.testing.assert_allclose(out.numpy(), ref(d[xk], d[tk]), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", sorted(CASES))
def test_backward_matches_central_differences(name):
    fn, _, xk, tk = CASES[name]
    rng = np.random.default_rng(1)
    d = _data(rng)
    x0, other = d[xk], d[tk]
    out = fn(Tensor(x0), other).numpy()
    upstream = rng.standard_normal(out.shape)
    x = Tensor(x0.copy(), requires_grad=True)
    fn(x, other).backward(Tensor(upstream))

    def f(z):
        return float(np.sum(upstream * fn(Tensor(z), other).numpy()))

    numeric = central_differences(f, x0, 1e-6)
    np.testing.assert_allclose(x.grad.numpy(), numeric, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("red", ["mean", "sum"])
def test_against_torch_functional(red):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    d = _data(np.random.default_rng(2))
    T = torch.from_numpy

    def both(ours, theirs, x):
        xt = Tensor(x, requires_grad=True)
        ours(xt).backward()
        xx = torch.tensor(x, requires_grad=True)
        out = theirs(xx)
        out.backward()
        np.testing.assert_allclose(ours(Tensor(x)).numpy(), out.detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(xt.grad.numpy(), xx.grad.numpy(), rtol=1e-10, atol=1e-14)

    both(
        lambda x: F.mse_loss(x, d["target"], reduction=red),
        lambda x: tf.mse_loss(x, T(d["target"]), reduction=red),
        d["pred"],
    )
    both(
        lambda x: F.cross_entropy(x, d["classes"], reduction=red),
        lambda x: tf.cross_entropy(x, T(d["classes"]), reduction=red),
        d["logits"],
    )
    both(
        lambda x: F.binary_cross_entropy_with_logits(x, d["binary_targets"], reduction=red),
        lambda x: tf.binary_cross_entropy_with_logits(x, T(d["binary_targets"]), reduction=red),
        d["binary_logits"],
    )
    both(
        lambda s: F.hinge_loss(s, d["signs"]),
        lambda s: torch.clamp(1 - T(d["signs"]) * s, min=0).mean(),
        d["scores"],
    )


def test_lesson_squared_error_gradient_is_minus_two_xt_residual():
    rng = np.random.default_rng(3)
    X, y, w0 = rng.standard_normal((8, 3)), rng.standard_normal(8), rng.standard_normal(3)
    W = Tensor(w0, requires_grad=True)
    F.squared_error(Tensor(X) @ W, y).backward()
    np.testing.assert_allclose(W.grad.numpy(), -2 * X.T @ (y - X @ w0), rtol=1e-12)


def test_bce_is_stable_and_exact_at_extremes_and_zero():
    x = Tensor(np.array([-1000.0, 0.0, 1000.0]), requires_grad=True)
    y = np.array([1.0, 1.0, 0.0])
    loss = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    np.testing.assert_allclose(loss.numpy(), [1000.0, np.log(2.0), 1000.0])
    loss.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [-1.0, -0.5, 1.0])


def test_cross_entropy_is_stable_for_large_logits():
    logits = Tensor(np.array([[1e4, 0.0], [0.0, 1e4]]), requires_grad=True)
    loss = F.cross_entropy(logits, [1, 1])
    np.testing.assert_allclose(loss.numpy(), 0.5e4)
    loss.backward()
    assert np.all(np.isfinite(logits.grad.numpy()))


def test_targets_may_be_tensors_arrays_or_lists():
    p = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    for t in (Tensor([0.0, 0.0]), np.zeros(2), [0.0, 0.0], [0, 0]):
        assert F.mse_loss(p, t).item() == 2.5
    logits = Tensor(np.zeros((2, 3)))
    for t in (np.array([0, 2]), [0, 2], Tensor([0.0, 2.0])):
        np.testing.assert_allclose(F.cross_entropy(logits, t).item(), np.log(3))


@pytest.mark.parametrize(
    "call",
    [
        lambda: F.mse_loss(Tensor(np.zeros(3)), np.zeros((3, 1))),
        lambda: F.squared_error(Tensor(np.zeros((3, 1))), np.zeros(3)),
        lambda: F.binary_cross_entropy_with_logits(Tensor(np.zeros((3, 1))), np.zeros(3)),
        lambda: F.hinge_loss(Tensor(np.zeros(3)), np.ones(2)),
    ],
)
def test_shape_mismatch_names_function_and_both_shapes(call):
    with pytest.raises(ValueError, match=r"(mse_loss|squared_error|binary_cross|hinge).*\(3"):
        call()


@pytest.mark.parametrize(
    "call, exc, text",
    [
        (lambda: F.mse_loss(Tensor([1.0]), [1.0], reduction="avg"), ValueError, "reduction"),
        (lambda: F.cross_entropy(Tensor(np.zeros(3)), [0]), ValueError, r"\(N, C\)"),
        (lambda: F.cross_entropy(Tensor(np.zeros((2, 3))), [0, 3]), ValueError, r"\[0, 2\]"),
        (lambda: F.cross_entropy(Tensor(np.zeros((2, 3))), [0.5, 1]), ValueError, "integer"),
        (lambda: F.cross_entropy(Tensor(np.zeros((2, 3))), [0]), ValueError, r"\(2,\)"),
        (lambda: F.hinge_loss(Tensor([0.5, 1.0]), [0.0, 1.0]), ValueError, "2 \\* y - 1"),
        (lambda: F.hinge_loss(Tensor(np.zeros((2, 1))), np.ones((2, 1))), ValueError, "1-D"),
        (lambda: F.mse_loss(Tensor([1.0]), ["a"]), TypeError, "target"),
        (lambda: F.l2_penalty(3.0), TypeError, "l2_penalty"),
    ],
)
def test_bad_arguments(call, exc, text):
    with pytest.raises(exc, match=text):
        call()


def test_penalties_accept_a_module_and_an_empty_list():
    from tinygrad_edu import nn

    lin = nn.Linear(3, 2, seed=0)
    expected = sum(float(np.sum(p.numpy() ** 2)) for p in lin.parameters())
    np.testing.assert_allclose(F.l2_penalty(lin).item(), expected)
    assert F.l1_penalty([]).item() == 0.0


def test_losses_module_reexports_functional():
    for name in losses.__all__:
        assert getattr(losses, name) is getattr(F, name)
    loss_names = [n for n in F.__all__ if n.endswith(("_loss", "_penalty", "entropy", "_logits", "squared_error"))]
    assert sorted(loss_names) == sorted(losses.__all__)
