"""The engine's known failure modes, each with its own test: fan-out, deep chains, repeated
and non-scalar backward, released graphs, hooks, grad mode, reference cycles."""

from __future__ import annotations

import gc
import sys
import threading
import weakref

import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import Tensor
from tinygrad_edu.engine import toposort, unbroadcast


def test_fan_out_a_times_a_accumulates() -> None:
    a = Tensor(3.0, requires_grad=True)
    (a * a).backward()
    assert a.grad is not None and a.grad.item() == 6.0  # not 3 (assigned) nor 9


def test_diamond_accumulates_both_paths() -> None:
    x = Tensor(2.0, requires_grad=True)
    b, c = x * 3.0, x.exp()
    (b * c).backward()  # d/dx 3x e^x = 3e^x + 3x e^x
    assert x.grad is not None
    assert x.grad.item() == pytest.approx(3 * np.exp(2) + 6 * np.exp(2))


def test_same_gradient_to_two_leaves_does_not_alias() -> None:
    a, b = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    assert a.grad is not None and b.grad is not None
    a.grad.data[0] = 100.0
    assert b.grad.data[0] == 1.0


def test_million_op_chain_backprops_without_recursion_error() -> None:
    x = Tensor(1.0, requires_grad=True)
    y = x
    for _ in range(1_000_000):
        y = y + 1.0
    y.backward()
    assert x.grad is not None and x.grad.item() == 1.0
    assert sys.getrecursionlimit() < 1_000_000


def test_repeated_backward_accumulates_with_retain_graph() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    assert x.grad is not None
    np.testing.assert_allclose(x.grad.data, [4.0, 8.0])


def test_second_backward_through_released_graph_says_retain_graph() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    loss = (x * x).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        loss.backward()


def test_non_scalar_backward_needs_gradient() -> None:
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2.0
    with pytest.raises(RuntimeError, match=r"shape \(3,\)"):
        y.backward()
    y.backward(gradient=Tensor([1.0, 0.1, 0.01]))
    assert x.grad is not None
    np.testing.assert_allclose(x.grad.data, [2.0, 0.2, 0.02])


def test_backward_gradient_shape_mismatch_is_value_error() -> None:
    y = Tensor([1.0, 2.0], requires_grad=True) * 2.0
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        y.backward(gradient=Tensor([1.0, 1.0, 1.0]))


def test_backward_on_tensor_without_grad_raises() -> None:
    with pytest.raises(RuntimeError, match="requires_grad=True"):
        (Tensor([1.0]) * 2.0).sum().backward()


def test_only_leaves_get_grad_unless_retain_grad() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 3.0
    k = x * 4.0
    k.retain_grad()
    (h * k).sum().backward()
    with pytest.warns(UserWarning, match="retain_grad"):  # as PyTorch warns
        assert h.grad is None
    assert k.grad is not None
    np.testing.assert_allclose(k.grad.data, h.data)
    assert not h.is_leaf and x.is_leaf


def test_hooks_see_and_replace_gradients() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    seen = []
    y = x * 2.0
    y.register_hook(lambda g: seen.append(g.data.copy()))
    handle = x.register_hook(lambda g: g * 10.0)
    y.sum().backward()
    np.testing.assert_allclose(seen[0], [1.0, 1.0])
    assert x.grad is not None
    np.testing.assert_allclose(x.grad.data, [20.0, 20.0])
    handle.remove()
    x.grad = None
    (x * 2.0).sum().backward()
    np.testing.assert_allclose(x.grad.data, [2.0, 2.0])


def test_leaf_hook_runs_once_on_the_total_gradient() -> None:
    x = Tensor(1.0, requires_grad=True)
    calls = []
    x.register_hook(lambda g: calls.append(g.item()))
    (x * 2.0 + x * 3.0).backward()
    assert calls == [5.0]


def test_no_grad_and_enable_grad() -> None:
    x = Tensor(1.0, requires_grad=True)
    with tge.no_grad():
        y = x * 2.0
        with tge.enable_grad():
            z = x * 2.0
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad

    @tge.no_grad()
    def f(t: Tensor) -> Tensor:
        return t * 2.0

    assert not f(x).requires_grad
    assert tge.is_grad_enabled()


def test_grad_mode_is_thread_local() -> None:
    x = Tensor(1.0, requires_grad=True)
    other: list[bool] = []
    entered, done = threading.Event(), threading.Event()

    def worker() -> None:
        entered.wait()
        other.append((x * 2.0).requires_grad)
        done.set()

    t = threading.Thread(target=worker)
    t.start()
    with tge.no_grad():
        entered.set()
        done.wait()
    t.join()
    assert other == [True]


def test_create_graph_gives_second_derivative() -> None:
    """d^2/dx^2 of x^3 sin x = 6x sin x + 6x^2 cos x - x^3 sin x."""
    x = Tensor(1.3, requires_grad=True)
    y = x**3 * x.sin()
    (g,) = tge.autograd.grad(y, x, create_graph=True)
    (h,) = tge.autograd.grad(g, x)
    v = 1.3
    assert g.item() == pytest.approx(3 * v**2 * np.sin(v) + v**3 * np.cos(v), rel=1e-12)
    assert h.item() == pytest.approx(6 * v * np.sin(v) + 6 * v**2 * np.cos(v) - v**3 * np.sin(v), rel=1e-12)


def test_backward_create_graph_then_backward_on_grad() -> None:
    x = Tensor(2.0, requires_grad=True)
    (x**3).backward(create_graph=True)
    g = x.grad
    assert g is not None and g.requires_grad and g.item() == 12.0
    x.grad = None
    g.backward()
    assert x.grad is not None and x.grad.item() == 12.0  # d/dx 3x^2 = 6x


def test_graph_is_freed_by_reference_counting_alone() -> None:
    gc.disable()
    try:
        x = Tensor(np.ones(1000), requires_grad=True)
        y = (x * 2.0).exp().sum()
        ref = weakref.ref(y.grad_fn)  # type: ignore[arg-type]
        mid = weakref.ref(y.grad_fn.inputs[0])  # type: ignore[union-attr]
        y.backward()
        del y
        assert ref() is None and mid() is None
    finally:
        gc.enable()


def test_no_reference_cycle_between_tensor_and_node() -> None:
    gc.collect()
    gc.disable()
    try:
        x = Tensor([1.0, 2.0], requires_grad=True)
        for _ in range(100):
            (x.tanh() * x.sigmoid() + x.exp()).sum()
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_toposort_is_deterministic_and_inputs_first() -> None:
    x = Tensor(1.0, requires_grad=True, name="x")
    a = x * 2.0
    b = a.exp()
    c = a + b
    order = toposort(c)
    assert order == [a, b, c]


def test_unbroadcast_sums_stretched_axes() -> None:
    g = Tensor(np.ones((4, 2, 3)))
    assert unbroadcast(g, (3,)).tolist() == [8.0, 8.0, 8.0]
    assert unbroadcast(g, (2, 1)).shape == (2, 1)
    assert unbroadcast(g, ()).item() == 24.0


def test_detach_and_requires_grad_() -> None:
    x = Tensor([1.0], requires_grad=True)
    d = (x * 2.0).detach()
    assert not d.requires_grad and d.grad_fn is None
    with pytest.raises(RuntimeError, match="leaf"):
        (x * 2.0).requires_grad_()
    with pytest.raises(TypeError, match="floating"):
        Tensor(np.array([1, 2])).requires_grad_()


def test_detect_anomaly_names_op_and_line() -> None:
    x = Tensor([0.0, 1.0], requires_grad=True)
    with tge.detect_anomaly():
        y = x.sqrt().sum()  # d sqrt / dx at 0 is infinite
        with pytest.raises(RuntimeError, match=r"SqrtBackward(.|\n)*test_engine.py"):
            y.backward()


def test_comparisons_carry_no_gradient() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    for c in (x < 1.5, x <= 1.0, x > 1.0, x >= 2.0, x == 1.0, x != 1.0):
        assert c.dtype == np.bool_ and not c.requires_grad
    assert (x > 1.5).tolist() == [False, True]


def test_float32_stays_float32() -> None:
    x = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    y = (x * 2.0 + 1.0).exp().sum() / 3
    assert y.dtype == np.float32
    y.backward()
    assert x.grad is not None and x.grad.dtype == np.float32


def test_gradient_takes_the_dtype_of_its_input() -> None:
    w = Tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    b = Tensor(np.array(0.5), requires_grad=True)
    ((w * w).sum() + b * b).backward()
    assert w.grad is not None and w.grad.dtype == np.float32
    assert b.grad is not None and b.grad.dtype == np.float64


def test_astype_is_differentiable() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x.astype(np.float32)
    assert y.dtype == np.float32
    (y * y).sum().backward()
    assert x.grad is not None and x.grad.dtype == np.float64 and x.grad.tolist() == [2.0, 4.0]


def test_user_defined_op_gets_a_tensor_gradient_and_builtins_get_arrays() -> None:
    """Built-in ops take G as an ndarray when no graph is recorded; other Function
    subclasses always see a Tensor, so their backward may use any Tensor method."""
    from tinygrad_edu.engine import Function

    seen: list[type] = []

    class Square(Function):
        """f(x) = x^2;  df/dx = 2x"""

        def forward(self, x: np.ndarray) -> np.ndarray:
            return x * x

        def backward(self, g: Tensor) -> tuple[Tensor]:
            seen.append(type(g))
            return (g.exp().log() * 2.0 * self.inputs[0],)  # Tensor methods on g

    x = Tensor([1.0, 3.0], requires_grad=True)
    Square.apply(x.tanh()).sum().backward()
    assert seen == [Tensor]
    t = np.tanh(x.data)
    np.testing.assert_allclose(x.grad.data, 2 * t * (1 - t**2))  # type: ignore[union-attr]
    (g,) = tge.autograd.grad(Square.apply(x).sum(), x, create_graph=True)
    assert seen[-1] is Tensor and g.requires_grad


def test_backward_takes_the_newest_node_first_without_a_sorting_pass() -> None:
    """u is made before v, though z reads v first: the walk goes by creation (v, then u), and
    each gradient is complete when its turn comes (x gets both paths)."""
    x = Tensor(1.0, requires_grad=True)
    u = x * 2.0
    v = x * 3.0
    z = v + u
    seen: list[str] = []
    u.register_hook(lambda g: seen.append("u"))
    v.register_hook(lambda g: seen.append("v"))
    z.backward()
    assert seen == ["v", "u"]
    assert x.grad is not None and x.grad.item() == 5.0
    assert u.grad_fn is not None and v.grad_fn is not None and z.grad_fn is not None
    assert u.grad_fn.seq < v.grad_fn.seq < z.grad_fn.seq
