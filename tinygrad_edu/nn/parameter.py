"""`nn.Parameter`: a Tensor that a Module registers as a parameter (requires_grad by default)."""

from __future__ import annotations

from typing import Any

from ..tensor import Tensor


class Parameter(Tensor):
    """A Tensor meant to be learned: assigning it to a Module attribute registers it, even with
    requires_grad=False (a frozen parameter), as torch.nn.Parameter. Ops on it give plain Tensors."""

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = []
        super().__init__(data.data if isinstance(data, Tensor) else data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()
