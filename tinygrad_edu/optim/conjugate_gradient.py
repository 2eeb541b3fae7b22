"""Nonlinear conjugate gradient: steepest descent that remembers its last direction."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ..tensor import Tensor
from .assign import store
from .flat import call, require_closure, require_one_group, to_float
from .line_search import BacktrackingLineSearch, ExactLineSearch
from .optimizer import Closure, Optimizer, ParamGroup, Params

BETAS = ("fletcher_reeves", "polak_ribiere", "hestenes_stiefel")
LINE_SEARCHES = ("exact", "backtracking")


class ConjugateGradient(Optimizer):
    r"""Nonlinear conjugate gradient, on all parameters at once (one parameter group).

    Step k, at x with gradient g (g_prev and d_prev from the step before, y = g - g_prev):

        beta = (g . g) / (g_prev . g_prev)                  "fletcher_reeves"
        beta = max(0, (g . y) / (g_prev . g_prev))          "polak_ribiere" (PR+, the default)
        beta = (g . y) / (d_prev . y)                       "hestenes_stiefel"
        d = -g + beta d_prev            (d = -g at the first step: steepest descent)
        if g . d >= 0: d = -g           (restart when d does not go downhill)
        x <- x + eps d,  eps from the line search along d

    With line_search="exact" eps minimizes phi(eps) = f(x + eps d) (ExactLineSearch's
    safeguarded Newton on the ray, phi' and phi'' by forward mode); on a quadratic in n
    variables the directions are then conjugate (d_i . H d_j = 0) and CG reaches the minimizer
    in at most n steps, where steepest descent zig-zags. With line_search="backtracking",
    eps = 1, 1/2, 1/4, ... until Armijo's f(x + eps d) <= f(x) + 1e-4 eps (g . d) holds
    (BacktrackingLineSearch's defaults); if none does, no step is taken and a RuntimeWarning
    says so. PR+ restarts by itself (beta = 0) when the gradient changes a lot; beta = 0 for
    Hestenes-Stiefel when d_prev . y = 0.

    `step(closure)` requires the closure (it zeroes the gradients, computes the loss, calls
    backward and returns the loss) and returns the loss at the starting point; p.grad is left
    holding the gradient at the new point. If the closure raises, the parameters, their
    gradients and the state are left as they were.

    State per parameter (created at the first step): 'prev_grad' (g of the last step) and
    'direction' (its d). After each step, `last_beta` (0.0 on a restart), `last_step_size`
    (eps) and `last_trials` (the (eps, f) pairs the search evaluated) describe it.
    """

    def __init__(self, params: Params, beta: str = "polak_ribiere", line_search: str = "exact") -> None:
        defaults = dict(beta=beta, line_search=line_search)
        self._check_group(defaults)
        super().__init__(params, defaults)
        require_one_group(self)
        group_params = self.param_groups[0]["params"]
        self._searches = {"exact": ExactLineSearch(group_params), "backtracking": BacktrackingLineSearch(group_params)}
        for search in self._searches.values():
            search.op = "ConjugateGradient.step"
        self.last_beta = 0.0
        self.last_step_size = 0.0
        self.last_trials: list[tuple[float, float]] = []

    def _check_group(self, group: ParamGroup) -> None:
        if group["beta"] not in BETAS:
            raise ValueError(f"Invalid beta: {group['beta']!r}; choose one of " + ", ".join(repr(b) for b in BETAS))
        if group["line_search"] not in LINE_SEARCHES:
            raise ValueError(
                f"Invalid line_search: {group['line_search']!r}; choose 'exact' "
                "(minimize f along the direction) or 'backtracking' (Armijo)"
            )

    def step(self, closure: Closure | None = None) -> Any:
        closure = require_closure(self, closure)
        group = self.param_groups[0]
        saved = [(p, p.data.copy(), p.grad) for p in group["params"]]  # the search writes into p.data
        try:
            return self._step(closure, group)
        except BaseException:
            for p, data, grad in saved:
                store(p, data, "ConjugateGradient.step")
                p.grad = grad
            raise

    def _step(self, closure: Closure, group: ParamGroup) -> Any:
        loss = call(closure)
        f0 = to_float(loss)
        params = [p for p in group["params"] if p.grad is not None]
        x0 = [p.data.copy() for p in params]
        g = [np.array(p.grad.data, dtype=p.data.dtype) for p in params]
        grads0 = [p.grad for p in params]
        for p, gi in zip(params, g, strict=True):
            if gi.shape != p.data.shape:
                raise ValueError(
                    f"gradient of shape {gi.shape} does not match parameter {p.name or ''} of shape {p.data.shape}"
                )
        d, beta = self._direction(params, g, group["beta"])
        slope = -_dot(g, d)  # -phi'(0) > 0 for a descent direction
        search: Any = self._searches[group["line_search"]]
        search.last_trials = []
        search.last_loss, search.last_grad_norm = f0, float(np.sqrt(_dot(g, g)))
        ray = [-di for di in d]  # the searches move along x - eps * ray = x + eps d
        eps = 0.0
        if slope > 0.0 and np.isfinite(slope) and np.isfinite(f0):
            eps = search._search(closure, params, x0, ray, f0, slope)
            if eps != 0.0 and search.last_trials[-1][0] != eps:
                search._evaluate(closure, params, x0, ray, eps)  # leave x and p.grad at eps
        if eps == 0.0:
            search._restore(params, x0, grads0)
            if group["line_search"] == "backtracking" and slope > 0.0:
                warnings.warn(
                    "ConjugateGradient: backtracking found no step along the direction "
                    "that satisfies Armijo's condition; no step was taken.",
                    RuntimeWarning,
                    stacklevel=3,
                )
        for p, gi, di in zip(params, g, d, strict=True):
            self.state[p] = {"prev_grad": gi, "direction": np.asarray(di, dtype=p.data.dtype)}
        self.last_beta, self.last_step_size = beta, float(eps)
        self.last_trials = list(search.last_trials)
        return loss

    def _direction(self, params: list[Tensor], g: list[np.ndarray], rule: str) -> tuple[list, float]:
        """d = -g + beta d_prev (restarting at -g), and beta."""
        steepest = [-gi for gi in g]
        if not all("direction" in self.state.get(p, {}) for p in params):
            return steepest, 0.0
        g_prev = [self.state[p]["prev_grad"] for p in params]
        d_prev = [self.state[p]["direction"] for p in params]
        y = [gi - gp for gi, gp in zip(g, g_prev, strict=True)]
        if rule == "fletcher_reeves":
            numerator, denominator = _dot(g, g), _dot(g_prev, g_prev)
        elif rule == "polak_ribiere":
            numerator, denominator = _dot(g, y), _dot(g_prev, g_prev)
        else:
            numerator, denominator = _dot(g, y), _dot(d_prev, y)
        beta = numerator / denominator if denominator != 0.0 else 0.0
        if rule == "polak_ribiere":
            beta = max(beta, 0.0)
        if not np.isfinite(beta) or beta == 0.0:
            return steepest, 0.0
        d = [-gi + beta * dp for gi, dp in zip(g, d_prev, strict=True)]
        if _dot(g, d) >= 0.0:
            return steepest, 0.0
        return d, float(beta)


def _dot(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    return float(sum(np.sum(ai * bi) for ai, bi in zip(a, b, strict=True)))
