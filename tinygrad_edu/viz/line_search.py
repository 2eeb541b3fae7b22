"""One line search as a plot: phi(eps) along the negative gradient, the Armijo line, and
every trial, from a recorded run (`optim.History`) or from the optimizer itself."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ._runs import Run, get, one_run
from .plots import FONT, PathLike, _blank, _finish, _value, new_figure, numeric_gradient

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def plot_line_search(
    run: Any,
    step: int = -1,
    f: Callable[[np.ndarray], Any] | None = None,
    search: Any = None,
    trials: Sequence[tuple[float, float]] | None = None,
    loss: float | None = None,
    grad_norm: float | None = None,
    c: float | None = None,
    title: str | None = None,
    path: PathLike = None,
) -> Figure:
    """One line search: phi(eps) = f(x - eps g) along the negative gradient, the Armijo line
    phi(0) - c eps ||g||^2 (dashed), and every trial (eps, f) the search made, numbered in
    order, rejected (red x) and accepted (green dot). With a small c the Armijo line is nearly
    level with phi(0): a trial passes when it lies (just) below f(x).

    run: a recorded run (an `optim.History` or a dict with per-step 'loss', 'grad_norm',
        'step_size', 'params', 'trials'), or an optimizer right after its step
        (`.last_trials`, `.last_step_size`); `step` picks the step (default: the last).
        For a fixed-step optimizer (no trials) it marks the step taken on phi.
    f: the loss as a function of the flat parameter vector; with a run's `params` it draws
        phi exactly (else the tried points are joined by a dashed line).
    search: the line search that made a recorded run: its c draws the Armijo line, and for
        a run without recorded trials its lr and shrink replay them with `f`.
    trials, loss (= phi(0)), grad_norm (= ||g||), c: give or override what the run lacks.

        hist = optim.minimize(loss_fn, opt, steps=20)        # opt: BacktrackingLineSearch
        viz.plot_line_search(hist, step=0, f=f, search=opt)  # f(w): the loss at vector w
        opt.step(closure); viz.plot_line_search(opt, loss=f0, grad_norm=g0)  # the last step
    """
    if search is not None and c is None:
        c = search.param_groups[0].get("c")
    rec = _line_search_record(run, step, f, trials, loss, grad_norm, c)
    if search is not None and not rec["trials"] and rec["phi"] is not None:
        rec["trials"] = _replay_backtracking(search, rec)
    fig = new_figure((6.0, 5.2))
    ax = fig.subplots()
    tried = rec["trials"]
    eps_all = [e for e, _ in tried if e > 0] + ([rec["accepted"]] if rec["accepted"] else [])
    eps_max = max(eps_all + [1e-12]) * 1.2
    # backtracking halves eps: a log axis spaces its trials evenly
    log_x = len(eps_all) > 1 and max(eps_all) > 8 * min(eps_all)
    grid = np.geomspace(min(eps_all) / 2, eps_max, 200) if log_x else np.linspace(0.0, eps_max, 200)
    notes: list[str] = []
    if rec["phi"] is not None:
        ax.plot(grid, [rec["phi"](e) for e in grid], color="#1f77b4", linewidth=1.5, label="phi(ε) = f(x - ε g)")
    elif tried and rec["phi0"] is not None:
        pts = sorted([(0.0, rec["phi0"])] + list(tried))
        ax.plot(*zip(*pts), "--", color="#1f77b4", label="phi at the tried ε")
    if rec["phi0"] is not None and rec["slope"] is not None:
        cc = rec["c"]
        ax.plot(
            grid,
            rec["phi0"] - cc * grid * rec["slope"],
            color="#ff7f0e",
            linestyle="--",
            linewidth=2,
            zorder=4,
            label=f"Armijo line phi(0) - c ε ||g||^2, c = {cc:g}",
        )
        if log_x:  # eps = 0 is off a log axis: give phi(0) in words
            notes.append(f"phi(0) = f(x) = {rec['phi0']:.6g}, ||g||^2 = {rec['slope']:.6g}")
        else:
            ax.plot([0.0], [rec["phi0"]], "s", color="black", zorder=5, label="phi(0) = f(x)")
    accepted = rec["accepted"]
    ok = [(e, v) for e, v in tried if accepted and np.isclose(e, accepted)]
    bad = [(e, v) for e, v in tried if not (accepted and np.isclose(e, accepted))]
    if bad:
        ax.plot(*zip(*bad), "x", color="#d62728", markersize=9, mew=2, zorder=5, label="rejected trial")
    if ok:
        ax.plot(*zip(*ok), "o", color="#2ca02c", markersize=9, zorder=5, label=f"accepted trial, ε = {ok[0][0]:.4g}")
    elif not tried and accepted and rec["phi"] is not None:  # a fixed step: no search
        ax.plot(
            [accepted],
            [rec["phi"](accepted)],
            "o",
            color="#2ca02c",
            markersize=9,
            label=f"step taken (ε = {accepted:g})",
        )
    for i, (e, v) in enumerate(tried):  # the order of the trials; the accepted one's below its dot
        below = accepted is not None and bool(np.isclose(e, accepted))
        ax.annotate(
            str(i + 1),
            (e, v),
            textcoords="offset points",
            xytext=(8, -14) if below else (-7, 7),
            ha="left" if below else "right",
            fontsize=FONT,
            color="#444444",
        )
    if tried:
        notes.append("numbers: the order of the trials")
    if rec["phi0"] is None or rec["slope"] is None:
        notes.append("pass loss= and grad_norm= (f(x), ||g|| where the step started) to draw the Armijo line")
    if log_x:
        ax.set_xscale("log")
        values = [v for _, v in tried] + ([rec["phi0"]] if rec["phi0"] is not None else [])
        if values and min(values) > 0 and max(values) > 30 * min(values):
            ax.set_yscale("log")
    ax.set_xlabel("step size ε" + (" (log scale)" if log_x else ""))
    ax.set_ylabel("phi(ε)")
    ax.set_title(title or f"line search at step {rec['step']}")
    ax.grid(True, alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(
        handles + [_blank() for _ in notes], labels + notes, loc="outside lower center", frameon=False, handlelength=1.8
    )
    return _finish(fig, path)


def _line_search_record(run: Any, step: int, f: Any, trials: Any, loss: Any, grad_norm: Any, c: Any) -> dict[str, Any]:
    """Gather phi(0), ||g||^2, the trials, the accepted eps and phi from whatever we got."""
    rec: dict[str, Any] = {"step": step, "phi": None}
    is_optimizer = hasattr(run, "last_trials")
    groups = getattr(run, "param_groups", None)
    group_c = groups[0].get("c") if groups else None
    rec["c"] = c if c is not None else (group_c or get(run, "c") or 1e-4)
    r: Run | None = None if is_optimizer else one_run(run, "run")
    if trials is None:
        if is_optimizer:
            trials = run.last_trials
        else:
            per_step = next((get(run, k) for k in ("trials", "line_search_trials") if get(run, k) is not None), None)
            trials = per_step[step] if per_step is not None else []
    rec["trials"] = [(float(e), float(v)) for e, v in trials]
    if is_optimizer:
        rec["accepted"] = float(run.last_step_size)
        loss = loss if loss is not None else getattr(run, "last_loss", None)
        grad_norm = grad_norm if grad_norm is not None else getattr(run, "last_grad_norm", None)
    else:
        assert r is not None
        rec["accepted"] = float(r.step_size[step]) if r.step_size is not None else None
        loss = loss if loss is not None else (r.loss[step] if r.loss is not None else None)
        if grad_norm is None and r.grad_norm is not None:
            grad_norm = r.grad_norm[step]
    rec["phi0"] = None if loss is None else float(loss)
    rec["slope"] = None if grad_norm is None else float(grad_norm) ** 2
    if f is not None and r is not None and r.params is not None:
        x = _start_point(f, r, step, rec["phi0"])
        if x is not None:
            g = numeric_gradient(f, x)
            rec["phi"] = lambda e: _value(f, x - e * g)
            rec["phi0"] = _value(f, x)
            rec["slope"] = float(g @ g)
    if rec["accepted"] is None and rec["trials"] and rec["phi0"] is not None and rec["slope"]:
        fits = [e for e, v in rec["trials"] if v <= rec["phi0"] - rec["c"] * e * rec["slope"]]
        rec["accepted"] = fits[0] if fits else None
    return rec


def _start_point(f: Any, r: Run, step: int, phi0: float | None) -> np.ndarray | None:
    """The point the search started from: params[step] if f there is the recorded loss
    (params recorded before the step), else params[step - 1] (recorded after)."""
    assert r.params is not None
    candidates = [r.params[step]]
    idx = step % len(r.params)
    if idx > 0:
        candidates.append(r.params[idx - 1])
    if phi0 is None:
        return candidates[0]
    for x in candidates:
        if np.isclose(_value(f, x), phi0, rtol=1e-6, atol=1e-9):
            return x
    return candidates[0]


def _replay_backtracking(search: Any, rec: dict[str, Any]) -> list[tuple[float, float]]:
    """The trials backtracking made: eps = lr, lr*shrink, ... down to the accepted one."""
    group = search.param_groups[0]
    lr, shrink = float(group["lr"]), float(group.get("shrink", 0.5))
    accepted = rec["accepted"]
    trials = []
    for k in range(int(group.get("max_trials", 50))):
        eps = lr * shrink**k
        trials.append((eps, rec["phi"](eps)))
        if accepted and eps <= accepted * (1 + 1e-9):
            break
    return trials
