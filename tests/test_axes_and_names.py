"""Axes as NumPy and PyTorch take them (0-d tensors, duplicates) and shape errors that name
the tensors involved."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import Tensor

REDUCTIONS = ["sum", "mean", "max", "min", "logsumexp", "var", "std", "softmax", "log_softmax"]


@pytest.mark.parametrize("axis", [0, -1])
@pytest.mark.parametrize("name", REDUCTIONS)
def test_a_0d_tensor_takes_axis_0_and_minus_1_as_pytorch_does(name, axis):
    torch = pytest.importorskip("torch")
    x = Tensor(1.5, requires_grad=True)
    tx = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    theirs = {"max": "amax", "min": "amin"}.get(name, name)
    kwargs = {"correction": 0} if name in ("var", "std") else {}  # 1 would divide by 0 (n = 1)
    out = getattr(x, name)(axis, **kwargs)
    out.backward()
    tout = getattr(tx, theirs)(axis, **kwargs)
    tout.backward()
    assert out.shape == tuple(tout.shape) == ()
    assert out.item() == tout.item()
    assert x.grad.item() == tx.grad.item()


def test_a_0d_tensor_rejects_other_axes():
    with pytest.raises(ValueError, match=r"sum: axis 1 is out of range for a tensor of shape \(\)"):
        Tensor(1.0).sum(1)


@pytest.mark.parametrize("axis", [(0, 0), (2, -1), (0, 2, -3)])
@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "logsumexp", "var", "std"])
def test_duplicate_axes_raise_as_in_numpy(name, axis):
    x = Tensor(np.ones((2, 3, 4)))
    with pytest.raises(ValueError, match="duplicate value in 'axis'"):
        np.sum(x.data, axis=axis)  # NumPy's own verdict
    with pytest.raises(ValueError, match=rf"{name}: duplicate value in axis=.*name each axis once"):
        getattr(x, name)(axis=axis)


def test_duplicate_axes_on_a_0d_tensor_raise():
    with pytest.raises(ValueError, match="duplicate value in axis"):
        Tensor(1.0).sum(axis=(0, -1))


def test_a_broadcasting_error_names_the_named_operands():
    X, b = Tensor.ones(2, 3, name="X"), Tensor.ones(4, name="b")
    with pytest.raises(ValueError, match=r"Add: cannot apply to operands of shapes \(2, 3\) of 'X', \(4,\) of 'b'"):
        X + b
    with pytest.raises(ValueError, match=r"Where: .*shapes \(2, 3\), \(2, 3\) of 'X', \(4,\): "):
        tge.where(X > 0, X, Tensor.ones(4))


def test_a_matmul_error_names_the_named_operands():
    X, W = Tensor.ones(5, 3, name="X"), Tensor.ones(2, 3, name="W")
    with pytest.raises(ValueError) as err:
        X @ W
    message = str(err.value)
    assert "shapes (5, 3) of 'X' and (2, 3) of 'W' do not align" in message
    assert "the last axis of 'X' (3) must equal the second-to-last axis of 'W' (2)" in message
    assert "Transpose an operand (.T)" in message
    with pytest.raises(ValueError, match=r"got shapes \(5, 3\) of 'X' and \(\)"):
        X @ Tensor(2.0)


def test_unnamed_operands_are_described_by_shape_alone():
    with pytest.raises(ValueError, match=r"shapes \(2, 3\) and \(2, 3\) do not align: the last axis of the first"):
        Tensor.ones(2, 3) @ Tensor.ones(2, 3)
