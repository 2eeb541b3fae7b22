"""In-place ops and item assignment with PyTorch's rules, checked against PyTorch."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import Tensor, optim

torch = pytest.importorskip("torch")

LEAF_MSG = "a leaf Variable that requires grad is being used in an in-place operation"
SAVED_MSG = "one of the variables needed for gradient computation has been modified by an inplace operation"

rng = np.random.default_rng(0)
X0 = rng.standard_normal((3, 4))
V0 = rng.standard_normal((3, 4))
ROW = rng.standard_normal(4)


# Each row: h is a non-leaf made from x; `op(h, v, lib)` changes h in place (v is another
# input that requires grad, of shape (3, 4), lib is tge or torch); the test compares h and the
# gradients of (h * c).sum() for x and v with PyTorch's.
def _iadd(h: Any, v: Any) -> None:
    h += v


def _isub(h: Any, v: Any) -> None:
    h -= v * 2.0


def _imul(h: Any, v: Any) -> None:
    h *= v


def _idiv(h: Any, v: Any) -> None:
    h /= v * v + 1.0


def _idiv_scalar(h: Any, v: Any) -> None:
    h /= 4.0


def _setitem_slice(h: Any, v: Any) -> None:
    h[1:, ::2] = v[0, :2] * 3.0


def _setitem_int_array(h: Any, v: Any) -> None:
    idx = [2, 0]
    h[idx] = v[0]


def _setitem_mask(h: Any, v: Any) -> None:
    h[h > 0.0] = 0.5


def _setitem_scalar_index(h: Any, v: Any) -> None:
    h[1, 2] = v[2, 3].exp() if isinstance(v, Tensor) else v[2, 3].exp()


def _setitem_self(h: Any, v: Any) -> None:
    h[0] = 7.0


CASES: dict[str, Callable[[Any, Any], Any]] = {
    "+=": _iadd,
    "-=": _isub,
    "*=": _imul,
    "/=": _idiv,
    "/= scalar": _idiv_scalar,
    "add_ alpha": lambda h, v: h.add_(v, alpha=-0.5),
    "sub_ alpha": lambda h, v: h.sub_(v, alpha=2.0),
    "mul_": lambda h, v: h.mul_(v),
    "div_": lambda h, v: h.div_(v.exp()),
    "clamp_": lambda h, v: h.clamp_(-0.5, 0.7),
    "clamp_ min only": lambda h, v: h.clamp_(min=0.1),
    "copy_ broadcast": lambda h, v: h.copy_(v[0] * 2.0),
    "fill_": lambda h, v: h.fill_(1.5),
    "zero_": lambda h, v: h.zero_(),
    "t[1:, ::2] = v": _setitem_slice,
    "t[[2, 0]] = v": _setitem_int_array,
    "t[mask] = 0.5": _setitem_mask,
    "t[1, 2] = v": _setitem_scalar_index,
    "t[0] = 7": _setitem_self,
    "chain": lambda h, v: h.mul_(v).add_(1.0).clamp_(max=1.2),
}


@pytest.mark.parametrize("name", list(CASES))
def test_in_place_op_on_a_non_leaf_matches_pytorch(name: str) -> None:
    op = CASES[name]
    c = rng.standard_normal((3, 4))

    x, v = Tensor(X0, requires_grad=True), Tensor(V0, requires_grad=True)
    h = x * 2.0 + 0.1
    op(h, v)
    (h * Tensor(c)).sum().backward()

    xt = torch.tensor(X0, requires_grad=True)
    vt = torch.tensor(V0, requires_grad=True)
    ht = xt * 2.0 + 0.1
    op(ht, vt)
    (ht * torch.tensor(c)).sum().backward()

    np.testing.assert_allclose(h.data, ht.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(x.grad.data, xt.grad.numpy(), rtol=1e-12, atol=1e-12)  # type: ignore[union-attr]
    if vt.grad is None:
        assert v.grad is None
    else:
        np.testing.assert_allclose(v.grad.data, vt.grad.numpy(), rtol=1e-12, atol=1e-12)  # type: ignore[union-attr]
    assert not h.is_leaf and h._version == ht._version


@pytest.mark.parametrize("name", [n for n in CASES if n not in ("t[mask] = 0.5",)])
def test_in_place_ops_have_correct_second_derivatives_and_tangents(name: str) -> None:
    op = CASES[name]

    def f(x: Tensor, v: Tensor) -> Tensor:
        h = x * x + 0.1
        op(h, v)
        return (h * h).sum()

    x, v = Tensor(X0, requires_grad=True), Tensor(V0 + 2.0, requires_grad=True)
    assert tge.gradcheck(f, [x, v])
    u = Tensor(rng.standard_normal((3, 4)))
    _, tangent = tge.jvp(lambda a: f(a, v.detach()), (x.detach(),), (u,))
    g = tge.grad(lambda a: f(a, v.detach()))(x.detach())
    np.testing.assert_allclose(tangent.item(), float((g.data * u.data).sum()), rtol=1e-10)
    hv = tge.hvp(lambda a: f(a, v.detach()), x.detach(), u)
    eps = 1e-6
    g_plus = tge.grad(lambda a: f(a, v.detach()))(Tensor(X0 + eps * u.data)).data
    g_minus = tge.grad(lambda a: f(a, v.detach()))(Tensor(X0 - eps * u.data)).data
    np.testing.assert_allclose(hv.data, (g_plus - g_minus) / (2 * eps), rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- leaves
LEAF_OPS: dict[str, Callable[[Any], Any]] = {
    "+=": lambda w: w.__iadd__(1.0),
    "-=": lambda w: w.__isub__(1.0),
    "*=": lambda w: w.__imul__(2.0),
    "/=": lambda w: w.__itruediv__(2.0),
    "add_": lambda w: w.add_(1.0),
    "sub_": lambda w: w.sub_(1.0, alpha=0.5),
    "mul_": lambda w: w.mul_(3.0),
    "div_": lambda w: w.div_(3.0),
    "clamp_": lambda w: w.clamp_(0.0, 1.5),
    "copy_": lambda w: w.copy_(w * 0.0 + 4.0),
    "fill_": lambda w: w.fill_(2.0),
    "zero_": lambda w: w.zero_(),
    "setitem": lambda w: w.__setitem__(0, 9.0),
}


@pytest.mark.parametrize("name", list(LEAF_OPS))
def test_in_place_on_a_leaf_that_requires_grad_raises_and_changes_nothing(name: str) -> None:
    op = LEAF_OPS[name]
    w = Tensor([1.0, 2.0], requires_grad=True, name="w")
    with pytest.raises(RuntimeError, match=LEAF_MSG):
        op(w)
    assert w.tolist() == [1.0, 2.0] and w._version == 0 and w.is_leaf and w.grad_fn is None

    wt = torch.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=LEAF_MSG):
        op(wt)


def test_the_leaf_error_says_to_use_no_grad() -> None:
    w = Tensor([1.0, 2.0], requires_grad=True, name="w")
    with pytest.raises(RuntimeError, match=r"-=: .*'w' of shape \(2,\).*no_grad"):
        w -= 0.1


@pytest.mark.parametrize("name", list(LEAF_OPS))
def test_under_no_grad_a_leaf_changes_and_stays_a_leaf_that_requires_grad(name: str) -> None:
    op = LEAF_OPS[name]
    w = Tensor([1.0, 2.0], requires_grad=True)
    w.grad = Tensor([0.5, 0.5])
    before = w.data
    with tge.no_grad():
        out = op(w)
    wt = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    with torch.no_grad():
        op(wt)
    assert out is w or out is None
    assert w.tolist() == wt.tolist()
    assert w.is_leaf and w.requires_grad and w.grad_fn is None and w.grad is not None
    assert w.data is before  # written into the same memory
    assert w._version == wt._version == 1


def test_manual_update_loop_matches_pytorch() -> None:
    X = rng.standard_normal((20, 3))
    y = X @ np.array([1.0, -2.0, 0.5]) + 0.3
    W0 = rng.standard_normal(3) * 0.01

    W, b = Tensor(W0, requires_grad=True), Tensor(0.0, requires_grad=True)
    Wt, bt = torch.tensor(W0, requires_grad=True), torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    for _ in range(25):
        loss = ((Tensor(X) @ W + b - Tensor(y)) ** 2).mean()
        loss.backward()
        with tge.no_grad():
            W -= 0.1 * W.grad
            b -= 0.1 * b.grad
        W.grad.zero_()  # type: ignore[union-attr]
        b.grad.zero_()  # type: ignore[union-attr]

        loss_t = ((torch.tensor(X) @ Wt + bt - torch.tensor(y)) ** 2).mean()
        loss_t.backward()
        with torch.no_grad():
            Wt -= 0.1 * Wt.grad
            bt -= 0.1 * bt.grad
        Wt.grad.zero_()
        bt.grad.zero_()
        np.testing.assert_allclose(loss.item(), loss_t.item(), rtol=1e-12)
    np.testing.assert_allclose(W.data, Wt.detach().numpy(), rtol=1e-12)
    assert W.is_leaf and W.requires_grad and W.grad.tolist() == [0.0, 0.0, 0.0]  # type: ignore[union-attr]


def test_grad_zero_keeps_the_same_gradient_tensor() -> None:
    w = Tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    g = w.grad
    assert g is not None
    assert g.zero_() is g and w.grad is g and g.tolist() == [0.0, 0.0]
    (w * w).sum().backward()
    assert w.grad.tolist() == [2.0, 4.0]  # type: ignore[union-attr]


def test_a_leaf_without_grad_becomes_a_non_leaf_when_given_a_value_that_requires_grad() -> None:
    w = Tensor([1.0, 2.0], requires_grad=True)
    x = Tensor.zeros(4)
    x[1:3] = w * 2.0
    assert not x.is_leaf and x.requires_grad
    (x * Tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()

    wt = torch.tensor([1.0, 2.0], dtype=torch.float64, requires_grad=True)
    xt = torch.zeros(4, dtype=torch.float64)
    xt[1:3] = wt * 2.0
    (xt * torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64)).sum().backward()
    assert w.grad.tolist() == wt.grad.tolist() == [4.0, 6.0]  # type: ignore[union-attr]


def test_item_assignment_writes_in_place_and_follows_numpy_indexing() -> None:
    t = Tensor.zeros(2, 3)
    before = t.data
    t[0] = 1.0
    t[1, [0, 2]] = Tensor([5.0, 6.0])
    t[t > 5.5] = -1.0
    t[:, 1] = np.array([7.0, 8.0])
    assert t.data is before
    assert t.tolist() == [[1.0, 7.0, 1.0], [5.0, 8.0, -1.0]]
    assert t._version == 4
    i = Tensor([0, 0, 0], dtype=np.int64)
    i[1] = 2.7  # a Python number is converted to the tensor's dtype, as in PyTorch
    assert i.tolist() == [0, 2, 0]


# ---------------------------------------------------------------- version counter
def test_version_counter_counts_like_pytorch() -> None:
    t, tt = Tensor.zeros(3), torch.zeros(3)
    for step in (lambda a: a.add_(1.0), lambda a: a.mul_(2.0), lambda a: a.__setitem__(0, 1.0), lambda a: a.zero_()):
        step(t)
        step(tt)
        assert t._version == tt._version
    assert Tensor.zeros(3)._version == 0 and (t + 1.0)._version == 0


def test_modifying_an_input_saved_for_backward_raises_naming_the_op() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 3.0
    y = h * h  # saves h
    h.add_(1.0)
    with pytest.raises(RuntimeError, match=rf"MulBackward: {SAVED_MSG}.*add_"):
        y.sum().backward()

    xt = torch.tensor([1.0, 2.0], requires_grad=True)
    ht = xt * 3.0
    yt = ht * ht
    ht.add_(1.0)
    with pytest.raises(RuntimeError, match=SAVED_MSG):
        yt.sum().backward()


def test_updating_a_parameter_between_forward_and_backward_raises() -> None:
    W = Tensor([1.0, 2.0], requires_grad=True, name="W")
    loss = (W * W).sum()
    with tge.no_grad():
        W -= 0.1
    with pytest.raises(RuntimeError, match=rf"{SAVED_MSG}.*'W'.*-=.*backward\(\) before"):
        loss.backward()

    Wt = torch.tensor([1.0, 2.0], requires_grad=True)
    loss_t = (Wt * Wt).sum()
    with torch.no_grad():
        Wt -= 0.1
    with pytest.raises(RuntimeError, match=SAVED_MSG):
        loss_t.backward()


def test_a_change_through_a_detached_alias_is_caught_too() -> None:
    W = Tensor([1.0, 2.0], requires_grad=True)
    loss = (W * W).sum()
    W.detach().mul_(2.0)
    with pytest.raises(RuntimeError, match=SAVED_MSG):
        loss.backward()


def test_under_no_grad_a_non_leaf_changes_and_its_consumers_raise() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x.exp()
    y = h.sin()
    with tge.no_grad():
        h.zero_()
    assert h.tolist() == [0.0, 0.0] and h.grad_fn is not None
    with pytest.raises(RuntimeError, match=SAVED_MSG):
        y.sum().backward()


def test_a_graph_built_after_the_change_is_fine() -> None:
    W = Tensor([1.0, 2.0], requires_grad=True)
    with tge.no_grad():
        W *= 2.0
    (W * W).sum().backward()
    assert W.grad.tolist() == [4.0, 8.0]  # type: ignore[union-attr]


def test_changing_a_saved_output_keeps_the_gradient_correct() -> None:
    # PyTorch raises here (exp saves its output); tinygrad_edu keeps the value before the
    # change for exp's backward, so the gradient is the true one.
    x = Tensor([0.5, 1.0], requires_grad=True)
    h = x.exp()
    h += 1.0
    (h * h).sum().backward()
    expected = 2.0 * (np.exp([0.5, 1.0]) + 1.0) * np.exp([0.5, 1.0])
    np.testing.assert_allclose(x.grad.data, expected)  # type: ignore[union-attr]


def test_self_as_operand() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 1.0
    h += h
    h.add_(h, alpha=2.0)
    h.sum().backward()
    xt = torch.tensor([1.0, 2.0], requires_grad=True)
    ht = xt * 1.0
    ht += ht
    ht.add_(ht, alpha=2.0)
    ht.sum().backward()
    assert h.tolist() == ht.tolist() and x.grad.tolist() == xt.grad.tolist()  # type: ignore[union-attr]


# ---------------------------------------------------------------- errors change nothing
def test_shape_and_dtype_errors_change_nothing() -> None:
    t = Tensor([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"add_: output with shape \(3,\) doesn't match the broadcast shape \(2, 3\)"):
        t.add_(Tensor.ones(2, 3))
    i = Tensor([1, 2], dtype=np.int64)
    with pytest.raises(TypeError, match="result type float64 can't be cast to the desired output type int64"):
        i += 0.5
    with pytest.raises(ValueError, match="at least one of 'min' or 'max'"):
        t.clamp_()
    assert t.tolist() == [1.0, 2.0, 3.0] and t._version == 0
    assert i.tolist() == [1, 2] and i._version == 0
    it = torch.tensor([1, 2])
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
        it += 0.5


def test_float32_stays_float32() -> None:
    t = Tensor([1.0, 2.0], dtype=np.float32)
    t += Tensor([0.5, 0.5])  # float64 operand: the result is cast, as in PyTorch
    assert t.dtype == np.float32 and t.tolist() == [1.5, 2.5]


# ---------------------------------------------------------------- .grad of a non-leaf
def test_reading_grad_of_a_non_leaf_warns_like_pytorch() -> None:
    W = Tensor.randn(3, requires_grad=True, seed=0) * 0.01  # the classic trap: not a leaf
    (W * W).sum().backward()
    trap = r"not a leaf.*retain_grad\(\).*Tensor.randn\(\.\.\., requires_grad=True\) \* 0.01"
    with pytest.warns(UserWarning, match=trap):
        assert W.grad is None
    Wt = torch.randn(3, requires_grad=True) * 0.01
    (Wt * Wt).sum().backward()
    with pytest.warns(UserWarning, match="retain_grad"):
        assert Wt.grad is None


def test_no_warning_for_leaves_and_retained_gradients() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 2.0
    h.retain_grad()
    (h * h).sum().backward()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert x.grad is not None and h.grad is not None


def test_optimizers_update_parameters_in_place_free_paths() -> None:
    for make in (
        lambda p: optim.SGD(p, lr=0.1, momentum=0.9),
        lambda p: optim.Adam(p, lr=0.1),
        lambda p: optim.RMSprop(p, lr=0.01),
        lambda p: optim.Adagrad(p, lr=0.1),
    ):
        W = Tensor([1.0, -2.0], requires_grad=True)
        opt = make([W])
        for _ in range(3):
            opt.zero_grad()
            ((W - 3.0) ** 2).sum().backward()
            opt.step()
        assert W.is_leaf and W.requires_grad and W.grad_fn is None
        assert np.all(np.abs(W.data - 3.0) < [2.0, 5.0])
