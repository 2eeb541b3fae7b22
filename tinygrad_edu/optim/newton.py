"""Newton's method: one linear solve with the Hessian per step."""

from __future__ import annotations

from typing import Any

import numpy as np

from .flat import FlatParams, call, require_closure, require_one_group
from .optimizer import Closure, Optimizer, ParamGroup, Params, check_nonnegative


class Newton(Optimizer):
    r"""Newton's method on all parameters at once, seen as one flat vector x of n numbers.

        H = Hessian of f at x                       (n x n, one Hessian-vector product per column)
        solve (H + damping I) s = grad f(x)        (Cholesky factorization: a linear solve, no inverse)
        x <- x - lr * s

    On a quadratic such as the lesson's f(W) = ||y - XW||^2 (H = 2 X^T X, grad f = 2 X^T (XW - y)),
    one step with lr=1 from anywhere lands on the normal equation's W = (X^T X)^-1 X^T y: the
    expensive exact step and the cheap gradient steps are two ends of one family.

    `damping` > 0 adds damping * I to H (Levenberg's regularization): it makes the solve
    possible where H is singular or not positive definite, and moves the step towards the
    gradient direction, s ~ grad f / damping for a large damping. When H + damping I is not
    positive definite, `step` raises `numpy.linalg.LinAlgError` naming its smallest eigenvalue
    and the damping that would fix it, and leaves the parameters unchanged.

    Cost: O(n^2) memory for H and O(n^3) time per step for the solve, plus n Hessian-vector
    products (each about the cost of two gradients) to build H: the same O(n^3) the normal
    equation costs. Use it for small n (up to a few thousand parameters).

    `step(closure)` needs a closure (it zeroes the gradients, computes the loss, calls backward,
    returns the loss) and returns the loss at the starting point x. Parameters whose gradient
    is None after the closure count as constants (zero gradient, zero Hessian rows).

    State: none per parameter; `last_step_size` is lr after a step (0.0 before the first).

    Args: params (one group of Tensors), lr (step scale, >= 0, default 1.0), damping (>= 0,
    default 0.0).
    """

    def __init__(self, params: Params, lr: float = 1.0, damping: float = 0.0) -> None:
        defaults = dict(lr=lr, damping=damping)
        self._check_group(defaults)
        super().__init__(params, defaults)
        require_one_group(self)
        self.last_step_size = 0.0

    def _check_group(self, group: ParamGroup) -> None:
        check_nonnegative(group["lr"], "Invalid learning rate", "lr")
        check_nonnegative(group["damping"], "Invalid damping value", "damping")

    def step(self, closure: Closure | None = None) -> Any:
        closure = require_closure(self, closure)
        group = self.param_groups[0]
        flat = FlatParams(group["params"], "Newton.step")
        saved = flat.snapshot()
        try:
            loss = call(closure)
            after_first = flat.snapshot()  # x and the gradient at x: where p.grad ends
            x, g = flat.get(), flat.grad()
            hessian = flat.hessian(closure)
        except BaseException:
            flat.restore(saved)
            raise
        flat.restore(after_first)
        s = solve_damped(hessian.astype(np.float64), g.astype(np.float64), group["damping"])
        flat.set(x - group["lr"] * s)
        self.last_step_size = float(group["lr"])
        return loss


def solve_damped(hessian: np.ndarray, g: np.ndarray, damping: float) -> np.ndarray:
    """s with (H + damping I) s = g, by Cholesky; LinAlgError when H + damping I is not PD."""
    n = g.size
    matrix = (hessian + hessian.T) / 2 + damping * np.eye(n)  # symmetric up to rounding
    try:
        lower = np.linalg.cholesky(matrix)
        lowest_pivot = float(np.min(np.diag(lower)) ** 2) if n else 1.0
        scale = float(np.max(np.abs(np.diag(matrix)))) if n else 1.0
        if lowest_pivot <= n * np.finfo(np.float64).eps * scale:
            raise np.linalg.LinAlgError("numerically singular")
    except np.linalg.LinAlgError:
        raise np.linalg.LinAlgError(_diagnose(matrix, damping)) from None
    return np.linalg.solve(lower.T, np.linalg.solve(lower, g))


def _diagnose(matrix: np.ndarray, damping: float) -> str:
    eigenvalues = np.linalg.eigvalsh(matrix)
    low, high = float(eigenvalues[0]), float(eigenvalues[-1])
    which = "H + damping I" if damping else "the Hessian H"
    tiny = matrix.shape[0] * np.finfo(np.float64).eps * max(abs(high), abs(low), 1e-300)
    kind = "singular" if abs(low) <= tiny else "not positive definite"
    needed = max(damping - low, 0.0)
    suggestion = needed + 0.01 * max(abs(high), 1e-12)
    return (
        f"Newton: {which} ({matrix.shape[0]} x {matrix.shape[0]}) is {kind}: its smallest "
        f"eigenvalue is {low:.6g} (largest {high:.6g}), so the Newton step is not defined or "
        f"does not point downhill. Pass damping > {needed:.3g} to "
        f"Newton(..., damping=...), e.g. damping={suggestion:.3g}, or start closer to a "
        "minimum where f curves upwards in every direction."
    )
