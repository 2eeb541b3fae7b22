"""Lesson step 6: the learning-rate dilemma. Too small is slow, too large diverges.

For f(W) = ||y - XW||^2 the Hessian is 2 X^T X with largest eigenvalue L; fixed-step
gradient descent converges for 0 < eps < 2/L and diverges beyond. Try one step size below,
one near 1/L, and one above 2/L.

    python examples/06_learning_rate.py [--out DIR]   (DIR: where to save the loss curves)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from tinygrad_edu import Tensor, data, optim


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="save learning_rate.png here (default: don't save)")
    args = parser.parse_args()

    X, y, _ = data.make_regression(m=50, n=2, noise=0.1, seed=4)
    L = 2 * float(np.linalg.eigvalsh(X.data.T @ X.data).max())
    W_star = data.normal_equation(X, y).data
    print(f"f(W) = ||y - XW||^2, L = 2 lambda_max(X^T X) = {L:.3f}")
    print(f"stability bound: fixed step converges for eps < 2/L = {2 / L:.5f}")

    histories, labels = [], []
    print(f"\n{'eps':>10s}  {'eps * L':>7s}  {'steps':>5s}  {'final loss':>12s}  {'||W - W*||':>10s}  verdict")
    for name, eps in [("too small", 0.02 / L), ("good", 1.0 / L), ("too large", 2.2 / L)]:
        W = Tensor([3.0, -3.0], requires_grad=True)
        try:
            hist = optim.minimize(lambda W=W: ((y - X @ W) ** 2).sum(), optim.SGD([W], lr=eps), steps=100, tol=1e-6)
        except optim.DivergenceError as err:
            print(f"{eps:10.5f}  {eps * L:7.2f}  {err.step:5d}  {err.loss:12.4g}  {'-':>10s}  {name}: DIVERGED")
            print(f"            DivergenceError: {err}")
            histories.append(err.history)
            labels.append(f"{name}: eps = {eps:.4f} (diverged)")
            continue
        dist = float(np.linalg.norm(W.data - W_star))
        done = "converged" if hist.grad_norm[-1] < 1e-6 else "not yet converged"
        steps = sum(s > 0 for s in hist.step_size)
        print(f"{eps:10.5f}  {eps * L:7.2f}  {steps:5d}  {hist.loss[-1]:12.6f}  {dist:10.2e}  {name}: {done}")
        histories.append(hist)
        labels.append(f"{name}: eps = {eps:.4f}")

    if args.out is not None:
        import matplotlib

        matplotlib.use("Agg")
        from tinygrad_edu import viz

        args.out.mkdir(parents=True, exist_ok=True)
        path = args.out / "learning_rate.png"
        f_star = float(((y - X @ Tensor(W_star)) ** 2).sum().item())
        viz.plot_history(histories, labels=labels, f_star=f_star, title="the learning-rate dilemma", path=path)
        print(f"\nsaved {path}")


if __name__ == "__main__":
    main()
