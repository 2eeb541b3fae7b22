"""`Tensor`: an ndarray that remembers how it was made, so gradients can flow back.

This file holds the class itself: its attributes, conversion, autograd methods and
arithmetic. The other methods come from mixins, one file per kind: construction
(tensor_create.py), reductions (tensor_reduce.py), shape (tensor_shape.py), in-place ops
(inplace.py) and the rest (tensor_methods.py). Every method is either a primitive
(`ops.X.apply(...)`) or a composition of them; the derivatives live in the ops*.py files only. Array
semantics follow NumPy (broadcasting, dtypes, `axis`/`keepdims`); autograd semantics follow
PyTorch.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Union

import numpy as np

from . import engine, inplace, mutation, ops
from .functions import matmul
from .inplace import InPlaceMethods, VersionCounter
from .tensor_create import TensorFactories, check_float, to_array
from .tensor_methods import TensorMethods
from .tensor_reduce import ReduceMethods
from .tensor_shape import ShapeMethods

Scalar = Union[int, float, bool]
ArrayLike = Union["Tensor", np.ndarray, Scalar, Sequence[Any], np.generic]
Axis = Union[int, Sequence[int], None]


_NON_LEAF_GRAD = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during backward(): gradients are kept for leaves, the tensors "
    "you create. If you indeed want the gradient of this non-leaf Tensor, call .retain_grad() on "
    "it before backward(). If you meant a parameter, note that "
    "`Tensor.randn(..., requires_grad=True) * 0.01` is not a leaf (the multiplication made it); "
    "write `(Tensor.randn(...) * 0.01).requires_grad_()` or `Tensor(np_array * 0.01, "
    "requires_grad=True)` instead."
)


class Tensor(TensorFactories, ReduceMethods, ShapeMethods, TensorMethods, InPlaceMethods):
    """An n-dimensional array with reverse- and forward-mode automatic differentiation."""

    __hash__ = object.__hash__  # == is elementwise, tensors still work as dict keys

    # The three attributes every tensor sets live in slots; the others are class-level
    # defaults until a tensor sets its own (in its __dict__, made only then).
    __slots__ = ("data", "requires_grad", "grad_fn", "__dict__", "__weakref__")
    data: np.ndarray
    requires_grad: bool
    grad_fn: engine.Function | None
    name: str | None = None
    _retains_grad: bool = False
    _hooks: list[Callable[[Tensor], Tensor | None]] | None = None
    _tangent: Tensor | None = None  # forward mode: the tangent carried at level _tlevel
    _tlevel: int = 0
    _lockable: bool = True  # False for shared constants (Function.lock_leaf skips them)
    _vc: VersionCounter | None = None  # in-place changes (see inplace.py); None = version 0
    _grad: Tensor | None = None
    _untracked: bool = False  # computed under no_grad from tensors that require grad

    def __init__(
        self, data: ArrayLike, requires_grad: bool = False, dtype: Any = None, name: str | None = None
    ) -> None:
        """A tensor holding a copy of `data` (a number, nested list, ndarray, Tensor, torch
        tensor, or anything `np.asarray` accepts); `Tensor.from_numpy` shares instead."""
        self._init(to_array(data, dtype), requires_grad, name)

    def _init(self, arr: np.ndarray, requires_grad: bool, name: str | None) -> None:
        if requires_grad:
            check_float(arr, "Tensor(requires_grad=True)")
        self.data, self.requires_grad, self.grad_fn, self.name = arr, bool(requires_grad), None, name

    @staticmethod
    def _wrap(data: np.ndarray, requires_grad: bool, grad_fn: engine.Function | None) -> Tensor:
        """Fast constructor for op results: no conversion, no checks."""
        t = object.__new__(Tensor)
        t.data, t.requires_grad, t.grad_fn = data, requires_grad, grad_fn
        return t

    # ------------------------------------------------------------ factories
    # ------------------------------------------------------------ attributes and conversion
    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def is_leaf(self) -> bool:
        """True for tensors the user created (no grad_fn): only they get `.grad`."""
        return self.grad_fn is None

    @property
    def grad(self) -> Tensor | None:
        """The gradient accumulated by backward (leaves, and tensors that called retain_grad())."""
        if self.grad_fn is not None and not self._retains_grad:
            warnings.warn(_NON_LEAF_GRAD, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        self._grad = value

    @property
    def _version(self) -> int:
        """How many in-place ops changed this tensor (PyTorch's `t._version`)."""
        return 0 if self._vc is None else self._vc.version

    def numpy(self) -> np.ndarray:
        """The underlying array (shared, not copied)."""
        return self.data

    def item(self) -> Any:
        if self.data.size != 1:
            raise ValueError(
                f"item(): only one-element tensors convert to a Python number; this one has "
                f"shape {self.shape}. Index it or reduce it first (e.g. .sum())."
            )
        return self.data.item()

    def tolist(self) -> Any:
        return self.data.tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self.size != 1:
            raise ValueError(
                f"The truth value of a tensor of shape {self.shape} is ambiguous: use t.all() or "
                "t.any() (is every element nonzero, is some element nonzero?), as in "
                "`if (a > b).all():`, or test a single element, as in `if t[0] > 0:`."
            )
        return bool(self.data)

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        return (self[i] for i in range(len(self)))

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if copy:
            return np.array(self.data, dtype=dtype)
        return self.data if dtype is None else self.data.astype(dtype, copy=False)

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="Tensor(")
        extras = []
        if self.dtype != np.float64:
            extras.append(f"dtype={self.dtype}")
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{self.grad_fn.name}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        if self.name is not None:
            extras.append(f"name={self.name!r}")
        return "Tensor(" + ", ".join([body, *extras]) + ")"

    # ------------------------------------------------------------ autograd
    def backward(
        self, gradient: ArrayLike | None = None, retain_graph: bool = False, create_graph: bool = False
    ) -> None:
        """Accumulate d(self)/d(leaf) into every leaf's `.grad` (weighted by `gradient`,
        which defaults to 1 for a one-element tensor)."""
        if not self.requires_grad:
            raise RuntimeError(
                f"backward(): this tensor (shape {self.shape}) does not require grad and has "
                f"no grad_fn. {engine.no_graph_hint(self)}"
            )
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward(): a gradient can be created implicitly only for one-element "
                    f"outputs, but this tensor has shape {self.shape}. Reduce it first (e.g. "
                    f".sum()) or pass gradient= a tensor of shape {self.shape}."
                )
            g = Tensor._wrap(np.array(1, self.data.dtype).reshape(self.data.shape), False, None)
        else:
            g = gradient if isinstance(gradient, Tensor) else Tensor(gradient, dtype=self.dtype)
            if g.shape != self.shape:
                raise ValueError(
                    f"backward(): gradient has shape {g.shape} but the tensor has shape "
                    f"{self.shape}; pass a gradient of the same shape."
                )
        engine.run_backward([self], [g], retain_graph or create_graph, create_graph)

    def detach(self) -> Tensor:
        """The same data, cut from the graph (no grad_fn, no requires_grad)."""
        t = Tensor._wrap(self.data, False, None)
        t._vc = inplace.version_counter(self)  # shared, as in PyTorch: both see in-place changes
        return t

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Switch gradient tracking of a leaf on (or off), in place."""
        if self.grad_fn is not None:
            raise RuntimeError(
                "requires_grad_(): only leaf tensors can change requires_grad; "
                "use .detach().requires_grad_() to start a new leaf."
            )
        if requires_grad:
            check_float(self.data, "requires_grad_()")
        self.requires_grad = requires_grad
        return self

    def retain_grad(self) -> None:
        """Keep `.grad` for this non-leaf tensor after backward."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad(): the tensor does not require grad.")
        self._retains_grad = self.grad_fn is not None

    def register_hook(self, fn: Callable[[Tensor], Tensor | None]) -> _HookHandle:
        """Call fn(grad) when this tensor's gradient is computed; a returned tensor replaces it."""
        if not self.requires_grad:
            raise RuntimeError("register_hook(): cannot register a hook on a tensor that does not require grad.")
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(fn)
        return _HookHandle(self._hooks, fn)

    # ------------------------------------------------------------ arithmetic
    def _operand(self, other: Any) -> Tensor:
        """`other` as a Tensor; Python numbers take this tensor's float dtype."""
        if type(other) is Tensor:
            return other
        if type(other) is float:  # the common case, x * 2.0: one look-up by dtype and value
            shared = _FLOAT_CONSTANTS.get(self.data.dtype, _NONE).get(other)
            if shared is not None:
                return shared
        if type(other) in (float, int, bool):
            dtype = self.data.dtype
            return _constant(other, dtype if dtype.kind == "f" else None)
        if isinstance(other, Tensor):
            return other
        if isinstance(other, (list, tuple)):
            return Tensor(other)
        arr = np.asarray(other)
        if not mutation.root_of(arr).flags.owndata:
            arr = np.array(arr)  # another library's memory: a graph could not protect it
        return Tensor._wrap(arr, False, None)

    def __add__(self, other: ArrayLike) -> Tensor:
        return ops.Add.apply(self, self._operand(other))

    def __radd__(self, other: ArrayLike) -> Tensor:
        return ops.Add.apply(self._operand(other), self)

    def __neg__(self) -> Tensor:
        return ops.Neg.apply(self)

    def __sub__(self, other: ArrayLike) -> Tensor:
        return ops.Sub.apply(self, self._operand(other))

    def __rsub__(self, other: ArrayLike) -> Tensor:
        return ops.Sub.apply(self._operand(other), self)

    def __mul__(self, other: ArrayLike) -> Tensor:
        return ops.Mul.apply(self, self._operand(other))

    def __rmul__(self, other: ArrayLike) -> Tensor:
        return ops.Mul.apply(self._operand(other), self)

    def __truediv__(self, other: ArrayLike) -> Tensor:
        return ops.Div.apply(self, self._operand(other))

    def __rtruediv__(self, other: ArrayLike) -> Tensor:
        return ops.Div.apply(self._operand(other), self)

    def __pow__(self, other: ArrayLike) -> Tensor:
        return ops.Pow.apply(self, self._operand(other))

    def __rpow__(self, other: ArrayLike) -> Tensor:
        return ops.Pow.apply(self._operand(other), self)

    def __matmul__(self, other: ArrayLike) -> Tensor:
        return matmul(self, self._operand(other))

    def __rmatmul__(self, other: ArrayLike) -> Tensor:
        return matmul(self._operand(other), self)

    # comparisons: bool tensors that carry no gradient
    def _compare(self, other: Any, fn: Callable[[Any, Any], Any]) -> Tensor:
        return engine.no_grad_op(fn, self, self._operand(other))

    def __lt__(self, other: ArrayLike) -> Tensor:
        return self._compare(other, np.less)

    def __le__(self, other: ArrayLike) -> Tensor:
        return self._compare(other, np.less_equal)

    def __gt__(self, other: ArrayLike) -> Tensor:
        return self._compare(other, np.greater)

    def __ge__(self, other: ArrayLike) -> Tensor:
        return self._compare(other, np.greater_equal)

    def __eq__(self, other: object) -> Tensor:  # type: ignore[override]
        return self._compare(other, np.equal)

    def __ne__(self, other: object) -> Tensor:  # type: ignore[override]
        return self._compare(other, np.not_equal)


_CONSTANTS: dict[tuple[Any, ...], Tensor] = {}
# The same constants for nonzero float values met by float tensors, by dtype then value (no
# key to build: 0.0 and -0.0, equal as keys but not as numbers, stay in _CONSTANTS only).
_FLOAT_CONSTANTS: dict[np.dtype, dict[float, Tensor]] = {}
_NONE: dict[float, Tensor] = {}


def _constant(value: Scalar, dtype: np.dtype | None) -> Tensor:
    """A shared, read-only 0-d tensor for a Python number. Numbers recur (x * 2.0, 1.0 - p, a
    learning rate), so sharing them saves an allocation per op."""
    key = (value, type(value), dtype, math.copysign(1.0, value) if value == 0 else 0.0)  # -0.0 is not 0.0
    t = _CONSTANTS.get(key)
    if t is None:
        arr = np.array(value, dtype)
        arr.setflags(write=False)
        t = Tensor._wrap(arr, False, None)
        t._lockable = False
        if len(_CONSTANTS) >= 1024:
            _CONSTANTS.clear()
            _FLOAT_CONSTANTS.clear()
        if value == value:  # NaN never equals itself, so it could never be found again
            _CONSTANTS[key] = t
            if type(value) is float and value != 0.0 and dtype is not None:
                _FLOAT_CONSTANTS.setdefault(dtype, {})[value] = t
    return t


class _HookHandle:
    """Returned by register_hook; `.remove()` unregisters the hook."""

    def __init__(self, hooks: list[Any], fn: Any) -> None:
        self._hooks, self._fn = hooks, fn

    def remove(self) -> None:
        if self._fn in self._hooks:
            self._hooks.remove(self._fn)
