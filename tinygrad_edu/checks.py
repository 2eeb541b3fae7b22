"""Checks for learners: autodiff against central differences, and against your own formula."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .engine import enable_grad, no_grad, run_backward
from .tensor import Tensor


class GradcheckError(RuntimeError):
    """Raised by `gradcheck` when autodiff and central differences disagree."""


def central_differences(value: Callable[[np.ndarray], float], x: np.ndarray, eps: float) -> np.ndarray:
    """d value / dx by central differences, (value(x + e) - value(x - e)) / 2 eps, one element
    of x at a time, in float64. `value` gets a float64 copy of x with one element moved (the
    same array each time: it must not keep it). The one numerical derivative of the package:
    gradcheck, the gradient-check picture and the plots' gradients all use it."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    flat, grad_flat = x.reshape(-1), grad.reshape(-1)
    for k in range(x.size):
        old = flat[k]
        flat[k] = old + eps
        plus = value(x)
        flat[k] = old - eps
        minus = value(x)
        flat[k] = old
        grad_flat[k] = (plus - minus) / (2 * eps)
    return grad


def _numerical(f: Callable[..., Tensor], xs: list[Tensor], i: int, v: np.ndarray, eps: float) -> np.ndarray:
    """d/dx_i of sum(v * f(xs)) by central differences."""
    x = xs[i]
    base = x.data

    def value(moved: np.ndarray) -> float:
        x.data = moved
        return float(np.sum(f(*xs).data * v))

    try:
        with no_grad():
            return central_differences(value, base, eps)
    finally:
        x.data = base


def gradcheck(
    f: Callable[..., Tensor],
    inputs: Tensor | Sequence[Tensor],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    seed: int = 0,
) -> bool:
    """Compare the backward pass of f with central differences (f(x+e) - f(x-e)) / 2e, in
    float64, for every element of every input that requires grad. A non-scalar output is
    contracted with a random upstream gradient (seeded). Passes when
    |autodiff - numeric| <= atol + rtol |numeric| everywhere; otherwise names the input, the
    worst element and both values."""
    given = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    if any(isinstance(t, Tensor) and t.dtype == np.float32 for t in given):
        warnings.warn(
            "gradcheck: float32 inputs are too imprecise for central differences; checking in float64 copies instead.",
            stacklevel=2,
        )
    xs = [
        Tensor(np.array(t.data, dtype=np.float64), requires_grad=t.requires_grad, name=t.name)
        if isinstance(t, Tensor) and np.issubdtype(t.dtype, np.floating)
        else (t if isinstance(t, Tensor) else Tensor(t))
        for t in given
    ]
    check = [i for i, t in enumerate(xs) if t.requires_grad]
    if not check:
        raise ValueError("gradcheck: no input requires grad; create them with requires_grad=True.")
    with enable_grad():
        out = f(*xs)
    v = np.random.default_rng(seed).standard_normal(out.shape)
    grads = run_backward([out], [Tensor(v)], False, False, [xs[i] for i in check])
    assert grads is not None
    for i, g in zip(check, grads):
        analytic = g.data if g is not None else np.zeros(xs[i].shape)
        numeric = _numerical(f, xs, i, v, eps)
        bad = np.abs(analytic - numeric) > atol + rtol * np.abs(numeric)
        if bad.any():
            if not raise_exception:
                return False
            err = np.where(bad, np.abs(analytic - numeric), -1.0)
            j = np.unravel_index(int(np.argmax(err)), err.shape)
            label = f"input {i}" + (f" ({xs[i].name!r})" if xs[i].name else "")
            raise GradcheckError(
                f"gradcheck: the gradient of {label}, shape {xs[i].shape}, disagrees at "
                f"element {tuple(int(k) for k in j)}: autodiff {float(analytic[j]):.10g}, central "
                f"differences {float(numeric[j]):.10g} ({int(bad.sum())} of {bad.size} elements outside "
                f"atol={atol}, rtol={rtol}). Check that op's backward rule."
            )
    return True


@dataclass
class GradientRow:
    name: str
    shape: tuple[int, ...]
    max_abs_error: float
    max_rel_error: float
    ok: bool


@dataclass
class GradientReport:
    """Per-tensor agreement between two sets of gradients; prints as a table."""

    rows: list[GradientRow] = field(default_factory=list)
    atol: float = 1e-8
    rtol: float = 1e-6

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows)

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        head = ("name", "shape", "max abs error", "max rel error", "ok")
        body = [(r.name, str(r.shape), f"{r.max_abs_error:.3e}", f"{r.max_rel_error:.3e}",
                 "yes" if r.ok else "NO") for r in self.rows]  # fmt: skip
        widths = [max(len(str(c)) for c in col) for col in zip(head, *body)]
        line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
        lines = [line(head), line(["-" * w for w in widths]), *map(line, body)]
        verdict = "all gradients agree" if self.ok else "some gradients DISAGREE"
        lines.append(f"{verdict} (atol={self.atol:g}, rtol={self.rtol:g})")
        return "\n".join(lines)

    __repr__ = __str__


def _pairs(actual: Any, expected: Any, names: Sequence[str] | None) -> list[tuple[str, Any, Any]]:
    if isinstance(actual, Mapping):
        if not isinstance(expected, Mapping) or set(actual) != set(expected):
            raise ValueError("compare_gradients: actual and expected must be dicts with the same keys.")
        return [(str(k), actual[k], expected[k]) for k in actual]
    if isinstance(actual, (list, tuple)):
        if not isinstance(expected, (list, tuple)) or len(actual) != len(expected):
            raise ValueError("compare_gradients: actual and expected must be lists of the same length.")
        labels = list(names) if names is not None else [f"grad[{i}]" for i in range(len(actual))]
        return list(zip(labels, actual, expected))
    label = names[0] if names else (getattr(actual, "name", None) or "grad")
    return [(label, actual, expected)]


def compare_gradients(
    actual: Any, expected: Any, names: Sequence[str] | None = None, atol: float = 1e-8, rtol: float = 1e-6
) -> GradientReport:
    """Compare autodiff gradients with a hand-derived formula, tensor by tensor.

    `actual` and `expected` are each one Tensor/ndarray, or matching lists or dicts of them.
    A tensor agrees when |actual - expected| <= atol + rtol |expected| elementwise.
    """
    report = GradientReport(atol=atol, rtol=rtol)
    for name, a, e in _pairs(actual, expected, names):
        if a is None:
            raise ValueError(f"compare_gradients: {name} is None; did you call backward() first?")
        a_, e_ = np.asarray(a, dtype=np.float64), np.asarray(e, dtype=np.float64)
        if a_.shape != e_.shape:
            raise ValueError(
                f"compare_gradients: {name} has shape {a_.shape} but the expected value has shape {e_.shape}."
            )
        diff = np.abs(a_ - e_)
        abs_err = float(diff.max()) if diff.size else 0.0
        rel_err = float((diff / np.maximum(np.abs(e_), np.finfo(np.float64).tiny)).max()) if diff.size else 0.0
        ok = bool(np.all(diff <= atol + rtol * np.abs(e_)))
        report.rows.append(GradientRow(name, a_.shape, abs_err, rel_err, ok))
    return report
