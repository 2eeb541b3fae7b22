"""The rules of `tge.compile` for the common primitives: each op's forward and backward as
direct NumPy calls into the tape's buffers (recorder.py emits them; any op without a rule
here is replayed by calling its own forward and backward).

Each forward rule returns the output slot; each backward rule the gradient slot per input
(None where the op's backward gives None). A rule that covers only some cases of its op
returns None (instead of a slot, or of the list) for the others, which are then replayed
through the op's own code; its forward and backward rules leave out the same cases. The
rules repeat the ops' own NumPy calls (ops*.py), and the recording checks every forward
result against eager's bits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from . import ops, ops_nn
from .tape import EXTERNAL, Slot

if TYPE_CHECKING:
    from .recorder import Recorder, _Node


def _add_fwd(r: Recorder, n: _Node) -> Slot:
    return r.ufunc(np.add, *n.ins)


def _add_bwd(r: Recorder, n: _Node, g: Slot) -> list[Slot | None]:
    return [g, g]


def _mul_fwd(r: Recorder, n: _Node) -> Slot:
    return r.ufunc(np.multiply, *n.ins)


def _mul_bwd(r: Recorder, n: _Node, g: Slot) -> list[Slot | None]:
    x, y = n.ins
    return [r.ufunc(np.multiply, g, y) if n.needs[0] else None, r.ufunc(np.multiply, g, x) if n.needs[1] else None]


def _sub_fwd(r: Recorder, n: _Node) -> Slot:
    return r.ufunc(np.subtract, *n.ins)


def _sub_bwd(r: Recorder, n: _Node, g: Slot) -> list[Slot | None]:
    return [g, r.ufunc(np.negative, g) if n.needs[1] else None]


def _neg_fwd(r: Recorder, n: _Node) -> Slot:
    return r.ufunc(np.negative, n.ins[0])


def _neg_bwd(r: Recorder, n: _Node, g: Slot) -> list[Slot | None]:
    return [r.ufunc(np.negative, g)]


def _div_fwd(r: Recorder, n: _Node) -> Slot:
    return r.ufunc(np.true_divide, *n.ins)


def _div_bwd(r: Recorder, n: _Node, g: Slot) -> list[Slot | None]:
    b = n.ins[1]
    ga = r.ufunc(np.true_divide, g, b) if n.needs[0] else None
    gb = r.ufunc(np.multiply, r.ufunc(np.negative, g), r.ufunc(np.true_divide, n.out, b)) if n.needs[1] else None
    return [ga, gb]


def _count(n: _Node) -> int:
    """How many elements Mean averages over."""
    return int(np.prod([n.ins[0].array.shape[i] for i in n.kwargs["axis"]]))


def _mean_fwd(r: Recorder, n: _Node) -> Slot:
    return r.ufunc(np.true_divide, r.reduce(np.add, n.ins[0], n.kwargs["axis"], n.kwargs["keepdims"]), _count(n))


def _mean_bwd(r: Recorder, n: _Node, g: Slot) -> list[Slot | None]:
    return _sum_bwd(r, n, r.ufunc(np.true_divide, g, _count(n)))


def _exp_fwd(r: Recorder, n: _Node) -> Slot:
    return r.ufunc(np.exp, n.ins[0])


def _exp_bwd(r: Recorder, n: _Node, g: Slot) -> list[Slot | None]:
    return [r.ufunc(np.multiply, g, n.out)]


def _tanh_fwd(r: Recorder, n: _Node) -> Slot:
    return r.ufunc(np.tanh, n.ins[0])


def _tanh_bwd(r: Recorder, n: _Node, g: Slot) -> list[Slot | None]:
    square = r.ufunc(np.multiply, n.out, n.out)
    return [r.ufunc(np.multiply, g, r.ufunc(np.subtract, 1.0, square))]


def _relu_fwd(r: Recorder, n: _Node) -> Slot:
    n.saved["mask"] = r.ufunc(np.greater, n.ins[0], 0)
    return r.ufunc(np.maximum, n.ins[0], 0)


def _relu_bwd(r: Recorder, n: _Node, g: Slot) -> list[Slot | None]:
    out = r.buffer(g.array)
    r.tape.emit(ops.select, (n.saved["mask"], g), {"out": out})  # eager's selection (ops._select)
    return [out]


def _sum_fwd(r: Recorder, n: _Node) -> Slot:
    return r.reduce(np.add, n.ins[0], n.kwargs["axis"], n.kwargs["keepdims"])


def _sum_bwd(r: Recorder, n: _Node, g: Slot) -> list[Slot | None]:
    shape, axis = n.ins[0].array.shape, n.kwargs["axis"]
    if not n.kwargs["keepdims"] and g.array.ndim:
        g = r.call(np.reshape, g, ops._kept_shape(shape, axis))
    return [r.call(np.broadcast_to, g, shape)]


def _matmul_fwd(r: Recorder, n: _Node) -> Slot:
    return r.ufunc(np.matmul, *n.ins)


def _matmul_bwd(r: Recorder, n: _Node, g: Slot) -> list[Slot | None]:
    a, b = n.ins
    a_ndim, b_ndim, transposed = a.array.ndim, b.array.ndim, _transposed(b.array)
    if a_ndim == 1:
        a, g = r.call(np.reshape, a, (1, -1)), r.call(np.reshape, g, g.array.shape[:-1] + (1,) + g.array.shape[-1:])
    if b_ndim == 1:
        b, g = r.call(np.reshape, b, (-1, 1)), r.call(np.reshape, g, g.array.shape + (1,))
    ga = gb = None
    if n.needs[0]:
        ga = r.ufunc(np.matmul, g, r.call(np.swapaxes, b, -1, -2))
        if a_ndim == 1:
            ga = r.call(np.reshape, ga, ga.array.shape[:-2] + ga.array.shape[-1:])
    if n.needs[1]:
        if transposed:
            gb = r.call(np.swapaxes, r.ufunc(np.matmul, r.call(np.swapaxes, g, -1, -2), a), -1, -2)
        else:
            gb = r.ufunc(np.matmul, r.call(np.swapaxes, a, -1, -2), g)
        if b_ndim == 1:
            gb = r.call(np.reshape, gb, gb.array.shape[:-1])
    return [ga, gb]


def _transposed(b: np.ndarray) -> bool:
    return b.ndim == 2 and b.flags.f_contiguous and not b.flags.c_contiguous  # as ops._transposed


def _reshape_bwd(r: Recorder, n: _Node, g: Slot) -> list[Slot | None]:
    return [r.call(np.reshape, g, n.ins[0].array.shape)]


def _transpose_bwd(r: Recorder, n: _Node, g: Slot) -> list[Slot | None]:
    return [r.call(np.transpose, g, tuple(np.argsort(n.kwargs["axes"])))]


def _linear_fwd(r: Recorder, n: _Node) -> Slot:
    x, w, *b = n.ins
    out = r.ufunc(np.matmul, x, r.call(np.transpose, w))
    if not b:
        return out
    if np.result_type(out.array, b[0].array) != out.array.dtype:
        return r.ufunc(np.add, out, b[0])
    r.tape.emit(np.add, (out, b[0], out))  # in place, as ops_nn.Linear adds the bias
    return out


def _linear_bwd(r: Recorder, n: _Node, g: Slot) -> list[Slot | None]:
    x, w, *b = n.ins
    g2, x2 = g, x
    if x.array.ndim != 2:
        g2, x2 = r.call(np.reshape, g, (-1, g.array.shape[-1])), r.call(np.reshape, x, (-1, x.array.shape[-1]))
    grads: list[Slot | None] = [
        r.ufunc(np.matmul, g, w) if n.needs[0] else None,
        r.ufunc(np.matmul, r.call(np.transpose, g2), x2) if n.needs[1] else None,
    ]
    if b:
        grads.append(r.reduce(np.add, g2, (0,), False) if n.needs[2] else None)
    return grads


def _log_softmax_fwd(r: Recorder, n: _Node) -> Slot:
    axes = n.kwargs["axes"]
    z = r.ufunc(np.subtract, n.ins[0], r.call(ops_nn.finite_max, n.ins[0], axes))
    return r.ufunc(np.subtract, z, r.ufunc(np.log, r.reduce(np.add, r.ufunc(np.exp, z), axes, True)))


def _log_softmax_bwd(r: Recorder, n: _Node, g: Slot) -> list[Slot | None]:
    total = r.reduce(np.add, g, n.kwargs["axes"], True)
    return [r.ufunc(np.subtract, g, r.ufunc(np.multiply, r.ufunc(np.exp, n.out), total))]


def _nll_fwd(r: Recorder, n: _Node) -> Slot:
    x, reduction = n.ins[0], n.kwargs["reduction"]
    picked = r.call(ops_nn.negated_pick, x, np.arange(x.array.shape[0]), n.kwargs["target"])
    if reduction == "none":
        return picked
    total = r.reduce(np.add, picked, (0,), False)
    return total if reduction == "sum" else r.ufunc(np.true_divide, total, x.array.shape[0])


def _nll_bwd(r: Recorder, n: _Node, g: Slot) -> list[Slot | None]:
    shape = n.ins[0].array.shape
    if n.kwargs["reduction"] == "mean":
        g = r.ufunc(np.true_divide, g, shape[0])
    return [r.call(ops_nn.scatter_rows, g, np.arange(shape[0]), n.kwargs["target"], shape)]


FORWARD: dict[type, Callable[[Recorder, _Node], Slot | None]] = {
    ops.Add: _add_fwd,
    ops.Sub: _sub_fwd,
    ops.Neg: _neg_fwd,
    ops.Mul: _mul_fwd,
    ops.Div: _div_fwd,
    ops.Mean: _mean_fwd,
    ops.Exp: _exp_fwd,
    ops.Tanh: _tanh_fwd,
    ops.Relu: _relu_fwd,
    ops.Sum: _sum_fwd,
    ops.MatMul: _matmul_fwd,
    ops.Linear: _linear_fwd,
    ops.LogSoftmax: _log_softmax_fwd,
    ops.NllLoss: _nll_fwd,
}
BACKWARD: dict[type, Callable[[Recorder, _Node, Slot], list[Slot | None] | None]] = {
    ops.Add: _add_bwd,
    ops.Sub: _sub_bwd,
    ops.Neg: _neg_bwd,
    ops.Mul: _mul_bwd,
    ops.Div: _div_bwd,
    ops.Mean: _mean_bwd,
    ops.Exp: _exp_bwd,
    ops.Tanh: _tanh_bwd,
    ops.Relu: _relu_bwd,
    ops.Sum: _sum_bwd,
    ops.MatMul: _matmul_bwd,
    ops.Reshape: _reshape_bwd,
    ops.Transpose: _transpose_bwd,
    ops.Linear: _linear_bwd,
    ops.LogSoftmax: _log_softmax_bwd,
    ops.NllLoss: _nll_bwd,
}


# ---------------------------------------------------------------- x ** 2.0: Pow with a constant exponent
def _constant_exponent(n: _Node) -> bool:
    """The exponent is a Python number (x ** 2.0 reads a shared, read-only 0-d constant, see
    tensor._constant): its value, fixed at recording, picks the derivative's formula as
    Pow._times_da does. Any other exponent, whose value may change between calls, is left to
    Pow's own code."""
    b = n.ins[1]
    return b.kind == EXTERNAL and b.array.ndim == 0 and not b.source._lockable and not b.array.flags.writeable


def _pow_fwd(r: Recorder, n: _Node) -> Slot | None:
    if not _constant_exponent(n):
        return None
    n.ins[1].fixed = True  # the steps below depend on its value: another array records again
    a, b = n.ins
    if ops.squares(a.array, b.array):  # the square, as eager's forward
        return r.ufunc(np.multiply, a, a)
    return r.ufunc(np.power, a, b)


def _pow_bwd(r: Recorder, n: _Node, g: Slot) -> list[Slot | None] | None:
    if not _constant_exponent(n):
        return None
    a, b = n.ins
    if b.array == 0:  # f = 1: the derivative is 0 everywhere (a selection of nothing, as eager)
        out = r.buffer(g.array)
        r.tape.emit(ops.select, (np.zeros((), bool), g), {"out": out})
        return [out, None]
    if b.array == 2:  # g * (b * a ** 1.0), and a ** 1.0 is a
        return [r.ufunc(np.multiply, g, r.ufunc(np.multiply, b, a)), None]
    power = r.ufunc(np.power, a, b.array - 1.0)  # the same NumPy scalar as eager's b - 1.0
    return [r.ufunc(np.multiply, g, r.ufunc(np.multiply, b, power)), None]


FORWARD[ops.Pow] = _pow_fwd
BACKWARD[ops.Pow] = _pow_bwd
