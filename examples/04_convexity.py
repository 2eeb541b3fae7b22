"""Lesson step 4: convexity. Linear regression has one minimum; a neural network need not.

The Hessian of f(W) = ||y - XW||^2 is 2 X^T X at every W: positive semidefinite, so f is
convex (bowl-shaped) and every minimum is the global one. A small tanh network's loss is
not convex: its Hessian (tge.hessian over the flat parameter vector) has negative
eigenvalues at points along its own training path.

    python examples/04_convexity.py
"""

from __future__ import annotations

import numpy as np

import tinygrad_edu as tge
from tinygrad_edu import Tensor, data, nn, optim


def linear_part() -> None:
    X, y, _ = data.make_regression(m=40, n=3, noise=0.1, seed=2)

    def f(w: Tensor) -> Tensor:
        return ((y - X @ w) ** 2).sum()

    print("Linear regression f(W) = ||y - XW||^2, 3 weights")
    expected = 2 * X.data.T @ X.data
    for W in (np.zeros(3), np.array([5.0, -3.0, 1.0])):
        H = tge.hessian(f)(Tensor(W)).data
        report = tge.compare_gradients(H, expected, names=["Hessian vs 2X^T X"])
        eig = np.linalg.eigvalsh(H)
        print(
            f"  at W = {W.tolist()}: Hessian = 2X^T X? {'yes' if report.ok else 'NO'}, "
            f"eigenvalues {np.array2string(eig, precision=3)} (all >= 0: {bool(np.all(eig >= -1e-9))})"
        )
    print("  The Hessian is the same PSD matrix everywhere: the surface is a bowl with one minimum.")


def network_part(steps: int = 60) -> None:
    X, yl = data.make_moons(40, noise=0.1, seed=0)
    net = nn.MLP([2, 4, 1], activation="tanh", seed=0)
    params = list(net.parameters())
    shapes = [p.shape for p in params]
    sizes = [p.size for p in params]

    def loss_of(flat: Tensor) -> Tensor:
        """The network's loss as a function of one flat parameter vector."""
        out, start = X, 0
        pieces = []
        for shape, size in zip(shapes, sizes):
            pieces.append(flat[start : start + size].reshape(*shape))
            start += size
        for k in range(0, len(pieces), 2):
            out = out @ pieces[k].T + pieces[k + 1]
            if k + 2 < len(pieces):
                out = out.tanh()
        return nn.functional.binary_cross_entropy_with_logits(out.reshape(-1), yl)

    same = nn.functional.binary_cross_entropy_with_logits(net(X).reshape(-1), yl).item()
    assert abs(loss_of(_flat(params)).item() - same) < 1e-12, "loss_of must be the network's loss"
    hist = optim.minimize(lambda: loss_of(_flat(params)), optim.SGD(params, lr=0.5), steps=steps)
    print(f"\nA tanh network 2-4-1 on two moons ({sum(sizes)} parameters), {steps} SGD steps")
    print("  step   loss      smallest Hessian eigenvalue   negative eigenvalues")
    negative_seen, checked = 0, range(0, steps, steps // 6)
    for k in checked:
        flat = Tensor(np.concatenate([a.reshape(-1) for a in hist.params[k]]))
        eig = np.linalg.eigvalsh(tge.hessian(loss_of)(flat).data)
        neg = int(np.sum(eig < -1e-8))
        negative_seen += neg > 0
        print(f"  {k:4d}   {hist.loss[k]:.4f}    {eig[0]: .4e}                  {neg}")
    print(
        f"  Points on the path with a negative eigenvalue: {negative_seen} of {len(checked)}: the loss is not convex "
        "there, so gradient descent has no guarantee of reaching the global minimum."
    )


def _flat(params: list[Tensor]) -> Tensor:
    return tge.cat([p.reshape(-1) for p in params])


def main() -> None:
    linear_part()
    network_part()


if __name__ == "__main__":
    main()
