"""Mutation safety: Tensor(data) copies, Tensor.from_numpy shares, and memory a live graph
reads cannot change under it without an error."""

from __future__ import annotations

import array
import gc
from typing import Any

import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import Tensor, optim


# ---------------------------------------------------------------- Tensor(data) copies
def test_a_view_made_before_construction_cannot_change_the_gradient() -> None:
    arr = np.array([1.0, 2.0])
    view = arr[:]
    a = Tensor(arr, requires_grad=True)
    loss = (a * a).sum()
    view[0] = 5.0
    loss.backward()
    assert a.grad.tolist() == [2.0, 4.0]  # type: ignore[union-attr]
    assert a.tolist() == [1.0, 2.0]


def test_writing_into_the_base_of_a_sliced_array_cannot_change_the_gradient() -> None:
    base = np.array([1.0, 2.0, 3.0])
    a = Tensor(base[:2], requires_grad=True)
    loss = (a * a).sum()
    base[0] = 10.0
    loss.backward()
    assert a.grad.tolist() == [2.0, 4.0]  # type: ignore[union-attr]


def test_memory_owned_by_torch_works_and_stays_writable() -> None:
    torch = pytest.importorskip("torch")
    src = torch.tensor([1.0, 2.0], dtype=torch.float64)
    a = Tensor(src.numpy(), requires_grad=True)
    (a * a).sum().backward()
    assert a.grad.tolist() == [2.0, 4.0]  # type: ignore[union-attr]
    src.numpy()[0] = 7.0  # the user's array was never made read-only
    assert a.tolist() == [1.0, 2.0]


class _Interface:
    """An object that exposes memory through __array_interface__ only."""

    def __init__(self, values: list[float]) -> None:
        self._buffer = np.array(values)
        self.__array_interface__ = self._buffer.__array_interface__


def test_memory_exposed_through_array_interface_works() -> None:
    src = _Interface([1.0, 2.0])
    a = Tensor(src, requires_grad=True)
    loss = (a * a).sum()
    src._buffer[0] = 9.0
    loss.backward()
    assert a.grad.tolist() == [2.0, 4.0]  # type: ignore[union-attr]


def test_torch_tensors_are_accepted_with_their_dtype() -> None:
    torch = pytest.importorskip("torch")
    assert Tensor(torch.tensor([1.0, 2.0])).dtype == np.float32
    assert Tensor(torch.tensor([1.0, 2.0], dtype=torch.float64)).dtype == np.float64
    assert Tensor(torch.tensor([1, 2])).dtype == np.int64
    w = Tensor(torch.ones(2, requires_grad=True), requires_grad=True)  # its values, as torch.tensor(t)
    assert w.tolist() == [1.0, 1.0] and w.requires_grad and w.is_leaf


@pytest.mark.parametrize(
    "data, dtype",
    [
        (np.array([1.0, 2.0], dtype=np.float32), np.float32),
        (np.float32(1.5), np.float32),
        (array.array("d", [1.0, 2.0]), np.float64),
        (memoryview(np.array([1, 2], dtype=np.int32)), np.int32),
        ([Tensor(1.0), Tensor(2.0)], np.float64),
        (Tensor([1.0, 2.0], dtype=np.float32), np.float32),
        (_Interface([1.0, 2.0]), np.float64),
    ],
    ids=["ndarray", "numpy-scalar", "array.array", "memoryview", "list-of-tensors", "tensor", "array-interface"],
)
def test_anything_numpy_turns_into_an_array_is_accepted_and_copied(data: Any, dtype: Any) -> None:
    source = data.data if isinstance(data, Tensor) else np.asarray(data)
    t = Tensor(data)
    assert t.dtype == dtype
    assert t.data.flags.owndata and t.data.flags.writeable  # a copy of its own
    assert not np.shares_memory(t.data, source)


def test_the_dtype_argument_converts_with_one_copy() -> None:
    arr = np.array([1.0, 2.0])
    t = Tensor(arr, dtype=np.float32)
    assert t.dtype == np.float32 and not np.shares_memory(t.data, arr)


# ---------------------------------------------------------------- Tensor.from_numpy shares
def test_from_numpy_shares_memory_both_ways() -> None:
    arr = np.zeros(3)
    t = Tensor.from_numpy(arr)
    arr[0] = 1.0
    assert t.tolist() == [1.0, 0.0, 0.0]
    t += 1.0
    assert arr.tolist() == [2.0, 1.0, 1.0]


def test_from_numpy_array_is_read_only_while_a_graph_reads_it() -> None:
    arr = np.array([1.0, 2.0])
    w = Tensor.from_numpy(arr, requires_grad=True)
    loss = (w * w).sum()
    with pytest.raises(ValueError, match="read-only"):
        arr[0] = 10.0
    loss.backward()
    arr[0] = 10.0  # writable again
    assert w.grad.tolist() == [2.0, 4.0]  # type: ignore[union-attr]


def test_from_numpy_of_foreign_memory_never_leaves_it_read_only() -> None:
    torch = pytest.importorskip("torch")
    src = torch.tensor([1.0, 2.0], dtype=torch.float64)
    w = Tensor.from_numpy(src.numpy(), requires_grad=True)
    (w * w).sum().backward()
    assert w.grad.tolist() == [2.0, 4.0]  # type: ignore[union-attr]
    src.numpy()[0] = 3.0
    assert w.tolist() == [3.0, 2.0]


def test_from_numpy_refuses_what_is_not_an_ndarray() -> None:
    with pytest.raises(TypeError, match="Tensor\\(data\\) to copy"):
        Tensor.from_numpy([1.0, 2.0])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="only floating-point"):
        Tensor.from_numpy(np.array([1, 2]), requires_grad=True)


# ---------------------------------------------------------------- the lock on memory a graph reads
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


def test_an_ndarray_operand_is_protected_while_the_graph_reads_it() -> None:
    x = np.array([1.0, 2.0])
    W = Tensor([3.0, 4.0], requires_grad=True)
    loss = (W * x).sum()
    with pytest.raises(ValueError, match="read-only"):
        x[0] = 10.0
    loss.backward()
    assert W.grad.tolist() == [1.0, 2.0]  # type: ignore[union-attr]
    x[0] = 10.0


def test_an_operand_in_foreign_memory_is_copied() -> None:
    torch = pytest.importorskip("torch")
    src = torch.tensor([1.0, 2.0], dtype=torch.float64)
    W = Tensor([3.0, 4.0], requires_grad=True)
    loss = (W * src.numpy()).sum()
    src[0] = 10.0
    loss.backward()
    assert W.grad.tolist() == [1.0, 2.0]  # type: ignore[union-attr]


def test_a_slice_of_a_data_tensor_in_a_graph_protects_the_whole_array() -> None:
    X = Tensor(np.arange(6.0).reshape(2, 3))
    w = Tensor([1.0, 1.0, 1.0], requires_grad=True)
    loss = (X[0] * w).sum()  # X[0] is a view of X's memory, made outside any graph
    with pytest.raises(ValueError, match="read-only"):
        X.data[0, 0] = 100.0
    X.mul_(2.0)  # an in-place op goes through, as in PyTorch, and backward says so
    with pytest.raises(RuntimeError, match="modified by an inplace operation.*mul_"):
        loss.backward()


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


def test_detach_shares_memory_and_version_with_its_source() -> None:
    W = Tensor([1.0, 2.0], requires_grad=True)
    d = W.detach()
    with tge.no_grad():
        W.mul_(2.0)
    assert d.tolist() == [2.0, 4.0] and d._version == W._version == 1


def test_optimizer_steps_keep_working() -> None:
    W = Tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([W], lr=0.1, momentum=0.9)
    for _ in range(3):
        opt.zero_grad()
        loss = ((W - 3.0) ** 2).sum()
        loss.backward()
        opt.step()
    assert np.all(W.data > [1.0, 2.0])
    assert W.is_leaf and W.requires_grad


# ---------------------------------------------------------------- only what the derivatives read
def test_memory_the_derivatives_do_not_read_stays_writable() -> None:
    x = np.array([1.0, 2.0])
    W = Tensor([3.0, 4.0], requires_grad=True)
    loss = ((W + x) - x).mean()  # the gradient of a sum or a mean reads no value
    x[0] = 10.0  # allowed: no node reads x's values
    W.data[1] = 5.0
    loss.backward()
    assert W.grad.tolist() == [0.5, 0.5]  # type: ignore[union-attr]


def test_linear_holds_its_input_and_weight_but_not_its_bias() -> None:
    from tinygrad_edu.nn import functional as F

    x = Tensor(np.ones((2, 3)))
    W = Tensor(np.full((4, 3), 0.5), requires_grad=True)
    b = Tensor(np.zeros(4), requires_grad=True)
    loss = F.linear(x, W, b).sum()
    for held in (x, W):
        with pytest.raises(ValueError, match="read-only"):
            held.data[0, 0] = 7.0
    b.data[0] = 7.0  # d loss / d b = G summed over rows: b's values are not needed
    loss.backward()
    np.testing.assert_array_equal(b.grad.data, [2.0, 2.0, 2.0, 2.0])  # type: ignore[union-attr]
    np.testing.assert_array_equal(W.grad.data, np.full((4, 3), 2.0))  # type: ignore[union-attr]
    x.data[0, 0] = 7.0  # writable again after backward


def test_in_place_change_of_an_input_the_node_does_not_read_is_allowed_as_in_torch() -> None:
    torch = pytest.importorskip("torch")
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    loss = (a + b).sum() + (a * b).sum()
    with tge.no_grad():
        b.add_(1.0)  # a * b read b: its node raises, as PyTorch's MulBackward does
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()
    at = torch.tensor([1.0, 2.0], requires_grad=True)
    bt = torch.tensor([3.0, 4.0], requires_grad=True)
    lt = (at + bt).sum() + (at * bt).sum()
    with torch.no_grad():
        bt.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        lt.backward()

    c = Tensor([1.0, 2.0], requires_grad=True)
    loss = ((c + 1.0) - c).sum()  # only an addition and a subtraction: no value is read
    with tge.no_grad():
        c.add_(1.0)
    loss.backward()
    ct = torch.tensor([1.0, 2.0], requires_grad=True)
    lt = ((ct + 1.0) - ct).sum()
    with torch.no_grad():
        ct.add_(1.0)
    lt.backward()
    np.testing.assert_array_equal(c.grad.data, ct.grad.numpy())  # type: ignore[union-attr]
