"""Derivatives as functions: grad, value_and_grad, jvp, directional derivatives, Hessians.

Reverse mode (`grad`) gives the whole gradient of a scalar in one backward pass; forward mode
(`jvp`) gives one directional derivative u . grad f(x) in one forward pass that carries a
tangent next to every value. Second derivatives combine the two: `hvp` runs a backward pass
in forward mode, so the tangent of the gradient is H v.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Union

import numpy as np

from .engine import STATE, enable_grad, forward_level, is_grad_enabled, run_backward
from .tensor import Tensor

Argnums = Union[int, Sequence[int]]


def _as_tensor(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _scalar(out: Any, who: str) -> Tensor:
    if not isinstance(out, Tensor):
        raise TypeError(f"{who}: f must return a Tensor, got {type(out).__name__}.")
    if out.size != 1:
        raise ValueError(
            f"{who}: f must return a scalar (one element), got shape {out.shape}. "
            "Reduce it (e.g. .sum()) or use tge.jacobian for vector-valued f."
        )
    return out


def value_and_grad(f: Callable[..., Tensor], argnums: Argnums = 0) -> Callable[..., tuple[Tensor, Any]]:
    """Return a function computing (f(*args), gradient of f with respect to args[argnums]).

    The gradient has the shape of its argument (a tuple when `argnums` is a tuple). Inputs
    are not modified and no `.grad` is touched. When an argument itself requires grad, the
    gradient keeps its graph, so `grad(grad(f))` works.
    """
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)

    def wrapped(*args: Any) -> tuple[Tensor, Any]:
        args_ = list(args)
        nested = False
        for i in nums:
            if i >= len(args_):
                raise ValueError(f"grad: argnums {argnums} asks for argument {i}, but f got {len(args_)}.")
            a = _as_tensor(args_[i])
            if a.requires_grad:
                nested = True
            else:
                a = a.detach().requires_grad_()
            args_[i] = a
        create = nested and is_grad_enabled()  # differentiate the result too (grad of grad)
        with enable_grad():  # like torch.func.grad, an outer no_grad does not switch this off
            out = _scalar(f(*args_), "grad")
        targets = [args_[i] for i in nums]
        grads = run_backward([out], [Tensor.ones(*out.shape, dtype=out.dtype)], create, create, targets)
        assert grads is not None
        result = [g if g is not None else Tensor.zeros(*t.shape, dtype=t.dtype) for g, t in zip(grads, targets)]
        value = out if create else out.detach()
        return value, (result[0] if isinstance(argnums, int) else tuple(result))

    return wrapped


def grad(f: Callable[..., Tensor], argnums: Argnums = 0) -> Callable[..., Any]:
    """Return a function computing the gradient of scalar `f` with respect to args[argnums]."""
    vg = value_and_grad(f, argnums)
    return lambda *args: vg(*args)[1]


def tangent_of(t: Tensor) -> Tensor | None:
    """Inside `jvp`: the tangent (directional derivative) carried by `t`, or None."""
    return t._tangent if STATE.fw_level and t._tlevel == STATE.fw_level else None


def jvp(f: Callable[..., Any], primals: Tensor | Sequence[Any], tangents: Tensor | Sequence[Any]) -> tuple[Any, Any]:
    """Forward mode: (f(*primals), J_f(primals) @ tangents) in one forward pass.

    Each op computes its output's tangent from its inputs' tangents as it runs; no backward
    pass happens. The tangents are attached to the primal tensors themselves during the
    call, so `f` may also read those tensors directly (a closure over parameters works).
    """
    single = isinstance(primals, Tensor)
    ps = [_as_tensor(p) for p in ([primals] if single else primals)]
    ts = [_as_tensor(t) for t in ([tangents] if isinstance(tangents, Tensor) else tangents)]
    if len(ps) != len(ts):
        raise ValueError(f"jvp: got {len(ps)} primals but {len(ts)} tangents; give one tangent per primal.")
    for i, (p, t) in enumerate(zip(ps, ts)):
        if p.shape != t.shape:
            raise ValueError(
                f"jvp: tangent {i} has shape {t.shape} but its primal has shape {p.shape}; "
                "a tangent is a direction in the primal's space and needs the same shape."
            )
        if not np.issubdtype(p.dtype, np.floating):
            raise TypeError(f"jvp: primal {i} has dtype {p.dtype}; forward mode needs floating tensors.")
    with forward_level() as level:
        saved = [(p._tangent, p._tlevel) for p in ps]
        try:
            for p, t in zip(ps, ts):
                if t.dtype != p.dtype:
                    t = Tensor._wrap(t.data.astype(p.dtype), False, None)
                p._tangent, p._tlevel = t, level
            out = f(*ps)
            outs = out if isinstance(out, (tuple, list)) else (out,)
            touts = []
            for o in outs:
                tan = o._tangent if isinstance(o, Tensor) and o._tlevel == level else None
                touts.append(tan if tan is not None else Tensor.zeros(*o.shape, dtype=o.dtype))
        finally:
            for p, (tan, lvl) in zip(ps, saved):
                p._tangent, p._tlevel = tan, lvl
        for o in outs:
            if isinstance(o, Tensor) and o._tlevel == level:
                o._tangent, o._tlevel = None, 0
    tout: Any = type(out)(touts) if isinstance(out, (tuple, list)) else touts[0]
    return out, tout


def directional_derivative(f: Callable[[Tensor], Tensor], x: Any, u: Any, normalize: bool = False) -> Tensor:
    """D_u f(x) = d/da f(x + a u) at a = 0 = u . grad f(x), by forward mode.

    With normalize=True, u is first scaled to unit length (the lesson's definition).
    """
    x, u = _as_tensor(x), _as_tensor(u)
    if normalize:
        norm = float(np.linalg.norm(u.data))
        if norm == 0.0:
            raise ValueError("directional_derivative: u is the zero vector and has no direction to normalize.")
        u = Tensor(u.data / norm)
    out, tan = jvp(lambda v: _scalar(f(v), "directional_derivative"), (x,), (u,))
    return tan


def hvp(f: Callable[[Tensor], Tensor], x: Any, v: Any) -> Tensor:
    """H(x) v, the Hessian of scalar f times v: forward mode over a backward pass
    (the tangent of grad f along v), with no Hessian ever formed."""
    x = _as_tensor(x).detach().requires_grad_()
    v = _as_tensor(v)

    def gradient(xv: Tensor) -> Tensor:
        with enable_grad():
            out = _scalar(f(xv), "hvp")
        grads = run_backward([out], [Tensor.ones(*out.shape, dtype=out.dtype)], False, False, [xv])
        assert grads is not None
        return grads[0] if grads[0] is not None else Tensor.zeros(*xv.shape, dtype=xv.dtype)

    _, hv = jvp(gradient, (x,), (v,))
    return hv


def hessian(f: Callable[[Tensor], Tensor]) -> Callable[[Any], Tensor]:
    """Return a function computing the Hessian of scalar f, of shape x.shape + x.shape,
    one Hessian-vector product per column."""

    def wrapped(x: Any) -> Tensor:
        x = _as_tensor(x)
        n = x.size
        cols = []
        for i in range(n):
            e = np.zeros(n, dtype=x.dtype)
            e[i] = 1.0
            cols.append(hvp(f, x, Tensor(e.reshape(x.shape))).data.reshape(n))
        return Tensor(np.stack(cols, axis=1).reshape(x.shape + x.shape) if n else np.zeros(x.shape * 2))

    return wrapped


def jacobian(f: Callable[[Tensor], Tensor]) -> Callable[[Any], Tensor]:
    """Return a function computing the Jacobian of f, of shape f(x).shape + x.shape:
    one backward pass per output element (reverse mode) or one forward pass per input
    element (forward mode), whichever is fewer."""

    def wrapped(x: Any) -> Tensor:
        x = _as_tensor(x).detach().requires_grad_()
        with enable_grad():
            out = f(x)
        if out.size <= x.size:
            rows = []
            for i in range(out.size):
                seed = np.zeros(out.size, dtype=out.dtype)
                seed[i] = 1.0
                g = run_backward([out], [Tensor(seed.reshape(out.shape))], True, False, [x])
                assert g is not None
                rows.append(g[0].data.reshape(x.size) if g[0] is not None else np.zeros(x.size))
            jac = np.stack(rows) if rows else np.zeros((0, x.size))
        else:
            cols = []
            for j in range(x.size):
                e = np.zeros(x.size, dtype=x.dtype)
                e[j] = 1.0
                cols.append(jvp(f, (x,), (Tensor(e.reshape(x.shape)),))[1].data.reshape(out.size))
            jac = np.stack(cols, axis=1)
        return Tensor(jac.reshape(out.shape + x.shape))

    return wrapped
