"""Checks that check everything: `gradcheck` tests forward mode (each op's jvp) as well as
backward, and an op written outside the package is held to the op contract (a jvp for
forward mode, one gradient per input, gradients that sum down to their input's shape),
with an error naming the op and what it returned, raised at once."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import Tensor
from tinygrad_edu.engine import Function


class Softplus(Function):
    """f(a) = log(1 + exp(a));  df/da = sigmoid(a)"""

    def forward(self, a):
        return np.logaddexp(0.0, a)

    def backward(self, g):
        (a,) = self.inputs
        return (g * a.sigmoid(),)

    def jvp(self, ta):
        (a,) = self.inputs
        return ta * a.sigmoid()


class WrongTangent(Softplus):
    """A right backward and a jvp that forgot the sigmoid."""

    def jvp(self, ta):
        return ta


class NoTangent(Function):
    """f(a) = 3 a, with a backward and no jvp."""

    def forward(self, a):
        return 3.0 * a

    def backward(self, g):
        return (g * 3.0,)


def x_values(shape=(3, 4)):
    return Tensor(np.random.default_rng(0).normal(size=shape), requires_grad=True, name="x")


# ---------------------------------------------------------------- gradcheck in both modes
def test_gradcheck_passes_a_right_op_in_both_modes():
    assert tge.gradcheck(lambda t: Softplus.apply(t), [x_values()])


def test_gradcheck_fails_an_op_whose_jvp_is_wrong_and_names_the_jvp():
    x = x_values()
    with pytest.raises(tge.GradcheckError, match=r"forward mode disagrees .* input 0 \('x'\), shape \(3, 4\)") as info:
        tge.gradcheck(lambda t: WrongTangent.apply(t), [x])
    assert "check that op's jvp rule" in str(info.value)
    assert tge.gradcheck(lambda t: WrongTangent.apply(t), [x], raise_exception=False) is False
    assert tge.gradcheck(lambda t: WrongTangent.apply(t), [x], check_forward_ad=False)


def test_gradcheck_forward_mode_with_several_inputs_and_a_constant_one():
    a = Tensor([[0.5, -1.0, 2.0]], requires_grad=True)
    b = Tensor([[1.0], [2.0]], requires_grad=True)
    idx = Tensor(np.array([1, 0]))  # integer, no grad: not checked
    f = lambda p, q, i: (WrongTangent.apply(p) * q)[i.data]  # noqa: E731
    with pytest.raises(tge.GradcheckError, match="forward mode disagrees .* input 0,"):
        tge.gradcheck(f, [a, b, idx])
    assert tge.gradcheck(lambda p, q, i: (Softplus.apply(p) * q)[i.data], [a, b, idx])


def test_gradcheck_of_an_op_without_jvp_says_what_to_do():
    x = x_values()
    with pytest.raises(NotImplementedError, match=r"NoTangent defines no jvp.*check_forward_ad=False"):
        tge.gradcheck(lambda t: NoTangent.apply(t), [x])
    assert tge.gradcheck(lambda t: NoTangent.apply(t), [x], check_forward_ad=False)


# ---------------------------------------------------------------- the op contract
def test_forward_mode_through_an_op_without_jvp_raises_naming_the_op():
    x = x_values()
    with pytest.raises(NotImplementedError, match=r"NoTangent defines no jvp.*def jvp\(self, \*tangents\)"):
        tge.jvp(lambda t: NoTangent.apply(t).sum(), (x,), (Tensor(np.ones((3, 4))),))
    assert NoTangent.apply(x).requires_grad  # reverse mode is unaffected


class TooFewGradients(Function):
    """f(a, b) = a * b, whose backward forgot b's gradient."""

    def forward(self, a, b):
        return a * b

    def backward(self, g):
        a, b = self.inputs
        return (g * b,)


def test_backward_with_the_wrong_number_of_gradients_raises_at_once():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    loss = TooFewGradients.apply(a, b).sum()
    with pytest.raises(RuntimeError, match=r"TooFewGradients.backward returned 1 gradient\(s\) for 2 input\(s\)"):
        loss.backward()
    assert a.grad is None and b.grad is None


class LoneGradient(Function):
    """f(a, b) = a * b, whose backward returns one Tensor instead of a tuple."""

    def forward(self, a, b):
        return a * b

    def backward(self, g):
        return g * self.inputs[1]


def test_backward_returning_a_lone_tensor_for_two_inputs_raises():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="LoneGradient.backward returned a single Tensor for 2 inputs"):
        LoneGradient.apply(a, b).sum().backward()


def test_a_lone_gradient_for_a_lone_input_is_accepted():
    class Double(Function):
        def forward(self, a):
            return 2.0 * a

        def backward(self, g):
            return g * 2.0  # no tuple: fine for one input, as in PyTorch

    x = Tensor([1.0, -1.0], requires_grad=True)
    Double.apply(x).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0]


class WrongShape(Function):
    """f(a) = sum(a), whose backward returns a gradient of the wrong shape."""

    def forward(self, a):
        return a.sum()

    def backward(self, g):
        return (Tensor(np.ones(2)) * g,)


def test_a_gradient_that_cannot_sum_down_to_its_input_raises_at_backward():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    loss = WrongShape.apply(x)
    message = r"WrongShape.backward returned a gradient of shape \(2,\) for input 0 of shape \(3,\)"
    with pytest.raises(RuntimeError, match=message):
        loss.backward()
    assert x.grad is None  # nothing reached .grad, where the optimizer would have failed later


def test_a_gradient_of_the_broadcast_shape_is_summed_down():
    class Spread(Function):
        """f(a) = a broadcast to (2, 3)."""

        def forward(self, a):
            return np.broadcast_to(a, (2, 3)).copy()

        def backward(self, g):
            return (g,)  # shape (2, 3) for an input of shape (3,): the engine sums axis 0

        def jvp(self, ta):
            return ta  # broadcasts to the output's shape

    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    Spread.apply(x).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0, 2.0]
    assert tge.gradcheck(lambda t: Spread.apply(t), [x])


def test_a_jvp_of_the_wrong_shape_or_type_raises_naming_the_op():
    class BadTangentShape(Softplus):
        def jvp(self, ta):
            return ta[:2]

    class TangentNotATensor(Softplus):
        def jvp(self, ta):
            return "tangent"

    x = Tensor([0.0, 1.0, 2.0], requires_grad=True)
    u = Tensor([1.0, 1.0, 1.0])
    message = r"BadTangentShape.jvp returned a tangent of shape \(2,\) for an output of shape \(3,\)"
    with pytest.raises(RuntimeError, match=message):
        tge.jvp(lambda t: BadTangentShape.apply(t), (x,), (u,))
    with pytest.raises(RuntimeError, match="TangentNotATensor.jvp returned str, not a Tensor"):
        tge.jvp(lambda t: TangentNotATensor.apply(t), (x,), (u,))


def test_a_backward_returning_something_other_than_a_gradient_raises():
    class TextGradient(Softplus):
        def backward(self, g):
            return ("grad",)

    x = Tensor([0.0, 1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="TextGradient.backward returned str as the gradient of input 0"):
        TextGradient.apply(x).sum().backward()
