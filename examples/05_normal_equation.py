"""Lesson step 5: the normal equation and gradient descent reach the same solution.

The normal equation W = (X^T X)^-1 X^T y solves linear regression in one step (here with a
stable solve, data.normal_equation, never an explicit inverse). Gradient descent
W <- W - eps grad f(W) takes many cheap steps to the same point.

    python examples/05_normal_equation.py
"""

from __future__ import annotations

import time

import numpy as np

from tinygrad_edu import Tensor, data, optim


def main() -> None:
    X, y, w_true = data.make_regression(m=200, n=3, noise=0.1, seed=3, bias=True)
    print(f"Data: m = {X.shape[0]} rows, {X.shape[1]} weights (an intercept and 3 features)")

    t0 = time.perf_counter()
    W_ne = data.normal_equation(X, y).data
    t_ne = time.perf_counter() - t0

    L = 2 * np.linalg.eigvalsh(X.data.T @ X.data).max()  # the largest curvature of f
    W = Tensor.zeros(X.shape[1], requires_grad=True, name="W")
    t0 = time.perf_counter()
    hist = optim.minimize(lambda: ((y - X @ W) ** 2).sum(), optim.SGD([W], lr=1.0 / L), steps=2000, tol=1e-8)
    t_gd = time.perf_counter() - t0
    W_gd = W.data

    f = lambda w: float(np.sum((y.data - X.data @ w) ** 2))  # noqa: E731
    print(f"\n{'':22s}{'normal equation':>18s}{'gradient descent':>20s}")
    for i in range(X.shape[1]):
        print(f"  w{i}{'':18s}{W_ne[i]:18.8f}{W_gd[i]:20.8f}")
    print(f"  {'loss f(W)':20s}{f(W_ne):18.8f}{f(W_gd):20.8f}")
    print(f"  {'steps':20s}{1:18d}{hist.steps:20d}")
    print(f"  {'time (ms)':20s}{1e3 * t_ne:18.3f}{1e3 * t_gd:20.3f}")
    print(
        f"\nGD: fixed step eps = 1/L = {1 / L:.3e} (L = 2 lambda_max(X^T X) = {L:.1f}), stopped when ||grad f|| < 1e-8"
    )
    print(f"max |W_gd - W_ne| = {np.abs(W_gd - W_ne).max():.2e}: the same solution")
    print(f"true weights used to make the data: {np.array2string(w_true.data, precision=4)}")


if __name__ == "__main__":
    main()
