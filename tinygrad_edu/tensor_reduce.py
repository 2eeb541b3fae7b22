"""`ReduceMethods`: the Tensor methods that reduce over axes (sum, mean, max, min, var, std,
logsumexp, softmax, log_softmax, argmax, argmin, all, any) and `astype`, mixed into Tensor
(tensor.py). sum, mean, max, var and std are primitives; the others are compositions of them."""

from __future__ import annotations

from typing import Any

import numpy as np

from . import engine, ops
from . import tensor as _t
from .ops_nn import finite_max


class ReduceMethods:
    """Mixed into Tensor. (`self` is typed Any: mypy cannot name the subclass from here.)"""

    __slots__ = ()

    def _axes(self: Any, axis: _t.Axis, dim: _t.Axis, op: str) -> tuple[int, ...]:
        axis = dim if axis is None else axis
        ndim = self.data.ndim
        if axis is None:
            return tuple(range(ndim))
        if type(axis) is int and -ndim <= axis < ndim:  # the common case: one axis, in range
            return (axis % ndim,)
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
        self: Any, axis: _t.Axis = None, keepdims: bool = False, *, dim: _t.Axis = None, keepdim: bool | None = None
    ) -> _t.Tensor:
        """Sum over `axis` (all axes by default)."""
        axes = self._axes(axis, dim, "sum")
        return ops.Sum.apply(self, axis=axes, keepdims=self._keep(keepdims, keepdim))

    def mean(
        self: Any, axis: _t.Axis = None, keepdims: bool = False, *, dim: _t.Axis = None, keepdim: bool | None = None
    ) -> _t.Tensor:
        """Sum over `axis` divided by the number of elements summed (NaN for none, as NumPy)."""
        return ops.Mean.apply(self, axis=self._axes(axis, dim, "mean"), keepdims=self._keep(keepdims, keepdim))

    def max(
        self: Any, axis: _t.Axis = None, keepdims: bool = False, *, dim: _t.Axis = None, keepdim: bool | None = None
    ) -> _t.Tensor:
        """Largest value over `axis`; the gradient is split evenly among ties."""
        if self.size == 0:
            raise ValueError("max: the tensor is empty; there is no maximum of zero elements.")
        axes = self._axes(axis, dim, "max")
        return ops.Max.apply(self, axis=axes, keepdims=self._keep(keepdims, keepdim))

    @engine.composite("{a}.min()", "[{a} = {out}] / ties")
    def min(
        self: Any, axis: _t.Axis = None, keepdims: bool = False, *, dim: _t.Axis = None, keepdim: bool | None = None
    ) -> _t.Tensor:
        """Smallest value over `axis`: -max(-x); the gradient is split evenly among ties."""
        if self.size == 0:
            raise ValueError("min: the tensor is empty; there is no minimum of zero elements.")
        return -(-self).max(self._axes(axis, dim, "min"), self._keep(keepdims, keepdim))

    @engine.composite("{a}.var()", "2·({a} - mean)/{dof}")
    def var(
        self: Any,
        axis: _t.Axis = None,
        keepdims: bool = False,
        *,
        correction: float | None = None,
        unbiased: bool | None = None,
        ddof: float | None = None,
        dim: _t.Axis = None,
        keepdim: bool | None = None,
    ) -> _t.Tensor:
        """sum((x - mean(x))^2) / (n - correction) over `axis`: PyTorch's variance, unbiased
        (correction=1) by default. unbiased=True/False (PyTorch's older spelling) is correction
        1/0, and ddof= is NumPy's name for it (np.var(t) passes ddof=0, NumPy's default)."""
        axes, keep = self._axes(axis, dim, "var"), self._keep(keepdims, keepdim)
        return ops.Var.apply(
            self, axis=axes, keepdims=keep, correction=correction_of("var", correction, unbiased, ddof)
        )

    @engine.composite("{a}.std()", "({a} - mean)/({dof}·{out})")
    def std(
        self: Any,
        axis: _t.Axis = None,
        keepdims: bool = False,
        *,
        correction: float | None = None,
        unbiased: bool | None = None,
        ddof: float | None = None,
        dim: _t.Axis = None,
        keepdim: bool | None = None,
    ) -> _t.Tensor:
        """sqrt(var(x)), with var's correction (default 1, as PyTorch; unbiased= and ddof= too);
        its gradient is 0 where x is constant along the axis, as in PyTorch."""
        axes, keep = self._axes(axis, dim, "std"), self._keep(keepdims, keepdim)
        return ops.Std.apply(
            self, axis=axes, keepdims=keep, correction=correction_of("std", correction, unbiased, ddof)
        )

    @engine.composite("{a}.logsumexp()", "softmax({a})")
    def logsumexp(
        self: Any, axis: _t.Axis = None, keepdims: bool = False, *, dim: _t.Axis = None, keepdim: bool | None = None
    ) -> _t.Tensor:
        """log(sum(exp(x))) computed as log(sum(exp(x - m))) + m with m = max(x): no overflow."""
        axes = self._axes(axis, dim, "logsumexp")
        keep = self._keep(keepdims, keepdim)
        shifted, m = self._minus_max(axes)
        if not keep:
            m = m.reshape(tuple(n for i, n in enumerate(self.shape) if i not in axes))
        return shifted.exp().sum(axes, keep).log() + m

    @engine.composite("{a}.softmax()", "{out}·(G - sum(G·{out}))")
    def softmax(self: Any, axis: int = -1, *, dim: int | None = None) -> _t.Tensor:
        """exp(z) / sum(exp(z)) along `axis`, z = x - max(x): positive, sums to 1, exact for large logits."""
        axes = self._axes(axis if dim is None else dim, None, "softmax")
        e = self._minus_max(axes)[0].exp()
        return e / e.sum(axes, keepdims=True)

    def log_softmax(self: Any, axis: int = -1, *, dim: int | None = None) -> _t.Tensor:
        """z - log(sum(exp(z))) along `axis`, z = x - max(x): exact for large logits (one primitive)."""
        return ops.LogSoftmax.apply(self, axes=self._axes(axis if dim is None else dim, None, "log_softmax"))

    def _minus_max(self: Any, axes: tuple[int, ...]) -> tuple[_t.Tensor, _t.Tensor]:
        """(x - m, m) with m = max(x) over `axes` (kept as size-1 axes) taken as a constant: softmax and
        logsumexp do not change when x shifts, so no gradient is lost, and exp(x - m) <= 1 never
        overflows. m is 0 where the max is infinite or the axis empty (no inf - inf)."""
        m = engine.no_grad_op(finite_max, self, axes=axes)
        return self - m, m

    def argmax(
        self: Any,
        axis: int | None = None,
        keepdims: bool = False,
        *,
        dim: int | None = None,
        keepdim: bool | None = None,
    ) -> _t.Tensor:
        """Index of the largest value, the first among ties (an integer tensor, no gradient)."""
        axis = dim if axis is None else axis
        return _t.Tensor(np.argmax(self.data, axis=axis, keepdims=self._keep(keepdims, keepdim)))

    def argmin(
        self: Any,
        axis: int | None = None,
        keepdims: bool = False,
        *,
        dim: int | None = None,
        keepdim: bool | None = None,
    ) -> _t.Tensor:
        """Index of the smallest value, the first among ties (an integer tensor, no gradient)."""
        axis = dim if axis is None else axis
        return _t.Tensor(np.argmin(self.data, axis=axis, keepdims=self._keep(keepdims, keepdim)))

    def astype(self: Any, dtype: Any) -> _t.Tensor:
        """The values converted to `dtype` (NumPy's astype); gradients convert back."""
        dtype = np.dtype(dtype)
        if dtype == self.dtype:
            return self
        if self.requires_grad and dtype.kind != "f":
            raise TypeError(f"astype: cannot convert a tensor that requires grad to non-float dtype {dtype}.")
        return ops.Cast.apply(self, dtype=dtype)

    def all(
        self: Any, axis: _t.Axis = None, keepdims: bool = False, *, dim: _t.Axis = None, keepdim: bool | None = None
    ) -> _t.Tensor:
        """True where every element over `axis` (all axes by default) is nonzero, as np.all
        and torch.all: a bool tensor, which carries no gradient."""
        axes = self._axes(axis, dim, "all")
        return _t.Tensor(np.all(self.data, axis=axes, keepdims=self._keep(keepdims, keepdim)))

    def any(
        self: Any, axis: _t.Axis = None, keepdims: bool = False, *, dim: _t.Axis = None, keepdim: bool | None = None
    ) -> _t.Tensor:
        """True where some element over `axis` (all axes by default) is nonzero, as np.any
        and torch.any: a bool tensor, which carries no gradient."""
        axes = self._axes(axis, dim, "any")
        return _t.Tensor(np.any(self.data, axis=axes, keepdims=self._keep(keepdims, keepdim)))


def correction_of(op: str, correction: float | None, unbiased: bool | None, ddof: float | None) -> float:
    """The one correction that var/std's three spellings give: correction= (PyTorch, default 1),
    unbiased= (PyTorch's older bool: True is 1, False is 0), ddof= (NumPy)."""
    given = {k: v for k, v in (("correction", correction), ("unbiased", unbiased), ("ddof", ddof)) if v is not None}
    if len(given) > 1:
        said = " and ".join(f"{k}={v!r}" for k, v in given.items())
        raise TypeError(
            f"{op}: got {said}, which name one setting; give just one: correction= (PyTorch), "
            "unbiased= (PyTorch's older True/False) or ddof= (NumPy). The divisor is n - correction."
        )
    if unbiased is not None:
        return 1.0 if unbiased else 0.0
    value = next(iter(given.values()), 1)
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{op}: correction must be a number (0 for the population, 1 for the sample), got {value!r}.")
    return float(value)
