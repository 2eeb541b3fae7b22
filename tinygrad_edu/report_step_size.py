"""The report's sections on choosing the step size: the learning rate, line searches and the
adaptive methods (parts 6 to 8 of the lesson; report_sections.py holds the others and the order).

Each function draws its pictures into the report's folder and returns its HTML, as in
report_sections.py.
"""

from __future__ import annotations

import numpy as np

from . import viz
from .demo import START, TABLE_HEAD, TOL, DemoResult, table_rows
from .report import Pictures, compare, formula, table


def learning_rate(r: DemoResult, pic: Pictures) -> str:
    L, f_star = r.lipschitz, r.rows[0].final_loss
    eig = np.linalg.eigvalsh(2.0 * r.X.T @ r.X)
    rows = []
    for name, hist in r.learning_rates.items():
        lr = float(hist.step_size[0]) if hist.step_size else float("nan")
        first, last = hist.loss[0] - f_star, hist.loss[-1] - f_star
        steps = hist.steps
        if "diverged" in name:
            verdict = f"diverged: f grew past a million times its start after {steps} steps"
        else:
            verdict = f"f - f* fell by a factor of {first / last:.3g}" if last < first else "f - f* grew"
        rows.append((name, f"{lr:.4g}", f"{lr * L:.2f}", steps, f"{last:.3e}", verdict))
    runs = dict(r.learning_rates)
    pad = 1.0
    points = np.concatenate([np.array([START]), r.w_normal[None, :]])
    lo, hi = points.min(axis=0) - pad, points.max(axis=0) + pad
    return (
        formula(
            f"fixed-step gradient descent converges when lr < 2/L, L = largest eigenvalue of the Hessian "
            f"2 X^T X\nL = {L:.6g}    2/L = {2 / L:.6g}"
        )
        + f"<p>The Hessian's eigenvalues are {eig[0]:.6g} and {eig[1]:.6g} (numpy.linalg.eigvalsh of 2 X^T X). "
        "Along the steepest eigenvector each step multiplies the error by (1 - lr L): below 1 in size only "
        "when lr &lt; 2/L. At most sixty steps each, too small, good, and past the bound:</p>"
        + compare(
            [("2/L from the Hessian tge.hessian computes", 2 / float(np.linalg.eigvalsh(_hessian(r)).max()), 2 / L)],
            rtol=1e-9,
        )
        + table(("run", "lr", "lr * L", "steps", "f - f* at the end", "verdict"), rows)
        + pic(
            "lr_paths.png",
            lambda p: viz.plot_contour(
                r.loss,
                runs,
                minimizer=list(r.w_normal),
                xlim=(lo[0], hi[0]),
                ylim=(lo[1], hi[1]),
                layout="grid",
                resolution=50,
                title="too small, good, too large",
                path=p,
            ),
            "three learning rates side by side",
            "Too small crawls, 1/L walks down the valley, 2.5/L overshoots further at every step and leaves "
            "the picture.",
        )
        + pic(
            "lr_history.png",
            lambda p: viz.plot_history(runs, f_star=f_star, title="f - f* per step", path=p),
            "f - f* per step for the three learning rates",
            "On a log scale a converging run falls in a straight line and a diverging one climbs.",
        )
    )


def _hessian(r: DemoResult) -> np.ndarray:
    from .derivatives import hessian

    return hessian(r.loss)(np.array(START, dtype=np.float64)).numpy()


def line_search(r: DemoResult, pic: Pictures) -> str:
    names = ["GD, fixed step 1/L", "GD, exact line search", "GD, backtracking"]
    runs = {n: h for n in names if (h := r.history(n)) is not None}
    X, y, at = r.X, r.y, np.array(START)
    g = -2.0 * X.T @ (y - X @ at)
    exact_hand = float(g @ g / (2.0 * np.sum((X @ g) ** 2)))
    f0, eps = r.loss(at).item(), 1.0
    while r.loss(at - eps * g).item() > f0 - 1e-4 * eps * float(g @ g):
        eps /= 2
    rows = []
    if (h := runs.get("GD, exact line search")) is not None:
        rows.append(("exact line search, first step: argmin over lr of f(W - lr g)", h.step_size[0], exact_hand))
    if (h := runs.get("GD, backtracking")) is not None:
        rows.append(("backtracking, first accepted lr (1, 1/2, 1/4, ...)", h.step_size[0], eps))
    body = (
        formula(
            "phi(lr) = f(W - lr g)\nexact:        lr = argmin phi   (for f = ||y - XW||^2:  lr = ||g||^2 / "
            "(2 ||X g||^2))\nbacktracking: lr = 1, 1/2, 1/4, ... until  f(W - lr g) <= f(W) - c lr "
            "||g||^2,  c = 1e-4"
        )
        + "<p>Instead of fixing the step, choose it along the ray at every step. The exact search minimizes "
        "phi (Newton's method on phi, exact in one iteration for a quadratic); backtracking halves the step "
        "until the Armijo condition holds.</p>"
        + compare(rows, rtol=1e-8)
        + table(
            ("method", "steps (updates)", "final loss"), [(n, h.steps, f"{h.loss[-1]:.10g}") for n, h in runs.items()]
        )
        + pic(
            "contour.png",
            lambda p: viz.plot_contour(
                r.loss, runs, minimizer=list(r.w_normal), resolution=50, title="three ways to choose the step", path=p
            ),
            "paths of the three step rules",
            "Each path starts at the hollow circle; the exact search turns "
            "at right angles, the fixed step and backtracking zigzag across the valley.",
        )
        + pic(
            "search_history.png",
            lambda p: viz.plot_history(runs, f_star=r.rows[0].final_loss, path=p),
            "f - f* and the gradient norm of the three step rules",
            "f - f* and ||grad f|| per step, log scales: the exact search needs the fewest steps.",
        )
    )
    if r.backtracking is not None and "GD, backtracking" in runs:
        body += pic(
            "line_search.png",
            lambda p: viz.plot_line_search(
                runs["GD, backtracking"],
                step=0,
                f=r.loss,
                search=r.backtracking,
                title="backtracking, first step: the Armijo test",
                path=p,
            ),
            "the Armijo picture",
            "phi along the negative gradient at the first step: the trials 1, 1/2, 1/4, ... (red) lie above the "
            "dashed Armijo line until one falls below it (green). With c = 1e-4 that line is nearly level with f(W).",
        )
    return body


def adaptive(r: DemoResult, pic: Pictures) -> str:
    names = ["Adam", "RMSprop", "AdaGrad"]
    runs = {n: h for n in names if (h := r.history(n)) is not None}
    equations = {
        "Adam": "m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;  W <- W - lr m^ / (sqrt(v^) + eps)",
        "RMSprop": "s <- alpha s + (1 - alpha) g^2;  W <- W - lr g / (sqrt(s) + eps)",
        "AdaGrad": "S <- S + g^2;  W <- W - lr g / (sqrt(S) + eps)",
    }
    rows = []
    for n in runs:
        s = r.settings.get(n, {})
        shown = ", ".join(
            f"{k}={v}"
            for k, v in s.items()
            if k in ("lr", "betas", "alpha", "eps", "initial_accumulator_value", "lr_decay")
        )
        rows.append((n, shown, equations[n], runs[n].steps, f"{runs[n].loss[-1]:.10g}"))
    return (
        formula("each weight gets its own step: lr divided by the root of its squared gradients' history")
        + "<p>Adaptive methods scale each parameter's step by the history of its own gradients. Their "
        "settings in this run (lr chosen for this problem, the others PyTorch's defaults; m^ and v^ are Adam's "
        "bias-corrected averages):</p>"
        + table(("method", "settings", "update", "steps", "final loss"), rows, "adaptive-settings")
        + pic(
            "adaptive_paths.png",
            lambda p: viz.plot_contour(
                r.loss, runs, minimizer=list(r.w_normal), resolution=50, title="adaptive step sizes", path=p
            ),
            "paths of Adam, RMSprop and AdaGrad",
            "The adaptive methods head for the valley floor at first (each weight's step is about lr), then follow it.",
        )
        + pic(
            "history.png",
            lambda p: viz.plot_history(runs, f_star=r.rows[0].final_loss, path=p),
            "f - f* and the gradient norm of Adam, RMSprop and AdaGrad",
            "f - f* and ||grad f|| per step, log scales, in the colours of the paths above.",
        )
        + "<p>Every method of the lesson, and three beyond it that use more of f's shape (conjugate "
        + "gradient, L-BFGS and Newton's method: one step each is one iteration; Newton solves with "
        + f"the Hessian), stopped when ||grad f|| &lt; {TOL:g} or after {r.steps} steps:</p>"
        + table(TABLE_HEAD, table_rows(r), "comparison")
    )
