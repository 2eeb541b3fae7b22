"""Beyond the gradient: GD, GD with exact line search, conjugate gradient, L-BFGS and Newton.

The lesson's two halves are one exact but O(n^3) step (the normal equation) and many cheap
gradient steps. Between them: conjugate gradient (remembers its last direction), L-BFGS (learns
the curvature from the last few gradient changes) and Newton's method (the exact Hessian, one
linear solve per step). This script runs all five, from the same start to the same tolerance
on the gradient norm, on

* the lesson's regression, f(W) = ||y - XW||^2 (2 weights, condition number 30), and
* a logistic regression (10 features and a bias, correlated features, 400 examples),

and counts the work: gradient passes (one forward and backward pass: f and its gradient),
Hessian-vector passes (a forward-mode pass through the backward pass: f, the gradient and
H v together) and linear solves, with the wall-clock time.

    python examples/12_beyond_gradient.py [--out DIR]   (DIR: where to save the pictures)
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import tinygrad_edu as tge
from tinygrad_edu import Tensor, optim

MAX_STEPS = 3000


# ---------------------------------------------------------------- the two problems
def regression() -> tuple[Callable[[Tensor], Tensor], np.ndarray, float, float]:
    """The tutorial's data: 30 points with y close to 1 + 2x; f, W0, L and tol."""
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 4, size=30)
    X = np.stack([np.ones(30), x], axis=1)
    y = 1.0 + 2.0 * x + rng.normal(0.0, 0.5, size=30)
    Xt, yt = Tensor(X), Tensor(y)
    L = 2 * float(np.linalg.eigvalsh(X.T @ X).max())  # the gradient's Lipschitz constant
    return (lambda W: ((yt - Xt @ W) ** 2).sum()), np.zeros(2), L, 1e-6


def logistic(features: int = 10, m: int = 400, seed: int = 1) -> tuple[Any, np.ndarray, float, float]:
    """Mean logistic loss of labels from a noisy linear rule on correlated features, with a bias."""
    rng = np.random.default_rng(seed)
    mixing = np.eye(features) + 0.3 * rng.normal(size=(features, features))
    Z = rng.normal(size=(m, features)) @ mixing  # correlated columns: an ill-conditioned Hessian
    labels = (Z @ rng.normal(size=features) + 0.5 + 2.0 * rng.normal(size=m) > 0).astype(float)
    return logistic_loss(np.c_[Z, np.ones(m)], labels)


def logistic_2d() -> tuple[Any, np.ndarray, float, float]:
    """The regression's x in [0, 4] with labels P(y = 1) = sigmoid(2 (x - 2)): weights (w0, w1)."""
    rng = np.random.default_rng(2)
    x = rng.uniform(0, 4, size=100)
    labels = (rng.uniform(size=100) < 1 / (1 + np.exp(-2 * (x - 2)))).astype(float)
    return logistic_loss(np.stack([np.ones(100), x], axis=1), labels)


def logistic_loss(X: np.ndarray, labels: np.ndarray) -> tuple[Any, np.ndarray, float, float]:
    Xt, yt = Tensor(X), Tensor(labels)

    def f(W: Tensor) -> Tensor:
        """mean of log(1 + exp(z)) - y z, z = XW: the negative log-likelihood per example."""
        z = Xt @ W
        softplus = tge.stack([z * 0, z]).logsumexp(axis=0)  # log(e^0 + e^z), never overflows
        return (softplus - yt * z).mean()

    L = float(np.linalg.eigvalsh(X.T @ X).max()) / (4 * len(X))  # sigmoid' <= 1/4
    return f, np.zeros(X.shape[1]), L, 1e-6


# ---------------------------------------------------------------- the five methods
METHODS: dict[str, Callable[[list[Tensor], float], optim.Optimizer]] = {
    "GD, fixed step 1/L": lambda p, L: optim.SGD(p, lr=1.0 / L),
    "GD + exact line search": lambda p, L: optim.ExactLineSearch(p),
    "conjugate gradient": lambda p, L: optim.ConjugateGradient(p),
    # one iteration per step; max_eval=25 leaves the line search room (the default would be
    # max_iter * 5 // 4 = 1 evaluation, none left for the search)
    "L-BFGS": lambda p, L: optim.LBFGS(
        p, max_iter=1, max_eval=25, history_size=10, line_search_fn="strong_wolfe", tolerance_change=0.0
    ),
    "Newton": lambda p, L: optim.Newton(p),
}


def run(f: Callable[[Tensor], Tensor], w0: np.ndarray, L: float, tol: float, method: str) -> dict[str, Any]:
    """Minimize f from w0 with one method; return the History and the work it took."""
    W = Tensor(w0.copy(), requires_grad=True, name="W")
    opt = METHODS[method]([W], L)
    work = {"gradient": 0, "hvp": 0}

    def loss() -> Tensor:
        # inside a Hessian-vector product W carries a tangent (forward mode)
        work["hvp" if tge.tangent_of(W) is not None else "gradient"] += 1
        return f(W)

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a line search at the rounding floor
        hist = optim.minimize(loss, opt, steps=MAX_STEPS, tol=tol)
    seconds = time.perf_counter() - start
    solves = hist.steps if method == "Newton" else 0
    return dict(hist=hist, seconds=seconds, solves=solves, converged=hist.grad_norm[-1] < tol, **work)


def table(title: str, rows: dict[str, dict[str, Any]], n: int) -> None:
    print(f"{title} (n = {n} parameters)")
    print(
        f"{'method':24s}{'steps':>7s}{'gradients':>11s}{'H-v passes':>12s}{'solves':>8s}"
        f"{'per step':>22s}{'time ms':>10s}  final loss"
    )
    for name, r in rows.items():
        steps = max(r["hist"].steps, 1)
        per_step = f"{r['gradient'] / steps:.1f} g + {r['hvp'] / steps:.1f} Hv"
        mark = "" if r["converged"] else "  (not converged)"
        print(
            f"{name:24s}{r['hist'].steps:7d}{r['gradient']:11d}{r['hvp']:12d}{r['solves']:8d}"
            f"{per_step:>22s}{1e3 * r['seconds']:10.1f}  {r['hist'].loss[-1]:.10f}{mark}"
        )
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="save the contour pictures here")
    args = parser.parse_args()

    print(f"Each run starts at W = 0 and stops when ||grad f|| < tol (at most {MAX_STEPS} steps).")
    print("A gradient pass gives f and grad f; an H-v pass gives f, grad f and one Hessian-vector")
    print("product (forward mode over the backward pass, about twice the cost); a solve is")
    print("Newton's Cholesky solve, O(n^3).\n")
    results = {}
    for title, (f, w0, L, tol) in {"The lesson's regression": regression(), "Logistic regression": logistic()}.items():
        rows = {name: run(f, w0, L, tol, name) for name in METHODS}
        table(title, rows, w0.size)
        results[title] = (f, rows)

    f, rows = results["The lesson's regression"]
    newton = rows["Newton"]["hist"].final_params[0]
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 4, size=30)
    X = np.stack([np.ones(30), x], axis=1)
    y = 1.0 + 2.0 * x + rng.normal(0.0, 0.5, size=30)
    normal = np.linalg.solve(X.T @ X, X.T @ y)
    print(
        f"Newton's one step lands on the normal equation's W: {np.round(newton, 6)} vs "
        f"{np.round(normal, 6)} (max difference {np.abs(newton - normal).max():.1e})"
    )
    print(f"CG on a 2-variable quadratic: {rows['conjugate gradient']['hist'].steps} steps, as n = 2 promises")
    f2, _, L2, tol2 = logistic_2d()
    try:  # far from the minimum the logistic loss is nearly linear: H is tiny, the step huge
        run(f2, np.array([1.0, 1.0]), L2, tol2, "Newton")
    except optim.DivergenceError as err:
        print(
            f"Newton from W = (1, 1) on the 2-weight logistic regression: the loss grows, "
            f"{err.history.loss[0]:.3f} -> {err.history.loss[-1]:.4g} by step {err.step} (DivergenceError)"
        )

    if args.out is not None:
        import matplotlib

        matplotlib.use("Agg")
        from tinygrad_edu import viz

        args.out.mkdir(parents=True, exist_ok=True)
        paths = {name: r["hist"] for name, r in rows.items()}
        viz.plot_contour(
            lambda w: f(Tensor(w)),
            paths,
            levels=15,
            resolution=60,
            xlim=(-1.2, 3.2),
            ylim=(-0.4, 4.6),  # room for the legend
            title="f(W) = ||y - XW||^2: five methods from (0, 0)",
            path=args.out / "beyond_gradient_regression.png",
        )
        f2, w2, L2, tol2 = logistic_2d()
        runs2 = {name: run(f2, w2, L2, tol2, name)["hist"] for name in METHODS}
        viz.plot_contour(
            lambda w: f2(Tensor(w)),
            runs2,
            levels=15,
            resolution=60,
            minimizer=runs2["Newton"].final_params[0],
            xlim=(-5.5, 1.0),
            ylim=(-0.8, 4.2),
            title="logistic regression: five methods from (0, 0)",
            path=args.out / "beyond_gradient_logistic.png",
        )
        print(f"\nsaved {args.out / 'beyond_gradient_regression.png'} and {args.out / 'beyond_gradient_logistic.png'}")


if __name__ == "__main__":
    main()
