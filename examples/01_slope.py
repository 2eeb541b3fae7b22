"""Lesson step 1: a gradient is the slope of the tangent line.

f(x) = x^2 at x = 2: f(2) = 4 and f'(2) = 4. Then the lesson's exercise: one gradient-descent
step on f(x) = x^2 - 4x + 5 from x = 0 with learning rate eps = 0.1.

    python examples/01_slope.py
"""

from __future__ import annotations

import tinygrad_edu as tge
from tinygrad_edu import Tensor


def square(x: Tensor) -> Tensor:
    """f(x) = x^2, whose derivative is f'(x) = 2x."""
    return x**2


def exercise(x: Tensor) -> Tensor:
    """The lesson's exercise: f(x) = x^2 - 4x + 5, f'(x) = 2x - 4, minimum at x = 2."""
    return x**2 - 4 * x + 5


def main() -> None:
    x = Tensor(2.0, requires_grad=True, name="x")
    y = square(x)
    y.backward()  # reverse mode: fills x.grad with df/dx at x = 2
    print("f(x) = x^2 at x = 2")
    print(f"  f(2)  = {y.item():g}")
    print(f"  f'(2) = {x.grad.item():g}   (the hand formula 2x gives {2 * 2.0:g})")
    h = 1e-6
    slope = (square(Tensor(2.0 + h)).item() - square(Tensor(2.0 - h)).item()) / (2 * h)
    print(f"  slope of a tiny secant (f(2+h) - f(2-h)) / 2h = {slope:.6f}")
    tangent = [y.item() + x.grad.item() * (t - 2.0) for t in (1.0, 2.0, 3.0)]
    print("  tangent line y = 4 + 4 (x - 2) at x = 1, 2, 3:", ", ".join(f"{v:g}" for v in tangent))

    print()
    print("Exercise: f(x) = x^2 - 4x + 5, one step from x = 0 with eps = 0.1")
    x0, eps = 0.0, 0.1
    d = tge.grad(exercise)(Tensor(x0)).item()
    x1 = x0 - eps * d
    print("  1. f'(x) = 2x - 4")
    print(f"  2. f'(0) = {d:g}")
    print(f"  3. x_new = x_old - eps f'(x_old) = {x0:g} - {eps:g} * ({d:g}) = {x1:g}")
    f0, f1 = exercise(Tensor(x0)).item(), exercise(Tensor(x1)).item()
    print(f"  f(0) = {f0:g}  ->  f({x1:g}) = {f1:g}: the loss decreased")
    x = Tensor(x0)
    for _ in range(50):
        x = x - eps * tge.grad(exercise)(x)
    print(f"  after 50 such steps x = {x.item():.6f} (the minimum is at x = 2, f(2) = 1)")


if __name__ == "__main__":
    main()
