"""Optimization runs in one shape, whatever they came as.

A run can be an `optim.History` (or anything with lists `.loss`, `.grad_norm`, `.step_size`,
`.params`), a dict with those keys, an array of parameter vectors (a path), or a list of
losses. Several runs: a list of them, or a dict {label: run}.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

FIELDS = ("loss", "grad_norm", "step_size", "params")
TRIAL_FIELDS = ("trials", "line_search_trials", "last_trials")
# the colour of run k, the same in every plot: matplotlib's default cycle (tab10)
COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]


@dataclass
class Run:
    """One run: per-step lists as arrays (None when the run did not record them)."""

    label: str
    loss: np.ndarray | None = None
    grad_norm: np.ndarray | None = None
    step_size: np.ndarray | None = None
    params: np.ndarray | None = None  # (points, number of parameters)
    source: Any = None
    steps: int | None = None  # updates taken (History.steps), as the tables count them


def get(obj: Any, key: str) -> Any:
    """obj.key or obj[key], or None."""
    if isinstance(obj, Mapping):
        return obj.get(key)
    return getattr(obj, key, None)


def flat_params(entry: Any) -> np.ndarray:
    """One parameter snapshot as a flat vector: an array, a Tensor, a list or dict of them."""
    if isinstance(entry, Mapping):
        entry = list(entry.values())
    if isinstance(entry, (list, tuple)) and any(np.ndim(_arr(e)) > 0 or hasattr(e, "data") for e in entry):
        return np.concatenate([np.ravel(_arr(e)) for e in entry]) if entry else np.zeros(0)
    return np.ravel(_arr(entry))


def _arr(x: Any) -> np.ndarray:
    return np.asarray(getattr(x, "data", x), dtype=np.float64)


def is_single(obj: Any) -> bool:
    """True for one run, False for a collection of runs."""
    if isinstance(obj, Mapping):
        return any(k in obj for k in FIELDS)
    if any(hasattr(obj, k) for k in FIELDS):
        return True
    if isinstance(obj, np.ndarray):
        return True
    if isinstance(obj, (list, tuple)):
        try:
            a = np.asarray(obj, dtype=np.float64)
        except (ValueError, TypeError):
            return False
        return a.ndim in (1, 2)
    return False


def one_run(obj: Any, label: str) -> Run:
    """A Run from a History-like object, a dict, a path array or a list of losses."""
    if isinstance(obj, Mapping) or any(hasattr(obj, k) for k in FIELDS):
        label = str(get(obj, "label") or get(obj, "name") or label)
        run = Run(label, source=obj)
        for key in ("loss", "grad_norm", "step_size"):
            values = get(obj, key)
            if values is not None and len(values):
                setattr(run, key, np.array([float(_arr(v)) for v in values]))
        params = get(obj, "params")
        if params is not None and len(params):
            final = get(obj, "final_params")  # History: where the run ended
            points = list(params) + ([final] if final is not None and len(final) else [])
            run.params = np.stack([flat_params(p) for p in points])
        run.steps = count_steps(obj, run)
        return run
    a = np.asarray(getattr(obj, "data", obj), dtype=np.float64)
    if a.ndim == 2:
        return Run(label, params=a, source=obj, steps=len(a) - 1)
    if a.ndim == 1:
        return Run(label, loss=a, source=obj)
    raise TypeError(f"cannot read a run from {type(obj).__name__} with shape {a.shape}")


def count_steps(obj: Any, run: Run) -> int | None:
    """The updates a run took: its `steps` (History.steps) when it has one, else the steps
    with a non-zero step size (a run stopped by `tol` records its last point with size 0)."""
    steps = get(obj, "steps")
    if isinstance(steps, (int, np.integer)) and not isinstance(steps, bool):
        return int(steps)
    if run.step_size is not None:
        return int(np.count_nonzero(run.step_size))
    if run.params is not None:
        return len(run.params) - 1
    return None


def as_runs(obj: Any, labels: Sequence[str] | None = None) -> list[Run]:
    """Every run in `obj` (one run, a list of runs, or a dict {label: run}), in order."""
    if is_single(obj):
        items: list[tuple[str, Any]] = [("run 0", obj)]
    elif isinstance(obj, Mapping):
        items = [(str(k), v) for k, v in obj.items()]
    else:
        items = [(f"run {k}", v) for k, v in enumerate(obj)]
    runs = [one_run(v, label) for label, v in items]
    if labels is not None:
        if len(labels) != len(runs):
            raise ValueError(f"got {len(labels)} labels for {len(runs)} runs")
        for run, label in zip(runs, labels):
            run.label = label
    return runs


def color(k: int) -> str:
    """The colour of the k-th run (the same in plot_contour and plot_history)."""
    return COLORS[k % len(COLORS)]
