"""All parameters as one flat vector: what Newton's method, CG and L-BFGS work with.

These optimizers treat the parameters p_1, ..., p_k as one vector x = concat(p_1.ravel(), ...)
of n numbers, and the gradient likewise. `FlatParams` gathers and scatters such vectors and
computes Hessian-vector products through the closure: a forward-mode pass (`tge.jvp`) over
the closure in direction v, where the tangent that backward leaves on each p.grad is H v
(the same forward-over-reverse product as `tge.hvp`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..tensor import Tensor
from .assign import store
from .optimizer import Closure, Optimizer


def require_closure(optimizer: Optimizer, closure: Closure | None) -> Closure:
    """The closure, or a TypeError that says what a closure is."""
    if closure is None:
        raise TypeError(
            f"{type(optimizer).__name__}.step needs a closure: a function that zeroes the "
            "gradients, computes the loss, calls loss.backward() and returns the loss; "
            "the optimizer re-evaluates the loss and its gradient through it"
        )
    return closure


def require_one_group(optimizer: Optimizer) -> None:
    """These methods couple all parameters in one vector, so they take a single group."""
    if len(optimizer.param_groups) != 1:
        raise ValueError(
            f"{type(optimizer).__name__} treats all parameters as one vector, so it doesn't "
            "support per-parameter options (parameter groups); pass a list of Tensors"
        )


def call(closure: Closure) -> Any:
    """closure() with gradient recording on (an outer no_grad does not switch it off)."""
    import tinygrad_edu as tge

    with tge.enable_grad():
        return closure()


def to_float(value: Any) -> float:
    """The loss as a Python float (closures may return a Tensor, an array or a number)."""
    if isinstance(value, Tensor):
        value = value.data
    return float(np.asarray(value))


class FlatParams:
    """The parameters of one group seen as a flat vector x of their common float dtype.

    `set` and `restore` write into the parameters' own memory (see assign.py), counted as
    the in-place op `op`; `get` and `snapshot` copy, so what they return keeps its values.
    """

    def __init__(self, params: list[Tensor], op: str = "step") -> None:
        self.params = params
        self.op = op
        self.sizes = [p.size for p in params]
        self.n = sum(self.sizes)
        self.dtype = np.result_type(*[p.data.dtype for p in params])

    def get(self) -> np.ndarray:
        """x: a flat copy of the parameters."""
        return np.concatenate([np.asarray(p.data, dtype=self.dtype).ravel() for p in self.params])

    def grad(self) -> np.ndarray:
        """The flat gradient; a parameter whose .grad is None contributes zeros (as in PyTorch)."""
        parts = []
        for p in self.params:
            if p.grad is None:
                parts.append(np.zeros(p.size, dtype=self.dtype))
                continue
            g = np.asarray(p.grad.data, dtype=self.dtype)
            if g.shape != p.data.shape:
                raise ValueError(
                    f"gradient of shape {g.shape} does not match parameter {p.name or ''} of shape {p.data.shape}"
                )
            parts.append(g.ravel())
        return np.concatenate(parts)

    def split(self, v: np.ndarray) -> list[np.ndarray]:
        """Cut a flat vector into arrays shaped (and typed) like the parameters."""
        out, start = [], 0
        for p, size in zip(self.params, self.sizes, strict=True):
            out.append(np.asarray(v[start : start + size], dtype=p.data.dtype).reshape(p.data.shape))
            start += size
        return out

    def set(self, x: np.ndarray) -> None:
        """Write the flat vector x into the parameters, in place."""
        for p, value in zip(self.params, self.split(x), strict=True):
            store(p, value, self.op)

    def snapshot(self) -> list[tuple[np.ndarray, Tensor | None]]:
        """Copies of the parameters' values, and their gradients, to put back with `restore`."""
        return [(p.data.copy(), p.grad) for p in self.params]

    def restore(self, saved: list[tuple[np.ndarray, Tensor | None]]) -> None:
        for p, (data, grad) in zip(self.params, saved, strict=True):
            store(p, data, self.op)
            p.grad = grad

    def hvp(self, closure: Closure, v: np.ndarray) -> tuple[float, np.ndarray]:
        """(f(x), H(x) v) from one forward-mode pass of the closure in direction v."""
        import tinygrad_edu as tge

        directions = [Tensor(part) for part in self.split(v)]
        products: list[np.ndarray] = []

        def loss_along(*_: Tensor) -> Any:
            loss = closure()
            products.clear()
            for p in self.params:
                hv = tge.tangent_of(p.grad) if p.grad is not None else None
                products.append(
                    np.zeros(p.size, dtype=self.dtype) if hv is None else np.asarray(hv.data, dtype=self.dtype).ravel()
                )
            return loss

        with tge.enable_grad():
            value, _ = tge.jvp(loss_along, tuple(self.params), tuple(directions))
        return to_float(value), np.concatenate(products)

    def hessian(self, closure: Closure) -> np.ndarray:
        """H(x), n x n, one Hessian-vector product per column (as `tge.hessian` builds it)."""
        columns = []
        for i in range(self.n):
            e = np.zeros(self.n, dtype=self.dtype)
            e[i] = 1.0
            columns.append(self.hvp(closure, e)[1])
        return np.stack(columns, axis=1) if columns else np.zeros((0, 0), dtype=self.dtype)
