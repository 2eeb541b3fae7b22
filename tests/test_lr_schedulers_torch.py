"""LambdaLR, MultiStepLR, LinearLR, OneCycleLR, ReduceLROnPlateau and SequentialLR against
torch.optim.lr_scheduler, epoch by epoch; state dicts (through tge.save too) and validation."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import Tensor, optim
from tinygrad_edu.optim import lr_scheduler

torch = pytest.importorskip("torch")

BASE_LRS = [0.1, 0.05]


class Warmup:
    """A callable object: LambdaLR saves its attributes in the state dict."""

    def __init__(self, epochs: int) -> None:
        self.epochs = epochs

    def __call__(self, epoch: int) -> float:
        return min(1.0, (epoch + 1) / self.epochs)


def optimizers(name="SGD", **options):
    a, b = Tensor([1.0], requires_grad=True), Tensor([2.0], requires_grad=True)
    ta, tb = torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)
    groups = [{"params": [a], "lr": BASE_LRS[0]}, {"params": [b], "lr": BASE_LRS[1]}]
    tgroups = [{"params": [ta], "lr": BASE_LRS[0]}, {"params": [tb], "lr": BASE_LRS[1]}]
    return getattr(optim, name)(groups, **options), getattr(torch.optim, name)(tgroups, **options)


def build(module, opt, spec):
    """spec: (class name, options), or ("SequentialLR", [specs], milestones)."""
    if spec[0] == "SequentialLR":
        inner = [build(module, opt, s) for s in spec[1]]
        return module.SequentialLR(opt, inner, milestones=spec[2])
    return getattr(module, spec[0])(opt, **spec[1])


SPECS = [
    ("LambdaLR", dict(lr_lambda=lambda epoch: 0.9**epoch + 0.01 * (epoch % 3))),
    ("LambdaLR", dict(lr_lambda=[lambda e: 1 / (1 + e), Warmup(4)])),
    ("MultiStepLR", dict(milestones=[3, 7, 7, 20], gamma=0.5)),
    ("MultiStepLR", dict(milestones=[2, 5])),
    ("LinearLR", dict()),
    ("LinearLR", dict(start_factor=1.0, end_factor=0.1, total_iters=12)),
    ("OneCycleLR", dict(max_lr=1.0, total_steps=40)),
    (
        "OneCycleLR",
        dict(
            max_lr=[0.5, 0.2], epochs=4, steps_per_epoch=10, pct_start=0.25, anneal_strategy="linear", three_phase=True
        ),
    ),
    ("SequentialLR", [("LinearLR", dict(start_factor=0.1, total_iters=5)), ("CosineAnnealingLR", dict(T_max=10))], [5]),
    (
        "SequentialLR",
        [
            ("ExponentialLR", dict(gamma=0.9)),
            ("StepLR", dict(step_size=3, gamma=0.5)),
            ("MultiStepLR", dict(milestones=[2, 4])),
        ],
        [6, 15],
    ),
    (
        "SequentialLR",
        [("LambdaLR", dict(lr_lambda=lambda e: 0.5**e)), ("LinearLR", dict(start_factor=0.5, total_iters=4))],
        [3],
    ),
]
IDS = [f"{s[0]}{i}" for i, s in enumerate(SPECS)]
EPOCHS = 40


def momenta(opt):
    return [g.get("momentum", g.get("betas", (None,))[0]) for g in opt.param_groups]


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
@pytest.mark.parametrize("opt_name", ["SGD", "Adam"])
def test_lrs_and_momenta_match_torch_epoch_by_epoch(spec, opt_name):
    opt, topt = optimizers(opt_name, **({"momentum": 0.9} if opt_name == "SGD" else {}))
    sched, tsched = build(lr_scheduler, opt, spec), build(torch.optim.lr_scheduler, topt, spec)
    assert sched.get_last_lr() == pytest.approx(tsched.get_last_lr(), rel=1e-13, abs=0)
    for _ in range(EPOCHS):
        opt.step()
        topt.step()
        sched.step()
        tsched.step()
        np.testing.assert_allclose(sched.get_last_lr(), tsched.get_last_lr(), rtol=1e-13, atol=0)
        np.testing.assert_allclose(
            [g["lr"] for g in opt.param_groups], [g["lr"] for g in topt.param_groups], rtol=1e-13, atol=0
        )
        assert momenta(opt) == pytest.approx(momenta(topt), rel=1e-13)
    assert sched.last_epoch == tsched.last_epoch == EPOCHS


METRICS = [5.0, 4.0, 4.0, 4.2, 3.9999, 4.1, 4.0, 3.0, 3.0, 3.1, 3.2, 3.3, 2.0, 2.5, 2.6, 2.7, 2.8, 2.9, 3.0, 1.0] * 2
PLATEAU = [
    dict(),
    dict(patience=1),
    dict(patience=0, factor=0.5, cooldown=2),
    dict(mode="max", patience=2, factor=0.3, threshold=0.01, threshold_mode="abs"),
    dict(patience=1, factor=0.2, min_lr=[0.01, 0.004], threshold_mode="abs", threshold=0.05),
    dict(patience=0, factor=0.5, min_lr=0.02, eps=1e-3),
]


@pytest.mark.parametrize("options", PLATEAU, ids=[str(i) for i in range(len(PLATEAU))])
def test_reduce_lr_on_plateau_matches_torch(options):
    opt, topt = optimizers()
    sched = lr_scheduler.ReduceLROnPlateau(opt, **options)
    tsched = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **options)
    for k, metric in enumerate(METRICS):
        sched.step(Tensor(metric) if k % 2 else metric)
        tsched.step(metric)
        assert sched.get_last_lr() == tsched.get_last_lr()
        assert (sched.best, sched.num_bad_epochs, sched.cooldown_counter) == (
            tsched.best,
            tsched.num_bad_epochs,
            tsched.cooldown_counter,
        )
    assert sched.get_last_lr() != BASE_LRS


@pytest.mark.parametrize("spec", SPECS + [("ReduceLROnPlateau", dict(patience=1))], ids=IDS + ["ReduceLROnPlateau"])
def test_state_dict_through_save_and_load_resumes(spec, tmp_path):
    def start():
        opt = optimizers()[0]
        return opt, build(lr_scheduler, opt, spec)

    def advance(opt, sched, k):
        opt.step()
        if spec[0] == "ReduceLROnPlateau":
            sched.step(METRICS[k])
        else:
            sched.step()

    opt, sched = start()
    for k in range(7):
        advance(opt, sched, k)
    tge.save({"opt": opt.state_dict(), "sched": sched.state_dict()}, tmp_path / "s.npz")
    saved = tge.load(tmp_path / "s.npz")
    opt2, sched2 = start()  # PyTorch's order: build, then load both
    opt2.load_state_dict(saved["opt"])
    sched2.load_state_dict(saved["sched"])
    for k in range(7, 30):
        advance(opt, sched, k)
        advance(opt2, sched2, k)
        assert sched2.get_last_lr() == sched.get_last_lr()
        assert [g["lr"] for g in opt2.param_groups] == [g["lr"] for g in opt.param_groups]


def test_lambda_lr_saves_callable_objects_not_functions():
    opt = optimizers()[0]
    warmup = Warmup(4)
    sched = lr_scheduler.LambdaLR(opt, [lambda e: 1.0, warmup])
    saved = sched.state_dict()
    assert saved["lr_lambdas"] == [None, {"epochs": 4}] and "optimizer" not in saved
    warmup.epochs = 10
    sched.load_state_dict(saved)
    assert warmup.epochs == 4


@pytest.mark.parametrize(
    ("make", "exc", "message"),
    [
        (lambda o: lr_scheduler.LambdaLR(o, [lambda e: 1.0]), ValueError, "Expected 2 lr_lambdas, but got 1"),
        (lambda o: lr_scheduler.LambdaLR(o, 0.5), TypeError, "lr_lambda 0 must be a function"),
        (lambda o: lr_scheduler.LinearLR(o, start_factor=0.0), ValueError, "Starting multiplicative factor"),
        (lambda o: lr_scheduler.LinearLR(o, end_factor=1.5), ValueError, "Ending multiplicative factor"),
        (lambda o: lr_scheduler.OneCycleLR(o, max_lr=1.0), ValueError, "either total_steps OR"),
        (lambda o: lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=0), ValueError, "positive integer total_steps"),
        (lambda o: lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=10, pct_start=1.5), ValueError, "pct_start"),
        (
            lambda o: lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=10, anneal_strategy="exp"),
            ValueError,
            "anneal_strategy must be one of",
        ),
        (
            lambda o: lr_scheduler.OneCycleLR(o, max_lr=[1.0], total_steps=10),
            ValueError,
            "max_lr must have the same length",
        ),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o, factor=1.0), ValueError, "Factor should be < 1.0"),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o, mode="low"), ValueError, "mode 'low' is unknown"),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o, threshold_mode="x"), ValueError, "threshold mode 'x' is unknown"),
        (lambda o: lr_scheduler.ReduceLROnPlateau(o, min_lr=[0.1]), ValueError, "expected 2 min_lrs, got 1"),
        (lambda o: lr_scheduler.SequentialLR(o, [], milestones=[]), ValueError, "at least one scheduler"),
        (
            lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.ExponentialLR(o, 0.9)], milestones=[3]),
            ValueError,
            "one more than the number of milestone points",
        ),
        (
            lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.ReduceLROnPlateau(o)], milestones=[]),
            ValueError,
            "does not support `ReduceLROnPlateau`",
        ),
        (
            lambda o: lr_scheduler.SequentialLR(o, [lr_scheduler.ExponentialLR(optimizers()[0], 0.9)], milestones=[]),
            ValueError,
            "belong to the same optimizer",
        ),
    ],
)
def test_bad_settings_raise(make, exc, message):
    with pytest.raises(exc, match=message.replace("(", r"\(").replace("`", ".")):
        make(optimizers()[0])


def test_one_cycle_needs_momentum_and_stops_at_total_steps():
    a = Tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="support momentum or beta1"):
        lr_scheduler.OneCycleLR(optim.Adagrad([a]), max_lr=0.1, total_steps=5)
    sched = lr_scheduler.OneCycleLR(optim.Adagrad([a]), max_lr=0.1, total_steps=5, cycle_momentum=False)
    for _ in range(5):
        sched.step()
    with pytest.raises(ValueError, match="Tried to step 6 times"):
        sched.step()


def test_plateau_step_needs_the_metric():
    sched = lr_scheduler.ReduceLROnPlateau(optimizers()[0])
    with pytest.raises(TypeError, match=r"scheduler.step\(validation_loss\)"):
        sched.step()
