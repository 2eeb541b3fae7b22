"""nn.utils.clip_grad_norm_ and clip_grad_value_ against torch.nn.utils, in place."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_edu import Tensor, nn

torch = pytest.importorskip("torch")

rng = np.random.default_rng(7)
GRADS = [rng.normal(size=(3, 4)), rng.normal(size=5) * 3, np.array(0.7), None]


def pairs(grads=GRADS, dtype=np.float64):
    ours, theirs = [], []
    for g in grads:
        shape = np.shape(g) if g is not None else (2,)
        p = Tensor(np.zeros(shape, dtype=dtype), requires_grad=True)
        t = torch.zeros(shape, dtype=torch.float64 if dtype == np.float64 else torch.float32, requires_grad=True)
        if g is not None:
            p.grad = Tensor(np.asarray(g, dtype=dtype))
            t.grad = torch.tensor(np.asarray(g, dtype=dtype))
        ours.append(p)
        theirs.append(t)
    return ours, theirs


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, float("inf")])
@pytest.mark.parametrize("max_norm", [0.5, 2.0, 1e6])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    ours, theirs = pairs()
    before = [p.grad for p in ours]
    total = nn.utils.clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert isinstance(total, Tensor) and total.shape == ()
    assert total.item() == pytest.approx(expected.item(), rel=1e-14)
    for p, t, g in zip(ours, theirs, before, strict=True):
        if t.grad is None:
            assert p.grad is None
            continue
        assert p.grad is g  # changed in place, the same gradient Tensor
        np.testing.assert_allclose(p.grad.data, t.grad.numpy(), rtol=1e-14, atol=0)
    if max_norm < expected.item():
        flat = np.concatenate([p.grad.data.ravel() for p in ours if p.grad is not None])
        assert np.linalg.norm(flat, ord=norm_type) == pytest.approx(max_norm, rel=1e-5)


def test_clip_grad_norm_single_tensor_float32_and_no_grads():
    ours, theirs = pairs(GRADS[:1], dtype=np.float32)
    total = nn.utils.clip_grad_norm_(ours[0], 0.1)
    expected = torch.nn.utils.clip_grad_norm_(theirs[0], 0.1)
    assert ours[0].grad.data.dtype == np.float32
    np.testing.assert_allclose(ours[0].grad.data, theirs[0].grad.numpy(), rtol=1e-6)
    assert total.item() == pytest.approx(expected.item(), rel=1e-6)
    assert nn.utils.clip_grad_norm_([Tensor([1.0], requires_grad=True)], 1.0).item() == 0.0


def test_clip_grad_norm_non_finite():
    ours, _ = pairs([np.array([1.0, np.inf]), np.array([2.0])])
    with pytest.raises(RuntimeError, match="non-finite, so it cannot be clipped.*error_if_nonfinite=False"):
        nn.utils.clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)
    np.testing.assert_array_equal(ours[1].grad.data, [2.0])  # nothing changed
    assert np.isinf(nn.utils.clip_grad_norm_(ours, 1.0).item())


@pytest.mark.parametrize("clip_value", [0.1, 1, 100.0])
def test_clip_grad_value_matches_torch(clip_value):
    ours, theirs = pairs()
    before = [p.grad for p in ours]
    assert nn.utils.clip_grad_value_(ours, clip_value) is None
    torch.nn.utils.clip_grad_value_(theirs, clip_value)
    for p, t, g in zip(ours, theirs, before, strict=True):
        if t.grad is not None:
            assert p.grad is g
            np.testing.assert_array_equal(p.grad.data, t.grad.numpy())


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda ps: nn.utils.clip_grad_norm_(ps, "1"), "max_norm must be a number"),
        (lambda ps: nn.utils.clip_grad_norm_(ps, 1.0, norm_type=None), "norm_type must be a number"),
        (lambda ps: nn.utils.clip_grad_value_(ps, None), "clip_value must be a number"),
        (lambda ps: nn.utils.clip_grad_value_([np.ones(2)], 1.0), "parameter 0 is a ndarray, not a Tensor"),
    ],
)
def test_bad_arguments_raise_type_error(call, message):
    with pytest.raises(TypeError, match=message):
        call(pairs()[0])


def test_clipping_inside_a_training_step():
    model = nn.Linear(3, 1, seed=0)
    x, y = Tensor(rng.normal(size=(8, 3)) * 100), Tensor(rng.normal(size=(8, 1)))
    nn.functional.mse_loss(model(x), y).backward()
    total = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
    assert total.item() > 1.0
    norm = np.sqrt(sum(float(np.sum(p.grad.data**2)) for p in model.parameters()))
    assert norm == pytest.approx(1.0, rel=1e-5)
