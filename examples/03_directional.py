"""Lesson step 3: the directional derivative and steepest descent.

D_u f(x) = d/da f(x + a u) at a = 0 = u . grad f(x), computed here in one forward-mode pass
(tge.directional_derivative). Over all unit directions u it is smallest, -||grad f||, at
u = -grad f / ||grad f||: the direction of steepest descent. A sweep over directions shows it.

    python examples/03_directional.py
"""

from __future__ import annotations

import numpy as np

import tinygrad_edu as tge
from tinygrad_edu import Tensor, data


def main() -> None:
    X, y, _ = data.make_regression(m=30, n=2, noise=0.1, seed=1)

    def f(w: Tensor) -> Tensor:
        return ((y - X @ w) ** 2).sum()

    W = Tensor([2.0, -1.0])
    g = tge.grad(f)(W).data
    print(
        f"f(W) = ||y - XW||^2 at W = {W.data.tolist()}: grad f = {np.array2string(g, precision=4)}, "
        f"||grad f|| = {np.linalg.norm(g):.4f}"
    )

    u = Tensor([0.6, 0.8])
    forward = tge.directional_derivative(f, W, u).item()
    print(f"\nu = {u.data.tolist()}: D_u f (forward mode) = {forward:.6f}, u . grad f = {float(u.data @ g):.6f}")

    print("\nSweep over unit directions u = (cos t, sin t):")
    print("  t (deg)   D_u f")
    angles = np.arange(0, 360, 30)
    values = []
    for deg in angles:
        t = np.deg2rad(deg)
        d = tge.directional_derivative(f, W, Tensor([np.cos(t), np.sin(t)])).item()
        values.append(d)
        print(f"  {deg:7d}   {d: .4f}")
    fine = np.deg2rad(np.arange(0, 360, 0.5))
    sweep = [tge.directional_derivative(f, W, Tensor([np.cos(t), np.sin(t)])).item() for t in fine]
    best = int(np.argmin(sweep))
    u_best = np.array([np.cos(fine[best]), np.sin(fine[best])])
    u_star = -g / np.linalg.norm(g)
    print(f"\nSmallest D_u f over 720 directions: {sweep[best]:.4f} at u = {np.array2string(u_best, precision=4)}")
    print(f"-grad f / ||grad f||                = {np.array2string(u_star, precision=4)}")
    print(
        f"D_u f there = {tge.directional_derivative(f, W, Tensor(u_star)).item():.4f} = -||grad f|| "
        f"= {-np.linalg.norm(g):.4f}: steepest descent points opposite to the gradient"
    )

    print("\nA small step of length 0.01 along each direction:")
    for name, d in [("-grad/||grad||", u_star), ("+grad/||grad||", -u_star), ("u = (0.6, 0.8)", u.data)]:
        print(f"  {name:15s} f = {f(Tensor(W.data + 0.01 * d)).item():.4f}   (f(W) = {f(W).item():.4f})")


if __name__ == "__main__":
    main()
