"""var and std with PyTorch's `correction` (default 1), its older `unbiased=` and NumPy's `ddof=`:
value, gradient, jvp and second derivative against PyTorch over every axis, keepdim and
corrections 0, 1, 2; constant inputs; axes with n <= correction (inf or NaN, as PyTorch);
np.var / np.std on a Tensor against NumPy."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tinygrad_edu import Tensor

torch = pytest.importorskip("torch")

from torch_cases import Case, torch_tests  # noqa: E402 (needs torch)

SHAPE = (3, 4, 5)
AXES: list[Any] = [None, 0, 1, 2, -1, (0, 2), (-1, 1)]


def _cases() -> list[Case]:
    cases = []
    for name in ("var", "std"):
        for axis in AXES:
            for keep in (False, True):
                for c in (0, 1, 2):
                    label = f"{name}_axis{axis}_keep{int(keep)}_c{c}".replace(" ", "")
                    fn = lambda a, n=name, d=axis, k=keep, c=c: getattr(a, n)(dim=d, keepdim=k, correction=c)  # noqa: E731
                    cases.append(Case(label, fn, fn, [SHAPE]))  # the same call in both libraries
        # the default (1), unbiased=False, NumPy's ddof and a broadcast use of the result
        cases += [
            Case(f"{name}_default", lambda a, n=name: getattr(a, n)(1), lambda a, n=name: getattr(a, n)(1), [SHAPE]),
            Case(f"{name}_unbiased_false", lambda a, n=name: getattr(a, n)(unbiased=False),
                 lambda a, n=name: getattr(a, n)(unbiased=False), [SHAPE]),
            Case(f"{name}_ddof2", lambda a, n=name: getattr(a, n)(axis=0, ddof=2),
                 lambda a, n=name: getattr(a, n)(dim=0, correction=2), [SHAPE]),
            Case(f"{name}_normalize", lambda a, n=name: (a - a.mean(2, keepdims=True)) / getattr(a, n)(2, True),
                 lambda a, n=name: (a - a.mean(2, keepdim=True)) / getattr(a, n)(2, keepdim=True), [SHAPE]),
        ]  # fmt: skip
    return cases


CASES = _cases()
test_value_and_gradient_match_torch, test_forward_mode_matches_torch_jvp, test_second_derivative_matches_torch = (
    torch_tests(CASES)
)


@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize("c", [0, 1, 2])
def test_a_constant_has_zero_spread_and_zero_gradient(name: str, c: int) -> None:
    """d std = (a - mean) / (d f) is 0 / 0 on a constant; PyTorch (and we) set it to 0."""
    a = np.full((2, 4), 1.5)
    x, xt = Tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    out, tout = getattr(x, name)(1, correction=c), getattr(xt, name)(1, correction=c)
    np.testing.assert_array_equal(out.numpy(), tout.detach().numpy())
    out.sum().backward()
    tout.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), xt.grad.numpy())  # type: ignore[union-attr]
    np.testing.assert_array_equal(x.grad.numpy(), 0.0)  # type: ignore[union-attr]


@pytest.mark.parametrize("name", ["var", "std"])
@pytest.mark.parametrize(
    "values, c", [([3.0], 1), ([1.0, 2.0], 2), ([1.0, 2.0, 4.0], 3), ([1.0, 2.0], 5), ([2.0, 2.0], 2), ([], 0)]
)
def test_n_at_most_correction_gives_inf_or_nan_as_pytorch(name: str, values: list[float], c: int) -> None:
    """The divisor n - correction is clamped at 0: inf for a spread, NaN for 0 / 0; the
    gradient is not finite either (PyTorch's and ours differ in which of inf and NaN)."""
    a = np.array(values)
    x, xt = Tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    with np.errstate(all="ignore"):
        out = getattr(x, name)(correction=c)
        out.backward()
    with pytest.warns(UserWarning, match="degrees of freedom"):
        tout = getattr(xt, name)(correction=c)
    tout.backward()
    np.testing.assert_array_equal(out.numpy(), tout.detach().numpy())  # inf == inf, NaN == NaN
    assert not np.isfinite(out.item())
    assert not np.isfinite(x.grad.numpy()).any() and not np.isfinite(xt.grad.numpy()).any()  # type: ignore[union-attr]


@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 1)])
@pytest.mark.parametrize("ddof", [0, 1, 2])
def test_numpy_functions_on_a_tensor_match_numpy(axis: Any, ddof: int) -> None:
    a = np.random.default_rng(0).standard_normal((3, 4))
    t = Tensor(a, requires_grad=True)
    for fn in (np.var, np.std):
        ours = fn(t, axis=axis, ddof=ddof, keepdims=True)
        assert isinstance(ours, Tensor) and ours.requires_grad
        np.testing.assert_allclose(ours.numpy(), fn(a, axis=axis, ddof=ddof, keepdims=True), rtol=1e-14)
    np.testing.assert_allclose(np.var(t, axis).numpy(), np.var(a, axis), rtol=1e-14)  # NumPy's default ddof=0
    np.testing.assert_allclose(np.std(t, axis, correction=ddof).numpy(), np.std(a, axis, correction=ddof), rtol=1e-14)


def test_the_three_spellings_agree_and_two_at_once_raise() -> None:
    a = np.random.default_rng(1).standard_normal((4, 3))
    t = Tensor(a)
    np.testing.assert_array_equal(t.var(0).numpy(), t.var(0, correction=1).numpy())
    np.testing.assert_array_equal(t.var(0, unbiased=True).numpy(), t.var(0, ddof=1).numpy())
    np.testing.assert_array_equal(t.std(0, unbiased=False).numpy(), t.std(0, ddof=0).numpy())
    for kwargs in ({"correction": 1, "ddof": 1}, {"unbiased": True, "correction": 0}, {"ddof": 0, "unbiased": False}):
        for name in ("var", "std"):
            with pytest.raises(TypeError) as info:
                getattr(t, name)(**kwargs)
            msg = str(info.value)
            assert msg.startswith(f"{name}: got ") and "give just one" in msg
            assert all(f"{k}=" in msg for k in kwargs)
    with pytest.raises(TypeError, match=r"np.var.*ddof and correction|var: got"):
        np.var(t, ddof=1, correction=1)
    with pytest.raises(TypeError, match="correction must be a number"):
        t.var(correction="1")  # type: ignore[arg-type]


def test_float32_stays_float32() -> None:
    t = Tensor(np.arange(6, dtype=np.float32).reshape(2, 3), requires_grad=True)
    for out in (t.var(1), t.std(1, correction=0), np.var(t, 0)):
        assert out.dtype == np.float32
    t.std(1).sum().backward()
    assert t.grad is not None and t.grad.dtype == np.float32
