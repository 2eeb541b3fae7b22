"""Optimizer steps write into the parameters' own memory, as PyTorch's do: `p.data` keeps its
identity, its version goes up, the values are bit-identical to the out-of-place rules (kept
below as they were written before the change), a failed step changes nothing, and plain SGD
allocates nothing per step."""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import Tensor, optim


# ---------------------------------------------------------------- the out-of-place rules
def sgd_rule(x, g, s, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False, maximize=False):
    if maximize:
        g = -g
    if weight_decay != 0:
        g = g + weight_decay * x
    if momentum != 0:
        buf = np.array(g, copy=True) if "b" not in s else momentum * s["b"] + (1 - dampening) * g
        s["b"] = buf
        g = g + momentum * buf if nesterov else buf
    return x - lr * g


def adam_rule(x, g, s, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, amsgrad=False, maximize=False, w=False):
    beta1, beta2 = betas
    if maximize:
        g = -g
    step = s.get("step", 0) + 1
    if weight_decay != 0:
        if w:
            x = x * (1 - lr * weight_decay)
        else:
            g = g + weight_decay * x
    m = beta1 * s.get("m", np.zeros_like(x)) + (1 - beta1) * g
    v = beta2 * s.get("v", np.zeros_like(x)) + (1 - beta2) * g * g
    s.update(step=step, m=m, v=v)
    if amsgrad:
        v = s["vmax"] = np.maximum(s.get("vmax", np.zeros_like(x)), v)
    denom = np.sqrt(v) / math.sqrt(1 - beta2**step) + eps
    return x - (lr / (1 - beta1**step)) * (m / denom)


def rmsprop_rule(x, g, s, lr, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0, centered=False, maximize=False):
    if maximize:
        g = -g
    if weight_decay != 0:
        g = g + weight_decay * x
    sq = s["sq"] = alpha * s.get("sq", np.zeros_like(x)) + (1 - alpha) * g * g
    if centered:
        a = s["a"] = alpha * s.get("a", np.zeros_like(x)) + (1 - alpha) * g
        denom = np.sqrt(sq - a * a) + eps
    else:
        denom = np.sqrt(sq) + eps
    if momentum > 0:
        buf = s["b"] = momentum * s.get("b", np.zeros_like(x)) + g / denom
        return x - lr * buf
    return x - lr * (g / denom)


def adagrad_rule(x, g, s, lr, lr_decay=0, weight_decay=0, initial_accumulator_value=0, eps=1e-10, maximize=False):
    if maximize:
        g = -g
    if weight_decay != 0:
        g = g + weight_decay * x
    step = s["step"] = s.get("step", 0) + 1
    clr = lr / (1 + (step - 1) * lr_decay)
    total = s["sum"] = s.get("sum", np.full_like(x, initial_accumulator_value)) + g * g
    return x - clr * (g / (np.sqrt(total) + eps))


CASES = [
    (optim.SGD, sgd_rule, dict(lr=0.1)),
    (optim.SGD, sgd_rule, dict(lr=0.1, momentum=0.9)),
    (optim.SGD, sgd_rule, dict(lr=0.1, momentum=0.9, dampening=0.3)),
    (optim.SGD, sgd_rule, dict(lr=0.1, momentum=0.8, nesterov=True)),
    (optim.SGD, sgd_rule, dict(lr=0.1, weight_decay=0.01)),
    (optim.SGD, sgd_rule, dict(lr=0.1, momentum=0.9, weight_decay=0.01, maximize=True)),
    (optim.SGD, sgd_rule, dict(lr=np.float64(0.1), momentum=0.9)),  # widens float32: the plain rule
    (optim.Adam, adam_rule, dict(lr=0.01)),
    (optim.Adam, adam_rule, dict(lr=0.01, amsgrad=True, weight_decay=0.1, maximize=True)),
    (optim.AdamW, adam_rule, dict(lr=0.01, w=True, weight_decay=0.01)),
    (optim.AdamW, adam_rule, dict(lr=0.01, w=True, weight_decay=0.1, amsgrad=True)),
    (optim.RMSprop, rmsprop_rule, dict(lr=0.01)),
    (optim.RMSprop, rmsprop_rule, dict(lr=0.01, centered=True, momentum=0.9, weight_decay=0.1)),
    (optim.Adagrad, adagrad_rule, dict(lr=0.1)),
    (optim.Adagrad, adagrad_rule, dict(lr=0.1, lr_decay=0.01, weight_decay=0.1, initial_accumulator_value=0.2)),
]


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("held", [False, True], ids=["in_place", "held_by_a_graph"])
@pytest.mark.parametrize(("opt_class", "rule", "options"), CASES)
def test_steps_give_the_out_of_place_rules_bits(opt_class, rule, options, held, dtype):
    rng = np.random.default_rng(0)
    starts = [rng.normal(size=(5, 3)).astype(dtype), np.array(0.7, dtype=dtype)]
    params = [Tensor(x0.copy(), requires_grad=True) for x0 in starts]
    opt = opt_class(params, **{k: v for k, v in options.items() if k != "w"})
    expected, states = [x0.copy() for x0 in starts], [{}, {}]
    arrays = [p.data for p in params]
    for _ in range(4):
        grads = [rng.normal(size=x0.shape).astype(dtype) for x0 in starts]
        for p, g in zip(params, grads):
            p.grad = Tensor(g)
        keep = [p * 1.0 for p in params] if held else []  # a live graph: p.data gets a new array
        opt.step()
        del keep
        for i, g in enumerate(grads):
            expected[i] = np.asarray(rule(expected[i], g, states[i], **options), dtype=dtype)
            assert same_bits(params[i].data, expected[i])
    assert all(p.data is a for p, a in zip(params, arrays)) != held


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_a_reference_to_the_data_sees_the_step_as_in_pytorch(name):
    torch = pytest.importorskip("torch")
    ours = Tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True)
    theirs = torch.tensor(ours.numpy().copy(), requires_grad=True)
    opts = [getattr(optim, name)([ours], lr=0.1), getattr(torch.optim, name)([theirs], lr=0.1)]
    refs = [ours.data, ours.detach(), ours.numpy()[0]], [theirs.data, theirs.detach(), theirs.detach()[0]]
    for opt, t in zip(opts, (ours, theirs)):
        (t * t).sum().backward()
        opt.step()
    assert ours._version == 1 and theirs._version >= 1  # one per step (torch's AdamW counts two)
    for mine, yours in zip(*refs):
        np.testing.assert_allclose(np.asarray(mine), yours.numpy(), rtol=1e-6)
    np.testing.assert_array_equal(refs[0][0], ours.numpy())


def test_a_graph_built_before_the_step_raises_in_backward_as_in_pytorch():
    torch = pytest.importorskip("torch")
    for make, sgd in ((Tensor, optim.SGD), (torch.tensor, torch.optim.SGD)):
        W = make([1.0, 2.0], requires_grad=True)
        loss = (W * W).sum()
        loss.backward(retain_graph=True)
        sgd([W], lr=0.1).step()
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            loss.backward()
    W = Tensor([1.0, 2.0], requires_grad=True, name="W")
    loss = (W * W).sum()
    W.grad = Tensor([1.0, 1.0])
    before = W.data
    optim.SGD([W], lr=0.1).step()  # the live graph holds W's memory: W gets a new array
    assert W.data is not before and before.tolist() == [1.0, 2.0]
    with pytest.raises(RuntimeError, match=r"input 0 \('W', .* by SGD\.step"):
        loss.backward()


CLOSURE_OPTIMIZERS = {
    "LBFGS": lambda p: optim.LBFGS(p, lr=0.5, max_iter=5),
    "LBFGS_wolfe": lambda p: optim.LBFGS(p, line_search_fn="strong_wolfe", max_iter=5),
    "CG_exact": lambda p: optim.ConjugateGradient(p),
    "CG_backtracking": lambda p: optim.ConjugateGradient(p, line_search="backtracking"),
    "Newton": lambda p: optim.Newton(p, lr=0.5, damping=1.0),
    "Backtracking": lambda p: optim.BacktrackingLineSearch(p),
    "Exact": lambda p: optim.ExactLineSearch(p),
}


@pytest.mark.parametrize("name", CLOSURE_OPTIMIZERS)
def test_closure_optimizers_write_in_place_with_the_bits_of_new_arrays(name):
    rng = np.random.default_rng(0)
    X, y = Tensor(rng.normal(size=(8, 3))), Tensor(rng.normal(size=8))

    def run(held: bool) -> tuple[list[float], list[np.ndarray], bool]:
        w, b = Tensor([0.3, -0.2, 0.1], requires_grad=True), Tensor(0.05, requires_grad=True)
        opt, keep, arrays = CLOSURE_OPTIMIZERS[name]([w, b]), [], [w.data, b.data]

        def closure() -> Tensor:
            opt.zero_grad()
            loss = (((X @ w + b).tanh() - y) ** 2).sum() + (w * w).sum() * 0.1
            loss.backward()
            keep[:] = [w * 1.0, b * 1.0] if held else []  # a live graph: every move makes new arrays
            return loss

        losses = [float(opt.step(closure)) for _ in range(3)]
        return losses, [w.data.copy(), b.data.copy()], w.data is arrays[0] and b.data is arrays[1]

    in_place, rebound = run(held=False), run(held=True)
    assert in_place[0] == rebound[0] and all(same_bits(a, b) for a, b in zip(in_place[1], rebound[1]))
    assert in_place[2] and not rebound[2]


def test_early_stopping_restores_a_copy_of_the_best_weights():
    W = Tensor([4.0], requires_grad=True)
    val = [5.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    stop = optim.EarlyStopping(lambda: val.pop(0), patience=2, restore_best=True)
    hist = optim.minimize(lambda: (W * W).sum(), optim.SGD([W], lr=0.1), steps=10, callback=stop)
    assert hist.steps == 4 and stop.best_step == 1
    best, data = W.data.copy(), W.data
    optim.SGD([W], lr=0.1).step()  # training goes on from the restored weights
    assert W.data is data and W.data[0] != best[0]
    assert same_bits(stop._best_params[0], best)  # the saved best is not trained over


# ---------------------------------------------------------------- all or nothing
@pytest.mark.parametrize("options", [dict(), dict(momentum=0.9), dict(momentum=0.9, nesterov=True)])
def test_a_failed_sgd_step_changes_no_value_no_buffer_and_no_version(options):
    def run(fail: bool) -> tuple[Tensor, Tensor, optim.SGD]:
        a = Tensor(np.ones((3, 2), dtype=np.float32), requires_grad=True)
        b = Tensor(np.ones(4, dtype=np.float32), requires_grad=True)
        opt = optim.SGD([a, b], lr=0.1, **options)
        for k in range(3):
            a.grad = Tensor(np.full((3, 2), 0.5 + k, np.float32))
            b.grad = Tensor(np.full(4, 0.25 * k, np.float32))
            if fail and k == 2:
                data, values, versions = (
                    [a.data, b.data],
                    [a.numpy().copy(), b.numpy().copy()],
                    [a._version, b._version],
                )
                buffers = [np.array(s["momentum_buffer"]) for s in opt.state.values()]
                b.grad = Tensor(np.ones(5, dtype=np.float32))  # a's gradient is fine, b's is not
                with pytest.raises(ValueError, match="does not match"):
                    opt.step()
                assert all(x.data is d and same_bits(x.data, v) for x, d, v in zip((a, b), data, values))
                assert [a._version, b._version] == versions
                assert len(buffers) == len(opt.state)
                assert all(same_bits(s["momentum_buffer"], buf) for s, buf in zip(opt.state.values(), buffers))
                b.grad = Tensor(np.full(4, 0.25 * k, np.float32))
            opt.step()
        return a, b, opt

    a, b, opt = run(fail=True)
    a2, b2, opt2 = run(fail=False)  # the step after the failed one is as if it never happened
    assert same_bits(a.data, a2.data) and same_bits(b.data, b2.data)
    for s, s2 in zip(opt.state.values(), opt2.state.values()):
        assert same_bits(s["momentum_buffer"], s2["momentum_buffer"])


def test_a_closure_that_raises_leaves_everything_unchanged():
    W = Tensor([1.0, 2.0], requires_grad=True)
    opt = optim.Adam([W], lr=0.1)
    (W * W).sum().backward()
    opt.step()
    before, state, version = W.data.copy(), opt.state_dict(), W._version

    def closure():
        raise RuntimeError("evaluation failed")

    with pytest.raises(RuntimeError, match="evaluation failed"):
        opt.step(closure)
    assert same_bits(W.data, before) and W._version == version
    assert same_bits(opt.state[W]["exp_avg"], state["state"][0]["exp_avg"])


def test_a_step_inside_a_compiled_function_is_refused_before_any_write():
    W = Tensor([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([W], lr=0.1)

    def steps_inside() -> Tensor:
        loss = (W * W).sum()
        loss.backward()
        opt.step()
        return loss

    with pytest.raises(tge.CompileError, match="SGD.step changed a tensor"):
        tge.compile(steps_inside)()
    assert W.tolist() == [1.0, 2.0] and W._version == 0


# ---------------------------------------------------------------- speed
@pytest.mark.parametrize("options", [dict(), dict(momentum=0.9), dict(momentum=0.9, nesterov=True)])
def test_sgd_allocates_nothing_per_step_in_steady_state(options):
    W = Tensor(np.ones((256, 784), dtype=np.float32), requires_grad=True)
    W.grad = Tensor(np.full((256, 784), 0.5, dtype=np.float32))
    opt = optim.SGD([W], lr=0.1, **options)
    for _ in range(2):
        opt.step()
    tracemalloc.start()
    try:
        opt.step()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < W.data.nbytes // 10  # x - lr * g made two arrays of 800 KB
    assert set(opt.state_dict()["state"].get(0, {})) == ({"momentum_buffer"} if options else set())
