"""`TensorFactories`: the constructors `Tensor.from_numpy`, `zeros`, `ones`, `full`, `eye`, `arange`, `randn`
and `uniform`, mixed into Tensor (tensor.py), and the conversion
of data to an array that `Tensor(data)` makes."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import tensor as _t


def to_array(data: Any, dtype: Any) -> np.ndarray:
    """A new NumPy array holding a copy of `data` (as PyTorch's `torch.tensor(data)` copies):
    numbers and lists become float64; arrays, tensors and other array-likes keep their dtype."""
    if isinstance(data, _t.Tensor):
        arr = np.array(data.data, dtype=dtype)
    elif isinstance(data, (bool, int, float)):
        arr = np.array(float(data), dtype=dtype)
    elif isinstance(data, (list, tuple)):
        try:
            arr = np.array(data)
        except ValueError as e:
            raise ValueError(
                "Tensor(): the nested list is ragged: every row at the same depth must have the same "
                f"length, and every entry must be a number (NumPy says: {e})."
            ) from e
        if arr.dtype.kind in "biuf":
            arr = arr.astype(np.float64 if dtype is None else dtype)
    else:
        if type(data).__module__.startswith("torch") and hasattr(data, "detach"):
            data = data.detach().cpu().numpy()  # a torch tensor (requires_grad or not): its values
        try:
            arr = np.array(data, dtype=dtype)
        except (TypeError, ValueError) as e:
            raise TypeError(
                f"Tensor(): cannot make a tensor from {type(data).__name__} ({e}); pass a number, "
                "a nested list of numbers, or an array (NumPy, PyTorch, anything np.asarray accepts)."
            ) from e
    if arr.dtype.kind not in "biuf":
        if isinstance(data, str) or arr.dtype.kind == "O":
            raise TypeError(
                f"Tensor(): cannot make a tensor from {type(data).__name__}; pass a number, a nested "
                "list of numbers, or an array (NumPy, PyTorch, anything np.asarray accepts)."
            )
        raise TypeError(
            f"Tensor(): unsupported element type {arr.dtype} (from {type(data).__name__}); "
            "tensors hold bool, integer or floating-point numbers."
        )
    return arr if dtype is None or arr.dtype == dtype else arr.astype(dtype)


def check_float(data: np.ndarray, what: str) -> None:
    if not np.issubdtype(data.dtype, np.floating):
        raise TypeError(
            f"{what}: only floating-point tensors can require gradients, but the dtype is "
            f"{data.dtype}. Create it with dtype=np.float64 (or pass float data)."
        )


def _shape_arg(shape: tuple[Any, ...], who: str) -> tuple[int, ...]:
    """Accept both f(2, 3) and f((2, 3)); sizes must be non-negative integers."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    out = tuple(int(n) for n in shape)
    if any(n < 0 for n in out):
        raise ValueError(f"Tensor.{who}: shape {out} has a negative size; sizes must be non-negative ints.")
    return out


class TensorFactories:
    """Mixed into Tensor. (`cls` is typed Any: mypy cannot name the subclass from here.)"""

    __slots__ = ()

    @classmethod
    def from_numpy(cls: Any, array: np.ndarray, requires_grad: bool = False, name: str | None = None) -> _t.Tensor:
        """A tensor that shares memory with `array`, as `torch.from_numpy`: no copy, and
        changes on either side show on the other. While a recorded graph reads it, writes to
        `array` itself raise (it is read-only until backward); writes through other views of
        its memory, or into memory NumPy does not own, are not seen (see docs/reliability.md)."""
        if not isinstance(array, np.ndarray):
            raise TypeError(
                f"Tensor.from_numpy: expected a NumPy ndarray, got {type(array).__name__}; "
                "use Tensor(data) to copy any other array-like."
            )
        if array.dtype.kind not in "biuf":
            raise TypeError(f"Tensor.from_numpy: unsupported element type {array.dtype}; tensors hold numbers.")
        t = object.__new__(cls)
        t._init(array, requires_grad, name)
        return t

    @classmethod
    def _make(cls: Any, arr: np.ndarray, requires_grad: bool, dtype: Any, name: str | None) -> _t.Tensor:
        t = object.__new__(cls)  # `arr` is new: no copy needed
        t._init(arr if dtype is None else arr.astype(dtype), requires_grad, name)
        return t

    @classmethod
    def zeros(
        cls: Any, *shape: Any, requires_grad: bool = False, dtype: Any = None, name: str | None = None
    ) -> _t.Tensor:
        """A tensor of zeros: `_t.Tensor.zeros(2, 3)` or `_t.Tensor.zeros((2, 3))`."""
        return cls._make(np.zeros(_shape_arg(shape, "zeros")), requires_grad, dtype, name)

    @classmethod
    def ones(
        cls: Any, *shape: Any, requires_grad: bool = False, dtype: Any = None, name: str | None = None
    ) -> _t.Tensor:
        """A tensor of ones."""
        return cls._make(np.ones(_shape_arg(shape, "ones")), requires_grad, dtype, name)

    @classmethod
    def full(
        cls: Any, shape: Any, value: float, requires_grad: bool = False, dtype: Any = None, name: str | None = None
    ) -> _t.Tensor:
        """A tensor of `shape` filled with `value`."""
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        return cls._make(np.full(shape, float(value)), requires_grad, dtype, name)

    @classmethod
    def eye(
        cls: Any, n: int, m: int | None = None, requires_grad: bool = False, dtype: Any = None, name: str | None = None
    ) -> _t.Tensor:
        """The n x m identity matrix (m defaults to n)."""
        return cls._make(np.eye(n, m), requires_grad, dtype, name)

    @classmethod
    def arange(
        cls: Any, *args: float, requires_grad: bool = False, dtype: Any = None, name: str | None = None
    ) -> _t.Tensor:
        """`_t.Tensor.arange(stop)`, `(start, stop)` or `(start, stop, step)`, as float64 by default."""
        return cls._make(np.arange(*args, dtype=np.float64), requires_grad, dtype, name)

    @classmethod
    def randn(
        cls: Any,
        *shape: Any,
        seed: int | None = None,
        requires_grad: bool = False,
        dtype: Any = None,
        name: str | None = None,
    ) -> _t.Tensor:
        """Standard normal samples from `np.random.default_rng(seed)`."""
        arr = np.random.default_rng(seed).standard_normal(_shape_arg(shape, "randn"))
        return cls._make(arr, requires_grad, dtype, name)

    @classmethod
    def uniform(
        cls: Any,
        *shape: Any,
        low: float = 0.0,
        high: float = 1.0,
        seed: int | None = None,
        requires_grad: bool = False,
        dtype: Any = None,
        name: str | None = None,
    ) -> _t.Tensor:
        """Uniform samples in [low, high) from `np.random.default_rng(seed)`."""
        arr = np.random.default_rng(seed).uniform(low, high, _shape_arg(shape, "uniform"))
        return cls._make(arr, requires_grad, dtype, name)
