"""The primitive ops: the only places where derivatives are written down.

Each op is one small class: `forward` computes on NumPy arrays; `backward` is the
vector-Jacobian product (given the upstream gradient G of the output, the gradient for each
input) and `jvp` the Jacobian-vector product (given the inputs' tangents, the output's
tangent). Both are written with operators and methods that Tensors and ndarrays share: when
a graph is being recorded (create_graph=True, forward mode) G and the saved values arrive as
Tensors, so gradients of gradients work; otherwise as plain ndarrays, so a backward pass costs
little more than the NumPy it runs. The first line of each docstring is the math. The engine
reduces broadcast axes (`unbroadcast`) afterwards, so no rule here worries about broadcasting.

Here: the base class, the helpers every rule shares and the elementwise primitives. The other
primitives have a file per kind (ops_reduce.py, ops_movement.py, ops_pointwise.py, ops_scan.py,
ops_einsum.py, ops_window.py); everything else (softmax, min, ...) is composed from them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import tensor as _t
from .engine import Function

G = Any  # an upstream gradient: a Tensor while a graph is recorded, else an ndarray
Grads = tuple[Any, ...]


class Primitive(Function):
    """A built-in op: its backward also accepts G as an ndarray (see the module docstring)."""

    array_backward = True


def _const(like: Any, data: Any) -> Any:
    """`data` as a constant with the dtype of `like`: an ndarray next to an ndarray G, else a
    Tensor that carries no gradient."""
    arr = np.asarray(data, dtype=like.dtype)
    return _t.Tensor._wrap(arr, False, None) if isinstance(like, _t.Tensor) else arr


def _cos(x: Any) -> Any:
    return x.cos() if isinstance(x, _t.Tensor) else np.cos(x)


def _sin(x: Any) -> Any:
    return x.sin() if isinstance(x, _t.Tensor) else np.sin(x)


def _select(mask: np.ndarray, g: Any) -> Any:
    """g where `mask` holds, else 0. A selection, not a product with a 0/1 mask: where the
    local derivative is exactly 0 the result is 0 even if g is infinite (inf * 0 is NaN)."""
    if isinstance(g, _t.Tensor):
        return Where.apply(_t.Tensor._wrap(mask, False, None), g, _const(g, 0.0))
    return select(mask, g)


_BITS = {2: (np.int16, np.uint16), 4: (np.int32, np.uint32), 8: (np.int64, np.uint64)}


def select(mask: np.ndarray, g: Any, out: np.ndarray | None = None) -> np.ndarray:
    """np.where(mask, g, 0) bit for bit (the 0 is +0.0), for a float array g, at a tenth of
    np.where's cost when the mask is irregular (relu's is): g's bits ANDed with all ones where
    mask holds (-True is -1) and all zeros elsewhere. Into `out` when given (tge.compile)."""
    g = np.asarray(g)
    bits = _BITS.get(g.dtype.itemsize) if g.dtype.kind == "f" else None
    if bits is None:
        return np.where(mask, g, np.zeros((), g.dtype))
    signed, unsigned = bits
    ones = np.negative(mask, dtype=signed).view(unsigned)
    res = np.bitwise_and(g.view(unsigned), ones, out=None if out is None else out.view(unsigned))
    return res.view(g.dtype)


def _total(*terms: _t.Tensor | None) -> _t.Tensor:
    """The sum of the tangent terms that exist (an input without a tangent adds nothing)."""
    present = [t for t in terms if t is not None]
    out = present[0]
    for t in present[1:]:
        out = out + t
    return out


def _or_zeros(tangent: _t.Tensor | None, like: _t.Tensor) -> _t.Tensor:
    """The tangent, or a zero tangent shaped like its input (a broadcast view: no allocation)."""
    if tangent is not None:
        return tangent
    return _const(like, np.broadcast_to(np.zeros((), like.dtype), like.shape))


# ================================================================ binary elementwise
class Add(Primitive):
    """f(a, b) = a + b;  df/da = 1,  df/db = 1"""

    reads = slice(0, 0)  # the derivatives read no input's values

    def forward(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return x + y

    def backward(self, g: G) -> Grads:
        return g, g

    def jvp(self, tx: _t.Tensor | None, ty: _t.Tensor | None) -> _t.Tensor:
        return _total(tx, ty)


class Sub(Primitive):
    """f(a, b) = a - b;  df/da = 1,  df/db = -1"""

    reads = slice(0, 0)

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a - b

    def backward(self, g: G) -> Grads:
        return g, -g if self.inputs[1].requires_grad else None

    def jvp(self, ta: _t.Tensor | None, tb: _t.Tensor | None) -> _t.Tensor:
        if tb is None:
            return ta  # type: ignore[return-value]  # (one of the two tangents exists)
        return -tb if ta is None else ta - tb


class Mul(Primitive):
    """f(a, b) = a * b;  df/da = b,  df/db = a"""

    def forward(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return x * y

    def backward(self, g: G) -> Grads:
        x, y = self.values(*self.inputs)
        return (g * y if self.inputs[0].requires_grad else None, g * x if self.inputs[1].requires_grad else None)

    def jvp(self, tx: _t.Tensor | None, ty: _t.Tensor | None) -> _t.Tensor:
        x, y = self.inputs
        return _total(None if tx is None else tx * y, None if ty is None else x * ty)


class Div(Primitive):
    """f(a, b) = a / b;  df/da = 1 / b,  df/db = -(a / b) / b = -f / b  (never forms b^2, which can overflow)"""

    save_output = True

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return a / b

    def backward(self, g: G) -> Grads:
        out, b = self.values(self.output(), self.inputs[1])
        return (
            g / b if self.inputs[0].requires_grad else None,
            -g * (out / b) if self.inputs[1].requires_grad else None,
        )

    def jvp(self, ta: _t.Tensor | None, tb: _t.Tensor | None) -> _t.Tensor:
        # (ta - tb f) / b: one division, so a / a at a subnormal a has tangent 0, not inf - inf
        b = self.inputs[1]
        if tb is None:
            return ta / b  # type: ignore[operator]  # (one of the two tangents exists)
        return (-(tb * self.output()) if ta is None else ta - tb * self.output()) / b


def squares(a: np.ndarray, b: np.ndarray) -> bool:
    """True when a ** b is the square a * a: b is one number, 2, of a's own dtype (a wider b
    widens the result, which np.power does and a * a would not)."""
    return bool(b.ndim == 0 and b.dtype == a.dtype and b == 2)


class Pow(Primitive):
    """f(a, b) = a ** b;  df/da = b * a ** (b - 1)  (0 where b = 0),  df/db = f * log(a)  (0 where a = 0, b >= 0)"""

    save_output = True

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        if squares(a, b):  # a * a, as PyTorch computes it: the same bits as np.power, one
            return a * a  # multiply instead of a power loop
        return np.power(a, b)

    def _times_da(self, g: Any) -> Any:
        """g * df/da. Where b = 0, f = 1 is constant in a: the derivative is 0 at a = 0 too (the
        formula gives 0 * 0**-1 = NaN there), and so are the derivatives of every higher order."""
        a, b = self.values(*self.inputs)
        if type(b) is np.ndarray and b.ndim == 0 and b == 2:  # x ** 2 on arrays: a ** 1.0 is a,
            return g * (b * a)  # exactly, so the same bits with one pass fewer (as tge.compile)
        zero = self.inputs[1].data == 0
        if not zero.any():
            return g * (b * a ** (b - 1.0))
        if zero.all():
            return _select(np.zeros(zero.shape, bool), g)
        b = _where(zero, 1.0, b)  # a stand-in where the selection below discards the value
        return _select(~zero, g * (b * a ** (b - 1.0)))

    def _times_db(self, g: Any) -> Any:
        """g * df/db, 0 where a = 0 and b >= 0 (f = 0 or 1 there; log(a) = -inf)."""
        a, b = self.inputs
        keep = (a.data != 0) | (b.data < 0)
        if keep.all():
            return g * (self.output() * a.log())
        a_safe = _where(~keep, 1.0, a)  # log(1) = 0: no -inf, even in the discarded branch
        return _select(np.broadcast_to(keep, self.output().shape), g * (self.output() * a_safe.log()))

    def backward(self, g: G) -> Grads:
        return (
            self._times_da(g) if self.inputs[0].requires_grad else None,
            self._times_db(g) if self.inputs[1].requires_grad else None,
        )

    def jvp(self, ta: _t.Tensor | None, tb: _t.Tensor | None) -> _t.Tensor:
        return _total(None if ta is None else self._times_da(ta), None if tb is None else self._times_db(tb))


class Maximum(Primitive):
    """f(a, b) = max(a, b);  df/da = [a > b] + [a = b]/2,  df/db = [b > a] + [a = b]/2  (selections)"""

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.wa = (a > b) + 0.5 * (a == b)  # how much of G goes to a: ties split evenly
        return np.maximum(a, b)

    def _shares(self, g: Any) -> tuple[Any, Any]:
        """g's share for a and for b: selected where the other side wins, halved at ties."""
        wa = _const(g, self.wa)
        return _select(self.wa != 0, g * wa), _select(self.wa != 1, g * (1.0 - wa))

    def backward(self, g: G) -> Grads:
        return self._shares(g)

    def jvp(self, ta: _t.Tensor | None, tb: _t.Tensor | None) -> _t.Tensor:
        return _total(  # each share takes its tangent's dtype: float32 stays float32
            None if ta is None else self._shares(ta)[0],
            None if tb is None else self._shares(tb)[1],
        )


class Where(Primitive):
    """f(c, a, b) = a if c else b;  df/da = [c],  df/db = [not c]"""

    def forward(self, c: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.where(c, x, y)

    def backward(self, g: G) -> Grads:
        c = self.inputs[0]
        zero = _const(g, 0.0)
        if isinstance(g, _t.Tensor):
            return None, where(c, g, zero), where(c, zero, g)
        return None, np.where(c.data, g, zero), np.where(c.data, zero, g)

    def jvp(self, tc: None, tx: _t.Tensor | None, ty: _t.Tensor | None) -> _t.Tensor:
        c, x, y = self.inputs
        return where(c, _or_zeros(tx, x), _or_zeros(ty, y))


def where(c: _t.Tensor, x: _t.Tensor, y: _t.Tensor) -> _t.Tensor:
    return Where.apply(c, x, y)


def _where(mask: np.ndarray, value: float, t: Any) -> Any:
    """`value` where mask holds, else t (a Tensor or an ndarray, as t is)."""
    if isinstance(t, _t.Tensor):
        return Where.apply(_t.Tensor._wrap(mask, False, None), _const(t, value), t)
    return np.where(mask, np.asarray(value, t.dtype), t)


# ================================================================ unary elementwise
class Neg(Primitive):
    """f(a) = -a;  df/da = -1"""

    def forward(self, a: np.ndarray) -> np.ndarray:
        return -a

    def backward(self, g: G) -> Grads:
        return (-g,)

    def jvp(self, ta: _t.Tensor) -> _t.Tensor:
        return -ta


class Exp(Primitive):
    """f(a) = exp(a);  df/da = exp(a) = f"""

    save_output = True

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.exp(x)

    def backward(self, g: G) -> Grads:
        (out,) = self.values(self.output())
        return (g * out,)

    def jvp(self, tx: _t.Tensor) -> _t.Tensor:
        return tx * self.output()


class Log(Primitive):
    """f(a) = log(a);  df/da = 1 / a"""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.log(x)

    def backward(self, g: G) -> Grads:
        (x,) = self.values(self.inputs[0])
        return (g / x,)

    def jvp(self, tx: _t.Tensor) -> _t.Tensor:
        (x,) = self.values(self.inputs[0])
        return tx / x


class Sin(Primitive):
    """f(a) = sin(a);  df/da = cos(a)"""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.sin(x)

    def backward(self, g: G) -> Grads:
        (x,) = self.values(self.inputs[0])
        return (g * _cos(x),)

    def jvp(self, tx: _t.Tensor) -> _t.Tensor:
        return tx * self.inputs[0].cos()


class Cos(Primitive):
    """f(a) = cos(a);  df/da = -sin(a)"""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.cos(x)

    def backward(self, g: G) -> Grads:
        (x,) = self.values(self.inputs[0])
        return (-(g * _sin(x)),)

    def jvp(self, tx: _t.Tensor) -> _t.Tensor:
        return -(tx * self.inputs[0].sin())


class Tanh(Primitive):
    """f(a) = tanh(a);  df/da = 1 - f^2"""

    save_output = True

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.tanh(x)

    def backward(self, g: G) -> Grads:
        (out,) = self.values(self.output())
        return (g * (1.0 - out * out),)

    def jvp(self, tx: _t.Tensor) -> _t.Tensor:
        (out,) = self.values(self.output())
        return tx * (1.0 - out * out)


class Sigmoid(Primitive):
    """f(a) = 1 / (1 + exp(-a));  df/da = f (1 - f)"""

    save_output = True

    def forward(self, x: np.ndarray) -> np.ndarray:
        # exp of a non-positive number only: no overflow for large |x|
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(x.dtype, copy=False)

    def backward(self, g: G) -> Grads:
        (out,) = self.values(self.output())
        return (g * (out * (1.0 - out)),)

    def jvp(self, tx: _t.Tensor) -> _t.Tensor:
        (out,) = self.values(self.output())
        return tx * (out * (1.0 - out))


class Relu(Primitive):
    """f(a) = max(a, 0);  df/da = [a > 0]  (0 at a = 0)"""

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.mask = x > 0
        return np.maximum(x, 0)

    def backward(self, g: G) -> Grads:
        return (_select(self.mask, g),)

    def jvp(self, tx: _t.Tensor) -> _t.Tensor:
        return _select(self.mask, tx)


class Abs(Primitive):
    """f(a) = |a|;  df/da = sign(a)  (0 at a = 0)"""

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.abs(x)

    def backward(self, g: G) -> Grads:
        return (g * _const(g, np.sign(self.inputs[0].data)),)

    def jvp(self, tx: _t.Tensor) -> _t.Tensor:
        return tx * _const(tx, np.sign(self.inputs[0].data))


class Sqrt(Primitive):
    """f(a) = sqrt(a);  df/da = 1 / (2 f)"""

    save_output = True

    def forward(self, x: np.ndarray) -> np.ndarray:
        return np.sqrt(x)

    def backward(self, g: G) -> Grads:
        (out,) = self.values(self.output())
        return (g / (2.0 * out),)

    def jvp(self, tx: _t.Tensor) -> _t.Tensor:
        (out,) = self.values(self.output())
        return tx / (2.0 * out)


# ================================================================ reductions, movement, matmul
# Gathered from their own files (imported last: they build on the helpers above), so that
# `ops.Sum` and `ops.MatMul` work as `ops.Mul` does.
from .ops_movement import (  # noqa: E402, F401
    BroadcastTo,
    Cast,
    Cat,
    GetItem,
    MatMul,
    Reshape,
    ScatterAdd,
    Transpose,
    _getitem,
    _is_basic,
    _scatter_add,
    _transposed,
)
from .ops_nn import Linear, LogSoftmax, NllLoss  # noqa: E402, F401
from .ops_reduce import Max, Mean, Std, Sum, Var, _broadcast_to, _kept_shape  # noqa: E402, F401
