"""The gradient-check view: the graph with each input coloured by whether its autodiff
gradient agrees with central differences (and with a hand-derived formula, when given)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ._names import brief, wrap
from ._walk import walk
from .graph import COLORS, Overlay, draw_graph

if TYPE_CHECKING:
    import graphviz

    from ..tensor import Tensor


@dataclass
class CheckRow:
    """The verdict for one input: largest absolute errors and whether they are in tolerance."""

    name: str
    autodiff: np.ndarray
    numeric: np.ndarray
    numeric_error: float
    formula_error: float | None
    ok: bool


def central_differences(f: Callable[..., Any], inputs: Sequence[Tensor], i: int, eps: float = 1e-6) -> np.ndarray:
    """d f / d inputs[i] by central differences in float64 (`checks.central_differences`)."""
    from .. import engine
    from ..checks import central_differences as differences
    from ..tensor import Tensor

    base = [np.array(x.data, dtype=np.float64) for x in inputs]

    def value(moved: np.ndarray) -> float:
        args = [Tensor(moved if j == i else b) for j, b in enumerate(base)]
        return float(np.asarray(f(*args).data).sum())

    with engine.no_grad():
        return differences(value, base[i], eps)


def check_gradients(
    f: Callable[..., Any],
    inputs: Sequence[Tensor],
    expected: Sequence[Any] | Mapping[str, Any] | None = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
) -> list[CheckRow]:
    """One CheckRow per input: autodiff vs central differences (and vs `expected`)."""
    from .. import autograd

    out = f(*inputs)
    if out.data.size != 1:
        raise ValueError(f"draw_gradcheck: f must return a scalar, got shape {out.shape}")
    auto = autograd.grad(out, list(inputs), retain_graph=True, allow_unused=True)
    rows = []
    for i, x in enumerate(inputs):
        name = x.name or f"input {i}"
        gi = auto[i]
        a = np.zeros(x.shape) if gi is None else np.asarray(gi.data, dtype=np.float64)
        num = central_differences(f, inputs, i, eps)
        ok = bool(np.allclose(a, num, atol=atol, rtol=rtol))
        formula_error = None
        if expected is not None:
            exp = expected.get(name) if isinstance(expected, Mapping) else expected[i]
            if exp is not None:
                exp = np.asarray(getattr(exp, "data", exp), dtype=np.float64)
                formula_error = float(np.max(np.abs(a - exp), initial=0.0))
                ok = ok and bool(np.allclose(a, exp, atol=atol, rtol=rtol))
        rows.append(CheckRow(name, a, num, float(np.max(np.abs(a - num), initial=0.0)), formula_error, ok))
    return rows


def draw_gradcheck(
    f: Callable[..., Tensor],
    inputs: Sequence[Tensor] | Tensor,
    expected: Sequence[Any] | Mapping[str, Any] | None = None,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    **draw_kwargs: Any,
) -> graphviz.Digraph:
    """The graph of `f(*inputs)` with each input coloured green when its autodiff gradient
    agrees with central differences in float64 (and with `expected`, a hand-derived
    gradient per input, as a list or a dict by name, when given) and red when it does not;
    the boxes state the largest errors. The verdicts are also in `.check_rows`.

    >>> W = Tensor([1.0, 2.0], requires_grad=True, name="W")
    >>> viz.draw_gradcheck(lambda W: ((y - X @ W) ** 2).sum(), [W],
    ...                    expected=[-2 * X.T @ (y - X @ W)])    # doctest: +SKIP
    """
    inputs = [inputs] if hasattr(inputs, "grad_fn") else list(inputs)  # type: ignore[list-item]
    rows = check_gradients(f, inputs, expected, eps, atol, rtol)
    out = f(*inputs)
    ov = Overlay(legend=[("green: gradient agrees", COLORS["ok"]), ("red: disagrees", COLORS["bad"])])
    g = walk(out, expand=bool(draw_kwargs.get("expand", False)))
    for x, row in zip(inputs, rows):
        if id(x) not in g.nodes:
            continue
        tid = g.node(x).id
        ov.fill[tid] = COLORS["ok"] if row.ok else COLORS["bad"]
        notes = [f"numeric {brief(row.numeric)}", f"max error vs numeric {_err(row.numeric_error)}"]
        if row.formula_error is not None:
            notes.append(f"max error vs formula {_err(row.formula_error)}")
        notes.append("OK" if row.ok else "MISMATCH")
        ov.notes[tid] = notes
    grads = {id(x): row.autodiff for x, row in zip(inputs, rows)}
    ov.grads = grads
    ov.caption_lines = wrap("gradient check: " + ", ".join(f"{r.name} {'ok' if r.ok else 'MISMATCH'}" for r in rows))
    dot = draw_graph(out, _overlay=ov, **draw_kwargs)
    dot.check_rows = rows
    return dot


def _err(e: float) -> str:
    return "0" if e == 0 else f"{e:.1e}"
