"""How a replay fills the leaves' .grad: as eager's accumulate_grad does, memory included."""

from __future__ import annotations

from typing import Any

import numpy as np

import tinygrad_edu as tge
from tinygrad_edu import Tensor


def same(a: Any, b: Any) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


def _run_both(step: Any, leaves: list[Tensor], make_args: Any, calls: int = 4, zero: bool = True) -> list[Any]:
    """Eager and compiled side by side; per call the .grad arrays each way (eager's first)."""
    compiled = tge.compile(step)
    seen = []
    for k in range(calls):
        args = make_args(k)
        if zero or k == 0:
            for t in leaves:
                t.grad = None
        start = [None if t.grad is None else t.grad.data.copy() for t in leaves]
        compiled(*args)
        mine = [t.grad.data for t in leaves]
        for t, g in zip(leaves, start):
            t.grad = None if g is None else Tensor(g)
        step(*args)
        theirs = [t.grad.data for t in leaves]
        assert all(same(m, e) for m, e in zip(mine, theirs))
        seen.append((theirs, mine))
    return seen


def test_two_leaves_given_one_gradient_get_arrays_of_their_own_as_in_eager() -> None:
    """a + b sends the same gradient to a and b: eager stores it in one .grad and a copy in
    the other, so writing into one gradient never changes the other; the replay too."""
    a, b = Tensor(np.ones(3), requires_grad=True), Tensor(np.full(3, 2.0), requires_grad=True)

    def step(x: Tensor) -> Tensor:
        loss = (x * (a + b)).sum()
        loss.backward()
        return loss

    for eager, replayed in _run_both(step, [a, b], lambda k: (Tensor(np.arange(3.0) + k),)):
        for grads in (eager, replayed):
            assert not np.may_share_memory(grads[0], grads[1])


def test_a_gradient_that_is_a_read_only_view_is_stored_as_a_copy_as_in_eager() -> None:
    """w.sum()'s gradient is a broadcast view of the seed (read-only): .grad gets a writable copy."""
    w = Tensor(np.ones((2, 3)), requires_grad=True)

    def step(x: Tensor) -> Tensor:
        loss = w.sum() + (x * w).sum()
        loss.backward()
        return loss

    v = Tensor(np.ones(3), requires_grad=True)

    def step2(x: Tensor) -> Tensor:
        loss = v.sum() + x.sum()
        loss.backward()
        return loss

    _run_both(step, [w], lambda k: (Tensor(np.full((2, 3), float(k))),))
    for eager, replayed in _run_both(step2, [v], lambda k: (Tensor(np.ones(2)),)):
        assert eager[0].flags.writeable and replayed[0].flags.writeable


def test_gradients_accumulate_across_calls_without_zero_grad_as_in_eager() -> None:
    W = Tensor(np.linspace(-1, 1, 6).reshape(2, 3), requires_grad=True)

    def step(x: Tensor) -> Tensor:
        loss = ((x @ W.T).tanh() ** 2).mean()
        loss.backward()
        return loss

    rng = np.random.default_rng(0)
    inputs = [Tensor(rng.standard_normal((4, 3))) for _ in range(5)]
    _run_both(step, [W], lambda k: (inputs[k],), calls=5, zero=False)


def test_an_argument_that_requires_grad_gets_its_own_gradient_at_every_replay() -> None:
    W = Tensor(np.ones(3), requires_grad=True)
    compiled = tge.compile(lambda x: _backward((x * W * x).sum()))
    kept = []
    for k in range(4):
        x = Tensor(np.full(3, float(k)), requires_grad=True)
        W.grad = None
        compiled(x)
        assert x.grad is not None and W.grad is not None
        kept.append((x, x.grad, W.grad))
    for k, (_, xg, wg) in enumerate(kept):  # each kept gradient keeps its values
        assert np.all(xg.data == 2.0 * k) and np.all(wg.data == float(k * k))


def _backward(loss: Tensor) -> Tensor:
    loss.backward()
    return loss


def test_class_indices_given_as_a_new_array_at_every_call_are_followed() -> None:
    """cross_entropy reads the targets through np.asarray, which returns the argument's own
    array: the replay reads each call's targets, not the recording's."""
    from tinygrad_edu.nn import functional as F

    W = Tensor(np.linspace(-1, 1, 12).reshape(4, 3), requires_grad=True)

    def step(x: Tensor, y: Tensor) -> Tensor:
        loss = F.cross_entropy(x @ W, y)
        loss.backward()
        return loss

    rng = np.random.default_rng(1)
    batches = [(Tensor(rng.standard_normal((5, 4))), Tensor(rng.integers(0, 3, 5))) for _ in range(4)]
    _run_both(step, [W], lambda k: batches[k])
