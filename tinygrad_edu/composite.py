"""Composed ops as one node in the pictures: `@composite` marks a function built from
primitives (softmax, mse_loss, ...) so that `viz` can draw it as the learner typed it."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from . import tensor as _t

F = TypeVar("F", bound=Callable[..., Any])


class Composite:
    """What a composed op (softmax, mse_loss, ...) leaves on the tensor it returns: its name,
    how it reads as typed (`{a}.softmax()`), its derivative per operand in the letters a, b and
    out, and its tensor operands. `viz` draws the primitives between them as one node."""

    __slots__ = ("name", "typed", "derivatives", "inputs", "call")

    def __init__(
        self,
        name: str,
        typed: str,
        derivatives: tuple[str, ...],
        inputs: tuple[_t.Tensor, ...],
        call: tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]] | None = None,
    ) -> None:
        self.name, self.typed, self.derivatives, self.inputs = name, typed, derivatives, inputs
        self.call = call  # (function, args, kwargs): read only when a picture asks for `options`

    @property
    def options(self) -> dict[str, Any]:
        """The arguments the op was called with that are not tensors, by parameter name,
        defaults included: {'reduction': 'sum'} for mse_loss(p, t, reduction='sum')."""
        if self.call is None:
            return {}
        fn, args, kwargs = self.call
        bound = inspect.signature(fn).bind(*args, **kwargs)
        bound.apply_defaults()
        return {k: v for k, v in bound.arguments.items() if not isinstance(v, _t.Tensor)}


def composite(typed: str, *derivatives: str) -> Callable[[F], F]:
    """Mark a function composed of primitives as one operation for the pictures: the tensor
    it returns gets `_composite` (see Composite). The derivatives may name the call's other
    arguments (`{delta}`, `{/n}`: see viz._names.option_slots). The numbers and the graph are
    unchanged; the cost is one attribute write per call, only for composed ops."""

    def mark(fn: F) -> F:
        name = fn.__name__

        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            out = fn(*args, **kwargs)
            if getattr(out, "grad_fn", None) is None:
                return out
            operands = []  # the Tensor arguments, those inside a list or tuple argument too
            for arg in (*args, *kwargs.values()):
                for x in arg if isinstance(arg, (list, tuple)) else (arg,):
                    if x is out:  # the op returned an operand as it is: nothing to draw
                        return out
                    if isinstance(x, _t.Tensor):
                        operands.append(x)
            if operands:
                out._composite = Composite(name, typed, derivatives, tuple(operands), (fn, args, kwargs))
            return out

        return run  # type: ignore[return-value]

    return mark
