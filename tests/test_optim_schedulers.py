"""Learning-rate schedulers: closed forms, PyTorch's semantics and state dicts."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tinygrad_edu import Tensor, optim
from tinygrad_edu.optim import lr_scheduler

BASE_LRS = [0.1, 0.05]
EPOCHS = 45

SCHEDULERS = [
    ("StepLR", dict(step_size=7, gamma=0.5)),
    ("StepLR", dict(step_size=1)),
    ("ExponentialLR", dict(gamma=0.9)),
    ("CosineAnnealingLR", dict(T_max=10)),
    ("CosineAnnealingLR", dict(T_max=13, eta_min=0.001)),
]
IDS = [f"{n}-" + "-".join(f"{k}={v}" for k, v in o.items()) for n, o in SCHEDULERS]


def closed_form(name: str, o: dict, base: float, epoch: int) -> float:
    if name == "StepLR":
        return base * o.get("gamma", 0.1) ** (epoch // o["step_size"])
    if name == "ExponentialLR":
        return base * o["gamma"] ** epoch
    low = o.get("eta_min", 0.0)
    return low + (base - low) * (1 + math.cos(math.pi * epoch / o["T_max"])) / 2


def make_optimizer():
    a, b = Tensor([1.0], requires_grad=True), Tensor([2.0], requires_grad=True)
    return optim.SGD([{"params": [a], "lr": BASE_LRS[0]}, {"params": [b], "lr": BASE_LRS[1]}])


def our_lrs(name: str, o: dict, epochs: int = EPOCHS) -> list[list[float]]:
    opt = make_optimizer()
    sched = getattr(lr_scheduler, name)(opt, **o)
    lrs = [sched.get_last_lr()]
    for _ in range(epochs):
        opt.step()
        sched.step()
        assert sched.get_last_lr() == [g["lr"] for g in opt.param_groups]
        lrs.append(sched.get_last_lr())
    assert sched.last_epoch == epochs
    return lrs


@pytest.mark.parametrize(("name", "options"), SCHEDULERS, ids=IDS)
def test_schedule_follows_the_closed_form(name, options):
    for epoch, lrs in enumerate(our_lrs(name, options)):
        expected = [closed_form(name, options, base, epoch) for base in BASE_LRS]
        np.testing.assert_allclose(lrs, expected, rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize(("name", "options"), SCHEDULERS, ids=IDS)
def test_schedule_matches_torch(name, options):
    torch = pytest.importorskip("torch")
    a, b = torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)
    topt = torch.optim.SGD([{"params": [a], "lr": BASE_LRS[0]}, {"params": [b], "lr": BASE_LRS[1]}])
    tsched = getattr(torch.optim.lr_scheduler, name)(topt, **options)
    expected = [tsched.get_last_lr()]
    for _ in range(EPOCHS):
        topt.step()
        tsched.step()
        expected.append(tsched.get_last_lr())
    np.testing.assert_allclose(our_lrs(name, options), expected, rtol=1e-12, atol=0)


def test_construction_records_initial_lr_and_starts_at_epoch_zero():
    opt = make_optimizer()
    sched = lr_scheduler.StepLR(opt, step_size=2)
    assert sched.last_epoch == 0 and sched.base_lrs == BASE_LRS
    assert [g["initial_lr"] for g in opt.param_groups] == BASE_LRS
    assert sched.get_last_lr() == BASE_LRS


@pytest.mark.parametrize(("name", "options"), SCHEDULERS, ids=IDS)
def test_scheduler_state_dict_resumes_exactly(name, options):
    opt = make_optimizer()
    sched = getattr(lr_scheduler, name)(opt, **options)
    for _ in range(5):
        sched.step()
    saved_opt, saved = opt.state_dict(), sched.state_dict()
    assert "optimizer" not in saved and saved["last_epoch"] == 5

    opt2 = make_optimizer()  # PyTorch's order: scheduler first, then both state dicts
    sched2 = getattr(lr_scheduler, name)(opt2, **options)
    opt2.load_state_dict(saved_opt)
    sched2.load_state_dict(saved)
    assert sched2.get_last_lr() == sched.get_last_lr()
    for _ in range(12):
        sched.step()
        sched2.step()
        assert sched2.get_last_lr() == sched.get_last_lr()


def test_scheduler_validation():
    with pytest.raises(TypeError, match="is not an Optimizer"):
        lr_scheduler.ExponentialLR(object(), gamma=0.9)
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.ExponentialLR(make_optimizer(), gamma=0.9, last_epoch=3)


def test_scheduler_changes_the_steps_the_optimizer_takes():
    x = Tensor([1.0], requires_grad=True)
    opt = optim.SGD([x], lr=0.1)
    sched = lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    for _ in range(3):
        x.grad = Tensor([1.0])
        opt.step()
        sched.step()
    np.testing.assert_allclose(x.data, [1.0 - 0.1 - 0.05 - 0.025])
