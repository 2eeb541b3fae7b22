"""Lesson step 2: partial derivatives and the gradient vector of the squared error.

f(W) = ||y - XW||^2 = sum_i (y_i - (w_0 + w_1 x_i1 + ... ))^2. Each partial derivative
df/dw_j varies one weight with the others held fixed; together they form the gradient,
whose hand-derived form is grad f(W) = -2 X^T (y - XW). Autodiff must agree with it, and
with central differences (tge.gradcheck).

    python examples/02_gradient.py
"""

from __future__ import annotations

import numpy as np

import tinygrad_edu as tge
from tinygrad_edu import Tensor, data


def main() -> None:
    X, y, _ = data.make_regression(m=20, n=2, noise=0.1, seed=0, bias=True)  # columns 1, x1, x2
    W = Tensor([1.0, 2.0, -1.0], requires_grad=True, name="W")

    def f(w: Tensor) -> Tensor:
        return ((y - X @ w) ** 2).sum()

    loss = f(W)
    loss.backward()
    print(f"f(W) = ||y - XW||^2 with m = {X.shape[0]} rows, W = {W.data.tolist()}: f(W) = {loss.item():.6f}")

    print("\nPartial derivatives, one weight at a time (others fixed), by central differences:")
    h = 1e-6
    for j in range(W.size):
        e = np.zeros(W.size)
        e[j] = h
        numeric = (f(Tensor(W.data + e)).item() - f(Tensor(W.data - e)).item()) / (2 * h)
        print(f"  df/dw{j}: autodiff {W.grad.data[j]: .6f}   central difference {numeric: .6f}")

    formula = -2 * X.T @ (y - X @ W.detach())
    print(f"\nThe gradient vector, autodiff:     {np.array2string(W.grad.data, precision=6)}")
    print(f"The hand formula -2 X^T (y - XW):  {np.array2string(formula.data, precision=6)}")
    print("\ncompare_gradients(autodiff, formula):")
    print(tge.compare_gradients(W.grad, formula, names=["W"]))
    ok = tge.gradcheck(f, [Tensor(W.data, requires_grad=True, name="W")])
    print(f"\ngradcheck (autodiff vs central differences in float64): {'passed' if ok else 'FAILED'}")

    W_star = data.normal_equation(X, y)
    g_star = tge.grad(f)(W_star)
    print(f"\nAt the normal-equation solution W* = {np.array2string(W_star.data, precision=4)}")
    print(f"the gradient is ~0 (a critical point): ||grad f(W*)|| = {np.linalg.norm(g_star.data):.2e}")


if __name__ == "__main__":
    main()
