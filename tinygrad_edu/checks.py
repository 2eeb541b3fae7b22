"""Checks for learners: autodiff against central differences, and against your own formula."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .engine import enable_grad, forward_level, no_grad, run_backward
from .tensor import Tensor


class GradcheckError(RuntimeError):
    """Raised by `gradcheck` when autodiff and central differences disagree."""


def central_differences(value: Callable[[np.ndarray], float], x: np.ndarray, eps: float) -> np.ndarray:
    """d value / dx by central differences, (value(x + e) - value(x - e)) / 2 eps, one element
    of x at a time, in float64. `value` gets a float64 copy of x with one element moved (the
    same array each time: it must not keep it). The one numerical derivative of the package:
    gradcheck, the gradient-check picture, the plots' gradients, the demo and the tests'
    helpers all use it."""
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


def _directional(f: Callable[..., Tensor], xs: list[Tensor], i: int, u: np.ndarray, eps: float) -> np.ndarray:
    """J u for the tangent u of input i by central differences along u:
    (f(x + eps u) - f(x - eps u)) / 2 eps, on every element of the output."""
    x = xs[i]
    base = x.data
    values = []
    try:
        with no_grad():
            for step in (eps, -eps):
                x.data = base + step * u
                values.append(np.asarray(f(*xs).data, dtype=np.float64))
    finally:
        x.data = base
    return (values[0] - values[1]) / (2 * eps)


def _tangent(f: Callable[..., Tensor], xs: list[Tensor], i: int, u: np.ndarray) -> np.ndarray:
    """J u for the tangent u of input i, by forward mode (each op's jvp)."""
    x = xs[i]
    with forward_level() as level:
        saved = x._tangent, x._tlevel
        x._tangent, x._tlevel = Tensor(u), level
        try:
            with enable_grad():
                out = f(*xs)
            tangent = out._tangent if out._tlevel == level else None  # (out may be x itself)
        finally:
            x._tangent, x._tlevel = saved
    if tangent is None:
        return np.zeros(out.shape)  # the output does not depend on this input
    return np.asarray(tangent.data, dtype=np.float64)


def _worst(actual: np.ndarray, expected: np.ndarray, atol: float, rtol: float) -> tuple[Any, int, int] | None:
    """(index of the worst element, number outside the tolerance, size), or None if all agree."""
    bad = np.abs(actual - expected) > atol + rtol * np.abs(expected)
    if not bad.any():
        return None
    err = np.where(bad, np.abs(actual - expected), -1.0)
    j = np.unravel_index(int(np.argmax(err)), err.shape)
    return tuple(int(k) for k in j), int(bad.sum()), bad.size


def gradcheck(
    f: Callable[..., Tensor],
    inputs: Tensor | Sequence[Tensor],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    seed: int = 0,
    check_forward_ad: bool = True,
) -> bool:
    """Compare the derivatives of f with central differences (f(x+e) - f(x-e)) / 2e, in
    float64, for every element of every input that requires grad: reverse mode (backward)
    and, unless check_forward_ad=False, forward mode (each op's jvp), as PyTorch's gradcheck
    with check_forward_ad=True and JAX's check_grads(modes=("fwd", "rev")) do.

    Reverse mode: a non-scalar output is contracted with a random upstream gradient v
    (seeded), and v^T J is compared with central differences, element by element of the
    input. Forward mode: for each input, a random tangent u (seeded) gives J u by one
    forward pass, compared element by element of the output with central differences along
    u, (f(x + eps u) - f(x - eps u)) / 2 eps.
    Passes when |autodiff - numeric| <= atol + rtol |numeric| everywhere; otherwise names the
    input, the worst element, both values and the rule (backward or jvp) to look at."""
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
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(out.shape)
    grads = run_backward([out], [Tensor(v)], False, False, [xs[i] for i in check])
    assert grads is not None
    for i, g in zip(check, grads):
        analytic = g.data if g is not None else np.zeros(xs[i].shape)
        numeric = _numerical(f, xs, i, v, eps)
        found = _worst(analytic, numeric, atol, rtol)
        if found is not None:
            if not raise_exception:
                return False
            j, count, size = found
            raise GradcheckError(
                f"gradcheck: the gradient of {_label(xs, i)}, shape {xs[i].shape}, disagrees at "
                f"element {j}: autodiff {float(analytic[j]):.10g}, central "
                f"differences {float(numeric[j]):.10g} ({count} of {size} elements outside "
                f"atol={atol}, rtol={rtol}). Check that op's backward rule."
            )
    if not check_forward_ad:
        return True
    for i in check:
        u = rng.standard_normal(xs[i].shape)
        try:
            analytic = _tangent(f, xs, i, u)
        except NotImplementedError as err:
            raise NotImplementedError(
                f"{err} (gradcheck checks forward mode too; pass check_forward_ad=False to check backward only)"
            ) from err
        numeric = _directional(f, xs, i, u, eps)
        found = _worst(analytic, numeric, atol, rtol)
        if found is not None:
            if not raise_exception:
                return False
            j, count, size = found
            raise GradcheckError(
                f"gradcheck: forward mode disagrees with central differences for {_label(xs, i)}, "
                f"shape {xs[i].shape}: with a random tangent u of that input, the output's tangent "
                f"J u at output element {j} is {float(analytic[j]):.10g} by jvp, "
                f"{float(numeric[j]):.10g} by central differences ({count} of {size} elements "
                f"outside atol={atol}, rtol={rtol}). The backward pass agrees, so check that op's "
                "jvp rule."
            )
    return True


def _label(xs: list[Tensor], i: int) -> str:
    return f"input {i}" + (f" ({xs[i].name!r})" if xs[i].name else "")


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
