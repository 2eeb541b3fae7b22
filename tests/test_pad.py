"""pad, as F.pad(t, pad, mode, value) and as the method t.pad(...), against PyTorch's F.pad:
value, gradient, jvp and second derivative for every mode over 1-, 2- and 3-axis pads of
several shapes; the backward of reflect, replicate and circular is slicing and summing."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from tinygrad_edu import Tensor
from tinygrad_edu.nn import functional as F
from tinygrad_edu.ops import GetItem, ScatterAdd, _is_basic

torch = pytest.importorskip("torch")
TF = torch.nn.functional

from torch_cases import Case, torch_tests  # noqa: E402 (needs torch)

# (shape, pad, modes): PyTorch pads 1 axis of 2-D/3-D inputs, 2 of 3-D/4-D, 3 of 4-D/5-D outside constant mode
LAYOUTS: list[tuple[tuple[int, ...], tuple[int, ...]]] = [
    ((2, 5), (2, 3)),
    ((2, 3, 4), (3, 0)),
    ((2, 3, 4), (2, 1, 1, 2)),
    ((1, 2, 4, 5), (0, 4, 3, 1)),
    ((1, 2, 3, 4, 3), (1, 2, 2, 0, 1, 1)),
]
MODES = ("constant", "reflect", "replicate", "circular")


def _fits(mode: str, shape: tuple[int, ...], pad: tuple[int, ...]) -> bool:
    """PyTorch's limits: reflect pads less than the axis size, circular at most the axis size."""
    sizes = shape[::-1]
    for i in range(len(pad) // 2):
        n, lo, hi = sizes[i], pad[2 * i], pad[2 * i + 1]
        if (mode == "reflect" and max(lo, hi) >= n) or (mode == "circular" and max(lo, hi) > n):
            return False
    return True


def _cases() -> list[Case]:
    cases = []
    for shape, pad in LAYOUTS:
        for mode in MODES:
            if not _fits(mode, shape, pad):
                continue
            name = f"{mode}_{'x'.join(map(str, shape))}_pad{'_'.join(map(str, pad))}"
            # plain, and under sin so that the second derivative runs backward through pad's backward
            cases.append(Case(name, lambda a, p=pad, m=mode: F.pad(a, p, mode=m),
                              lambda a, p=pad, m=mode: TF.pad(a, p, mode=m), [shape], second=False))  # fmt: skip
            cases.append(Case(name + "_sin", lambda a, p=pad, m=mode: a.pad(p, mode=m).sin() * a.sum(),
                              lambda a, p=pad, m=mode: TF.pad(a, p, mode=m).sin() * a.sum(), [shape]))  # fmt: skip
    cases += [
        Case("constant_value", lambda a: a.pad((1, 2, 0, 1), value=0.5).exp(),
             lambda a: TF.pad(a, (1, 2, 0, 1), value=0.5).exp(), [(2, 3, 4)]),
        Case("constant_crop", lambda a: a.pad((-1, 2, 1, -2), value=-1.0).sin(),
             lambda a: TF.pad(a, (-1, 2, 1, -2), value=-1.0).sin(), [(2, 3, 4)]),
        Case("reflect_widest", lambda a: a.pad((3, 3), mode="reflect").cos(),
             lambda a: TF.pad(a, (3, 3), mode="reflect").cos(), [(2, 4)]),
        Case("circular_whole_axis", lambda a: a.pad((4, 4), mode="circular").cos(),
             lambda a: TF.pad(a, (4, 4), mode="circular").cos(), [(2, 4)]),
        Case("replicate_wider_than_axis", lambda a: a.pad((5, 6), mode="replicate").cos(),
             lambda a: TF.pad(a, (5, 6), mode="replicate").cos(), [(2, 2)]),
    ]  # fmt: skip
    return cases


CASES = _cases()


test_value_and_gradient_match_torch, test_forward_mode_matches_torch_jvp, test_second_derivative_matches_torch = (
    torch_tests(CASES)
)


def _ops(t: Tensor) -> list[Any]:
    """Every node of t's graph."""
    seen: dict[int, Any] = {}
    stack = [t.grad_fn]
    while stack:
        fn = stack.pop()
        if fn is None or id(fn) in seen:
            continue
        seen[id(fn)] = fn
        stack.extend(x.grad_fn for x in fn.inputs)
    return list(seen.values())


@pytest.mark.parametrize("mode", MODES)
def test_pad_is_sliced_not_scattered(mode: str) -> None:
    """Only basic slices: the backward writes G's pieces into place, no np.add.at per element."""
    x = Tensor(np.ones((2, 3, 4, 5)), requires_grad=True)
    nodes = _ops(x.pad((2, 1, 1, 2), mode=mode))
    assert nodes
    for fn in nodes:
        if isinstance(fn, (GetItem, ScatterAdd)):
            assert _is_basic(fn.index), (mode, fn.index)


def test_method_function_and_numpy_agree() -> None:
    a = np.random.default_rng(0).standard_normal((3, 4))
    t = Tensor(a)
    for mode, np_mode in [
        ("constant", "constant"),
        ("reflect", "reflect"),
        ("replicate", "edge"),
        ("circular", "wrap"),
    ]:
        expected = np.pad(a, ((1, 2), (2, 1)), mode=np_mode)
        np.testing.assert_array_equal(t.pad((2, 1, 1, 2), mode=mode).numpy(), expected)
        np.testing.assert_array_equal(F.pad(t, (2, 1, 1, 2), mode=mode).numpy(), expected)
        np.testing.assert_array_equal(np.pad(t, ((1, 2), (2, 1)), mode=np_mode).numpy(), expected)


def test_float32_stays_float32() -> None:
    t = Tensor(np.ones((2, 3), dtype=np.float32), requires_grad=True)
    for mode in MODES:
        out = t.pad((1, 1), mode=mode)
        assert out.dtype == np.float32
        out.sum().backward()
        assert t.grad is not None and t.grad.dtype == np.float32
        t.grad = None


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda t: t.pad((3, 3), mode="reflect"), ["reflect", "(3, 3)", "smaller than the axis size 3"]),
        (lambda t: t.pad((4, 0), mode="circular"), ["circular", "may not exceed the axis size 3"]),
        (lambda t: t.pad((1,)), ["pad", "even"]),
        (lambda t: t.pad((1, 1, 1, 1, 1, 1)), ["pad", "at most 2 * ndim = 4"]),
        (lambda t: t.pad((1, 1), mode="zeros"), ["pad", "'zeros'", "reflect"]),
        (lambda t: t.pad((1, 1), mode="reflect", value=2.0), ["reflect", "takes no value", "constant"]),
        (lambda t: t.pad((-1, 1), mode="replicate"), ["negative", "constant"]),
        (lambda t: t[:, :0].pad((1, 1), mode="replicate"), ["replicate", "no edge"]),
    ],
)
def test_errors_say_what_to_do(call: Any, words: list[str]) -> None:
    with pytest.raises(ValueError) as info:
        call(Tensor(np.ones((2, 3))))
    for w in words:
        assert w in str(info.value)
