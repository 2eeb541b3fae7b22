"""deep: a 0-d tensor through `ops` repetitions of x = x*1.000001 + 0.0, then backward.

Each repetition adds two nodes (a multiply and an add) to one long chain: the workload tests
that backprop is iterative (no recursion limit) and that the graph's memory stays modest.
Every framework returns the final value and d(final)/dx0 = 1.000001**ops.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from workloads.common import Run, Setup, import_torch

X0 = 1.0

# float64 throughout: every framework must match the NumPy baseline to 1e-8 relative.
RTOL = 1e-8


def setup_numpy(size: dict[str, Any]) -> Run:
    ops = size["ops"]

    def run() -> list[float]:
        x = np.array(X0)
        for _ in range(ops):
            x = x * 1.000001 + 0.0
        g = np.array(1.0)
        for _ in range(ops):
            g = g * 1.000001
        return [float(x), float(g)]

    return run


def setup_tinygrad_edu(size: dict[str, Any]) -> Run:
    from tinygrad_edu import Tensor

    ops = size["ops"]

    def run() -> list[float]:
        x0 = Tensor(X0, requires_grad=True)
        x = x0
        for _ in range(ops):
            x = x * 1.000001 + 0.0
        x.backward()
        return [x.item(), x0.grad.item()]

    return run


def setup_tinygrad_edu_compile(size: dict[str, Any]) -> Run:
    """The same chain and backward as one `tge.compile`d step (tested, not timed: recording
    a million-op chain is a cost no training loop pays)."""
    import tinygrad_edu as tge
    from tinygrad_edu import Tensor

    ops = size["ops"]

    def chain(x0: Any) -> Any:
        x = x0
        for _ in range(ops):
            x = x * 1.000001 + 0.0
        x.backward()
        return x

    step = tge.compile(chain)

    def run() -> list[float]:
        x0 = Tensor(X0, requires_grad=True)
        x = step(x0)
        return [x.item(), x0.grad.item()]

    return run


def setup_torch(size: dict[str, Any]) -> Run:
    torch = import_torch()
    ops = size["ops"]

    def run() -> list[float]:
        x0 = torch.tensor(X0, dtype=torch.float64, requires_grad=True)
        x = x0
        for _ in range(ops):
            x = x * 1.000001 + 0.0
        x.backward()
        return [x.item(), x0.grad.item()]

    return run


def setup_autograd(size: dict[str, Any]) -> Run:
    from autograd import value_and_grad

    ops = size["ops"]

    def f(x: Any) -> Any:
        for _ in range(ops):
            x = x * 1.000001 + 0.0
        return x

    f_and_df = value_and_grad(f)

    def run() -> list[float]:
        value, g = f_and_df(np.array(X0))
        return [float(value), float(g)]

    return run


def setup_mygrad(size: dict[str, Any]) -> Run:
    import mygrad as mg

    ops = size["ops"]

    def run() -> list[float]:
        x0 = mg.tensor(X0)
        x = x0
        for _ in range(ops):
            x = x * 1.000001 + 0.0
        x.backward()
        return [x.item(), float(x0.grad)]

    return run


def setup_micrograd(size: dict[str, Any]) -> Run:
    from micrograd.engine import Value

    ops = size["ops"]

    def run() -> list[float]:
        # Python's default recursion limit, as a user would have it
        x0 = Value(X0)
        x = x0
        for _ in range(ops):
            x = x * 1.000001 + 0.0
        x.backward()
        return [x.data, x0.grad]

    return run


FRAMEWORKS: dict[str, Setup] = {
    "numpy": setup_numpy,
    "tinygrad_edu": setup_tinygrad_edu,
    "torch": setup_torch,
    "autograd": setup_autograd,
    "mygrad": setup_mygrad,
    "micrograd": setup_micrograd,
}
