"""Convolution and pooling against torch.nn.functional: values, gradients for the input, the
weights and the bias, forward mode and second derivatives."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import Tensor, nn
from tinygrad_edu.nn import functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

CONV2D = [
    # (input shape, weight shape, options)
    ((2, 3, 7, 6), (4, 3, 3, 3), {}),
    ((2, 3, 7, 6), (4, 3, 3, 2), {"stride": 2}),
    ((1, 2, 8, 8), (3, 2, 3, 3), {"padding": 1}),
    ((1, 2, 9, 8), (3, 2, 2, 3), {"stride": (2, 1), "padding": (1, 2), "dilation": (2, 1)}),
    ((2, 4, 6, 6), (6, 2, 3, 3), {"groups": 2, "padding": 1}),
    ((2, 4, 5, 5), (4, 1, 3, 3), {"groups": 4, "stride": 2}),  # depthwise
    ((3, 1, 5, 5), (2, 1, 1, 1), {}),
]


def _check(fn: Any, tfn: Any, arrays: list[np.ndarray], rtol: float = 1e-10) -> None:
    ts = [Tensor(a, requires_grad=True) for a in arrays]
    tt = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, tout = fn(*ts), tfn(*tt)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=rtol, atol=1e-12)
    v = np.random.default_rng(5).standard_normal(out.shape)
    out.backward(Tensor(v))
    tout.backward(torch.tensor(v))
    for t, x in zip(ts, tt):
        np.testing.assert_allclose(t.grad.data, x.grad.numpy(), rtol=rtol, atol=1e-12)  # type: ignore[union-attr]


@pytest.mark.parametrize("x_shape, w_shape, options", CONV2D)
def test_conv2d_matches_torch(x_shape: tuple[int, ...], w_shape: tuple[int, ...], options: dict[str, Any]) -> None:
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(x_shape), rng.standard_normal(w_shape), rng.standard_normal(w_shape[0])]
    _check(lambda x, w, b: F.conv2d(x, w, b, **options), lambda x, w, b: TF.conv2d(x, w, b, **options), arrays)


@pytest.mark.parametrize("options", [{}, {"stride": 2}, {"padding": 2, "dilation": 2}, {"groups": 2, "padding": 1}])
def test_conv1d_matches_torch(options: dict[str, Any]) -> None:
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal((2, 4, 11)), rng.standard_normal((6, 4 // options.get("groups", 1), 3))]
    _check(lambda x, w: F.conv1d(x, w, **options), lambda x, w: TF.conv1d(x, w, **options), arrays)


@pytest.mark.parametrize(
    "options", [{"kernel_size": 2}, {"kernel_size": 3, "stride": 2}, {"kernel_size": (3, 2), "stride": 1, "padding": 1}]
)
def test_pooling_matches_torch(options: dict[str, Any]) -> None:
    x = np.random.default_rng(2).standard_normal((2, 3, 7, 6))
    _check(lambda a: F.max_pool2d(a, **options), lambda a: TF.max_pool2d(a, **options), [x])
    _check(lambda a: F.avg_pool2d(a, **options), lambda a: TF.avg_pool2d(a, **options), [x])


def test_max_pool_gives_ties_gradient_to_the_first_maximum_as_torch() -> None:
    x = np.maximum(np.random.default_rng(3).standard_normal((2, 2, 6, 6)), 0.0)  # relu outputs: many zero ties
    x[0, 0, :2, :2] = 1.5
    _check(lambda a: F.max_pool2d(a, 2), lambda a: TF.max_pool2d(a, 2), [x])


def test_conv_forward_mode_and_second_derivative_match_torch() -> None:
    rng = np.random.default_rng(4)
    x, w = rng.standard_normal((2, 2, 5, 5)), rng.standard_normal((3, 2, 3, 3))
    u, uw = rng.standard_normal(x.shape), rng.standard_normal(w.shape)

    def ours(a: Tensor, b: Tensor) -> Tensor:
        return F.max_pool2d(F.conv2d(a, b, padding=1, stride=1).tanh(), 2)

    def theirs(a: Any, b: Any) -> Any:
        return TF.max_pool2d(TF.conv2d(a, b, padding=1, stride=1).tanh(), 2)

    _, tangent = tge.jvp(ours, [Tensor(x), Tensor(w)], [Tensor(u), Tensor(uw)])
    _, expected = torch.func.jvp(theirs, (torch.tensor(x), torch.tensor(w)), (torch.tensor(u), torch.tensor(uw)))
    np.testing.assert_allclose(tangent.data, expected.numpy(), rtol=1e-10, atol=1e-12)
    # d/dx of sum(u * dL/dx) with L = sum(out^2): backward through the backward pass
    xt, wt = Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)
    (gx,) = tge.autograd.grad((ours(xt, wt) ** 2).sum(), [xt], create_graph=True)
    second = tge.autograd.grad((gx * Tensor(u)).sum(), [xt, wt])
    xx, ww = torch.tensor(x, requires_grad=True), torch.tensor(w, requires_grad=True)
    (tgx,) = torch.autograd.grad((theirs(xx, ww) ** 2).sum(), [xx], create_graph=True)
    tsecond = torch.autograd.grad((tgx * torch.tensor(u)).sum(), [xx, ww])
    for s, ts in zip(second, tsecond):
        np.testing.assert_allclose(s.data, ts.numpy(), rtol=1e-9, atol=1e-11)


def test_conv_modules_use_torchs_shapes_init_and_names() -> None:
    conv = nn.Conv2d(4, 6, (3, 2), stride=2, padding=1, groups=2, seed=0)
    assert conv.weight.shape == (6, 2, 3, 2) and conv.bias is not None and conv.bias.shape == (6,)
    bound = 1 / np.sqrt(2 * 3 * 2)
    assert np.all(np.abs(conv.weight.data) <= bound) and np.all(np.abs(conv.bias.data) <= bound)
    tconv = torch.nn.Conv2d(4, 6, (3, 2), stride=2, padding=1, groups=2, dtype=torch.float64)
    tconv.load_state_dict({k: torch.as_tensor(v) for k, v in conv.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((2, 4, 7, 7))
    np.testing.assert_allclose(conv(Tensor(x)).data, tconv(torch.as_tensor(x)).detach().numpy(), rtol=1e-10)
    c1 = nn.Conv1d(3, 5, 4, bias=False, seed=0)
    assert c1.weight.shape == (5, 3, 4) and c1.bias is None and [n for n, _ in c1.named_parameters()] == ["weight"]
    pool = nn.MaxPool2d(2)
    assert pool(Tensor(x)).shape == (2, 4, 3, 3) and nn.AvgPool2d(3, 1, 1)(Tensor(x)).shape == (2, 4, 7, 7)


def test_float32_stays_float32() -> None:
    conv = nn.Conv2d(1, 2, 3, seed=0)
    conv.weight.data = conv.weight.data.astype(np.float32)
    conv.bias.data = conv.bias.data.astype(np.float32)  # type: ignore[union-attr]
    x = Tensor(np.ones((1, 1, 5, 5), dtype=np.float32), requires_grad=True)
    out = F.max_pool2d(conv(x), 2)
    out.sum().backward()
    assert out.dtype == np.float32 and x.grad.dtype == np.float32  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: F.conv2d(Tensor(np.ones((3, 5, 5))), Tensor(np.ones((2, 3, 3, 3)))),
         ["conv2d", "(N, C, H, W)", "unsqueeze"]),
        (lambda: F.conv2d(Tensor(np.ones((1, 3, 5, 5))), Tensor(np.ones((2, 2, 3, 3)))),
         ["conv2d", "in_channels", "groups"]),
        (lambda: F.conv2d(Tensor(np.ones((1, 1, 2, 2))), Tensor(np.ones((1, 1, 3, 3)))), ["conv2d", "does not fit"]),
        (lambda: F.conv2d(Tensor(np.ones((1, 1, 5, 5))), Tensor(np.ones((1, 1, 3, 3))), stride=(1, 2, 3)), ["stride"]),
        (lambda: F.max_pool2d(Tensor(np.ones((1, 1, 5, 5))), 2, padding=2), ["max_pool2d", "half the kernel"]),
        (lambda: F.conv1d(Tensor(np.ones((1, 5, 5, 1))), Tensor(np.ones((1, 5, 3)))), ["conv1d", "(N, C, L)"]),
    ],
)  # fmt: skip
def test_conv_errors_say_what_to_do(call: Any, words: list[str]) -> None:
    with pytest.raises(ValueError) as info:
        call()
    for w in words:
        assert w in str(info.value)
