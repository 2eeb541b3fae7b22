"""Lesson next steps: mini-batch SGD, momentum and L2 regularization.

Stochastic gradient descent computes each step's gradient on a mini-batch of rows
(data.batches) instead of the whole data set. Momentum keeps a running direction that
smooths the noisy steps. An L2 penalty lam * ||W||^2 (nn.functional.l2_penalty) keeps the
weights small, which helps when there are almost as many features as rows.

    python examples/09_sgd_momentum_l2.py
"""

from __future__ import annotations

import numpy as np

from tinygrad_edu import Tensor, data, nn, optim

F = nn.functional


def train(
    X: Tensor, y: Tensor, momentum: float, lam: float, epochs: int = 40, lr: float = 0.01, batch_size: int = 10
) -> tuple[Tensor, list[float]]:
    """Mini-batch SGD on mse_loss + lam * ||W||^2; returns W and the full-data loss per epoch."""
    W = Tensor.zeros(X.shape[1], requires_grad=True, name="W")
    opt = optim.SGD([W], lr=lr, momentum=momentum)
    rng = np.random.default_rng(0)  # one generator: a new, reproducible order every epoch
    losses = []
    for _ in range(epochs):
        for xb, yb in data.batches(X, y, batch_size=batch_size, shuffle=True, seed=rng):
            opt.zero_grad()
            loss = F.mse_loss(xb @ W, yb) + lam * F.l2_penalty([W])
            loss.backward()
            opt.step()
        losses.append(F.mse_loss(X @ W, y).item() + lam * F.l2_penalty([W]).item())
    return W, losses


def main() -> None:
    X_all, y_all, _ = data.make_regression(m=140, n=30, noise=1.0, seed=9)
    X, y = Tensor(X_all.data[:40]), Tensor(y_all.data[:40])  # 40 training rows, 30 features
    X_test, y_test = Tensor(X_all.data[40:]), Tensor(y_all.data[40:])
    print(
        f"Linear regression: {X.shape[0]} training rows, {X.shape[1]} features, noise 1.0; "
        f"{X_test.shape[0]} test rows; batches of 10"
    )

    print("\n1. Momentum (no penalty), lr = 0.01, full-data training MSE after each epoch:")
    curves = {m: train(X, y, momentum=m, lam=0.0)[1] for m in (0.0, 0.9)}
    print(f"   {'epoch':>5s}{'momentum 0':>14s}{'momentum 0.9':>14s}")
    for e in (0, 4, 9, 19, 39):
        print(f"   {e + 1:5d}{curves[0.0][e]:14.4f}{curves[0.9][e]:14.4f}")

    print("\n2. L2 regularization (momentum 0.9): loss = MSE + lam * ||W||^2")
    print(f"   {'lam':>6s}{'train MSE':>11s}{'test MSE':>10s}{'||W||':>8s}")
    results = {}
    for lam in (0.0, 0.01, 0.1, 1.0):
        W, _ = train(X, y, momentum=0.9, lam=lam, epochs=60)
        train_mse = F.mse_loss(X @ W, y).item()
        test_mse = F.mse_loss(X_test @ W, y_test).item()
        results[lam] = test_mse
        print(f"   {lam:6g}{train_mse:11.4f}{test_mse:10.4f}{np.linalg.norm(W.data):8.3f}")
    best = min(results, key=lambda k: results[k])
    print(
        f"   lowest test MSE at lam = {best:g}; without a penalty the fit to 40 rows with 30 features "
        f"is {'worse' if results[0.0] > results[best] else 'no worse'} on new data."
    )


if __name__ == "__main__":
    main()
