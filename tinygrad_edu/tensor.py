"""`Tensor`: an ndarray that remembers how it was made, so gradients can flow back.

Every method here is either a primitive (`ops.X.apply(...)`) or a composition of them; the
derivatives live in ops.py only. Array semantics follow NumPy (broadcasting, dtypes,
`axis`/`keepdims`); autograd semantics follow PyTorch.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Union

import numpy as np

from . import engine, inplace, movement, ops
from .functions import matmul, where
from .inplace import InPlaceMethods, VersionCounter
from .tensor_methods import TensorMethods

Scalar = Union[int, float, bool]
ArrayLike = Union["Tensor", np.ndarray, Scalar, Sequence[Any], np.generic]
Axis = Union[int, Sequence[int], None]


def _to_array(data: Any, dtype: Any) -> np.ndarray:
    """A new NumPy array holding a copy of `data` (as PyTorch's `torch.tensor(data)` copies):
    numbers and lists become float64; arrays, tensors and other array-likes keep their dtype."""
    if isinstance(data, Tensor):
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


def _check_float(data: np.ndarray, what: str) -> None:
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


_NON_LEAF_GRAD = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during backward(): gradients are kept for leaves, the tensors "
    "you create. If you indeed want the gradient of this non-leaf Tensor, call .retain_grad() on "
    "it before backward(). If you meant a parameter, note that "
    "`Tensor.randn(..., requires_grad=True) * 0.01` is not a leaf (the multiplication made it); "
    "write `(Tensor.randn(...) * 0.01).requires_grad_()` or `Tensor(np_array * 0.01, "
    "requires_grad=True)` instead."
)


class Tensor(TensorMethods, InPlaceMethods):
    """An n-dimensional array with reverse- and forward-mode automatic differentiation."""

    __hash__ = object.__hash__  # == is elementwise, tensors still work as dict keys

    # Class-level defaults: an op result sets only data, requires_grad and grad_fn.
    data: np.ndarray
    requires_grad: bool = False
    grad_fn: engine.Function | None = None
    name: str | None = None
    _retains_grad: bool = False
    _hooks: list[Callable[[Tensor], Tensor | None]] | None = None
    _tangent: Tensor | None = None  # forward mode: the tangent carried at level _tlevel
    _tlevel: int = 0
    _lockable: bool = True  # False for shared constants (engine.lock_leaf skips them)
    _vc: VersionCounter | None = None  # in-place changes (see inplace.py); None = version 0
    _grad: Tensor | None = None
    _untracked: bool = False  # computed under no_grad from tensors that require grad

    def __init__(
        self, data: ArrayLike, requires_grad: bool = False, dtype: Any = None, name: str | None = None
    ) -> None:
        """A tensor holding a copy of `data` (a number, nested list, ndarray, Tensor, torch
        tensor, or anything `np.asarray` accepts); `Tensor.from_numpy` shares instead."""
        self._init(_to_array(data, dtype), requires_grad, name)

    def _init(self, arr: np.ndarray, requires_grad: bool, name: str | None) -> None:
        if requires_grad:
            _check_float(arr, "Tensor(requires_grad=True)")
        self.data, self.requires_grad, self.name = arr, bool(requires_grad), name

    @classmethod
    def from_numpy(cls, array: np.ndarray, requires_grad: bool = False, name: str | None = None) -> Tensor:
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

    @staticmethod
    def _wrap(data: np.ndarray, requires_grad: bool, grad_fn: engine.Function | None) -> Tensor:
        """Fast constructor for op results: no conversion, no checks."""
        t = object.__new__(Tensor)
        t.data, t.requires_grad, t.grad_fn = data, requires_grad, grad_fn
        return t

    # ------------------------------------------------------------ factories
    @classmethod
    def _make(cls, arr: np.ndarray, requires_grad: bool, dtype: Any, name: str | None) -> Tensor:
        t = object.__new__(cls)  # `arr` is new: no copy needed
        t._init(arr if dtype is None else arr.astype(dtype), requires_grad, name)
        return t

    @classmethod
    def zeros(cls, *shape: Any, requires_grad: bool = False, dtype: Any = None, name: str | None = None) -> Tensor:
        """A tensor of zeros: `Tensor.zeros(2, 3)` or `Tensor.zeros((2, 3))`."""
        return cls._make(np.zeros(_shape_arg(shape, "zeros")), requires_grad, dtype, name)

    @classmethod
    def ones(cls, *shape: Any, requires_grad: bool = False, dtype: Any = None, name: str | None = None) -> Tensor:
        """A tensor of ones."""
        return cls._make(np.ones(_shape_arg(shape, "ones")), requires_grad, dtype, name)

    @classmethod
    def full(
        cls, shape: Any, value: float, requires_grad: bool = False, dtype: Any = None, name: str | None = None
    ) -> Tensor:
        """A tensor of `shape` filled with `value`."""
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        return cls._make(np.full(shape, float(value)), requires_grad, dtype, name)

    @classmethod
    def eye(
        cls, n: int, m: int | None = None, requires_grad: bool = False, dtype: Any = None, name: str | None = None
    ) -> Tensor:
        """The n x m identity matrix (m defaults to n)."""
        return cls._make(np.eye(n, m), requires_grad, dtype, name)

    @classmethod
    def arange(cls, *args: float, requires_grad: bool = False, dtype: Any = None, name: str | None = None) -> Tensor:
        """`Tensor.arange(stop)`, `(start, stop)` or `(start, stop, step)`, as float64 by default."""
        return cls._make(np.arange(*args, dtype=np.float64), requires_grad, dtype, name)

    @classmethod
    def randn(
        cls,
        *shape: Any,
        seed: int | None = None,
        requires_grad: bool = False,
        dtype: Any = None,
        name: str | None = None,
    ) -> Tensor:
        """Standard normal samples from `np.random.default_rng(seed)`."""
        arr = np.random.default_rng(seed).standard_normal(_shape_arg(shape, "randn"))
        return cls._make(arr, requires_grad, dtype, name)

    @classmethod
    def uniform(
        cls,
        *shape: Any,
        low: float = 0.0,
        high: float = 1.0,
        seed: int | None = None,
        requires_grad: bool = False,
        dtype: Any = None,
        name: str | None = None,
    ) -> Tensor:
        """Uniform samples in [low, high) from `np.random.default_rng(seed)`."""
        arr = np.random.default_rng(seed).uniform(low, high, _shape_arg(shape, "uniform"))
        return cls._make(arr, requires_grad, dtype, name)

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
    def T(self) -> Tensor:  # noqa: N802 - NumPy's name
        """All axes reversed, as NumPy's `.T`."""
        return ops.Transpose.apply(self, axes=tuple(range(self.ndim - 1, -1, -1)))

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
        if self.size != 1:
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

    def all(
        self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: bool | None = None
    ) -> Tensor:
        """True where every element over `axis` (all axes by default) is nonzero, as np.all
        and torch.all: a bool tensor, which carries no gradient."""
        axes = self._axes(axis, dim, "all")
        return Tensor(np.all(self.data, axis=axes, keepdims=self._keep(keepdims, keepdim)))

    def any(
        self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: bool | None = None
    ) -> Tensor:
        """True where some element over `axis` (all axes by default) is nonzero, as np.any
        and torch.any: a bool tensor, which carries no gradient."""
        axes = self._axes(axis, dim, "any")
        return Tensor(np.any(self.data, axis=axes, keepdims=self._keep(keepdims, keepdim)))

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
            if self.size != 1:
                raise RuntimeError(
                    f"backward(): a gradient can be created implicitly only for one-element "
                    f"outputs, but this tensor has shape {self.shape}. Reduce it first (e.g. "
                    f".sum()) or pass gradient= a tensor of shape {self.shape}."
                )
            g = Tensor._wrap(np.ones(self.shape, dtype=self.dtype), False, None)
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
            _check_float(self.data, "requires_grad_()")
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
        if type(other) in (float, int, bool):
            dtype = self.data.dtype
            return _constant(other, dtype if dtype.kind == "f" else None)
        if isinstance(other, Tensor):
            return other
        if isinstance(other, (list, tuple)):
            return Tensor(other)
        arr = np.asarray(other)
        if not engine._root(arr).flags.owndata:
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

    # ------------------------------------------------------------ elementwise
    def exp(self) -> Tensor:
        return ops.Exp.apply(self)

    def log(self) -> Tensor:
        return ops.Log.apply(self)

    def sqrt(self) -> Tensor:
        return ops.Sqrt.apply(self)

    def abs(self) -> Tensor:
        return ops.Abs.apply(self)

    def sin(self) -> Tensor:
        return ops.Sin.apply(self)

    def cos(self) -> Tensor:
        return ops.Cos.apply(self)

    def tanh(self) -> Tensor:
        return ops.Tanh.apply(self)

    def sigmoid(self) -> Tensor:
        return ops.Sigmoid.apply(self)

    def relu(self) -> Tensor:
        return ops.Relu.apply(self)

    @engine.composite("{a}.clip()", "[{low} <= {a} <= {high}]")
    def clip(self, low: float | None = None, high: float | None = None) -> Tensor:
        """min(max(x, low), high); the gradient is 1 inside [low, high] (ends included), else 0."""
        out = self
        if low is not None:
            out = where(out < low, low, out)
        if high is not None:
            out = where(out > high, high, out)
        return out

    # ------------------------------------------------------------ reductions
    def _axes(self, axis: Axis, dim: Axis, op: str) -> tuple[int, ...]:
        axis = dim if axis is None else axis
        ndim = self.data.ndim
        if axis is None:
            return tuple(range(ndim))
        axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
        n = max(ndim, 1)  # a 0-d tensor takes axis 0 or -1, as in PyTorch and NumPy's ufuncs
        out = []
        for a in axes:
            if not -n <= a < n:
                raise ValueError(
                    f"{op}: axis {a} is out of range for a tensor of shape {self.shape} (valid: {-n} to {n - 1})."
                )
            out.append(int(a) % n)
        if len(set(out)) != len(out):
            raise ValueError(
                f"{op}: duplicate value in axis={axis!r} (the axes are {tuple(out)} once negative ones are "
                "counted from the front); name each axis once, as NumPy requires."
            )
        return () if ndim == 0 else tuple(sorted(out))  # a 0-d tensor: reduce over nothing

    @staticmethod
    def _keep(keepdims: bool, keepdim: bool | None) -> bool:
        return bool(keepdims if keepdim is None else keepdim)

    def sum(
        self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: bool | None = None
    ) -> Tensor:
        """Sum over `axis` (all axes by default)."""
        axes = self._axes(axis, dim, "sum")
        return ops.Sum.apply(self, axis=axes, keepdims=self._keep(keepdims, keepdim))

    def mean(
        self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: bool | None = None
    ) -> Tensor:
        """Sum over `axis` divided by the number of elements summed (NaN for none, as NumPy)."""
        return ops.Mean.apply(self, axis=self._axes(axis, dim, "mean"), keepdims=self._keep(keepdims, keepdim))

    def max(
        self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: bool | None = None
    ) -> Tensor:
        """Largest value over `axis`; the gradient is split evenly among ties."""
        if self.size == 0:
            raise ValueError("max: the tensor is empty; there is no maximum of zero elements.")
        axes = self._axes(axis, dim, "max")
        return ops.Max.apply(self, axis=axes, keepdims=self._keep(keepdims, keepdim))

    @engine.composite("{a}.min()", "[{a} = {out}] / ties")
    def min(
        self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: bool | None = None
    ) -> Tensor:
        """Smallest value over `axis`: -max(-x); the gradient is split evenly among ties."""
        if self.size == 0:
            raise ValueError("min: the tensor is empty; there is no minimum of zero elements.")
        return -(-self).max(self._axes(axis, dim, "min"), self._keep(keepdims, keepdim))

    @engine.composite("{a}.var()", "2·({a} - mean)/{dof}")
    def var(
        self, axis: Axis = None, keepdims: bool = False, ddof: int = 0, *, dim: Axis = None, keepdim: bool | None = None
    ) -> Tensor:
        """mean((x - mean(x))^2) * n / (n - ddof): NumPy's variance (ddof=0 by default)."""
        axes = self._axes(axis, dim, "var")
        n = int(np.prod([self.shape[a] for a in axes]))
        centered = self - self.mean(axes, keepdims=True)
        return (centered * centered).sum(axes, self._keep(keepdims, keepdim)) / float(n - ddof)

    @engine.composite("{a}.std()", "({a} - mean)/({dof}·{out})")
    def std(
        self, axis: Axis = None, keepdims: bool = False, ddof: int = 0, *, dim: Axis = None, keepdim: bool | None = None
    ) -> Tensor:
        """sqrt(var(x)): NumPy's standard deviation (ddof=0 by default); its gradient is 0 where
        x is constant along the axis, as in PyTorch."""
        axes, keep = self._axes(axis, dim, "std"), self._keep(keepdims, keepdim)
        return ops.Std.apply(self, axis=axes, keepdims=keep, ddof=ddof)

    @engine.composite("{a}.logsumexp()", "softmax({a})")
    def logsumexp(
        self, axis: Axis = None, keepdims: bool = False, *, dim: Axis = None, keepdim: bool | None = None
    ) -> Tensor:
        """log(sum(exp(x))) computed as log(sum(exp(x - m))) + m with m = max(x): no overflow."""
        axes = self._axes(axis, dim, "logsumexp")
        keep = self._keep(keepdims, keepdim)
        shifted, m = self._minus_max(axes)
        if not keep:
            m = m.reshape(tuple(n for i, n in enumerate(self.shape) if i not in axes))
        return shifted.exp().sum(axes, keep).log() + m

    @engine.composite("{a}.softmax()", "{out}·(G - sum(G·{out}))")
    def softmax(self, axis: int = -1, *, dim: int | None = None) -> Tensor:
        """exp(z) / sum(exp(z)) along `axis`, z = x - max(x): positive, sums to 1, exact for large logits."""
        axes = self._axes(axis if dim is None else dim, None, "softmax")
        e = self._minus_max(axes)[0].exp()
        return e / e.sum(axes, keepdims=True)

    @engine.composite("{a}.log_softmax()", "G - softmax({a})·sum(G)")
    def log_softmax(self, axis: int = -1, *, dim: int | None = None) -> Tensor:
        """z - log(sum(exp(z))) along `axis`, z = x - max(x): exact for large logits."""
        axes = self._axes(axis if dim is None else dim, None, "log_softmax")
        z = self._minus_max(axes)[0]
        return z - z.exp().sum(axes, keepdims=True).log()

    def _minus_max(self, axes: tuple[int, ...]) -> tuple[Tensor, Tensor]:
        """(x - m, m) with m = max(x) over `axes` (kept as size-1 axes) taken as a constant: softmax and
        logsumexp do not change when x shifts, so no gradient is lost, and exp(x - m) <= 1 never
        overflows. m is 0 where the max is infinite or the axis empty (no inf - inf)."""
        m = engine.no_grad_op(_finite_max, self, axes=axes)
        return self - m, m

    def argmax(
        self, axis: int | None = None, keepdims: bool = False, *, dim: int | None = None, keepdim: bool | None = None
    ) -> Tensor:
        """Index of the largest value, the first among ties (an integer tensor, no gradient)."""
        axis = dim if axis is None else axis
        return Tensor(np.argmax(self.data, axis=axis, keepdims=self._keep(keepdims, keepdim)))

    def argmin(
        self, axis: int | None = None, keepdims: bool = False, *, dim: int | None = None, keepdim: bool | None = None
    ) -> Tensor:
        """Index of the smallest value, the first among ties (an integer tensor, no gradient)."""
        axis = dim if axis is None else axis
        return Tensor(np.argmin(self.data, axis=axis, keepdims=self._keep(keepdims, keepdim)))

    def astype(self, dtype: Any) -> Tensor:
        """The values converted to `dtype` (NumPy's astype); gradients convert back."""
        dtype = np.dtype(dtype)
        if dtype == self.dtype:
            return self
        if self.requires_grad and dtype.kind != "f":
            raise TypeError(f"astype: cannot convert a tensor that requires grad to non-float dtype {dtype}.")
        return ops.Cast.apply(self, dtype=dtype)

    # ------------------------------------------------------------ shape
    def reshape(self, *shape: Any) -> Tensor:
        """Same elements, new shape (one entry may be -1)."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        shape_ = tuple(int(n) for n in shape)  # one entry may be -1: NumPy infers it
        if shape_ == self.shape:
            return self
        return ops.Reshape.apply(self, shape=shape_)

    def transpose(self, *axes: int) -> Tensor:
        """Permute the axes (reverse them when none are given), as NumPy."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        if not axes:
            axes = tuple(range(self.ndim - 1, -1, -1))
        if sorted(a % max(self.ndim, 1) for a in axes) != list(range(self.ndim)):
            raise ValueError(
                f"transpose: axes {axes} are not a permutation of the {self.ndim} axes of shape {self.shape}."
            )
        return ops.Transpose.apply(self, axes=tuple(a % self.ndim for a in axes))

    def swapaxes(self, a: int, b: int) -> Tensor:
        """Exchange two axes (NumPy's swapaxes)."""
        axes = list(range(self.ndim))
        axes[a], axes[b] = axes[b], axes[a]
        return ops.Transpose.apply(self, axes=tuple(axes))

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Merge axes start_dim..end_dim into one (PyTorch's flatten; all of them by default)."""
        return movement.flatten(self, start_dim, end_dim)

    def squeeze(self, axis: Axis = None) -> Tensor:
        """Drop size-1 axes (only `axis` when given; it must have size 1)."""
        axes = (
            self._axes(axis, None, "squeeze")
            if axis is not None
            else tuple(i for i, n in enumerate(self.shape) if n == 1)
        )
        for a in axes:
            if self.shape[a] != 1:
                raise ValueError(f"squeeze: axis {a} of shape {self.shape} has size {self.shape[a]}, not 1.")
        return self.reshape(tuple(n for i, n in enumerate(self.shape) if i not in axes))

    def unsqueeze(self, axis: int) -> Tensor:
        """Insert a size-1 axis at `axis`."""
        if not -self.ndim - 1 <= axis <= self.ndim:
            raise ValueError(f"unsqueeze: axis {axis} is out of range for shape {self.shape}.")
        axis = axis % (self.ndim + 1)
        return self.reshape(self.shape[:axis] + (1,) + self.shape[axis:])

    def broadcast_to(self, shape: Sequence[int]) -> Tensor:
        """Repeat along new or size-1 axes to `shape` (NumPy's broadcast_to)."""
        shape = tuple(shape)
        if shape == self.shape:
            return self
        return ops.BroadcastTo.apply(self, shape=shape)

    def __getitem__(self, index: Any) -> Tensor:
        """Basic slicing and integer/boolean-array indexing; repeated indices accumulate."""
        return ops.GetItem.apply(self, index=_index(index))


def _finite_max(x: np.ndarray, axes: tuple[int, ...]) -> np.ndarray:
    """The max over `axes` (kept), 0 where it is infinite or the axes are empty: the softmax
    family's stabilizing shift."""
    if x.size == 0:
        return np.zeros(tuple(1 if i in axes else n for i, n in enumerate(x.shape)), x.dtype)
    m = np.maximum.reduce(x, axis=axes, keepdims=True)
    return np.where(np.isfinite(m), m, 0).astype(x.dtype, copy=False)


_CONSTANTS: dict[tuple[Any, ...], Tensor] = {}


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
        if value == value:  # NaN never equals itself, so it could never be found again
            _CONSTANTS[key] = t
    return t


def _index(index: Any) -> Any:
    """Tensors and lists inside an index become arrays (NumPy indexing semantics)."""
    if isinstance(index, tuple):
        return tuple(_index(i) for i in index)
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, list):
        return np.asarray(index)
    return index


class _HookHandle:
    """Returned by register_hook; `.remove()` unregisters the hook."""

    def __init__(self, hooks: list[Any], fn: Any) -> None:
        self._hooks, self._fn = hooks, fn

    def remove(self) -> None:
        if self._fn in self._hooks:
            self._hooks.remove(self._fn)
