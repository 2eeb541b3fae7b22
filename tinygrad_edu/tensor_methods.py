"""`TensorMethods`: the Tensor methods beyond arithmetic, reductions and shape (tensor.py).

Each method is one line that calls the function of the same name in the module that defines
it (where its derivative is written down or composed), so `t.flip(0)` and `tge.flip(t, 0)`
are one thing. Tensor inherits these; nothing is attached at run time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import numpy_dispatch

if TYPE_CHECKING:
    import numpy as np


class TensorMethods:
    """Mixed into Tensor. (`self` is typed Any: mypy cannot name the subclass from here.)"""

    __slots__ = ()

    # ------------------------------------------------------------ NumPy's protocols
    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        """np.exp(t), arr * t, np.maximum(t, 0): run the Tensor's own differentiable op."""
        return numpy_dispatch.array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Any, types: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """np.sum(t, axis=0), np.concatenate([t, u]): run the Tensor's own differentiable op."""
        return numpy_dispatch.array_function(func, args, kwargs)
