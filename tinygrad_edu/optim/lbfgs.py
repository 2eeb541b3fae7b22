"""L-BFGS: a quasi-Newton method that learns the curvature from the last few gradient changes."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from .flat import FlatParams, call, require_closure, require_one_group, to_float
from .optimizer import Closure, Optimizer, ParamGroup, Params, check_nonnegative
from .wolfe import strong_wolfe


class LBFGS(Optimizer):
    r"""L-BFGS, PyTorch's algorithm (torch.optim.LBFGS), on all parameters as one flat vector.

    Each `step(closure)` runs up to max_iter iterations. Iteration k, at x with gradient g:

        s = x - x_prev,  y = g - g_prev                     (the last move and gradient change)
        if y . s > 1e-10: remember (s, y) (at most history_size pairs, oldest dropped),
                          gamma = (y . s) / (y . y)          (the scale of the inverse Hessian)
        d = -H g by the two-loop recursion over the remembered pairs, with H_0 = gamma I:
            q = -g;  for i newest to oldest: a_i = rho_i s_i . q,  q <- q - a_i y_i
            r = gamma q;  for i oldest to newest: b_i = rho_i y_i . r,  r <- r + (a_i - b_i) s_i
            d = r,  rho_i = 1 / (y_i . s_i)
        (d = -g at the very first iteration)
        t = lr (min(1, 1 / sum|g|) * lr at the very first iteration)
        x <- x + t d, with t from the strong Wolfe line search when line_search_fn="strong_wolfe"

    An iteration re-evaluates the closure at the new point (except the last of a step without
    line search). A step stops early when max|g| <= tolerance_grad (also checked before the
    first iteration), when g . d > -tolerance_change, when max|t d| <= tolerance_change, when
    |f - f_prev| < tolerance_change, or after max_eval closure evaluations.

    `step(closure)` requires the closure (it zeroes the gradients, computes the loss, calls
    backward and returns the loss) and returns its value at the starting point. If the
    closure raises, the parameters, their gradients and the state are left as they were.

    State (PyTorch's names, kept in `state[first parameter]`; none before the first step):
    'func_evals' and 'n_iter' (counters, start at 0), 'd' (the last direction), 't' (the last
    step length), 'old_dirs' (the y's), 'old_stps' (the s's), 'ro' (the rho's), 'H_diag'
    (gamma, 1 at first), 'prev_flat_grad', 'prev_loss' and 'al' (the a_i's).

    Args (PyTorch's defaults): lr (1), max_iter (iterations per step, 20), max_eval
    (closure evaluations per step, max_iter * 5 // 4), tolerance_grad (1e-7),
    tolerance_change (1e-9), history_size (100), line_search_fn (None or "strong_wolfe").
    """

    def __init__(
        self,
        params: Params,
        lr: float = 1,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ) -> None:
        _check_count("max_iter", max_iter)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(
            lr=lr,
            max_iter=max_iter,
            max_eval=max_eval,
            tolerance_grad=tolerance_grad,
            tolerance_change=tolerance_change,
            history_size=history_size,
            line_search_fn=line_search_fn,
        )
        self._check_group(defaults)
        super().__init__(params, defaults)
        require_one_group(self)

    def _check_group(self, group: ParamGroup) -> None:
        check_nonnegative(group["lr"], "Invalid learning rate", "lr")
        for name in ("max_iter", "max_eval", "history_size"):
            _check_count(name, group[name])
        check_nonnegative(group["tolerance_grad"], "Invalid tolerance_grad value", "tolerance_grad")
        check_nonnegative(group["tolerance_change"], "Invalid tolerance_change value", "tolerance_change")
        if group["line_search_fn"] not in (None, "strong_wolfe"):
            raise ValueError(
                f"Invalid line_search_fn: {group['line_search_fn']!r}; LBFGS supports None "
                "(fixed steps of length lr) and 'strong_wolfe'"
            )

    def step(self, closure: Closure | None = None) -> Any:
        closure = require_closure(self, closure)
        group = self.param_groups[0]
        flat = FlatParams(group["params"], "LBFGS.step")
        first = group["params"][0]
        saved, saved_state = flat.snapshot(), copy.deepcopy(self.state.get(first))
        try:
            return self._iterate(closure, group, flat, self.state[first])
        except BaseException:
            flat.restore(saved)
            if saved_state is None:
                del self.state[first]
            else:
                self.state[first] = saved_state
            raise

    def _iterate(self, closure: Closure, group: ParamGroup, flat: FlatParams, state: dict[str, Any]) -> Any:
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        history_size = group["history_size"]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = call(closure)
        loss = to_float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = flat.grad()
        if np.max(np.abs(flat_grad), initial=0.0) <= tolerance_grad:
            return orig_loss

        # None before the first iteration ever, which sets them all
        d: Any = state.get("d")
        t: Any = state.get("t")
        old_dirs: Any = state.get("old_dirs")
        old_stps: Any = state.get("old_stps")
        ro: Any = state.get("ro")
        H_diag: Any = state.get("H_diag")
        prev_flat_grad: Any = state.get("prev_flat_grad")
        prev_loss: Any = state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1

            # the direction: steepest descent first, then the two-loop recursion
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro, H_diag = [], [], [], 1.0
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = float(y @ s)
                if ys > 1e-10:
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / float(y @ y)
                if "al" not in state:
                    state["al"] = [None] * history_size
                al = state["al"]
                q = -flat_grad
                for i in range(len(old_dirs) - 1, -1, -1):
                    al[i] = float(old_stps[i] @ q) * ro[i]
                    q = q - al[i] * old_dirs[i]
                d = r = q * H_diag
                for i in range(len(old_dirs)):
                    be_i = float(old_dirs[i] @ r) * ro[i]
                    r += (al[i] - be_i) * old_stps[i]

            prev_flat_grad = flat_grad.copy()
            prev_loss = loss

            # the step length
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / float(np.sum(np.abs(flat_grad)))) * lr
            else:
                t = lr
            gtd = float(flat_grad @ d)
            if gtd > -tolerance_change:
                break

            evals = 0
            x = flat.get()
            if group["line_search_fn"] == "strong_wolfe":

                def along(x0: np.ndarray, step: float, direction: np.ndarray) -> tuple[float, np.ndarray]:
                    flat.set(x0 + step * direction)
                    value = to_float(call(closure))
                    gradient = flat.grad()
                    flat.set(x0)
                    return value, gradient

                loss, flat_grad, t, evals = strong_wolfe(
                    along, x, t, d, loss, flat_grad, gtd, max_ls=max_eval - current_evals
                )
                flat.set(x + t * d)
                opt_cond = np.max(np.abs(flat_grad)) <= tolerance_grad
            else:
                flat.set(x + t * d)
                opt_cond = False
                if n_iter != max_iter:  # no need to evaluate after the last iteration
                    loss = to_float(call(closure))
                    flat_grad = flat.grad()
                    opt_cond = np.max(np.abs(flat_grad)) <= tolerance_grad
                    evals = 1
            current_evals += evals
            state["func_evals"] += evals

            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if np.max(np.abs(d * t)) <= tolerance_change:
                break  # lack of progress: the step is below tolerance
            if abs(loss - prev_loss) < tolerance_change:
                break

        state.update(
            d=d,
            t=t,
            old_dirs=old_dirs,
            old_stps=old_stps,
            ro=ro,
            H_diag=H_diag,
            prev_flat_grad=prev_flat_grad,
            prev_loss=prev_loss,
        )
        return orig_loss


def _check_count(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"Invalid {name} value: {value!r} (must be an integer >= 1)")
