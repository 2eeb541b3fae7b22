"""The primitive einsum: any number of operands, explicit output ("ij,jk->ik").

Same form as ops.py. The VJP for one operand is another einsum: G contracted with the other
operands onto that operand's subscripts. Two things need care: a letter that appears only in
that operand (it was summed away, so its gradient is G broadcast along it: contract with a
vector of ones) and a letter repeated within it ("ii->i" reads a diagonal, so the gradient
lands on the diagonal: contract with an identity matrix).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import tensor as _t
from .ops import G, Grads, Primitive, _total

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def parse(equation: str, shapes: list[tuple[int, ...]]) -> tuple[list[str], str]:
    """Split "ij,jk->ik" into (["ij", "jk"], "ik"), checking it against the operands' shapes."""
    eq = equation.replace(" ", "")
    if "->" not in eq or "." in eq:
        raise ValueError(
            f"einsum: {equation!r} needs the explicit form with '->' and letters only, as in "
            "'ij,jk->ik' (no '...'); write every axis of every operand and of the output."
        )
    lhs, out = eq.split("->")
    ins = lhs.split(",")
    if len(ins) != len(shapes):
        raise ValueError(f"einsum: {equation!r} names {len(ins)} operands but {len(shapes)} were given.")
    sizes: dict[str, int] = {}
    for k, (subs, shape) in enumerate(zip(ins, shapes)):
        if not subs.isalpha() and subs or len(subs) != len(shape):
            raise ValueError(
                f"einsum: operand {k} has shape {shape} but subscripts {subs!r}: give one letter per axis."
            )
        for letter, n in zip(subs, shape):
            if sizes.setdefault(letter, n) != n:
                raise ValueError(
                    f"einsum: letter {letter!r} is size {sizes[letter]} in one place and {n} in "
                    f"another (operand {k}, shape {shape})."
                )
    if len(set(out)) != len(out) or any(c not in sizes for c in out):
        raise ValueError(f"einsum: output {out!r} must use distinct letters that appear in the operands.")
    return ins, out


def _einsum(equation: str, *operands: Any) -> Any:
    if any(isinstance(x, _t.Tensor) for x in operands):
        tensors = [x if isinstance(x, _t.Tensor) else _t.Tensor._wrap(np.asarray(x), False, None) for x in operands]
        return Einsum.apply(*tensors, equation=equation)
    return np.einsum(equation, *operands, optimize=len(operands) > 2)


class Einsum(Primitive):
    """f(a, b, ...) = einsum(equation, a, b, ...);  df/da: einsum of G with the others onto a's letters"""

    def forward(self, *operands: np.ndarray, equation: str) -> np.ndarray:
        self.equation = equation
        self.ins, self.out = parse(equation, [x.shape for x in operands])
        return np.einsum(equation, *operands, optimize=len(operands) > 2)

    def _grad_for(self, k: int, g: Any, values: tuple[Any, ...]) -> Any:
        """The einsum that carries G back to operand k."""
        subs = self.ins[k]
        shape = self.inputs[k].shape
        dtype = self.inputs[k].dtype
        elsewhere = set(self.out).union(*[s for i, s in enumerate(self.ins) if i != k])
        free = [c for c in _LETTERS if c not in self.equation]  # letters for diagonal copies
        terms = [self.out] + [s for i, s in enumerate(self.ins) if i != k]
        operands: list[Any] = [g] + [v for i, v in enumerate(values) if i != k]
        target, seen = "", set()
        for letter, n in zip(subs, shape):
            if letter in seen:  # a repeated letter: the gradient sits on a diagonal
                fresh = free.pop(0)
                terms.append(letter + fresh)
                operands.append(np.eye(n, dtype=dtype))
                target += fresh
                continue
            seen.add(letter)
            if letter not in elsewhere:  # summed away: broadcast G along it
                terms.append(letter)
                operands.append(np.ones(n, dtype=dtype))
            target += letter
        return _einsum(",".join(terms) + "->" + target, *operands)

    def backward(self, g: G) -> Grads:
        values = self.values(*self.inputs)
        return tuple(self._grad_for(k, g, values) if x.requires_grad else None for k, x in enumerate(self.inputs))

    def jvp(self, *tangents: _t.Tensor | None) -> _t.Tensor:
        terms = []
        for k, tk in enumerate(tangents):
            if tk is not None:
                operands = list(self.inputs)
                operands[k] = tk
                terms.append(Einsum.apply(*operands, equation=self.equation))
        return _total(*terms)
