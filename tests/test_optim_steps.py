"""Single optimizer steps with known answers: no oracle needed. First steps of the adaptive
methods, SGD's momentum buffer, the lesson's worked example, skipped gradients, dtypes."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tinygrad_edu import Tensor, optim


# ---------------------------------------------------------------- exact values, no oracle
def one_step(opt_class, g: np.ndarray, **options) -> tuple[np.ndarray, Tensor, optim.Optimizer]:
    x = Tensor(np.array([0.5, -1.0, 2.0]), requires_grad=True)
    opt = opt_class([x], **options)
    x.grad = Tensor(g)
    opt.step()
    return x.data - np.array([0.5, -1.0, 2.0]), x, opt


G = np.array([3.0, -0.02, 150.0])


@pytest.mark.parametrize(
    ("opt_class", "options", "factor"),
    [
        (optim.Adam, dict(lr=0.01), 1.0),
        (optim.AdamW, dict(lr=0.01, weight_decay=0.0), 1.0),
        (optim.Adagrad, dict(lr=0.01), 1.0),
        (optim.RMSprop, dict(lr=0.01, alpha=0.99), 10.0),
    ],
)
def test_first_step_is_about_lr_times_sign_of_g(opt_class, options, factor):
    delta, _, _ = one_step(opt_class, G, **options)
    np.testing.assert_allclose(delta, -factor * options["lr"] * np.sign(G), rtol=1e-5)


@pytest.mark.parametrize("dampening", [0.0, 0.5])
def test_sgd_momentum_buffer_is_g_after_first_step(dampening):
    delta, x, opt = one_step(optim.SGD, G, lr=0.1, momentum=0.9, dampening=dampening)
    np.testing.assert_array_equal(opt.state[x]["momentum_buffer"], G)
    np.testing.assert_allclose(delta, -0.1 * G, rtol=1e-15)


def test_worked_example_from_the_lesson():
    W = Tensor([1.0, 2.0], requires_grad=True)
    W.grad = Tensor([2.5, -1.2])
    optim.SGD([W], lr=0.1).step()
    np.testing.assert_allclose(W.data, [0.75, 2.12], rtol=0, atol=1e-15)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_parameters_without_gradient_are_skipped(name):
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    opt = getattr(optim, name)([a, b], lr=0.1, **({"momentum": 0.9} if name == "SGD" else {}))
    a.grad = Tensor([1.0, -1.0])
    opt.step()
    np.testing.assert_array_equal(b.data, [3.0, 4.0])
    assert b.grad is None and b not in opt.state
    assert a in opt.state and not np.array_equal(a.data, [1.0, 2.0])


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_step_builds_no_graph_and_writes_in_place(name):
    x = Tensor([1.0, 2.0], requires_grad=True)
    old, version = x.data, x._version
    opt = getattr(optim, name)([x], lr=0.1)
    (x * x).sum().backward()
    opt.step()
    assert x.is_leaf and x.grad_fn is None and x.requires_grad
    assert x.data is old and not np.array_equal(old, [1.0, 2.0])  # as PyTorch's param.add_
    assert x._version == version + 1


def test_step_returns_the_closure_loss_and_zero_grad_variants():
    x = Tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([x], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (x * x).sum()
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert math.isclose(float(loss), 5.0)
    np.testing.assert_allclose(x.data, [0.8, 1.6])
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0])
    opt.zero_grad()
    assert x.grad is None
    assert opt.step() is None


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_float32_and_0d_parameters_keep_dtype_and_shape(name):
    w = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    b = Tensor(np.array(0.5), requires_grad=True)
    opt = getattr(optim, name)([w, b], lr=0.1)
    for _ in range(3):
        opt.zero_grad()
        ((w * w).sum() + b * b).backward()
        opt.step()
    assert w.data.dtype == np.float32 and isinstance(b.data, np.ndarray) and b.data.shape == ()
    for state in opt.state.values():
        for value in state.values():
            assert isinstance(value, (int, np.ndarray))
    assert all(v.dtype == np.float32 for v in opt.state[w].values() if isinstance(v, np.ndarray))
