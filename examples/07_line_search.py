"""Lesson step 7: choosing the step size. Fixed step vs exact line search vs backtracking.

Fixed: eps = 1/L every step. Exact line search: eps = argmin f(x - eps g) (Newton's method
on the ray; one iteration on a quadratic). Backtracking: try eps = 1, 1/2, 1/4, ... and take
the first that satisfies Armijo's condition f(x - eps g) <= f(x) - c eps ||g||^2.

    python examples/07_line_search.py [--out DIR]   (DIR: where to save the pictures)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from tinygrad_edu import Tensor, optim

# A two-weight quadratic with unequal curvatures (Hessian eigenvalues 2 and 10), like a stretched bowl.
X = Tensor(np.array([[1.0, 0.0], [0.0, np.sqrt(10.0)], [1.0, 0.0], [0.0, 0.0]]) / np.sqrt(2))
y = Tensor(np.array([1.0, 2.0, 1.0, 0.5]))
TOL = 1e-6


def f(w: object) -> Tensor:
    """f(W) = ||y - XW||^2 for W a Tensor or an array."""
    W = w if isinstance(w, Tensor) else Tensor(w)
    return ((y - X @ W) ** 2).sum()


def run(name: str, make: object) -> tuple[optim.History, optim.Optimizer]:
    W = Tensor([-2.0, 2.5], requires_grad=True, name="W")
    opt = make([W])  # type: ignore[operator]
    hist = optim.minimize(lambda: f(W), opt, steps=500, tol=TOL)
    return hist, opt


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="save line_search.png and paths.png here")
    args = parser.parse_args()

    L = 2 * float(np.linalg.eigvalsh(X.data.T @ X.data).max())
    print(f"f(W) = ||y - XW||^2 with Hessian eigenvalues {np.array2string(2 * np.linalg.eigvalsh(X.data.T @ X.data))}")
    print(f"stop when ||grad f|| < {TOL:g}; fixed step eps = 1/L = {1 / L:.4f}\n")
    makers = {
        "fixed step 1/L": lambda p: optim.SGD(p, lr=1.0 / L),
        "exact line search": lambda p: optim.ExactLineSearch(p),
        "backtracking (Armijo)": lambda p: optim.BacktrackingLineSearch(p, lr=1.0, shrink=0.5, c=1e-4),
    }
    runs = {name: run(name, make) for name, make in makers.items()}
    print(f"{'method':24s}{'steps':>6s}{'f evals':>11s}{'final loss':>14s}{'mean eps':>10s}")
    for name, (hist, _) in runs.items():
        steps = sum(s > 0 for s in hist.step_size)
        evals = len(hist) + sum(len(t) for t in hist.trials)
        taken = [s for s in hist.step_size if s > 0]
        print(f"{name:24s}{steps:6d}{evals:11d}{hist.loss[-1]:14.8f}{np.mean(taken):10.4f}")

    hist, bt = runs["backtracking (Armijo)"]
    print("\nBacktracking, step 0: the Armijo trials from eps = 1")
    f0, g2 = hist.loss[0], hist.grad_norm[0] ** 2
    for eps, value in hist.trials[0]:
        bound = f0 - 1e-4 * eps * g2
        print(
            f"  eps = {eps:<8g} f = {value:10.5f}   Armijo bound {bound:10.5f}   "
            f"{'accepted' if value <= bound else 'rejected'}"
        )
    counts = [len(t) for t in hist.trials if t]
    print(f"trials per step: {counts[:12]} ... ({sum(counts)} in {len(counts)} steps)")
    exact = runs["exact line search"][0]
    print(f"\nExact line search, step sizes: {np.array2string(np.array(exact.step_size[:6]), precision=4)} ...")

    if args.out is not None:
        import matplotlib

        matplotlib.use("Agg")
        from tinygrad_edu import viz

        args.out.mkdir(parents=True, exist_ok=True)
        viz.plot_line_search(hist, step=0, f=f, search=bt, path=args.out / "line_search.png")
        viz.plot_contour(f, [r[0] for r in runs.values()], labels=list(runs), path=args.out / "paths.png")
        print(f"\nsaved {args.out / 'line_search.png'} and {args.out / 'paths.png'}")


if __name__ == "__main__":
    main()
