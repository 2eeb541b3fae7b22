"""The ops of the layers, in the op tables' four checks against PyTorch (value, gradient, jvp,
second derivative): conv1d and conv2d with stride, padding, dilation and groups, both
poolings, LayerNorm and BatchNorm1d, every loss of nn.functional, the activations called as Tensor methods, and the
in-place ops and item assignment. Also:
Conv1d's state_dict loads into torch.nn.Conv1d."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from tinygrad_edu import Tensor, nn
from tinygrad_edu.nn import functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

from test_inplace import CASES as IN_PLACE  # noqa: E402
from torch_cases import Case, torch_tests  # noqa: E402 (needs torch)

CLASSES = np.array([2, 0, 1, 2, 1])
SIGNS = np.array([1.0, -1.0, -1.0, 1.0, 1.0])
TARGET = np.random.default_rng(11).standard_normal((5, 3))


def _t(a: np.ndarray) -> object:
    return torch.as_tensor(a)


def _cases() -> list[Case]:
    cases = [
        # convolutions (tanh first, so the second derivative also runs through conv's backward)
        Case("conv1d_stride_dilation", lambda a, w: F.conv1d(a.tanh(), w, stride=2, padding=2, dilation=2),
             lambda a, w: TF.conv1d(a.tanh(), w, stride=2, padding=2, dilation=2), [(2, 4, 11), (6, 4, 3)]),
        Case("conv1d_groups_bias", lambda a, w, b: F.conv1d(a.tanh(), w, b, groups=2, padding=1),
             lambda a, w, b: TF.conv1d(a.tanh(), w, b, groups=2, padding=1), [(2, 4, 9), (6, 2, 3), (6,)]),
        Case("conv2d_groups_dilation", lambda a, w: F.conv2d(a.tanh(), w, groups=2, dilation=(2, 1), padding=1),
             lambda a, w: TF.conv2d(a.tanh(), w, groups=2, dilation=(2, 1), padding=1), [(2, 4, 7, 6), (6, 2, 3, 2)]),
        Case("conv2d_depthwise_stride", lambda a, w: F.conv2d(a.tanh(), w, groups=3, stride=2),
             lambda a, w: TF.conv2d(a.tanh(), w, groups=3, stride=2), [(1, 3, 7, 7), (3, 1, 3, 3)]),
        Case("max_pool2d", lambda a: F.max_pool2d(a.tanh(), 3, stride=2, padding=1),
             lambda a: TF.max_pool2d(a.tanh(), 3, stride=2, padding=1), [(2, 3, 7, 6)]),
        Case("avg_pool2d", lambda a: F.avg_pool2d(a.tanh(), (2, 3), stride=1, padding=1),
             lambda a: TF.avg_pool2d(a.tanh(), (2, 3), stride=1, padding=1), [(2, 3, 6, 7)]),
        # losses
        Case("mse_loss", lambda a: F.mse_loss(a, TARGET), lambda a: TF.mse_loss(a, _t(TARGET)), [(5, 3)]),
        Case("mse_loss_sum", lambda a, b: F.mse_loss(a, b, reduction="sum"),
             lambda a, b: TF.mse_loss(a, b, reduction="sum"), [(5, 3), (5, 3)]),
        Case("l1_loss", lambda a, b: F.l1_loss(a, b), lambda a, b: TF.l1_loss(a, b), [(5, 3), (5, 3)]),
        Case("huber_loss", lambda a, b: F.huber_loss(a, b, delta=0.6, reduction="none"),
             lambda a, b: TF.huber_loss(a, b, delta=0.6, reduction="none"), [(5, 3), (5, 3)]),
        Case("cross_entropy", lambda a: F.cross_entropy(a, CLASSES), lambda a: TF.cross_entropy(a, _t(CLASSES)),
             [(5, 3)], -3.0, 3.0),
        Case("cross_entropy_smoothing_sum", lambda a: F.cross_entropy(a, CLASSES, "sum", label_smoothing=0.2),
             lambda a: TF.cross_entropy(a, _t(CLASSES), reduction="sum", label_smoothing=0.2), [(5, 3)]),
        Case("cross_entropy_none", lambda a: F.cross_entropy(a, CLASSES, reduction="none"),
             lambda a: TF.cross_entropy(a, _t(CLASSES), reduction="none"), [(5, 3)]),
        Case("bce_with_logits", lambda a, b: F.binary_cross_entropy_with_logits(a, b),
             lambda a, b: TF.binary_cross_entropy_with_logits(a, b), [(5, 3), (5, 3)], 0.0, 1.0),
        Case("hinge_loss", lambda a: F.hinge_loss(a, SIGNS),
             lambda a: torch.clamp(1 - _t(SIGNS) * a, min=0).mean(), [(5,)], -3.0, 3.0),
        Case("squared_error", lambda a, b: F.squared_error(a, b), lambda a, b: ((b - a) ** 2).sum(), [(5,), (5,)]),
        Case("l1_l2_penalty", lambda a, b: F.l1_penalty([a, b]) + F.l2_penalty([a, b]),
             lambda a, b: a.abs().sum() + b.abs().sum() + (a * a).sum() + (b * b).sum(), [(3, 2), (4,)]),
        # the normalization layers' forward as an op of their input (fresh layers: weight 1, bias 0)
        Case("layer_norm", lambda a: nn.LayerNorm((3, 4))(a), lambda a: torch.nn.LayerNorm((3, 4), dtype=a.dtype)(a),
             [(2, 3, 4)]),
        Case("batch_norm1d_training", lambda a: nn.BatchNorm1d(3)(a),
             lambda a: torch.nn.BatchNorm1d(3, dtype=a.dtype)(a), [(5, 3)]),
        # the two shape and dtype methods no other table has
        Case("swapaxes_astype", lambda a: a.swapaxes(0, 2).astype(np.float32).astype(np.float64) * a.swapaxes(2, 0),
             lambda a: a.transpose(0, 2).to(torch.float32).to(torch.float64) * a.transpose(2, 0), [(2, 3, 4)]),
        # the activations as Tensor methods, with their options
        Case("methods_relu_like", lambda a: a.leaky_relu(0.2) + a.elu(0.7) + a.relu6() * a.hardtanh(-0.3, 0.4),
             lambda a: TF.leaky_relu(a, 0.2) + TF.elu(a, 0.7) + TF.relu6(a) * TF.hardtanh(a, -0.3, 0.4),
             [(3, 4)], -8.0, 8.0),
        Case("methods_smooth", lambda a: a.gelu("tanh") * a.silu() + a.softplus(2.0, 3.0) - a.softsign()
             + a.mish() * a.log_sigmoid() + a.gelu(),
             lambda a: TF.gelu(a, approximate="tanh") * TF.silu(a) + TF.softplus(a, 2.0, 3.0) - TF.softsign(a)
             + TF.mish(a) * TF.logsigmoid(a) + TF.gelu(a), [(3, 4)], -3.0, 3.0),
    ]  # fmt: skip
    # in-place ops and item assignment inside a function (test_inplace.py checks value and gradient)
    cases += [Case(f"in_place {name}", _in_place(op), _in_place(op), [(3, 4), (3, 4)]) for name, op in IN_PLACE.items()]
    return cases


def _in_place(op: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """a, b -> h * h where h = a * a + 0.1 changed in place by `op(h, b)` (in either library)."""

    def f(a: Any, b: Any) -> Any:
        h = a * a + 0.1
        op(h, b)
        return h * h

    return f


CASES = _cases()
test_value_and_gradient_match_torch, test_forward_mode_matches_torch_jvp, test_second_derivative_matches_torch = (
    torch_tests(CASES)
)


def test_conv1d_state_dict_loads_into_torch_conv1d() -> None:
    conv = nn.Conv1d(4, 6, 3, stride=2, padding=1, dilation=2, groups=2, seed=0)
    tconv = torch.nn.Conv1d(4, 6, 3, stride=2, padding=1, dilation=2, groups=2, dtype=torch.float64)
    assert list(conv.state_dict()) == list(tconv.state_dict()) == ["weight", "bias"]
    tconv.load_state_dict({k: torch.as_tensor(v) for k, v in conv.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((2, 4, 13))
    np.testing.assert_allclose(conv(Tensor(x)).data, tconv(torch.as_tensor(x)).detach().numpy(), rtol=1e-12)
