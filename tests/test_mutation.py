"""Mutation safety: arrays that a live graph will read cannot change under it."""

from __future__ import annotations

import gc

import numpy as np
import pytest

from tinygrad_edu import Tensor, optim


def test_in_place_write_to_a_parameter_in_a_live_graph_is_refused() -> None:
    W = Tensor([1.0, 2.0], requires_grad=True, name="W")
    loss = (W * W).sum()
    with pytest.raises(ValueError, match="read-only"):
        W.data[0] = 5.0
    view = np.asarray(W)[:1]
    with pytest.raises(ValueError, match="read-only"):
        view[0] = 5.0
    loss.backward()
    np.testing.assert_allclose(W.grad.data, [2.0, 4.0])  # type: ignore[union-attr]


def test_write_is_allowed_again_after_backward_or_when_the_graph_is_gone() -> None:
    W = Tensor([1.0, 2.0], requires_grad=True)
    (W * W).sum().backward()
    W.data[0] = 3.0  # the graph was released by backward
    loss = (W * 2.0).sum()
    del loss
    gc.collect()
    W.data[1] = 4.0  # the graph was freed without backward
    assert W.tolist() == [3.0, 4.0]


def test_a_user_array_shared_with_a_tensor_is_protected_too() -> None:
    x_np = np.array([1.0, 2.0])
    W = Tensor([3.0, 4.0], requires_grad=True)
    loss = (Tensor(x_np) * W).sum()
    with pytest.raises(ValueError, match="read-only"):
        x_np[0] = 10.0
    loss.backward()
    x_np[0] = 10.0


def test_rebinding_data_between_forward_and_backward_is_detected() -> None:
    W = Tensor([1.0, 2.0], requires_grad=True, name="W")
    loss = (W * W).sum()
    W.data = W.data - 0.1
    with pytest.raises(RuntimeError, match="'W' was given new data"):
        loss.backward()


def test_op_results_in_a_graph_are_read_only() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x.exp()
    with pytest.raises(ValueError, match="read-only"):
        h.data[0] = 0.0


def test_optimizer_steps_keep_working() -> None:
    W = Tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([W], lr=0.1, momentum=0.9)
    for _ in range(3):
        opt.zero_grad()
        loss = ((W - 3.0) ** 2).sum()
        loss.backward()
        opt.step()
    assert np.all(W.data > [1.0, 2.0])
