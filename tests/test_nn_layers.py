"""nn layers against torch.nn: same outputs, gradients, running statistics, and state_dicts
that load into the PyTorch modules of the same structure."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import Tensor, nn
from tinygrad_edu.nn import functional as F

torch = pytest.importorskip("torch")


def _to_torch(model: nn.Module, tmodel: Any) -> None:
    tmodel.load_state_dict({k: torch.as_tensor(v) for k, v in model.state_dict().items()}, strict=True)


def _compare(model: nn.Module, tmodel: Any, x: np.ndarray, rtol: float = 1e-10) -> None:
    """Same output and same input/parameter gradients for a random upstream gradient."""
    xt = Tensor(x, requires_grad=True)
    xx = torch.tensor(x, requires_grad=True)
    out, tout = model(xt), tmodel(xx)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=rtol, atol=1e-12)
    v = np.random.default_rng(9).standard_normal(out.shape)
    out.backward(Tensor(v))
    tout.backward(torch.tensor(v))
    np.testing.assert_allclose(xt.grad.data, xx.grad.numpy(), rtol=rtol, atol=1e-12)  # type: ignore[union-attr]
    theirs = dict(tmodel.named_parameters())
    for name, p in model.named_parameters():
        np.testing.assert_allclose(p.grad.data, theirs[name].grad.numpy(), rtol=rtol, atol=1e-12)  # type: ignore[union-attr]


def test_parameter_registers_even_when_frozen() -> None:
    class M(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = nn.Parameter(np.ones(3))
            self.frozen = nn.Parameter(np.zeros(2), requires_grad=False)
            self.plain = Tensor(np.zeros(2))

    m = M()
    assert [n for n, _ in m.named_parameters()] == ["w", "frozen"]
    assert m.w.requires_grad and isinstance(m.w, Tensor) and not m.frozen.requires_grad
    assert "Parameter containing" in repr(m.w)
    assert type(m.w * 2.0) is Tensor


@pytest.mark.parametrize(
    "fn, shape, bound",
    [
        (lambda t: nn.init.xavier_uniform_(t, seed=0), (300, 200), math.sqrt(6 / 500)),
        (lambda t: nn.init.xavier_uniform_(t, gain=2.0, seed=0), (30, 20, 3, 3), 2 * math.sqrt(6 / (180 + 270))),
        (lambda t: nn.init.kaiming_uniform_(t, seed=0), (300, 200), math.sqrt(2) * math.sqrt(3 / 200)),
        (lambda t: nn.init.kaiming_uniform_(t, a=math.sqrt(5), seed=0), (300, 200), 1 / math.sqrt(200)),
        (
            lambda t: nn.init.kaiming_uniform_(t, mode="fan_out", nonlinearity="relu", seed=0),
            (300, 200),
            math.sqrt(2) * math.sqrt(3 / 300),
        ),  # fmt: skip
        (lambda t: nn.init.uniform_(t, -0.5, 2.0, seed=0), (300, 200), None),
    ],
)
def test_uniform_inits_fill_their_interval(fn: Any, shape: tuple[int, ...], bound: float | None) -> None:
    t = Tensor(np.zeros(shape, dtype=np.float32), requires_grad=True)
    assert fn(t) is t and t.dtype == np.float32 and t.requires_grad
    lo, hi = (-bound, bound) if bound is not None else (-0.5, 2.0)
    assert t.data.min() >= lo and t.data.max() <= hi
    assert t.data.min() < lo + 0.01 * (hi - lo) and t.data.max() > hi - 0.01 * (hi - lo)
    assert t.data.std() == pytest.approx((hi - lo) / math.sqrt(12), rel=0.02)


@pytest.mark.parametrize(
    "fn, std",
    [
        (lambda t: nn.init.xavier_normal_(t, seed=1), math.sqrt(2 / 500)),
        (lambda t: nn.init.kaiming_normal_(t, seed=1), math.sqrt(2 / 200)),
        (lambda t: nn.init.kaiming_normal_(t, nonlinearity="tanh", seed=1), 5 / 3 / math.sqrt(200)),
        (lambda t: nn.init.normal_(t, 0.0, 0.3, seed=1), 0.3),
    ],
)
def test_normal_inits_have_torchs_standard_deviation(fn: Any, std: float) -> None:
    t = fn(Tensor(np.zeros((300, 200))))
    assert t.data.std() == pytest.approx(std, rel=0.02) and abs(t.data.mean()) < 3 * std / math.sqrt(t.size) * 3


def test_constant_inits_and_gain_match_torch() -> None:
    t = Tensor(np.full((2, 3), 7.0))
    assert np.all(nn.init.zeros_(t).data == 0) and np.all(nn.init.ones_(t).data == 1)
    assert np.all(nn.init.constant_(t, 0.5).data == 0.5)
    for name, param in [("relu", None), ("tanh", None), ("leaky_relu", 0.2), ("sigmoid", None), ("linear", None)]:
        assert nn.init.calculate_gain(name, param) == pytest.approx(torch.nn.init.calculate_gain(name, param))
    with pytest.raises(ValueError, match="at least 2 axes"):
        nn.init.xavier_uniform_(Tensor(np.zeros(3)))


def test_dropout_scales_in_training_and_is_identity_in_eval() -> None:
    drop = nn.Dropout(0.25, seed=0)
    x = Tensor(np.ones((200, 100)), requires_grad=True)
    out = drop(x)
    kept = out.data != 0
    assert abs(kept.mean() - 0.75) < 0.01 and np.allclose(out.data[kept], 1 / 0.75)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.data, out.data)  # type: ignore[union-attr]
    assert not np.array_equal(drop(x).data, out.data)  # a fresh mask at every call
    model = nn.Sequential(nn.Linear(3, 3, seed=0), nn.Dropout(0.5))
    model.eval()
    assert drop.training and not model[1].training
    y = Tensor(np.ones((4, 3)))
    np.testing.assert_array_equal(model(y).data, model[0](y).data)
    with pytest.raises(ValueError, match="probability"):
        nn.Dropout(1.5)


@pytest.mark.parametrize("shape, normalized", [((4, 5), 5), ((2, 3, 4), (3, 4))])
def test_layernorm_matches_torch(shape: tuple[int, ...], normalized: Any) -> None:
    rng = np.random.default_rng(0)
    ln = nn.LayerNorm(normalized)
    ln.weight.data = rng.standard_normal(ln.weight.shape)  # type: ignore[union-attr]
    ln.bias.data = rng.standard_normal(ln.bias.shape)  # type: ignore[union-attr]
    tln = torch.nn.LayerNorm(normalized, dtype=torch.float64)
    _to_torch(ln, tln)
    _compare(ln, tln, rng.standard_normal(shape) * 3 + 1)


@pytest.mark.parametrize("shape", [(8, 3), (6, 3, 5)])
def test_batchnorm1d_matches_torch_in_training_and_eval(shape: tuple[int, ...]) -> None:
    rng = np.random.default_rng(1)
    bn, tbn = nn.BatchNorm1d(3, momentum=0.2), torch.nn.BatchNorm1d(3, momentum=0.2, dtype=torch.float64)
    bn.weight.data = rng.standard_normal(3)  # type: ignore[union-attr]
    _to_torch(bn, tbn)
    for step in range(3):
        bn.zero_grad()
        tbn.zero_grad()
        _compare(bn, tbn, rng.standard_normal(shape) * (step + 1) + step)
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        np.testing.assert_allclose(bn.state_dict()[name], getattr(tbn, name).numpy(), rtol=1e-12)
    bn.eval()
    tbn.eval()
    bn.zero_grad()
    tbn.zero_grad()
    _compare(bn, tbn, rng.standard_normal(shape))
    assert [n for n, _ in bn.named_parameters()] == ["weight", "bias"]


def test_batchnorm_state_dict_round_trips_through_torch() -> None:
    tbn = torch.nn.BatchNorm1d(4, dtype=torch.float64)
    tbn.train()
    tbn(torch.randn(10, 4, dtype=torch.float64) * 2 + 1)
    bn = nn.BatchNorm1d(4)
    bn.load_state_dict({k: v.numpy() for k, v in tbn.state_dict().items()})
    np.testing.assert_allclose(bn.running_var.data, tbn.running_var.numpy())
    assert set(bn.state_dict()) == set(tbn.state_dict())


def test_embedding_matches_torch_with_padding_and_repeats() -> None:
    emb = nn.Embedding(6, 3, padding_idx=1, seed=0)
    temb = torch.nn.Embedding(6, 3, padding_idx=1, dtype=torch.float64)
    _to_torch(emb, temb)
    idx = np.array([[0, 1, 2], [2, 2, 5]])
    out, tout = emb(idx), temb(torch.as_tensor(idx))
    np.testing.assert_allclose(out.data, tout.detach().numpy())
    v = np.random.default_rng(0).standard_normal(out.shape)
    out.backward(Tensor(v))
    tout.backward(torch.tensor(v))
    np.testing.assert_allclose(emb.weight.grad.data, temb.weight.grad.numpy())  # type: ignore[union-attr]
    assert np.all(emb.weight.data[1] == 0)
    with pytest.raises(IndexError, match="0, 5"):
        emb(np.array([6]))


def test_flatten_and_activation_modules_match_torch() -> None:
    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    pairs = [
        (nn.Flatten(), torch.nn.Flatten()), (nn.Flatten(0, 1), torch.nn.Flatten(0, 1)),
        (nn.LeakyReLU(0.2), torch.nn.LeakyReLU(0.2)), (nn.ELU(0.5), torch.nn.ELU(0.5)), (nn.GELU(), torch.nn.GELU()),
        (nn.GELU("tanh"), torch.nn.GELU("tanh")), (nn.SiLU(), torch.nn.SiLU()),
        (nn.Softplus(2.0, 1.0), torch.nn.Softplus(2.0, 1.0)), (nn.ReLU6(), torch.nn.ReLU6()),
        (nn.Hardtanh(-0.5, 0.5), torch.nn.Hardtanh(-0.5, 0.5)),
        (nn.Softsign(), torch.nn.Softsign()), (nn.Mish(), torch.nn.Mish()), (nn.LogSigmoid(), torch.nn.LogSigmoid()),
        (nn.Softmax(1), torch.nn.Softmax(1)), (nn.LogSoftmax(-1), torch.nn.LogSoftmax(-1)),
        (nn.Identity(), torch.nn.Identity()),
    ]  # fmt: skip
    for ours, theirs in pairs:
        _compare(ours, theirs, x)


@pytest.mark.parametrize(
    "ours, theirs, target",
    [
        (nn.MSELoss(), torch.nn.MSELoss(), "float"),
        (nn.L1Loss(reduction="sum"), torch.nn.L1Loss(reduction="sum"), "float"),
        (nn.HuberLoss(delta=0.7), torch.nn.HuberLoss(delta=0.7), "float"),
        (nn.HuberLoss(reduction="none"), torch.nn.HuberLoss(reduction="none"), "float"),
        (nn.BCEWithLogitsLoss(), torch.nn.BCEWithLogitsLoss(), "prob"),
        (nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss(), "class"),
        (nn.CrossEntropyLoss(label_smoothing=0.1), torch.nn.CrossEntropyLoss(label_smoothing=0.1), "class"),
        (
            nn.CrossEntropyLoss(reduction="sum", label_smoothing=0.3),
            torch.nn.CrossEntropyLoss(reduction="sum", label_smoothing=0.3),
            "class",
        ),  # fmt: skip
    ],
)
def test_loss_modules_match_torch(ours: nn.Module, theirs: Any, target: str) -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 4)) * 2
    y = {"float": rng.standard_normal((5, 4)), "prob": rng.uniform(0, 1, (5, 4)), "class": rng.integers(0, 4, 5)}[
        target
    ]
    xt, xx = Tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, tout = ours(xt, y), theirs(xx, torch.as_tensor(y))
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-12)
    v = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(Tensor(v))
    tout.backward(torch.tensor(v))
    np.testing.assert_allclose(xt.grad.data, xx.grad.numpy(), rtol=1e-10, atol=1e-14)  # type: ignore[union-attr]


def test_loss_options_are_checked() -> None:
    with pytest.raises(ValueError, match="reduction"):
        nn.MSELoss(reduction="avg")
    with pytest.raises(ValueError, match="label_smoothing"):
        F.cross_entropy(Tensor(np.zeros((2, 3))), [0, 1], label_smoothing=1.5)


def test_a_cnn_state_dict_loads_into_the_same_torch_model() -> None:
    model = nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1, seed=0), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(4 * 4 * 4, 8, seed=1), nn.BatchNorm1d(8), nn.GELU(), nn.Dropout(0.1), nn.LayerNorm(8),
        nn.Linear(8, 3, seed=2),
    )  # fmt: skip
    tmodel = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(),
        torch.nn.Linear(4 * 4 * 4, 8), torch.nn.BatchNorm1d(8), torch.nn.GELU(), torch.nn.Dropout(0.1),
        torch.nn.LayerNorm(8), torch.nn.Linear(8, 3),
    ).double()  # fmt: skip
    assert list(model.state_dict()) == list(tmodel.state_dict())
    x = np.random.default_rng(0).standard_normal((5, 1, 8, 8))
    model(Tensor(x))  # one training step moves the running statistics
    _to_torch(model, tmodel)
    model.eval()
    tmodel.eval()
    _compare(model, tmodel, x)
    # and back: a torch state_dict loads here
    model2 = nn.Sequential(*[m for m in model])
    model2.load_state_dict({k: v.numpy() for k, v in tmodel.state_dict().items()})
    out = tge.no_grad()(lambda: model2(Tensor(x)))()
    np.testing.assert_allclose(out.data, tmodel(torch.as_tensor(x)).detach().numpy(), rtol=1e-10)
