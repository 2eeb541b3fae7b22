"""Line searches: choose the step size eps along the negative gradient at every step.

Both search along the ray x(eps) = x - eps * g, where g = grad f(x), that is along
phi(eps) = f(x - eps g), with phi(0) = f(x) and phi'(0) = -||g||^2 < 0.

* BacktrackingLineSearch tries eps = lr, lr*shrink, lr*shrink^2, ... and takes the first
  that satisfies Armijo's sufficient-decrease condition
      f(x - eps g) <= f(x) - c * eps * ||g||^2.
* ExactLineSearch minimizes phi by Newton's method, eps <- eps - phi'(eps) / phi''(eps),
  with phi'(eps) = -g . grad f(x - eps g) and phi''(eps) = g . H(x - eps g) g both computed
  in forward mode (a jvp of the closure in the direction -g; the tangent of the gradient
  is the Hessian-vector product). On a quadratic phi is a parabola and one iteration
  lands on its minimizer.

After each step, `last_trials` lists the (eps, f(x - eps g)) pairs tried, in order,
`last_step_size` is the accepted eps, and `last_loss` and `last_grad_norm` are f(x) and ||g||
at the starting point: what you need to draw the Armijo picture.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..tensor import Tensor
from .assign import store
from .optimizer import Closure, Optimizer, ParamGroup, Params, check_number


class _RaySearch(Optimizer):
    """Shared machinery: one parameter group, a required closure, moving along the ray."""

    def __init__(self, params: Params, defaults: dict[str, Any]) -> None:
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError(
                f"{type(self).__name__} searches along one direction for all parameters, so "
                "it takes a single parameter group (pass a list of Tensors)"
            )
        self.last_trials: list[tuple[float, float]] = []
        self.last_step_size: float = 0.0
        self.last_loss: float | None = None  # f(x) where the latest step started
        self.last_grad_norm: float | None = None  # ||g|| there: the Armijo line's slope is -||g||^2
        self.op = f"{type(self).__name__}.step"  # the in-place op the moves count as

    def _start(self, closure: Closure | None) -> tuple[Any, float, list[Tensor], list, list]:
        """Evaluate the closure at x; return (loss, f(x), params with grad, x, g)."""
        if closure is None:
            raise TypeError(
                f"{type(self).__name__}.step needs a closure: a function that zeroes the "
                "gradients, computes the loss, calls loss.backward() and returns the loss; "
                "the search re-evaluates the loss at trial points through it"
            )
        import tinygrad_edu as tge

        with tge.enable_grad():
            loss = closure()
        params = [p for p in self.param_groups[0]["params"] if p.grad is not None]
        x0 = [p.data.copy() for p in params]  # the moves write into p.data
        g = [np.array(p.grad.data, dtype=p.data.dtype, copy=True) for p in params]
        for p, gi in zip(params, g, strict=True):
            if gi.shape != p.data.shape:
                raise ValueError(f"gradient of shape {gi.shape} does not match {p.data.shape}")
        f0 = _to_float(loss)
        self.last_loss = f0
        self.last_grad_norm = float(np.sqrt(sum(float(np.sum(gi * gi)) for gi in g)))
        return loss, f0, params, x0, g

    def _move(self, params: list[Tensor], x0: list, g: list, eps: float) -> None:
        """Put the parameters at x0 - eps * g, in place."""
        for p, xi, gi in zip(params, x0, g, strict=True):
            store(p, xi - eps * gi, self.op)

    def _evaluate(self, closure: Closure, params: list[Tensor], x0: list, g: list, eps: float) -> float:
        import tinygrad_edu as tge

        self._move(params, x0, g, eps)
        with tge.enable_grad():
            value = _to_float(closure())
        self.last_trials.append((float(eps), value))
        return value

    def _restore(self, params: list[Tensor], x0: list, grads: list) -> None:
        """Put the parameters back at x0 (in place) with their gradients there."""
        for p, xi, gi in zip(params, x0, grads, strict=True):
            store(p, xi, self.op)
            p.grad = gi


class BacktrackingLineSearch(_RaySearch):
    r"""Gradient descent whose step size is chosen by backtracking (Armijo's rule).

    From x with gradient g, try eps = lr, lr * shrink, lr * shrink^2, ... (at most
    max_trials values) and take the first with
        f(x - eps g) <= f(x) - c * eps * ||g||^2.
    `step(closure)` returns f(x), the loss at the starting point (as LBFGS does), and
    leaves p.grad holding the gradient at the new point. If no trial satisfies the
    condition, it takes no step (`last_step_size` = 0.0), restores x and its gradient,
    and warns with a RuntimeWarning.

    State: none per parameter; `last_trials` (list of (eps, f)) and `last_step_size`
    describe the most recent step (initially [] and 0.0).

    Args: lr (first trial, 1.0), shrink (factor in (0, 1), 0.5), c (Armijo constant in
    (0, 1), 1e-4), max_trials (>= 1, 50).
    """

    def __init__(
        self, params: Params, lr: float = 1.0, shrink: float = 0.5, c: float = 1e-4, max_trials: int = 50
    ) -> None:
        defaults = dict(lr=lr, shrink=shrink, c=c, max_trials=max_trials)
        self._check_group(defaults)
        super().__init__(params, defaults)

    def _check_group(self, group: ParamGroup) -> None:
        if not check_number("lr", group["lr"]) > 0.0:
            raise ValueError(f"Invalid learning rate: {group['lr']} (the first trial step must be positive)")
        if not 0.0 < check_number("shrink", group["shrink"]) < 1.0:
            raise ValueError(f"Invalid shrink value: {group['shrink']} (must lie in (0, 1))")
        if not 0.0 < check_number("c", group["c"]) < 1.0:
            raise ValueError(f"Invalid Armijo constant c: {group['c']} (must lie in (0, 1))")
        trials = group["max_trials"]
        if isinstance(trials, bool) or not isinstance(trials, (int, np.integer)) or trials < 1:
            raise ValueError(f"Invalid max_trials value: {trials!r} (must be an integer >= 1)")

    def step(self, closure: Closure | None = None) -> Any:
        loss, f0, params, x0, g = self._start(closure)
        assert closure is not None
        group = self.param_groups[0]
        slope = sum(float(np.sum(gi * gi)) for gi in g)  # ||g||^2 = -phi'(0)
        grads0 = [p.grad for p in params]
        self.last_trials = []
        self.last_step_size = 0.0
        try:
            eps = self._search(closure, params, x0, g, f0, slope)
        except BaseException:
            self._restore(params, x0, grads0)
            raise
        if eps > 0.0:
            self.last_step_size = eps
            return loss
        self._restore(params, x0, grads0)
        warnings.warn(
            f"BacktrackingLineSearch: no step size among {group['max_trials']} trials from "
            f"lr={group['lr']} satisfied the Armijo condition; no step was taken. Check the "
            "gradient, or raise max_trials or lr.",
            RuntimeWarning,
            stacklevel=2,
        )
        return loss

    def _search(self, closure: Closure, params: list[Tensor], x0: list, g: list, f0: float, slope: float) -> float:
        """The first eps = lr shrink^k along x - eps g meeting Armijo, or 0.0 if none does.

        `slope` is -phi'(0) (||g||^2 along the negative gradient); the point is left at the
        last trial.
        """
        group = self.param_groups[0]
        for k in range(group["max_trials"]):
            eps = group["lr"] * group["shrink"] ** k
            if self._evaluate(closure, params, x0, g, eps) <= f0 - group["c"] * eps * slope:
                return float(eps)
        return 0.0


class ExactLineSearch(_RaySearch):
    r"""Steepest descent with the step size that minimizes f along the ray.

    Minimizes phi(eps) = f(x - eps g) by a safeguarded Newton's method from eps = 0:
        eps <- eps - phi'(eps) / phi''(eps),
        phi'(eps) = -g . grad f(x - eps g),   phi''(eps) = g . H(x - eps g) g,
    both from one forward-mode pass (`tge.jvp` of the closure in direction -g; inside it,
    the tangent of p.grad is H(-g)). For a quadratic f, phi is a parabola and the first
    iteration gives eps = ||g||^2 / (g . H g), the exact minimizer along the ray.

    Safeguard: the search keeps a bracket [lo, hi] that holds a minimizer of phi: lo is the
    last point where phi still descends (phi' < 0) without rising above phi(0), hi the
    first point where phi' > 0, phi rose, or phi was not finite. A Newton point outside
    the bracket (or no Newton point, when phi'' <= 0) is replaced by the bracket's midpoint,
    or, before any hi is known, by 1.0 and then by doubling.

    It stops when |phi'(eps)| <= tol * |phi'(0)| = tol * ||g||^2 with phi(eps) <= phi(0),
    or when the bracket (or the Newton update) has shrunk below the floating-point resolution
    of eps. If neither happens within max_iter iterations it takes the lowest point found
    and warns with a RuntimeWarning that gives |phi'| there.

    `step(closure)` returns f(x) and leaves p.grad holding the gradient at the new point.
    State: none per parameter; `last_trials` (the (eps, f) pairs evaluated) and
    `last_step_size` (the accepted eps), initially [] and 0.0.
    """

    def __init__(self, params: Params, max_iter: int = 20, tol: float = 1e-10) -> None:
        defaults = dict(max_iter=max_iter, tol=tol)
        self._check_group(defaults)
        super().__init__(params, defaults)

    def _check_group(self, group: ParamGroup) -> None:
        iters = group["max_iter"]
        if isinstance(iters, bool) or not isinstance(iters, (int, np.integer)) or iters < 1:
            raise ValueError(f"Invalid max_iter value: {iters!r} (must be an integer >= 1)")
        if not check_number("tol", group["tol"]) >= 0.0:
            raise ValueError(f"Invalid tol value: {group['tol']} (must be >= 0)")

    def _phi(self, closure: Closure, params: list[Tensor], x0: list, g: list, eps: float) -> tuple[float, float, float]:
        """(phi(eps), phi'(eps), phi''(eps)) from one jvp of the closure along -g."""
        import tinygrad_edu as tge

        self._move(params, x0, g, eps)
        directions = [Tensor(-gi) for gi in g]
        curvature = [0.0]

        def loss_along_ray(*_: Tensor) -> Any:
            loss = closure()
            total = 0.0
            for p, d in zip(params, directions, strict=True):
                hd = tge.tangent_of(p.grad) if p.grad is not None else None
                if hd is not None:
                    total += float(np.sum(d.data * np.asarray(hd.data)))
            curvature[0] = total
            return loss

        with tge.enable_grad():
            value, slope = tge.jvp(loss_along_ray, tuple(params), tuple(directions))
        phi = _to_float(value)
        self.last_trials.append((float(eps), phi))
        return phi, _to_float(slope), curvature[0]

    def step(self, closure: Closure | None = None) -> Any:
        loss, f0, params, x0, g = self._start(closure)
        assert closure is not None
        grads0 = [p.grad for p in params]
        norm2 = sum(float(np.sum(gi * gi)) for gi in g)
        self.last_trials = []
        self.last_step_size = 0.0
        if norm2 == 0.0 or not (np.isfinite(norm2) and np.isfinite(f0)):
            return loss
        try:
            eps = self._search(closure, params, x0, g, f0, norm2)
            if eps != 0.0 and self.last_trials[-1][0] != eps:
                self._evaluate(closure, params, x0, g, eps)  # leave x and p.grad at eps
        except BaseException:
            self._restore(params, x0, grads0)
            raise
        if eps == 0.0:
            self._restore(params, x0, grads0)
        self.last_step_size = float(eps)
        return loss

    def _search(self, closure: Closure, params: list[Tensor], x0: list, g: list, f0: float, norm2: float) -> float:
        """The minimizer of phi along the ray, by Newton's method kept inside a bracket."""
        group = self.param_groups[0]
        target = group["tol"] * norm2  # |phi'| at which eps counts as the minimizer
        rounding = 8 * np.finfo(float).eps * abs(f0)  # phi differences below this are noise
        resolution = 4 * np.finfo(float).eps
        lo, phi_lo, hi = 0.0, f0, np.inf
        best, best_phi, best_slope = 0.0, f0, -norm2
        floor: tuple[float, float] | None = None  # (eps, |phi'|) of a point at the noise floor
        eps = 0.0
        for it in range(group["max_iter"] + 1):
            phi, slope, curvature = self._phi(closure, params, x0, g, eps)
            finite = bool(np.isfinite(phi) and np.isfinite(slope))
            acceptable = finite and phi <= phi_lo + rounding
            if acceptable and abs(slope) <= target:
                return eps  # converged: phi' = 0 to tolerance, and no higher than before
            if finite and phi < best_phi:
                best, best_phi, best_slope = eps, phi, slope
            # Rounding floor: Newton's model predicts a further decrease phi'^2 / (2 phi'')
            # that f cannot resolve. Met twice in a row, the tolerance is out of reach.
            if acceptable and 0.0 < curvature < np.inf and slope * slope <= 2 * curvature * rounding:
                if floor is not None:
                    return eps if abs(slope) <= floor[1] else floor[0]
                floor = (eps, abs(slope))
            else:
                floor = None
            if it == group["max_iter"]:
                break
            if not finite or phi > phi_lo + rounding or slope > 0.0:
                hi = eps  # overshot: a minimizer lies between lo and here
            else:
                lo, phi_lo = eps, phi  # still descending
            newton = eps - slope / curvature if finite and 0.0 < curvature < np.inf else np.nan
            if lo < newton < hi:
                nxt = newton
            elif hi < np.inf:
                nxt = 0.5 * (lo + hi)
            else:
                nxt = 2.0 * eps if eps > 0.0 else 1.0
            if hi - lo <= resolution * hi < np.inf or abs(nxt - eps) <= resolution * abs(eps):
                # eps is pinned down to floating-point resolution: nothing closer exists
                return eps if acceptable else best
            eps = nxt
        if floor is not None:
            return floor[0]
        warnings.warn(
            f"ExactLineSearch did not converge in max_iter={group['max_iter']} iterations: "
            f"at the lowest point found, eps = {best:.6g}, |phi'(eps)| = {abs(best_slope):.3g}, "
            f"above tol * |phi'(0)| = {target:.3g}. It took that step. Raise max_iter, or check "
            "that the loss is smooth and bounded below along the ray.",
            RuntimeWarning,
            stacklevel=3,
        )
        return best


def _to_float(value: Any) -> float:
    """The loss as a Python float (closures may return a Tensor, an array or a number)."""
    if isinstance(value, Tensor):
        value = value.data
    return float(np.asarray(value))
