"""Lesson step 8: adaptive methods (Adam, RMSprop, AdaGrad) on a badly scaled problem.

One feature is measured in units 100 times larger than the other, so f(W) = ||y - XW||^2
is a long, thin valley: its curvatures differ by a factor of 10^4. Plain gradient descent
must keep eps < 2/L for the steep direction and then crawls along the flat one. The
adaptive methods scale each weight's step by its own gradient history.

    python examples/08_adaptive.py [--out DIR]   (DIR: where to save the loss curves)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from tinygrad_edu import Tensor, data, optim

STEPS = 300


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="save adaptive.png here (default: don't save)")
    args = parser.parse_args()

    rng = np.random.default_rng(8)
    Xa = rng.standard_normal((100, 2)) * np.array([1.0, 100.0])  # badly scaled columns
    ya = Xa @ np.array([2.0, -0.03]) + 0.01 * rng.standard_normal(100)
    X, y = Tensor(Xa), Tensor(ya)
    eig = 2 * np.linalg.eigvalsh(Xa.T @ Xa)
    W_star = data.normal_equation(X, y).data
    f_star = float(np.sum((ya - Xa @ W_star) ** 2))
    print(f"Hessian eigenvalues {eig[0]:.3g} and {eig[1]:.3g}: condition number {eig[1] / eig[0]:.3g}")
    print(f"normal equation W* = {np.array2string(W_star, precision=5)}, f(W*) = {f_star:.6f}")

    makers = {
        "GD, eps = 1/L": lambda p: optim.SGD(p, lr=1.0 / eig[1]),
        "Adam, lr = 0.1": lambda p: optim.Adam(p, lr=0.1),
        "RMSprop, lr = 0.1": lambda p: optim.RMSprop(p, lr=0.1),
        "AdaGrad, lr = 0.5": lambda p: optim.Adagrad(p, lr=0.5),
    }
    print(f"\n{STEPS} steps from W = (0, 0) each:")
    print(f"{'method':22s}{'f(W) - f(W*)':>14s}{'|w0 - w0*|':>12s}{'|w1 - w1*|':>12s}")
    histories = []
    for name, make in makers.items():
        W = Tensor.zeros(2, requires_grad=True)
        hist = optim.minimize(lambda W=W: ((y - X @ W) ** 2).sum(), make([W]), steps=STEPS)
        histories.append(hist)
        err = np.abs(W.data - W_star)
        f_end = float(np.sum((ya - Xa @ W.data) ** 2))
        print(f"{name:22s}{max(f_end - f_star, 0.0):14.3e}{err[0]:12.3e}{err[1]:12.3e}")
    print("\nGD gets the steep weight w1 right at once but barely moves the flat one, w0;")
    print("the adaptive methods move both weights at a similar pace.")

    if args.out is not None:
        import matplotlib

        matplotlib.use("Agg")
        from tinygrad_edu import viz

        args.out.mkdir(parents=True, exist_ok=True)
        path = args.out / "adaptive.png"
        viz.plot_history(histories, labels=list(makers), f_star=f_star, title="badly scaled regression", path=path)
        print(f"\nsaved {args.out / 'adaptive.png'}")


if __name__ == "__main__":
    main()
