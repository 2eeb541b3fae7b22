"""The harness that checks an op against PyTorch: a `Case` names the op on Tensors and on
torch tensors and the shapes of its inputs; `check_value_and_gradient`, `check_jvp` and
`check_second_derivative` compare value, gradient (random upstream gradient), forward mode
and second derivative (the gradient of w . grad), in float64 on random inputs. Test files
hold tables of cases and parametrize these checks over them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import torch

import tinygrad_edu as tge
from tinygrad_edu import Tensor


@dataclass
class Case:
    name: str
    fn: Callable[..., Any]  # on Tensors
    torch_fn: Callable[..., Any]  # the same on torch tensors
    shapes: list[tuple[int, ...]]
    low: float = -2.0  # inputs drawn uniformly from [low, high)
    high: float = 2.0
    second: bool = True  # compare second derivatives too


def _t(a: np.ndarray) -> Any:
    return torch.as_tensor(a)


def _inputs(case: Case, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.uniform(case.low, case.high, s) for s in case.shapes]


def _torch_out(case: Case, arrays: list[np.ndarray], grad: bool = True) -> tuple[Any, list[Any]]:
    tt = [torch.tensor(a, requires_grad=grad) for a in arrays]
    return case.torch_fn(*tt), tt


def check_value_and_gradient(case: Case) -> None:
    """Value and the gradient for a random upstream gradient, against PyTorch."""
    arrays = _inputs(case)
    ts = [Tensor(a, requires_grad=True) for a in arrays]
    out = case.fn(*ts)
    tout, tt = _torch_out(case, arrays)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-12, atol=1e-12)
    v = np.random.default_rng(1).standard_normal(out.shape)
    out.backward(Tensor(v))
    tout.backward(torch.tensor(v))
    for t, x in zip(ts, tt):
        expected = np.zeros(t.shape) if x.grad is None else x.grad.numpy()
        ours = np.zeros(t.shape) if t.grad is None else t.grad.data  # an input the result does not use
        np.testing.assert_allclose(ours, expected, rtol=1e-10, atol=1e-12)


def check_jvp(case: Case) -> None:
    """Forward mode against torch.func.jvp, with random tangents."""
    arrays = _inputs(case)
    rng = np.random.default_rng(2)
    us = [rng.standard_normal(a.shape) for a in arrays]
    _, tangent = tge.jvp(case.fn, [Tensor(a) for a in arrays], [Tensor(u) for u in us])
    _, expected = torch.func.jvp(case.torch_fn, tuple(_t(a) for a in arrays), tuple(_t(u) for u in us))
    np.testing.assert_allclose(tangent.data, expected.numpy(), rtol=1e-10, atol=1e-12)


def check_second_derivative(case: Case) -> None:
    """d/dx of sum(w * d/dx (v . f(x))): backward through the backward pass."""
    arrays = _inputs(case)
    rng = np.random.default_rng(3)
    v = None
    results = []
    for lib in ("tge", "torch"):
        if lib == "tge":
            xs = [Tensor(a, requires_grad=True) for a in arrays]
            out = case.fn(*xs)
            v = rng.standard_normal(out.shape) if v is None else v
            ws = [np.random.default_rng(4 + i).standard_normal(a.shape) for i, a in enumerate(arrays)]
            gs = tge.autograd.grad(out, xs, Tensor(v), create_graph=True, allow_unused=True)
            total = sum(((g * Tensor(w)).sum() for g, w in zip(gs, ws) if g is not None), Tensor(0.0))
            if not total.requires_grad:
                results.append([np.zeros(a.shape) for a in arrays])
                continue
            second = tge.autograd.grad(total, xs, allow_unused=True)
            results.append([np.zeros(a.shape) if s is None else s.data for s, a in zip(second, arrays)])
        else:
            tout, tt = _torch_out(case, arrays)
            gs = torch.autograd.grad(tout, tt, torch.tensor(v), create_graph=True, allow_unused=True)
            total = sum((g * _t(w)).sum() for g, w in zip(gs, ws) if g is not None)
            if not isinstance(total, torch.Tensor) or not total.requires_grad:
                results.append([np.zeros(a.shape) for a in arrays])
                continue
            second = torch.autograd.grad(total, tt, allow_unused=True)
            results.append([np.zeros(a.shape) if s is None else s.numpy(force=True) for s, a in zip(second, arrays)])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-10)


def torch_tests(cases: list[Case]) -> tuple[Callable[[Case], None], ...]:
    """The three checks parametrized over `cases` (the second derivative over those with
    `second`), for a test module to bind to its own test_ names."""
    ids = [c.name for c in cases]

    @pytest.mark.parametrize("case", cases, ids=ids)
    def test_value_and_gradient_match_torch(case: Case) -> None:
        check_value_and_gradient(case)

    @pytest.mark.parametrize("case", cases, ids=ids)
    def test_forward_mode_matches_torch_jvp(case: Case) -> None:
        check_jvp(case)

    seconds = [c for c in cases if c.second]

    @pytest.mark.parametrize("case", seconds, ids=[c.name for c in seconds])
    def test_second_derivative_matches_torch(case: Case) -> None:
        check_second_derivative(case)

    return (
        test_value_and_gradient_match_torch,
        test_forward_mode_matches_torch_jvp,
        test_second_derivative_matches_torch,
    )
