"""x ** c under tge.compile: direct NumPy rules for a constant exponent, bit-identical to eager."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import Tensor
from tinygrad_edu.tensor import _constant


def same(a: Any, b: Any) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


# values where a power's derivative has its boundary cases: 0, -0, negatives, tiny, huge, inf, NaN
SPECIAL = [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 1e-300, 3e200, np.inf, -np.inf, np.nan]


def _inputs(dtype: type, k: int) -> np.ndarray:
    rng = np.random.default_rng(k)
    with np.errstate(over="ignore"):  # 3e200 is inf in float32
        return np.concatenate([rng.standard_normal(20) * 3, SPECIAL]).astype(dtype)


def _eager_and_replayed(step: Any, make_args: Any, leaves: list[Tensor], calls: int = 4) -> None:
    """Run `step` eagerly and compiled on the same arguments; losses and .grad bit for bit."""
    compiled = tge.compile(step)
    for k in range(calls):  # the first call records, the others replay
        args = make_args(k)
        for t in leaves:
            t.grad = None
        loss = compiled(*args)
        replayed = [None if t.grad is None else t.grad.data.copy() for t in leaves]
        for t in leaves:
            t.grad = None
        expected = step(*args)
        assert same(loss.data, expected.data)
        for t, mine in zip(leaves, replayed):
            assert t.grad is not None and mine is not None and same(mine, t.grad.data)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_squared_residual_replays_bit_identical_with_direct_numpy_calls(dtype: type) -> None:
    rng = np.random.default_rng(0)
    X = Tensor(rng.standard_normal((50, 8)).astype(dtype))
    w = Tensor(rng.standard_normal(8).astype(dtype), requires_grad=True, name="w")

    def step(y: Tensor) -> Tensor:
        loss = ((X @ w - y) ** 2).mean()
        loss.backward()
        return loss

    _eager_and_replayed(step, lambda k: (Tensor(np.random.default_rng(k).standard_normal(50).astype(dtype)),), [w])
    compiled = tge.compile(step)
    compiled(Tensor(np.zeros(50, dtype)))
    text = compiled.describe()
    assert "multiply(t1, t1)" in text and "Pow" not in text  # the square as one multiply, as eager
    assert "power(" not in text  # (no power loop, and no generic replay of Pow's own code)
    assert "multiply(2, " in text  # the derivative of the square: 2 * r, no a ** 1.0


@pytest.mark.parametrize("exponent", [2, 2.0, 0, 0.0, 1, 0.5, 3, -1, -0.5, 1.5, -2])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_constant_exponents_replay_bit_identical_at_boundary_points(exponent: float, dtype: type) -> None:
    x = Tensor(_inputs(dtype, 0), requires_grad=True)

    def step(u: Tensor) -> Tensor:
        loss = ((x * u) ** exponent).sum()
        loss.backward()
        return loss

    with np.errstate(all="ignore"):
        _eager_and_replayed(step, lambda k: (Tensor(_inputs(dtype, k + 1)),), [x])


def test_tensor_exponents_replay_through_pow_s_own_code() -> None:
    a = Tensor(np.abs(_inputs(np.float64, 0)), requires_grad=True)
    b = Tensor(np.linspace(-2.0, 3.0, a.shape[0]), requires_grad=True)
    c = Tensor(np.array(2.0))  # 0-d, no gradient, but writeable: its value may change in place

    def step(u: Tensor) -> Tensor:
        loss = ((a * u) ** b).sum() + ((a + u) ** c).sum()
        loss.backward()
        return loss

    with np.errstate(all="ignore"):
        _eager_and_replayed(step, lambda k: (Tensor(np.abs(_inputs(np.float64, k + 1))),), [a, b])
        compiled = tge.compile(step)
        u = Tensor(np.ones(a.shape[0]))
        compiled(u)
        assert "PowBackward" in compiled.describe()
        c.data[...] = 0.0  # changed in place: the replay reads it, the derivative is 0 now
        a.grad = b.grad = None
        loss = compiled(u)
        mine = a.grad.data.copy()
        a.grad = b.grad = None
        assert same(loss.data, step(u).data) and same(mine, a.grad.data)


def test_a_constant_exponent_given_another_array_records_again() -> None:
    """The rule for x ** 2.0 is chosen by the exponent's value; were the shared constant given
    another array, the step would record again rather than replay the old choice."""
    x = Tensor(np.array([-1.5, 0.0, 2.0]), requires_grad=True)
    two = _constant(2.0, x.dtype)  # the tensor x ** 2.0 reads
    calls = []

    def step() -> Tensor:
        calls.append(1)
        loss = (x**2.0).sum()
        loss.backward()
        return loss

    def read_only(value: float) -> np.ndarray:
        arr = np.array(value)
        arr.setflags(write=False)
        return arr

    compiled, kept = tge.compile(step), two.data
    try:
        for value, grad in [
            (2.0, [-3.0, 0.0, 4.0]),
            (2.0, [-3.0, 0.0, 4.0]),
            (0.0, [0.0, 0.0, 0.0]),
            (3.0, [6.75, 0.0, 12.0]),
        ]:
            two.data = read_only(value) if value != 2.0 else kept
            x.grad = None
            compiled()
            assert x.grad is not None and same(x.grad.data, np.array(grad))
    finally:
        two.data = kept
    assert len(calls) == 3  # 2.0 recorded, then replayed; 0.0 and 3.0 each recorded


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_square_s_eager_derivative_is_the_general_formula_bit_for_bit(dtype: type) -> None:
    """Pow's backward takes 2 * a for a ** 2 (a ** 1.0 is a, exactly): the same bits as
    b * a ** (b - 1), at every special value, as a first derivative; higher orders go
    through the general formula in Tensor ops."""
    a = _inputs(dtype, 3)
    g = np.random.default_rng(4).standard_normal(a.shape).astype(dtype)
    x = Tensor(a, requires_grad=True)
    with np.errstate(all="ignore"):
        (x**2).backward(Tensor(g))
        b = np.array(2.0, dtype)
        assert x.grad is not None and same(x.grad.data, g * (b * a ** (b - 1.0)))
    x.grad = None
    with np.errstate(all="ignore"):  # a float64 exponent: the result and the gradient are float64
        (x ** np.array(2.0)).backward(Tensor(g.astype(np.float64)))
        b64 = np.array(2.0)
        assert x.grad is not None and same(x.grad.data, (g.astype(np.float64) * (b64 * a ** (b64 - 1.0))).astype(dtype))
    y = Tensor(np.array([-1.5, 0.0, 2.0]), requires_grad=True)
    (dy,) = tge.autograd.grad((y**2).sum(), [y], create_graph=True)
    (d2y,) = tge.autograd.grad(dy.sum(), [y])
    assert same(dy.data, 2.0 * y.data) and same(d2y.data, np.full(3, 2.0))
