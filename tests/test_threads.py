"""Grad mode is thread-local, as in PyTorch: `no_grad` in one thread leaves every other thread
recording. Threads are interleaved with barriers, so each test takes the same path every run."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import Tensor, optim

TIMEOUT = 10.0


def run_threads(*targets: Callable[[], Any]) -> None:
    """Start one thread per target, join them all, and re-raise the first error (if any)."""
    errors: list[BaseException] = []

    def wrap(fn: Callable[[], Any]) -> Callable[[], None]:
        def go() -> None:
            try:
                fn()
            except BaseException as e:  # noqa: BLE001 - handed to the main thread
                errors.append(e)

        return go

    threads = [threading.Thread(target=wrap(fn)) for fn in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
        assert not t.is_alive(), "a thread did not finish"
    if errors:
        raise errors[0]


def records(x: Tensor) -> bool:
    """Does an op on x record a graph in the calling thread?"""
    y = x * 2.0
    return y.requires_grad and y.grad_fn is not None


# Each row: the block the first thread is in, and whether ops record inside it.
MODES: list[tuple[str, Callable[[], Any], bool]] = [
    ("no_grad", tge.no_grad, False),
    ("enable_grad", tge.enable_grad, True),
]


@pytest.mark.parametrize("name, mode, first_records", MODES, ids=[m[0] for m in MODES])
def test_a_mode_set_in_one_thread_does_not_reach_another(
    name: str, mode: Callable[[], Any], first_records: bool
) -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    inside, checked = threading.Barrier(2, timeout=TIMEOUT), threading.Barrier(2, timeout=TIMEOUT)
    seen: dict[str, bool] = {}

    def first() -> None:
        with mode():
            inside.wait()
            seen["first"] = records(x)
            checked.wait()

    def second() -> None:
        inside.wait()  # the first thread is now inside its block
        seen["second"] = records(x)
        seen["second_enabled"] = tge.is_grad_enabled()
        checked.wait()

    run_threads(first, second)
    # the second thread records, whatever block the first one is in
    assert seen == {"first": first_records, "second": True, "second_enabled": True}


def test_no_grad_in_both_directions_at_once() -> None:
    """Thread A is in no_grad while B records, then they swap: neither leaks into the other."""
    x = Tensor(3.0, requires_grad=True)
    step = threading.Barrier(2, timeout=TIMEOUT)
    log: list[tuple[str, int, bool]] = []
    lock = threading.Lock()

    def worker(name: str, off_in_phase: int) -> None:
        for phase in range(2):
            ctx = tge.no_grad() if phase == off_in_phase else tge.enable_grad()
            with ctx:
                step.wait()
                r = records(x)
                with lock:
                    log.append((name, phase, r))
                step.wait()

    run_threads(lambda: worker("A", 0), lambda: worker("B", 1))
    assert sorted(log) == [("A", 0, False), ("A", 1, True), ("B", 0, True), ("B", 1, False)]


def test_a_new_thread_starts_with_grad_enabled_even_inside_no_grad() -> None:
    x = Tensor(1.0, requires_grad=True)
    seen: list[bool] = []
    with tge.no_grad():
        assert not tge.is_grad_enabled()
        run_threads(lambda: seen.extend([tge.is_grad_enabled(), records(x)]))
        assert not records(x)
    assert seen == [True, True]


def test_enable_grad_inside_no_grad_and_back() -> None:
    x = Tensor([1.0, -2.0], requires_grad=True)
    trace: list[tuple[str, bool]] = []

    def body() -> None:
        with tge.no_grad():
            trace.append(("no_grad", records(x)))
            with tge.enable_grad():
                trace.append(("enable_grad", records(x)))
                with tge.no_grad():
                    trace.append(("no_grad again", records(x)))
                trace.append(("back in enable_grad", records(x)))
            trace.append(("back in no_grad", records(x)))
        trace.append(("outside", records(x)))

    run_threads(body)
    assert trace == [
        ("no_grad", False),
        ("enable_grad", True),
        ("no_grad again", False),
        ("back in enable_grad", True),
        ("back in no_grad", False),
        ("outside", True),
    ]


@tge.no_grad()
def evaluate(x: Tensor) -> Tensor:
    return x * 2.0


@tge.enable_grad()
def record(x: Tensor) -> Tensor:
    return x * 2.0


def test_decorators_apply_per_call_and_per_thread() -> None:
    x = Tensor([1.0], requires_grad=True)
    start = threading.Barrier(3, timeout=TIMEOUT)
    seen: dict[str, bool] = {}

    def evaluator() -> None:
        start.wait()
        for _ in range(200):
            if evaluate(x).requires_grad:
                seen["evaluate recorded"] = True
        seen["evaluate_then_plain"] = records(x)  # the decorator restored the mode

    def recorder() -> None:
        with tge.no_grad():
            start.wait()
            for _ in range(200):
                if not record(x).requires_grad:
                    seen["record missed"] = True
            seen["record_then_plain"] = records(x)  # back to this thread's no_grad

    def plain() -> None:
        start.wait()
        for _ in range(200):
            if not records(x):
                seen["plain missed"] = True

    run_threads(evaluator, recorder, plain)
    assert seen == {"evaluate_then_plain": True, "record_then_plain": False}
    assert evaluate.__name__ == "evaluate" and record.__name__ == "record"


def test_modes_are_restored_after_an_exception() -> None:
    def failing() -> None:
        with tge.no_grad():
            raise KeyError("inside no_grad")

    @tge.no_grad()
    def failing_decorated() -> None:
        raise KeyError("inside a no_grad function")

    for fn in (failing, failing_decorated):
        with pytest.raises(KeyError):
            fn()
        assert tge.is_grad_enabled()


def test_training_in_one_thread_while_another_evaluates_under_no_grad() -> None:
    """Steps in thread A give exactly the single-threaded result while thread B evaluates a
    model under no_grad between each of A's forward and backward passes."""
    target = np.array([1.0, -2.0, 0.5])

    def train(interleave: threading.Barrier | None) -> np.ndarray:
        w = Tensor(np.zeros(3), requires_grad=True)
        opt = optim.SGD([w], lr=0.1, momentum=0.9)
        for _ in range(20):
            opt.zero_grad()
            loss = ((w - Tensor(target)) ** 2).sum()
            if interleave is not None:
                interleave.wait()  # B runs its no_grad block now
                interleave.wait()
            loss.backward()
            opt.step()
        return w.data.copy()

    expected = train(None)
    barrier = threading.Barrier(2, timeout=TIMEOUT)
    result: dict[str, Any] = {}
    v = Tensor(np.ones(3), requires_grad=True)

    def evaluator() -> None:
        for _ in range(20):
            barrier.wait()
            with tge.no_grad():
                out = (v * 3.0).sum()
                result.setdefault("evaluated", []).append(out.requires_grad)
            barrier.wait()

    run_threads(lambda: result.update(trained=train(barrier)), evaluator)
    np.testing.assert_array_equal(result["trained"], expected)
    assert result["evaluated"] == [False] * 20


def test_forward_mode_in_one_thread_does_not_attach_tangents_in_another() -> None:
    x = Tensor([1.0, 2.0])
    inside = threading.Barrier(2, timeout=TIMEOUT)
    done = threading.Barrier(2, timeout=TIMEOUT)
    seen: dict[str, Any] = {}

    def forward_mode() -> None:
        def f(t: Tensor) -> Tensor:
            inside.wait()  # the other thread computes with x while this jvp is open
            done.wait()
            return (t * t).sum()

        _, tangent = tge.jvp(f, (x,), (Tensor([1.0, 0.0]),))
        seen["tangent"] = tangent.item()

    def other() -> None:
        inside.wait()
        y = x * x
        seen["other_tangent"] = tge.tangent_of(y)
        seen["other_value"] = y.tolist()
        done.wait()

    run_threads(forward_mode, other)
    assert seen == {"tangent": 2.0, "other_tangent": None, "other_value": [1.0, 4.0]}
