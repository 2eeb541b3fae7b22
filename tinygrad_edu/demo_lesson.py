"""The lesson's worked numbers, computed by tinygrad_edu for the demo's report.

Each function computes one part of the lesson and returns plain numbers and arrays next to
the value derived by hand, so the report can show both: the slope of x^2 at 2, the
directional derivative, the worked update step, the learning rates, the next steps
(minibatches, momentum, L1/L2, a small network), the exercise and the O(n^3) timing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import data, nn, optim
from .derivatives import directional_derivative, grad
from .losses import cross_entropy, l1_penalty, l2_penalty, mse_loss
from .tensor import Tensor


@dataclass
class Slope:
    """f(x) = x^2 at x = 2: value and derivative, by autodiff and by hand (2x)."""

    x: float = 2.0
    value: float = 0.0
    slope: float = 0.0
    by_hand: float = 4.0


def slope_of_square(x: float = 2.0) -> Slope:
    t = Tensor(x, requires_grad=True, name="x")
    out = t**2
    out.backward()
    assert t.grad is not None
    return Slope(x, out.item(), t.grad.item(), 2 * x)


@dataclass
class Directional:
    """D_u f(W) by forward mode against u . grad f(W), for a few unit vectors u."""

    at: np.ndarray
    gradient: np.ndarray
    rows: list[tuple[np.ndarray, float, float]]  # (u, forward mode, u . grad f)
    angles: np.ndarray  # the rate around the circle: angle -> D_u f
    rates: np.ndarray
    steepest: np.ndarray  # the u with the smallest rate, found on the circle


def directional(loss: Any, at: np.ndarray) -> Directional:
    W = Tensor(at)
    g = grad(loss)(W).numpy()
    units = [np.array([1.0, 0.0]), np.array([0.0, 1.0]), np.array([0.6, 0.8]), -g / np.linalg.norm(g)]
    rows = [(u, directional_derivative(loss, W, Tensor(u)).item(), float(u @ g)) for u in units]
    angles = np.linspace(0.0, 2 * np.pi, 181)
    rates = np.array([directional_derivative(loss, W, Tensor([np.cos(a), np.sin(a)])).item() for a in angles])
    best = angles[int(np.argmin(rates))]
    return Directional(np.asarray(at, dtype=np.float64), g, rows, angles, rates, np.array([np.cos(best), np.sin(best)]))


def worked_step() -> tuple[np.ndarray, np.ndarray]:
    """The lesson's step [1, 2] - 0.1 [2.5, -1.2], by optim.SGD and by hand."""
    W = Tensor([1.0, 2.0], requires_grad=True)
    W.grad = Tensor([2.5, -1.2])
    optim.SGD([W], lr=0.1).step()
    return W.numpy(), np.array([1.0, 2.0]) - 0.1 * np.array([2.5, -1.2])


@dataclass
class Exercise:
    """f(x) = x^2 - 4x + 5 from x = 0 with lr 0.1: the first step and the path to x = 2."""

    derivative: float = 0.0
    x1: float = 0.0
    f0: float = 0.0
    f1: float = 0.0
    path: list[float] = field(default_factory=list)


def exercise(steps: int = 25) -> Exercise:
    x = Tensor(0.0, requires_grad=True, name="x")
    opt = optim.SGD([x], lr=0.1)
    f0 = x**2 - 4 * x + 5
    f0.backward()
    assert x.grad is not None
    derivative = x.grad.item()
    opt.step()
    out = Exercise(derivative, x.item(), f0.item(), (x**2 - 4 * x + 5).item(), [0.0, x.item()])
    hist = optim.minimize(lambda: x**2 - 4 * x + 5, opt, steps=steps)
    out.path += [float(p[0]) for p in hist.params[1:]] + [float(hist.final_params[0])]
    return out


@dataclass
class NextSteps:
    """SGD on minibatches, momentum, L1 against L2, and a small network on two moons."""

    epochs: list[float] = field(default_factory=list)  # full-data MSE after each epoch
    batch_size: int = 32
    momentum_steps: dict[str, int] = field(default_factory=dict)  # steps to ||g|| < tol
    weights: dict[str, np.ndarray] = field(default_factory=dict)  # penalty -> learned weights
    w_true: np.ndarray | None = None
    moons_X: np.ndarray | None = None
    moons_y: np.ndarray | None = None
    net: Any = None
    net_loss: list[float] = field(default_factory=list)
    accuracy: float = 0.0


def next_steps(seed: int = 0) -> NextSteps:
    out = NextSteps()
    # minibatch SGD with momentum on a larger regression
    X, y, _ = data.make_regression(1000, 5, noise=0.1, seed=seed)
    model = nn.Linear(5, 1, seed=seed)
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    rng = np.random.default_rng(seed)
    for _ in range(4):
        for xb, yb in data.batches(X, y, batch_size=out.batch_size, seed=rng):
            opt.zero_grad()
            mse_loss(model(xb).reshape(-1), yb).backward()
            opt.step()
        out.epochs.append(mse_loss(model(X).reshape(-1), y).item())
    # momentum: the same fixed step 1/L with and without it on an elongated bowl (condition ~27);
    # heavy-ball momentum ((sqrt(k) - 1) / (sqrt(k) + 1))^2 ~ 0.5 suits that condition number
    Xb, yb2, _ = data.make_regression(100, 2, noise=0.5, seed=seed)
    Xs = Tensor(Xb.numpy() * np.array([1.0, 0.2]))
    L = float(np.linalg.eigvalsh(2 * Xs.numpy().T @ Xs.numpy()).max())
    for name, momentum in (("GD, lr = 1/L", 0.0), ("GD, lr = 1/L, momentum 0.5", 0.5)):
        W = Tensor([0.0, 0.0], requires_grad=True)

        def bowl(W: Tensor = W) -> Tensor:
            return ((yb2 - Xs @ W) ** 2).sum()

        hist = optim.minimize(bowl, optim.SGD([W], lr=1.0 / L, momentum=momentum), steps=1000, tol=1e-6)
        out.momentum_steps[name] = hist.steps
    # L1 and L2 on 30 noisy rows where only 3 of 10 features matter; the step decays so the
    # subgradient steps of L1 settle (lr 0.01 * 0.995^k)
    rng = np.random.default_rng(seed + 1)
    Xr = rng.standard_normal((30, 10))
    w_true = np.zeros(10)
    w_true[[1, 4, 7]] = [3.0, -2.0, 1.5]
    yr = Xr @ w_true + 1.0 * rng.standard_normal(30)
    out.w_true = w_true
    Xt, yt = Tensor(Xr), Tensor(yr)
    for name, penalty, lam in (
        ("no penalty", None, 0.0),
        ("L2, lambda = 5", l2_penalty, 5.0),
        ("L1, lambda = 5", l1_penalty, 5.0),
    ):
        W = Tensor(np.zeros(10), requires_grad=True)
        opt = optim.SGD([W], lr=0.01)
        decay = optim.lr_scheduler.ExponentialLR(opt, gamma=0.995)
        for _ in range(1000):
            opt.zero_grad()
            fit = ((yt - Xt @ W) ** 2).sum() / 2
            (fit if penalty is None else fit + lam * penalty([W])).backward()
            opt.step()
            decay.step()
        out.weights[name] = W.numpy().copy()
    # a small network on two moons
    Xm, ym = data.make_moons(200, noise=0.1, seed=seed)
    net = nn.MLP([2, 16, 16, 2], activation="tanh", seed=seed)
    hist = optim.minimize(lambda: cross_entropy(net(Xm), ym), optim.Adam(net.parameters(), lr=0.05), steps=150)
    out.moons_X, out.moons_y, out.net, out.net_loss = Xm.numpy(), ym.numpy(), net, list(hist.loss)
    out.accuracy = float((net(Xm).numpy().argmax(axis=1) == ym.numpy()).mean())
    return out


@dataclass
class Timing:
    """The O(n^3) claim on this machine: solve of the normal equation against gradient descent."""

    sizes: list[int] = field(default_factory=list)
    solve: list[float] = field(default_factory=list)  # seconds
    gd: list[float] = field(default_factory=list)
    gd_steps: list[int] = field(default_factory=list)


def timing(sizes: tuple[int, ...] = (50, 100, 200, 400, 800), budget: float = 3.0) -> Timing:
    """Time np.linalg.solve(X^T X, X^T y) and NumPy gradient descent with exact line search
    (to ||g|| <= 1e-6 ||g_0||) for growing n, m = 4n rows; stop early past `budget` seconds."""
    out = Timing()
    start = time.perf_counter()
    try:  # one BLAS thread: steadier timings on a busy machine
        from threadpoolctl import threadpool_limits

        limit: Any = threadpool_limits(1)
    except ImportError:
        limit = None
    for n in sizes:
        rng = np.random.default_rng(n)
        X = rng.standard_normal((4 * n, n))
        y = X @ rng.standard_normal(n) + 0.1 * rng.standard_normal(4 * n)
        t_solve = _best(lambda X=X, y=y: np.linalg.solve(X.T @ X, X.T @ y))
        steps = _descent(X, y)
        t_gd = _best(lambda X=X, y=y: _descent(X, y))
        out.sizes.append(n)
        out.solve.append(t_solve)
        out.gd.append(t_gd)
        out.gd_steps.append(steps)
        if time.perf_counter() - start > budget:
            break
    if limit is not None:
        limit.restore_original_limits()
    return out


def _best(fn: Any, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _descent(X: np.ndarray, y: np.ndarray) -> int:
    """Steepest descent with the exact step on ||y - Xw||^2 (NumPy); returns the steps taken."""
    w = np.zeros(X.shape[1])
    r = y.copy()
    g = -2.0 * (X.T @ r)
    stop = 1e-6 * np.linalg.norm(g)
    steps = 0
    while np.linalg.norm(g) > stop and steps < 10_000:
        Xg = X @ g
        eps = (g @ g) / (2.0 * (Xg @ Xg))
        w -= eps * g
        r += eps * Xg
        g = -2.0 * (X.T @ r)
        steps += 1
    return steps
