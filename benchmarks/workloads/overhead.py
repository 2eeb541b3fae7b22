"""overhead: a shape-(4,) tensor through 2,000 elementwise ops, then sum().backward().

The ops alternate x*1.0001, x+0.001, tanh(x); the arrays are so small that the time measures
what a framework spends per op around NumPy (or its kernels). Every framework returns the
gradient of the sum with respect to the input; the report divides the time by the op count.
"""

from __future__ import annotations

import math
import sys
from typing import Any

import numpy as np

from workloads.common import Run, Setup, import_torch, overhead_input

# float64 throughout: every framework must match the NumPy baseline to 1e-8 relative.
RTOL = 1e-8


def setup_numpy(size: dict[str, Any]) -> Run:
    x0, ops = overhead_input(), size["ops"]

    def run() -> list[float]:
        # forward, keeping what the backward needs (the tanh outputs)
        x, saved = x0, []
        for i in range(ops):
            if i % 3 == 0:
                x = x * 1.0001
            elif i % 3 == 1:
                x = x + 0.001
            else:
                x = np.tanh(x)
                saved.append(x)
        g = np.ones_like(x)
        for i in reversed(range(ops)):
            if i % 3 == 0:
                g = g * 1.0001
            elif i % 3 == 2:
                g = g * (1 - saved.pop() ** 2)
        return g.tolist()

    return run


def setup_tinygrad_edu(size: dict[str, Any]) -> Run:
    from tinygrad_edu import Tensor

    x0, ops = overhead_input(), size["ops"]

    def run() -> list[float]:
        x0_t = Tensor(x0, requires_grad=True)
        x = x0_t
        for i in range(ops):
            if i % 3 == 0:
                x = x * 1.0001
            elif i % 3 == 1:
                x = x + 0.001
            else:
                x = x.tanh()
        x.sum().backward()
        return x0_t.grad.data.tolist()

    return run


def setup_tinygrad_edu_compile(size: dict[str, Any]) -> Run:
    """The same chain and backward as one `tge.compile`d step (recorded in the warm-up)."""
    import tinygrad_edu as tge
    from tinygrad_edu import Tensor

    x0, ops = overhead_input(), size["ops"]

    def chain(x: Any) -> Any:
        for i in range(ops):
            if i % 3 == 0:
                x = x * 1.0001
            elif i % 3 == 1:
                x = x + 0.001
            else:
                x = x.tanh()
        x.sum().backward()

    step = tge.compile(chain)

    def run() -> list[float]:
        x0_t = Tensor(x0, requires_grad=True)
        step(x0_t)
        return x0_t.grad.data.tolist()

    return run


def setup_torch(size: dict[str, Any]) -> Run:
    torch = import_torch()
    x0, ops = overhead_input(), size["ops"]

    def run() -> list[float]:
        x0_t = torch.tensor(x0, requires_grad=True)
        x = x0_t
        for i in range(ops):
            if i % 3 == 0:
                x = x * 1.0001
            elif i % 3 == 1:
                x = x + 0.001
            else:
                x = x.tanh()
        x.sum().backward()
        return x0_t.grad.tolist()

    return run


def setup_autograd(size: dict[str, Any]) -> Run:
    import autograd.numpy as anp
    from autograd import grad

    x0, ops = overhead_input(), size["ops"]

    def f(x: Any) -> Any:
        for i in range(ops):
            if i % 3 == 0:
                x = x * 1.0001
            elif i % 3 == 1:
                x = x + 0.001
            else:
                x = anp.tanh(x)
        return anp.sum(x)

    df = grad(f)

    def run() -> list[float]:
        return df(x0).tolist()

    return run


def setup_mygrad(size: dict[str, Any]) -> Run:
    import mygrad as mg

    x0, ops = overhead_input(), size["ops"]

    def run() -> list[float]:
        x0_t = mg.tensor(x0)
        x = x0_t
        for i in range(ops):
            if i % 3 == 0:
                x = x * 1.0001
            elif i % 3 == 1:
                x = x + 0.001
            else:
                x = mg.tanh(x)
        mg.sum(x).backward()
        return x0_t.grad.tolist()

    return run


def setup_micrograd(size: dict[str, Any]) -> Run:
    from micrograd.engine import Value

    x0, ops = overhead_input(), size["ops"]
    # micrograd's topological sort is recursive, one frame per node along the chain: give it
    # room for this chain (the deep workload keeps Python's default limit).
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 3 * ops + 1000))

    def run() -> list[float]:
        # micrograd is scalar: the shape-(4,) tensor is four Values, each op four Value ops
        xs0 = [Value(float(v)) for v in x0]
        xs = xs0
        for i in range(ops):
            if i % 3 == 0:
                xs = [x * 1.0001 for x in xs]
            elif i % 3 == 1:
                xs = [x + 0.001 for x in xs]
            else:
                xs = [micrograd_tanh(x) for x in xs]
        total = xs[0]
        for x in xs[1:]:
            total = total + x
        total.backward()
        return [x.grad for x in xs0]

    return run


def micrograd_tanh(x: Any) -> Any:
    """tanh as a micrograd Value op, written the way micrograd writes relu."""
    from micrograd.engine import Value

    t = math.tanh(x.data)
    out = Value(t, (x,), "tanh")

    def _backward() -> None:
        x.grad += (1 - t * t) * out.grad

    out._backward = _backward
    return out


FRAMEWORKS: dict[str, Setup] = {
    "numpy": setup_numpy,
    "tinygrad_edu": setup_tinygrad_edu,
    "tinygrad_edu_compile": setup_tinygrad_edu_compile,
    "torch": setup_torch,
    "autograd": setup_autograd,
    "mygrad": setup_mygrad,
    "micrograd": setup_micrograd,
}
