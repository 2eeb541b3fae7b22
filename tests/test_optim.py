"""Optimizer trajectories against the update equations written out in NumPy below and
against torch.optim (exact single-step values are in test_optim_steps.py).

Every trajectory test runs 30 steps from the same float64 starting point and compares all
parameters after every step to 1e-9 relative.
"""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_edu import Tensor, optim

STEPS = 30
RTOL = 1e-9


# ---------------------------------------------------------------- two problems
# Each problem: starting arrays, a tinygrad_edu loss, and the gradient written out in NumPy.
def least_squares_start() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    return [rng.normal(size=3), np.array(0.3)]  # W (3,), b ()


def least_squares_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    return rng.normal(size=(8, 3)), rng.normal(size=8)


def least_squares_loss(ps, lib=None):
    X, y = least_squares_data()
    W, b = ps
    if lib is not None:  # torch
        X, y = lib.tensor(X), lib.tensor(y)
    r = X @ W + b - y
    return (r * r).sum()


def least_squares_grad(xs: list[np.ndarray]) -> list[np.ndarray]:
    X, y = least_squares_data()
    r = X @ xs[0] + xs[1] - y
    return [2 * X.T @ r, np.array(2 * r.sum())]


def tanh_net_start() -> list[np.ndarray]:
    rng = np.random.default_rng(2)
    return [rng.normal(size=(2, 4)), rng.normal(size=4) * 0.1, rng.normal(size=4), np.array(0.0)]


def tanh_net_data() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(10, 2))
    return x, np.sin(x[:, 0]) * np.cos(x[:, 1])


def tanh_net_loss(ps, lib=None):
    x, y = tanh_net_data()
    W1, b1, W2, b2 = ps
    if lib is not None:
        x, y = lib.tensor(x), lib.tensor(y)
    r = (x @ W1 + b1).tanh() @ W2 + b2 - y
    return (r * r).sum()


def tanh_net_grad(xs: list[np.ndarray]) -> list[np.ndarray]:
    x, y = tanh_net_data()
    W1, b1, W2, b2 = xs
    h = np.tanh(x @ W1 + b1)
    g_out = 2 * (h @ W2 + b2 - y)
    g_z = np.outer(g_out, W2) * (1 - h * h)
    return [x.T @ g_z, g_z.sum(axis=0), h.T @ g_out, np.array(g_out.sum())]


PROBLEMS = {
    "least_squares": (least_squares_start, least_squares_loss, least_squares_grad),
    "tanh_net": (tanh_net_start, tanh_net_loss, tanh_net_grad),
}


# ---------------------------------------------------------------- the update equations
def reference_step(name: str, o: dict, x: np.ndarray, g: np.ndarray, s: dict, t: int):
    """One step of optimizer `name` with options `o`, written out from the equations.

    `s` is this parameter's state (a dict this function fills in), t = 1, 2, ... the step.
    Returns the new x.
    """
    lr, wd = o.get("lr"), o.get("weight_decay", 0.0)
    g = -g if o.get("maximize", False) else g
    if name == "SGD":
        mu, damp = o.get("momentum", 0.0), o.get("dampening", 0.0)
        g = g + wd * x
        if mu:
            s["b"] = g.copy() if t == 1 else mu * s["b"] + (1 - damp) * g
            g = g + mu * s["b"] if o.get("nesterov", False) else s["b"]
        return x - lr * g
    if name in ("Adam", "AdamW"):
        b1, b2 = o.get("betas", (0.9, 0.999))
        eps = o.get("eps", 1e-8)
        if name == "AdamW":
            x = x - lr * o.get("weight_decay", 1e-2) * x
        else:
            g = g + wd * x
        if t == 1:
            s["m"], s["v"], s["vmax"] = 0 * x, 0 * x, 0 * x
        s["m"] = b1 * s["m"] + (1 - b1) * g
        s["v"] = b2 * s["v"] + (1 - b2) * g**2
        s["vmax"] = np.maximum(s["vmax"], s["v"])
        v = s["vmax"] if o.get("amsgrad", False) else s["v"]
        m_hat = s["m"] / (1 - b1**t)
        v_hat = v / (1 - b2**t)
        return x - lr * m_hat / (np.sqrt(v_hat) + eps)
    if name == "RMSprop":
        alpha, eps, mu = o.get("alpha", 0.99), o.get("eps", 1e-8), o.get("momentum", 0.0)
        g = g + wd * x
        if t == 1:
            s["sq"], s["avg"], s["b"] = 0 * x, 0 * x, 0 * x
        s["sq"] = alpha * s["sq"] + (1 - alpha) * g**2
        s["avg"] = alpha * s["avg"] + (1 - alpha) * g
        var = s["sq"] - s["avg"] ** 2 if o.get("centered", False) else s["sq"]
        d = np.sqrt(var) + eps
        if mu > 0:
            s["b"] = mu * s["b"] + g / d
            return x - lr * s["b"]
        return x - lr * g / d
    if name == "Adagrad":
        eps = o.get("eps", 1e-10)
        g = g + wd * x
        if t == 1:
            s["sum"] = np.full_like(x, o.get("initial_accumulator_value", 0.0))
        s["sum"] = s["sum"] + g**2
        lr_t = lr / (1 + (t - 1) * o.get("lr_decay", 0.0))
        return x - lr_t * g / (np.sqrt(s["sum"]) + eps)
    raise AssertionError(name)


# one row per optimizer and option combination
CASES = [
    ("SGD", dict(lr=0.01)),
    ("SGD", dict(lr=0.01, momentum=0.9)),
    ("SGD", dict(lr=0.01, momentum=0.9, dampening=0.5)),
    ("SGD", dict(lr=0.01, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.01, momentum=0.5, weight_decay=0.1)),
    ("SGD", dict(lr=0.002, momentum=0.9, maximize=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, amsgrad=True)),
    ("Adam", dict(lr=0.01, weight_decay=0.1)),
    ("Adam", dict(lr=0.01, betas=(0.5, 0.9), eps=1e-6)),
    ("Adam", dict(lr=0.01, amsgrad=True, weight_decay=0.1, maximize=True)),
    ("AdamW", dict(lr=0.01)),
    ("AdamW", dict(lr=0.01, weight_decay=0.5, amsgrad=True)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1, maximize=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, eps=1e-6)),
    ("RMSprop", dict(lr=0.01, centered=True)),
    ("RMSprop", dict(lr=0.005, momentum=0.9)),
    ("RMSprop", dict(lr=0.005, momentum=0.9, centered=True, weight_decay=0.1)),
    ("RMSprop", dict(lr=0.01, maximize=True)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.1)),
    ("Adagrad", dict(lr=0.1, initial_accumulator_value=0.5, eps=1e-3)),
    ("Adagrad", dict(lr=0.1, weight_decay=0.1, maximize=True)),
]
IDS = [f"{name}-" + "-".join(f"{k}={v}" for k, v in o.items()) for name, o in CASES]


def run_ours(name: str, o: dict, problem: str, steps: int = STEPS) -> list[list[np.ndarray]]:
    start, loss_fn, _ = PROBLEMS[problem]
    params = [Tensor(a.copy(), requires_grad=True) for a in start()]
    opt = getattr(optim, name)(params, **o)
    path = []
    for _ in range(steps):
        opt.zero_grad()
        loss_fn(params).backward()
        opt.step()
        path.append([p.data.copy() for p in params])
    return path


def run_reference(name: str, o: dict, problem: str) -> list[list[np.ndarray]]:
    start, _, grad = PROBLEMS[problem]
    xs = start()
    states: list[dict] = [{} for _ in xs]
    path = []
    for t in range(1, STEPS + 1):
        gs = grad(xs)
        xs = [reference_step(name, o, x, g, s, t) for x, g, s in zip(xs, gs, states)]
        path.append([x.copy() for x in xs])
    return path


def run_torch(torch, name: str, o: dict, problem: str) -> list[list[np.ndarray]]:
    start, loss_fn, _ = PROBLEMS[problem]
    params = [torch.tensor(a.copy(), requires_grad=True) for a in start()]
    opt = getattr(torch.optim, name)(params, foreach=False, **o)
    path = []
    for _ in range(STEPS):
        opt.zero_grad()
        loss_fn(params, lib=torch).backward()
        opt.step()
        path.append([p.detach().numpy().copy() for p in params])
    return path


def assert_same_path(ours, expected, who: str) -> None:
    for step, (xs, ys) in enumerate(zip(ours, expected, strict=True), start=1):
        for i, (x, y) in enumerate(zip(xs, ys, strict=True)):
            err = np.linalg.norm(x - y) / max(np.linalg.norm(y), 1e-300)
            assert err <= RTOL, f"step {step}, parameter {i}: relative error {err:.2e} vs {who}"


@pytest.mark.parametrize("problem", list(PROBLEMS))
@pytest.mark.parametrize(("name", "options"), CASES, ids=IDS)
def test_trajectory_matches_the_equations(name, options, problem):
    assert_same_path(run_ours(name, options, problem), run_reference(name, options, problem), "the NumPy equations")


@pytest.mark.parametrize("problem", list(PROBLEMS))
@pytest.mark.parametrize(("name", "options"), CASES, ids=IDS)
def test_trajectory_matches_torch(name, options, problem):
    torch = pytest.importorskip("torch")
    assert_same_path(run_ours(name, options, problem), run_torch(torch, name, options, problem), "torch.optim")


def test_param_groups_match_torch():
    torch = pytest.importorskip("torch")
    start = least_squares_start()
    ours = [Tensor(a.copy(), requires_grad=True) for a in start]
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in start]
    opt = optim.Adam([{"params": [ours[0]]}, {"params": [ours[1]], "lr": 0.1}], lr=0.01)
    topt = torch.optim.Adam([{"params": [theirs[0]]}, {"params": [theirs[1]], "lr": 0.1}], lr=0.01, foreach=False)
    assert opt.param_groups[1]["lr"] == 0.1 and opt.param_groups[0]["lr"] == 0.01
    for _ in range(STEPS):
        opt.zero_grad()
        topt.zero_grad()
        least_squares_loss(ours).backward()
        least_squares_loss(theirs, lib=torch).backward()
        opt.step()
        topt.step()
        assert_same_path([[p.data for p in ours]], [[p.detach().numpy() for p in theirs]], "torch")
