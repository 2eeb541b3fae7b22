"""Optimizer bookkeeping: state dicts that round-trip, constructor validation, bad input,
and steps that fail without changing anything."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_edu import Tensor, optim

# optimizer and options that create every kind of state entry
FULL_STATE = [
    ("SGD", dict(lr=0.01, momentum=0.9)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("AdamW", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01)),
]
STATE_KEYS = {
    "SGD": {"momentum_buffer"},
    "Adam": {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"},
    "AdamW": {"step", "exp_avg", "exp_avg_sq"},
    "RMSprop": {"step", "square_avg", "momentum_buffer", "grad_avg"},
    "Adagrad": {"step", "sum"},
}
TARGET = np.array([1.0, -2.0, 0.5])


def make(name, options, seed=0):
    rng = np.random.default_rng(seed)
    params = [Tensor(rng.normal(size=3), requires_grad=True), Tensor(rng.normal(size=(2, 2)), requires_grad=True)]
    opt = getattr(optim, name)([{"params": [params[0]]}, {"params": [params[1]], "lr": 0.02}], **options)
    return params, opt


def train(params, opt, steps):
    for _ in range(steps):
        opt.zero_grad()
        loss = ((params[0] - Tensor(TARGET)) ** 2).sum() + (params[1] ** 4).sum()
        loss.backward()
        opt.step()


def assert_tree_equal(a, b):
    assert type(a) is type(b) or (isinstance(a, (int, float)) and isinstance(b, (int, float)))
    if isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            assert_tree_equal(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            assert_tree_equal(x, y)
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    else:
        assert a == b


@pytest.mark.parametrize(("name", "options"), FULL_STATE)
def test_state_dict_layout_and_exact_round_trip(name, options):
    params, opt = make(name, options)
    train(params, opt, 5)
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert sorted(sd["state"]) == [0, 1]
    assert set(sd["state"][0]) == STATE_KEYS[name]
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]
    assert sd["param_groups"][1]["lr"] == 0.02

    clones, opt2 = make(name, options)
    for c, p in zip(clones, params, strict=True):
        c.data = p.data.copy()
    opt2.load_state_dict(sd)
    assert_tree_equal(opt2.state_dict(), sd)
    train(params, opt, 5)
    train(clones, opt2, 5)
    for c, p in zip(clones, params, strict=True):
        np.testing.assert_array_equal(c.data, p.data)


@pytest.mark.parametrize(("name", "options"), FULL_STATE)
def test_state_dict_is_a_copy(name, options):
    params, opt = make(name, options)
    train(params, opt, 2)
    sd = opt.state_dict()
    snapshot = {i: {k: np.array(v) for k, v in s.items()} for i, s in sd["state"].items()}
    train(params, opt, 2)
    for i, s in snapshot.items():
        for k, v in s.items():
            np.testing.assert_array_equal(sd["state"][i][k], v)


def test_state_dict_survives_save_and_load(tmp_path):
    serialization = pytest.importorskip("tinygrad_edu.serialization")
    params, opt = make("Adam", dict(lr=0.01, amsgrad=True))
    train(params, opt, 3)
    sd = opt.state_dict()
    serialization.save(sd, tmp_path / "opt.npz")
    clones, opt2 = make("Adam", dict(lr=0.01, amsgrad=True))
    opt2.load_state_dict(serialization.load(tmp_path / "opt.npz"))
    assert_tree_equal(opt2.state_dict(), sd)


def test_load_state_dict_rejects_mismatched_groups_and_keeps_state():
    params, opt = make("Adam", {})
    train(params, opt, 2)
    before = opt.state_dict()
    other = optim.Adam([Tensor([1.0], requires_grad=True)]).state_dict()
    with pytest.raises(ValueError, match="parameter groups"):
        opt.load_state_dict(other)
    bad = opt.state_dict()
    bad["param_groups"][1]["params"] = [1, 2]
    with pytest.raises(ValueError, match="group 1 has 2 parameters"):
        opt.load_state_dict(bad)
    assert_tree_equal(opt.state_dict(), before)


# ---------------------------------------------------------------- constructor validation
def p():
    return [Tensor([1.0, 2.0], requires_grad=True)]


BAD_OPTIONS = [
    (optim.SGD, dict(lr=-0.1), "Invalid learning rate: -0.1"),
    (optim.SGD, dict(momentum=-0.5), "Invalid momentum value: -0.5"),
    (optim.SGD, dict(weight_decay=-1.0), "Invalid weight_decay value: -1.0"),
    (optim.SGD, dict(nesterov=True), "Nesterov momentum requires a momentum"),
    (optim.SGD, dict(nesterov=True, momentum=0.9, dampening=0.1), "zero dampening"),
    (optim.Adam, dict(lr=-1e-3), "Invalid learning rate: -0.001"),
    (optim.Adam, dict(eps=-1e-8), "Invalid epsilon value: -1e-08"),
    (optim.Adam, dict(betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
    (optim.Adam, dict(betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
    (optim.AdamW, dict(betas=(0.9, 1.5)), "Invalid beta parameter at index 1: 1.5"),
    (optim.AdamW, dict(weight_decay=-0.01), "Invalid weight_decay value: -0.01"),
    (optim.RMSprop, dict(lr=-0.01), "Invalid learning rate: -0.01"),
    (optim.RMSprop, dict(eps=-1.0), "Invalid epsilon value: -1.0"),
    (optim.RMSprop, dict(alpha=-0.9), "Invalid alpha value: -0.9"),
    (optim.RMSprop, dict(momentum=-0.9), "Invalid momentum value: -0.9"),
    (optim.Adagrad, dict(lr=-0.01), "Invalid learning rate: -0.01"),
    (optim.Adagrad, dict(lr_decay=-0.1), "Invalid lr_decay value: -0.1"),
    (optim.Adagrad, dict(eps=-1e-10), "Invalid epsilon value: -1e-10"),
    (optim.Adagrad, dict(initial_accumulator_value=-1.0), "initial_accumulator_value value: -1.0"),
    (optim.SGD, dict(lr=float("nan")), "Invalid learning rate: nan"),
    (optim.BacktrackingLineSearch, dict(lr=0.0), "Invalid learning rate: 0.0"),
    (optim.BacktrackingLineSearch, dict(shrink=1.0), "Invalid shrink value: 1.0"),
    (optim.BacktrackingLineSearch, dict(c=0.0), "Invalid Armijo constant c: 0.0"),
    (optim.BacktrackingLineSearch, dict(max_trials=0), "Invalid max_trials value: 0"),
    (optim.ExactLineSearch, dict(max_iter=0), "Invalid max_iter value: 0"),
    (optim.ExactLineSearch, dict(tol=-1.0), "Invalid tol value: -1.0"),
]


@pytest.mark.parametrize(("opt_class", "options", "message"), BAD_OPTIONS)
def test_bad_hyperparameters_raise_value_error_naming_the_value(opt_class, options, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(".", r"\.")):
        opt_class(p(), **options)


def test_bad_hyperparameter_in_a_param_group_raises():
    with pytest.raises(ValueError, match="Invalid learning rate: -1"):
        optim.SGD([{"params": p(), "lr": -1}], lr=0.1)


def test_non_number_hyperparameter_raises_type_error():
    with pytest.raises(TypeError, match="lr must be a real number"):
        optim.Adam(p(), lr="0.1")


BAD_PARAMS = [
    ([], ValueError, "empty parameter list"),
    (Tensor([1.0], requires_grad=True), TypeError, "single Tensor"),
    ([np.array([1.0])], TypeError, "can only optimize Tensors.*ndarray"),
    ([Tensor([1.0], requires_grad=True), 3.0], TypeError, "parameter 1 of the group is a float"),
    ({Tensor([1.0], requires_grad=True)}, TypeError, "use a list"),
]


@pytest.mark.parametrize(("params", "exc", "message"), BAD_PARAMS)
@pytest.mark.parametrize("opt_class", [optim.SGD, optim.Adam, optim.Adagrad])
def test_bad_parameter_lists_raise(opt_class, params, exc, message):
    if isinstance(params, set):
        params = {Tensor([1.0], requires_grad=True)}
    with pytest.raises(exc, match=message):
        opt_class(params, lr=0.1)


def test_non_leaf_and_duplicate_parameters_raise():
    a = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match="non-leaf"):
        optim.SGD([a * 2], lr=0.1)
    with pytest.raises(ValueError, match="duplicate"):
        optim.SGD([a, a], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        optim.SGD([{"params": [a]}, {"params": [a]}], lr=0.1)


@pytest.mark.parametrize("opt_class", [optim.BacktrackingLineSearch, optim.ExactLineSearch])
def test_line_search_needs_a_closure(opt_class):
    x = Tensor([1.0, 2.0], requires_grad=True)
    opt = opt_class([x])
    with pytest.raises(TypeError, match="needs a closure"):
        opt.step()
    np.testing.assert_array_equal(x.data, [1.0, 2.0])


# ---------------------------------------------------------------- failing steps change nothing
@pytest.mark.parametrize(("name", "options"), FULL_STATE)
def test_failing_step_leaves_parameters_and_state_unchanged(name, options):
    params, opt = make(name, options)
    train(params, opt, 3)
    before_state = opt.state_dict()
    before = [x.data.copy() for x in params]
    params[0].grad = Tensor([1.0, 2.0, 3.0])
    params[1].grad = Tensor([1.0, 2.0])  # wrong shape: found only after param 0 is done
    with pytest.raises(ValueError, match=r"gradient of shape \(2,\) does not match"):
        opt.step()

    def broken_closure():
        raise RuntimeError("closure failed")

    with pytest.raises(RuntimeError, match="closure failed"):
        opt.step(broken_closure)
    for x, b in zip(params, before, strict=True):
        np.testing.assert_array_equal(x.data, b)
    assert_tree_equal(opt.state_dict(), before_state)


@pytest.mark.parametrize("opt_class", [optim.BacktrackingLineSearch, optim.ExactLineSearch])
def test_line_search_failing_mid_search_restores_the_parameters(opt_class):
    x = Tensor([1.0, 2.0], requires_grad=True)
    opt = opt_class([x])
    calls = []

    def closure():
        calls.append(1)
        if len(calls) > 1:
            raise RuntimeError("evaluation failed")
        opt.zero_grad()
        loss = (x * x).sum()
        loss.backward()
        return loss

    with pytest.raises(RuntimeError, match="evaluation failed"):
        opt.step(closure)
    np.testing.assert_array_equal(x.data, [1.0, 2.0])
    np.testing.assert_array_equal(x.grad.data, [2.0, 4.0])
