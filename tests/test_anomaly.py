"""detect_anomaly: backward stops at the first op whose gradient is NaN or infinite, and says
which op, its input shapes and the line of user code that created it."""

from __future__ import annotations

import inspect
import os
import re
import runpy
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import Tensor

HERE = re.escape(os.path.basename(__file__))
PACKAGE = os.path.dirname(tge.__file__)


def line_after() -> int:
    """The line number of the caller's next line."""
    frame = inspect.currentframe()
    assert frame is not None and frame.f_back is not None
    return frame.f_back.f_lineno + 1


# One row per way of producing a bad gradient: the op named, the input shapes it reports.
CASES = [
    # (label, forward on x, x, op name, input shapes as printed)
    ("sqrt_at_zero_is_infinite", lambda x: x.sqrt().sum(), [[0.0, 1.0, 4.0]], "SqrtBackward", r"\(1, 3\)"),
    ("log_at_zero", lambda x: (x.log() * 2.0).sum(), [0.0, 1.0], "LogBackward", r"\(2,\)"),
    ("reciprocal_at_zero", lambda x: (1.0 / x).sum(), [[0.0], [2.0]], "DivBackward", r"\(\), \(2, 1\)"),
    ("sqrt_of_negative_is_nan", lambda x: x.sqrt().sum(), [-1.0, 1.0], "SqrtBackward", r"\(2,\)"),
    ("overflow_in_exp", lambda x: (x.exp() * x.exp()).sum(), [400.0], "ExpBackward", r"\(1,\)"),
    ("pow_at_zero", lambda x: (x**0.5).sum(), [0.0, 1.0], "PowBackward", r"\(2,\), \(\)"),
]


@pytest.mark.parametrize("label, fn, data, op, shapes", CASES, ids=[c[0] for c in CASES])
def test_context_manager_names_op_input_shapes_and_user_line(
    label: str, fn: Callable[[Tensor], Tensor], data: list[float], op: str, shapes: str
) -> None:
    x = Tensor(data, requires_grad=True)
    with np.errstate(all="ignore"), tge.detect_anomaly():
        loss = fn(x)
        with pytest.raises(RuntimeError) as err:
            loss.backward()
    message = str(err.value)
    assert re.search(rf"detect_anomaly: {op} returned a NaN or infinite gradient", message), message
    assert re.search(rf"input shapes: {shapes}\)", message), message
    # the op was created in this file, on the table row's line (the lambda), shown with its text
    line = fn.__code__.co_firstlineno
    assert re.search(rf"created at .*{HERE}:{line}: +\(\"{label}\"", message), message
    assert "Check the inputs of this op" in message  # and what to do about it


def test_the_user_line_is_the_callers_not_the_librarys() -> None:
    """An op created inside library code (logsumexp is built from exp, sum, log, ...) is
    reported at the user's line that called into the library."""
    x = Tensor([[-np.inf, -np.inf]], requires_grad=True)  # sum(exp(x)) = 0: log'(0) is infinite
    with np.errstate(divide="ignore"), tge.detect_anomaly():
        line = line_after()
        loss = x.logsumexp().sum()
        with pytest.raises(RuntimeError, match=rf"LogBackward(.|\n)*created at .*{HERE}:{line}:") as err:
            loss.backward()
    created_at = str(err.value).split("created at")[1].splitlines()[0]
    assert PACKAGE not in created_at and "loss = x.logsumexp().sum()" in created_at


LESSON = """\
import numpy as np
import tinygrad_edu as tge
from tinygrad_edu import Tensor
x = Tensor([[-np.inf, -np.inf]], requires_grad=True)
with np.errstate(divide="ignore"), tge.detect_anomaly():
    loss = x.logsumexp().sum()
    loss.backward()
"""


def test_user_code_in_a_folder_named_like_the_package_is_still_the_users(tmp_path: Path) -> None:
    script = tmp_path / "tinygrad_edu_lessons" / "lesson.py"
    script.parent.mkdir()
    script.write_text(LESSON)
    with pytest.raises(RuntimeError, match="LogBackward") as err:
        runpy.run_path(str(script))
    assert f"created at {script}:6:" in str(err.value), str(err.value)


def test_the_first_bad_op_in_backward_order_is_named() -> None:
    x = Tensor([0.0, 1.0], requires_grad=True)
    with np.errstate(all="ignore"), tge.detect_anomaly():
        loss = (x.sqrt() * 2.0).log().sum()  # log(0) is met first going backward, sqrt later
        with pytest.raises(RuntimeError, match="LogBackward"):
            loss.backward()


def test_as_decorator() -> None:
    @tge.detect_anomaly()
    def step(x: Tensor) -> float:
        loss = x.sqrt().sum()
        loss.backward()
        return loss.item()

    assert step.__name__ == "step"
    assert step(Tensor([1.0, 4.0], requires_grad=True)) == 3.0
    with pytest.raises(RuntimeError, match=r"SqrtBackward(.|\n)*created at .*loss = x.sqrt\(\).sum\(\)"):
        step(Tensor([0.0, 4.0], requires_grad=True))


def test_works_for_autograd_grad_and_tge_grad() -> None:
    x = Tensor([0.0, 1.0], requires_grad=True)
    with tge.detect_anomaly():
        with pytest.raises(RuntimeError, match="SqrtBackward"):
            tge.autograd.grad(x.sqrt().sum(), x)
        with pytest.raises(RuntimeError, match="SqrtBackward"):
            tge.grad(lambda t: t.sqrt().sum())(Tensor([0.0, 1.0]))


def test_off_by_default_nan_gradients_pass_silently() -> None:
    x = Tensor([0.0, 4.0], requires_grad=True)
    loss = x.sqrt().sum()
    assert getattr(loss.grad_fn, "trace", None) is None  # free when off: no stack is captured
    with np.errstate(divide="ignore"):
        loss.backward()
    assert x.grad.tolist() == [np.inf, 0.25]  # type: ignore[union-attr]


def test_only_backward_is_checked_not_forward() -> None:
    x = Tensor([-1.0], requires_grad=True)
    with np.errstate(invalid="ignore"), tge.detect_anomaly():
        y = x.sqrt()  # NaN in the forward pass: no error by itself (PyTorch behaves the same)
    assert np.isnan(y.item())


def test_nested_blocks_restore_the_outer_setting() -> None:
    x = Tensor([0.0], requires_grad=True)
    with tge.detect_anomaly():
        with tge.detect_anomaly():
            pass
        loss = x.sqrt().sum()  # still on after the inner block closed
        with pytest.raises(RuntimeError, match="SqrtBackward"):
            loss.backward(retain_graph=True)
    with np.errstate(divide="ignore"):
        loss.backward()  # off again after the outer block: no error
    assert x.grad is not None and x.grad.tolist() == [np.inf]


def test_the_switch_is_read_at_backward_time() -> None:
    """The check runs when detect_anomaly is on during backward; the line of user code is
    known only for ops created while it was on."""
    x = Tensor([0.0], requires_grad=True)
    with tge.detect_anomaly():
        created_inside = x.sqrt().sum()
    with np.errstate(divide="ignore"):
        created_inside.backward()  # backward outside: no check
    created_outside = x.sqrt().sum()
    with tge.detect_anomaly(), pytest.raises(RuntimeError, match="SqrtBackward") as err:
        created_outside.backward()
    assert "created at" not in str(err.value)


def test_no_effect_on_values_and_gradients() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal(4)

    def run() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        x, w = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
        loss = ((x @ w).tanh().softmax() * Tensor([1.0, 2.0, 3.0])).sum() + x.abs().max()
        loss.backward()
        return loss.data, x.grad.data, w.grad.data  # type: ignore[union-attr]

    plain = run()
    with tge.detect_anomaly():
        checked = run()
    for p, c in zip(plain, checked):
        assert p.tobytes() == c.tobytes()


def test_anomaly_mode_is_thread_local() -> None:
    """Switched on in one thread, it does not check (or slow down) another."""
    results: dict[str, str] = {}
    inside, finished = threading.Event(), threading.Event()

    def other_thread() -> None:
        inside.wait()
        x = Tensor([0.0], requires_grad=True)
        loss = x.sqrt().sum()
        results["trace"] = str(getattr(loss.grad_fn, "trace", None))
        with np.errstate(divide="ignore"):
            loss.backward()
        results["other"] = str(x.grad.tolist())  # type: ignore[union-attr]
        finished.set()

    t = threading.Thread(target=other_thread)
    t.start()
    with tge.detect_anomaly():
        inside.set()
        finished.wait(10)
        x = Tensor([0.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="SqrtBackward"):
            x.sqrt().sum().backward()
    t.join()
    assert results == {"trace": "None", "other": "[inf]"}
