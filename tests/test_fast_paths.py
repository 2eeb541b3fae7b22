"""The engine's fast paths give what the general paths give: the square as one multiply, the
reduced gradient broadcast back as a view built directly, nll_loss's gradient scattered from
one number, the one-axis case of reductions, and the seed of backward()."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from tinygrad_edu import Tensor
from tinygrad_edu.nn import functional as F


def _wide(dtype: type, n: int = 20_000) -> np.ndarray:
    """Values over most of the dtype's range, with the boundary points among them."""
    rng = np.random.default_rng(7)
    span = 30 if dtype == np.float64 else 15
    x = rng.standard_normal(n) * np.exp(rng.uniform(-span, span, n))
    special = [0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, np.finfo(dtype).max, np.finfo(dtype).tiny]
    return np.concatenate([x, special]).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_square_has_the_bits_of_np_power_and_of_torch(dtype: type) -> None:
    x = _wide(dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        expected = np.power(x, np.array(2, dtype))
        got = (Tensor(x) ** 2).data
    assert got.dtype == dtype
    np.testing.assert_array_equal(got.view(np.uint8), expected.view(np.uint8))
    torch = pytest.importorskip("torch")
    np.testing.assert_array_equal(got.view(np.uint8), (torch.from_numpy(x) ** 2).numpy().view(np.uint8))


def test_a_wider_exponent_still_widens_the_square_as_numpy_does() -> None:
    x = np.array([1.5, -2.0, 3.0], np.float32)
    out = (Tensor(x) ** Tensor(np.array(2.0))).data  # a float64 0-d tensor, not a Python number
    assert out.dtype == np.power(x, np.array(2.0)).dtype == np.float64
    np.testing.assert_array_equal(out, np.power(x, np.array(2.0)))


@pytest.mark.parametrize("reduce", ["sum", "mean"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_reduction_to_one_number_gives_a_leaf_its_own_gradient(reduce: str, dtype: type) -> None:
    x = Tensor(np.arange(6, dtype=dtype).reshape(2, 3), requires_grad=True)
    getattr(x, reduce)().backward()
    assert x.grad is not None
    g = x.grad.data
    expected = np.full((2, 3), 1.0 if reduce == "sum" else 1 / 6, dtype)
    np.testing.assert_array_equal(g, expected)
    assert g.dtype == dtype and g.strides != (0, 0)  # a real array, not the broadcast view
    assert g.flags.writeable
    x.grad.data[0, 0] += 1.0  # writing one element changes only that element
    assert g[1, 2] == expected[1, 2]


def test_the_broadcast_view_inside_backward_is_read_only_and_reads_one_number() -> None:
    seen: list[np.ndarray] = []
    x = Tensor(np.ones((3, 4)), requires_grad=True)
    y = x * 2.0
    y.register_hook(lambda g: seen.append(g.data))
    y.mean().backward()
    (view,) = seen
    assert view.shape == (3, 4) and view.strides == (0, 0)
    assert not view.flags.writeable
    np.testing.assert_array_equal(view, np.full((3, 4), 1 / 12))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_nll_loss_gradient_from_one_number_matches_torch(reduction: str) -> None:
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    z = rng.standard_normal((5, 4))
    t = np.array([0, 3, 3, 1, 2])
    x = Tensor(z, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no division warnings on the common path
        loss = F.cross_entropy(x, t, reduction=reduction)
        (loss.sum() if reduction == "none" else loss).backward()
    zt = torch.tensor(z, requires_grad=True)
    lt = torch.nn.functional.cross_entropy(zt, torch.from_numpy(t), reduction=reduction)
    (lt.sum() if reduction == "none" else lt).backward()
    assert x.grad is not None
    np.testing.assert_allclose(x.grad.data, zt.grad.numpy(), rtol=1e-13, atol=1e-15)


def test_nll_loss_of_no_rows_is_nan_without_warnings() -> None:
    x = Tensor(np.zeros((0, 3)), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss = F.nll_loss(x, np.zeros(0, np.int64))
        loss.backward()
    assert np.isnan(loss.item())
    assert x.grad is not None and x.grad.shape == (0, 3)


@pytest.mark.parametrize("axis", [0, 1, -1, -2, np.int64(1), (1,), [0]])
def test_one_axis_reductions_agree_with_numpy(axis: object) -> None:
    a = np.arange(12.0).reshape(3, 4)
    ax = tuple(axis) if isinstance(axis, list) else axis
    np.testing.assert_array_equal(Tensor(a).sum(axis=axis).data, a.sum(axis=ax))  # type: ignore[arg-type]
    np.testing.assert_array_equal(Tensor(a).mean(axis=axis).data, a.mean(axis=ax))  # type: ignore[arg-type]


@pytest.mark.parametrize("axis", [2, -3, True])
def test_one_axis_out_of_range_still_names_the_range(axis: object) -> None:
    if axis is True:  # a bool is an int to Python, but not one axis in range of a 0-d tensor
        with pytest.raises(ValueError, match="out of range"):
            Tensor(np.float64(1.0)).sum(axis=axis)  # type: ignore[arg-type]
        return
    with pytest.raises(ValueError, match=r"out of range .* \(valid: -2 to 1\)"):
        Tensor(np.zeros((2, 2))).sum(axis=axis)  # type: ignore[arg-type]


@pytest.mark.parametrize("shape", [(), (1,), (1, 1)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_backward_seeds_one_element_outputs_of_any_shape(shape: tuple[int, ...], dtype: type) -> None:
    x = Tensor(np.full(shape, 3.0, dtype), requires_grad=True)
    (x * x).backward()
    assert x.grad is not None
    assert x.grad.shape == shape and x.grad.dtype == dtype
    np.testing.assert_array_equal(x.grad.data, np.full(shape, 6.0, dtype))
