"""einsum and norms.

einsum is a primitive (ops_einsum.py); the norms are compositions: the 2-norm is
sqrt(sum a^2), the 1-norm sum |a|, the inf-norm max |a| (its gradient split evenly among ties).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import engine, functions
from . import tensor as _t
from .ops_einsum import Einsum


def einsum(equation: str, *operands: Any) -> _t.Tensor:
    """NumPy's and PyTorch's einsum in its explicit form: einsum('ij,jk->ik', a, b) is a @ b,
    einsum('ii->', a) the trace; any number of operands."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    like = next((x for x in operands if isinstance(x, _t.Tensor)), None)
    if like is None:
        raise TypeError("einsum: at least one operand must be a Tensor (use np.einsum for plain arrays).")
    tensors = [like._operand(x) for x in operands]
    return Einsum.apply(*tensors, equation=equation)


@engine.composite("{a}.norm()", "{norm'}")
def norm(t: _t.Tensor, p: float | str = 2, dim: _t.Axis = None, keepdim: bool = False) -> _t.Tensor:
    """The vector p-norm over `dim` (all elements by default) for p = 1, 2 or inf; 'fro' is the
    2-norm of all entries (the Frobenius norm of a matrix). The gradient of the 2-norm at 0 is
    taken as 0 (a subgradient), as in PyTorch."""
    if p == "fro":
        p = 2
    if p == 1:
        return t.abs().sum(dim, keepdim)
    if p in (np.inf, float("inf"), "inf"):
        return t.abs().max(dim, keepdim)
    if p == 2:
        squares = (t * t).sum(dim, keepdim)
        zero = squares.data == 0
        if not zero.any():
            return squares.sqrt()
        # at 0, sqrt has no derivative: route the zeros through a constant 1 and put 0 back
        one = _t.Tensor._wrap(np.ones((), t.dtype), False, None)
        mask = _t.Tensor._wrap(zero, False, None)
        return functions.where(mask, 0.0, functions.where(mask, one, squares).sqrt())
    raise ValueError(f"norm: p must be 1, 2, inf or 'fro', got {p!r}.")
