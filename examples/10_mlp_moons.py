"""Lesson next step: non-linear models. A small MLP learns the two-moons data.

No straight line separates the two half circles, so a linear model cannot classify them;
a network with a hidden layer can. Its loss is not convex (see 04_convexity.py), but
gradient descent with Adam still finds a good minimum here.

    python examples/10_mlp_moons.py [--out DIR]   (DIR: where to save the decision regions)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from tinygrad_edu import Tensor, data, nn, no_grad, optim

F = nn.functional


def accuracy(model: nn.Module, X: Tensor, y: Tensor) -> float:
    """The fraction of points whose predicted class (logit > 0) matches the label."""
    with no_grad():
        pred = model(X).reshape(-1).data > 0
    return float(np.mean(pred == (y.data > 0.5)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="save moons.png here (default: don't save)")
    parser.add_argument("--steps", type=int, default=400, help="Adam steps (default: 400)")
    args = parser.parse_args()

    X, y = data.make_moons(200, noise=0.1, seed=0)
    linear = nn.Linear(2, 1, seed=0)
    optim.minimize(
        lambda: F.binary_cross_entropy_with_logits(linear(X).reshape(-1), y),
        optim.Adam(linear.parameters(), lr=0.05),
        steps=args.steps,
    )
    print(f"two moons: {X.shape[0]} points, noise 0.1")
    print(f"linear model (logistic regression): training accuracy {100 * accuracy(linear, X, y):.1f}%")

    model = nn.MLP([2, 16, 16, 1], activation="tanh", seed=0)
    hist = optim.minimize(
        lambda: F.binary_cross_entropy_with_logits(model(X).reshape(-1), y),
        optim.Adam(model.parameters(), lr=0.02),
        steps=args.steps,
    )
    n_params = sum(p.size for p in model.parameters())
    print(f"MLP 2-16-16-1 (tanh, {n_params} parameters), Adam lr = 0.02, {args.steps} steps")
    for k in (0, len(hist) // 4, len(hist) // 2, len(hist) - 1):
        print(f"  step {k:4d}: loss {hist.loss[k]:.4f}")
    acc = accuracy(model, X, y)
    print(f"MLP training accuracy: {100 * acc:.1f}%")

    if args.out is not None:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        args.out.mkdir(parents=True, exist_ok=True)
        xs, ys = np.meshgrid(np.linspace(-1.5, 2.5, 120), np.linspace(-1.0, 1.5, 90))
        with no_grad():
            z = model(Tensor(np.c_[xs.ravel(), ys.ravel()])).data.reshape(xs.shape)
        fig, ax = plt.subplots(figsize=(6.4, 4.4))
        ax.contourf(xs, ys, z > 0, levels=1, colors=["#cfe2f3", "#f9d9d0"])
        ax.scatter(X.data[:, 0], X.data[:, 1], c=y.data, cmap="coolwarm", s=12, edgecolors="k", linewidths=0.3)
        ax.set_title(f"MLP decision regions, training accuracy {100 * acc:.1f}%")
        path = args.out / "moons.png"
        fig.savefig(path, dpi=100)
        print(f"saved {path}")


if __name__ == "__main__":
    main()
