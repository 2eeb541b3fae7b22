"""The ops beyond the core, each against PyTorch: value, gradient (a random upstream gradient),
forward mode (torch.func.jvp) and second derivative (the gradient of w . grad), in float64 on
random inputs, with broadcasting and every axis."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import Tensor
from tinygrad_edu.nn import functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

from torch_cases import Case, torch_tests  # noqa: E402 (needs torch)

IDX3 = np.array([[0, 2, 1, 2], [1, 1, 0, 0]])  # for gather along dim 1 of a (2, 3) / dim 0 of (3, 4)
SEL = np.array([2, 0, 2])


def _t(a: np.ndarray) -> Any:
    return torch.as_tensor(a)


def _cases() -> list[Case]:
    cases = [
        Case("rsqrt", lambda a: a.rsqrt(), lambda a: a.rsqrt(), [(3, 4)], 0.5, 2.0),
        Case("log2", lambda a: a.log2(), lambda a: a.log2(), [(3, 4)], 0.5, 2.0),
        Case("log1p", lambda a: a.log1p(), lambda a: a.log1p(), [(3, 4)], -0.5, 2.0),
        Case("expm1", lambda a: a.expm1(), lambda a: a.expm1(), [(3, 4)]),
        Case("tan", lambda a: a.tan(), lambda a: a.tan(), [(3, 4)], -1.2, 1.2),
        Case("erf", lambda a: a.erf(), lambda a: a.erf(), [(3, 4)]),
        Case("leaky_relu", lambda a: F.leaky_relu(a, 0.1), lambda a: TF.leaky_relu(a, 0.1), [(3, 4)]),
        Case("elu", lambda a: F.elu(a, 1.5), lambda a: TF.elu(a, 1.5), [(3, 4)]),
        Case("elu_large", lambda a: F.elu(a * 400.0), lambda a: TF.elu(a * 400.0), [(3, 4)]),
        Case("gelu", F.gelu, TF.gelu, [(3, 4)], -3.0, 3.0),
        Case(
            "gelu_tanh",
            lambda a: F.gelu(a, approximate="tanh"),
            lambda a: TF.gelu(a, approximate="tanh"),
            [(3, 4)],
            -3.0,
            3.0,
        ),  # fmt: skip
        Case("silu", F.silu, TF.silu, [(3, 4)], -4.0, 4.0),
        Case("softplus", F.softplus, TF.softplus, [(3, 4)], -4.0, 4.0),
        Case(
            "softplus_beta_threshold",
            lambda a: F.softplus(a * 10.0, beta=2.0, threshold=5.0),
            lambda a: TF.softplus(a * 10.0, beta=2.0, threshold=5.0),
            [(3, 4)],
        ),  # fmt: skip
        Case(
            "softplus_large",
            lambda a: F.softplus(a * 30.0, threshold=1e9),
            lambda a: TF.softplus(a * 30.0, threshold=1e9),
            [(3, 4)],
        ),  # fmt: skip
        Case("relu6", lambda a: F.relu6(a * 4.0), lambda a: TF.relu6(a * 4.0), [(3, 4)]),
        Case(
            "hardtanh", lambda a: F.hardtanh(a, -0.5, 1.0), lambda a: TF.hardtanh(a, -0.5, 1.0), [(3, 4)]
        ),  # fmt: skip
        Case("softsign", F.softsign, TF.softsign, [(3, 4)]),
        Case("mish", F.mish, TF.mish, [(3, 4)], -3.0, 3.0),
        Case("log_sigmoid", F.log_sigmoid, TF.logsigmoid, [(3, 4)], -30.0, 30.0),
        Case(
            "rounding",
            lambda a: a.sign() + a.floor() + a.ceil() + a.trunc() + a.round() + a * a,
            lambda a: a.sign() + a.floor() + a.ceil() + a.trunc() + a.round() + a * a,
            [(3, 4)],
            -3.0,
            3.0,
        ),
        Case("flatten_middle", lambda a: a.flatten(1, 2), lambda a: a.flatten(1, 2), [(2, 3, 4, 2)]),
        Case("flatten_tail", lambda a: a.flatten(-2), lambda a: a.flatten(-2), [(2, 3, 4)]),
        Case("flip_two_dims", lambda a: a.flip((0, 2)), lambda a: a.flip((0, 2)), [(2, 3, 4)]),
        Case("roll_flat", lambda a: a.roll(5), lambda a: a.roll(5), [(3, 4)]),
        Case("roll_two_dims", lambda a: a.roll((1, -2), (0, 1)), lambda a: a.roll((1, -2), (0, 1)), [(3, 4)]),
        Case("repeat", lambda a: a.repeat(2, 1, 3), lambda a: a.repeat(2, 1, 3), [(3, 2)]),
        Case("tile", lambda a: a.tile((2,)), lambda a: a.tile((2,)), [(3, 2)]),
        Case(
            "chunk",
            lambda a: tge.cat([c * float(i + 1) for i, c in enumerate(a.chunk(3, 1))], axis=1),
            lambda a: torch.cat([c * float(i + 1) for i, c in enumerate(a.chunk(3, 1))], dim=1),
            [(2, 7)],
        ),
        Case(
            "split_sizes",
            lambda a: a.split([1, 3], 0)[1] * a.split(2, 0)[0].sum(),
            lambda a: a.split([1, 3], 0)[1] * a.split(2, 0)[0].sum(),
            [(4, 3)],
        ),  # fmt: skip
        Case("tril", lambda a: a.tril(), lambda a: a.tril(), [(2, 4, 4)]),
        Case("triu_k", lambda a: a.triu(1), lambda a: a.triu(1), [(3, 5)]),
        Case("tril_neg_k", lambda a: a.tril(-1), lambda a: a.tril(-1), [(5, 3)]),
        Case("diag_vector", lambda a: tge.diag(a, 1), lambda a: torch.diag(a, 1), [(3,)]),
        Case("diag_matrix", lambda a: tge.diag(a, -1), lambda a: torch.diag(a, -1), [(4, 3)]),
        Case("trace", lambda a: a.trace(), lambda a: a.trace(), [(4, 4)]),
        Case("outer", tge.outer, torch.outer, [(3,), (4,)]),
        Case("gather_dim1", lambda a: a.gather(1, IDX3[:, :3]), lambda a: a.gather(1, _t(IDX3[:, :3])), [(2, 3)]),
        Case("gather_dim0", lambda a: a.gather(0, IDX3[:, :3]), lambda a: a.gather(0, _t(IDX3[:, :3])), [(3, 4)]),
        Case(
            "scatter_add",
            lambda a, s: a.scatter_add(1, IDX3, s),
            lambda a, s: a.scatter_add(1, _t(IDX3), s),
            [(2, 3), (2, 4)],
        ),  # fmt: skip
        Case("index_select", lambda a: a.index_select(0, SEL), lambda a: a.index_select(0, _t(SEL)), [(3, 2)]),
        Case("masked_fill", lambda a: a.masked_fill(a > 0.5, -1.0), lambda a: a.masked_fill(a > 0.5, -1.0), [(3, 4)]),
        Case(
            "cumprod_with_zero",
            lambda a: (a * Tensor([[1.0], [0.0], [1.0]])).cumprod(0),
            lambda a: (a * torch.tensor([[1.0], [0.0], [1.0]], dtype=torch.float64)).cumprod(0),
            [(3, 4)],
        ),
        Case("norm_2", lambda a: a.norm(), lambda a: a.norm(), [(3, 4)]),
        Case("norm_1_dim", lambda a: a.norm(1, dim=1), lambda a: a.norm(1, dim=1), [(3, 4)]),
        Case(
            "norm_inf_keep",
            lambda a: a.norm(float("inf"), dim=0, keepdim=True),
            lambda a: torch.linalg.vector_norm(a, float("inf"), dim=0, keepdim=True),
            [(3, 4)],
        ),
        Case("norm_fro", lambda a: a.norm("fro"), lambda a: a.norm("fro"), [(3, 4)]),
        Case(
            "einsum_matmul",
            lambda a, b: tge.einsum("ij,jk->ik", a, b),
            lambda a, b: torch.einsum("ij,jk->ik", a, b),
            [(2, 3), (3, 4)],
        ),  # fmt: skip
        Case(
            "einsum_three",
            lambda a, b, c: tge.einsum("bi,ij,bj->b", a, b, c),
            lambda a, b, c: torch.einsum("bi,ij,bj->b", a, b, c),
            [(5, 3), (3, 4), (5, 4)],
        ),  # fmt: skip
        Case(
            "einsum_sum_away",
            lambda a, b: tge.einsum("ijk,k->i", a, b),
            lambda a, b: torch.einsum("ijk,k->i", a, b),
            [(2, 3, 4), (4,)],
        ),  # fmt: skip
        Case("einsum_diagonal", lambda a: tge.einsum("ii->i", a), lambda a: torch.einsum("ii->i", a), [(3, 3)]),
        Case("einsum_trace", lambda a: tge.einsum("ii->", a), lambda a: torch.einsum("ii->", a), [(3, 3)]),
        Case(
            "einsum_transpose_outer",
            lambda a, b: tge.einsum("ij,k->kji", a, b),
            lambda a, b: torch.einsum("ij,k->kji", a, b),
            [(2, 3), (2,)],
        ),  # fmt: skip
    ]
    # every axis (negative ones too) of a 3-D input, and broadcasting where an op has two operands
    for d in (0, 1, 2, -1):
        cases.append(Case(f"cumsum_dim{d}", lambda a, d=d: a.cumsum(d), lambda a, d=d: a.cumsum(d), [(2, 3, 4)]))
        cases.append(Case(f"cumprod_dim{d}", lambda a, d=d: a.cumprod(d), lambda a, d=d: a.cumprod(d), [(2, 3, 4)],
                          0.5, 1.5))  # fmt: skip
        cases.append(Case(f"flip_dim{d}", lambda a, d=d: a.flip(d), lambda a, d=d: a.flip(d), [(2, 3, 4)]))
        cases.append(Case(f"roll_dim{d}", lambda a, d=d: a.roll(2, d), lambda a, d=d: a.roll(2, d), [(2, 3, 4)]))
        cases.append(Case(f"norm_dim{d}", lambda a, d=d: a.norm(dim=d), lambda a, d=d: a.norm(dim=d), [(2, 3, 4)]))
        cases.append(Case(f"index_select_dim{d}", lambda a, d=d: a.index_select(d, [1, 0, 1]),
                          lambda a, d=d: a.index_select(d, _t(np.array([1, 0, 1]))), [(2, 3, 4)]))  # fmt: skip
        cases.append(Case(f"chunk_dim{d}", lambda a, d=d: a.chunk(2, d)[-1], lambda a, d=d: a.chunk(2, d)[-1],
                          [(2, 3, 4)]))  # fmt: skip
    cases.append(Case("broadcast_outer_times", lambda a, b: (a * b).cumsum(1).tril(),
                      lambda a, b: (a * b).cumsum(1).tril(), [(3, 1), (4,)]))  # fmt: skip
    cases.append(Case("broadcast_einsum_then_add", lambda a, b: tge.einsum("ij,j->i", a, b) + b[:2].sum(),
                      lambda a, b: torch.einsum("ij,j->i", a, b) + b[:2].sum(), [(2, 3), (3,)]))  # fmt: skip
    return cases


CASES = _cases()


test_value_and_gradient_match_torch, test_forward_mode_matches_torch_jvp, test_second_derivative_matches_torch = (
    torch_tests(CASES)
)


def test_like_factories_take_shape_and_dtype() -> None:
    t = Tensor(np.ones((2, 3), dtype=np.float32))
    for made, value in [(tge.zeros_like(t), 0.0), (tge.ones_like(t), 1.0), (tge.full_like(t, 2.5), 2.5)]:
        assert made.shape == (2, 3) and made.dtype == np.float32 and not made.requires_grad
        assert np.all(made.data == value)
    r, n = tge.rand_like(t, seed=0), tge.randn_like(t, dtype=np.float64, seed=0, requires_grad=True)
    assert r.dtype == np.float32 and np.all((r.data >= 0) & (r.data < 1))
    assert n.dtype == np.float64 and n.requires_grad
    np.testing.assert_array_equal(tge.randn_like(t, seed=1).data, tge.randn_like(t, seed=1).data)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_argmax_argmin_keepdim_match_torch(dim: int) -> None:
    a = np.random.default_rng(0).standard_normal((3, 4))
    for name in ("argmax", "argmin"):
        ours = getattr(Tensor(a), name)(dim=dim, keepdim=True)
        theirs = getattr(torch.tensor(a), name)(dim=dim, keepdim=True)
        np.testing.assert_array_equal(ours.data, theirs.numpy())
        assert getattr(Tensor(a), name)(dim).shape == getattr(torch.tensor(a), name)(dim).shape


def test_numpy_functions_reach_the_new_ops() -> None:
    a = np.random.default_rng(0).uniform(0.5, 1.5, (3, 3))
    t = Tensor(a, requires_grad=True)
    pairs = [
        (np.log1p(t), np.log1p(a)), (np.expm1(t), np.expm1(a)), (np.tan(t), np.tan(a)), (np.log2(t), np.log2(a)),
        (np.floor(t * 3.0), np.floor(a * 3.0)), (np.round(t * 3.0), np.round(a * 3.0)),
        (np.sign(t - 1.0), np.sign(a - 1.0)),
        (np.cumsum(t, axis=1), np.cumsum(a, axis=1)), (np.cumprod(t), np.cumprod(a)), (np.flip(t, 0), np.flip(a, 0)),
        (np.roll(t, 1, 1), np.roll(a, 1, 1)), (np.tile(t, (2, 1)), np.tile(a, (2, 1))), (np.tril(t), np.tril(a)),
        (np.triu(t, 1), np.triu(a, 1)), (np.diag(t), np.diag(a)), (np.trace(t), np.trace(a)),
        (np.outer(t[0], t[1]), np.outer(a[0], a[1])), (np.einsum("ij,jk->ik", t, a), np.einsum("ij,jk->ik", a, a)),
        (np.linalg.norm(t), np.linalg.norm(a)), (np.linalg.norm(t, 1, axis=0), np.linalg.norm(a, 1, axis=0)),
        (np.pad(t, ((1, 0), (2, 1))), np.pad(a, ((1, 0), (2, 1)))),
        (np.pad(t, 1, mode="reflect"), np.pad(a, 1, mode="reflect")), (np.zeros_like(t), np.zeros_like(a)),
    ]  # fmt: skip
    for ours, expected in pairs:
        assert isinstance(ours, Tensor)
        np.testing.assert_allclose(ours.data, expected, rtol=1e-12)


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda t: t.flip(3), ValueError, ["flip", "dim 3", "(2, 3)"]),
        (lambda t: t.gather(1, np.array([0, 1])), ValueError, ["gather", "axes"]),
        (lambda t: t.gather(1, np.array([[0.5]])), TypeError, ["gather", "integers"]),
        (lambda t: t.masked_fill(t.data, 0.0), TypeError, ["masked_fill", "bool"]),
        (lambda t: t.split([1, 1], 1), ValueError, ["split", "sum to 2"]),
        (lambda t: t.repeat(2), ValueError, ["repeat", "at least one per axis"]),
        (lambda t: tge.einsum("ij,jk", t, t), ValueError, ["einsum", "->"]),
        (lambda t: tge.einsum("ij,jk->ik", t, t), ValueError, ["einsum", "'j'", "size 3"]),
        (lambda t: tge.einsum("i->i", t), ValueError, ["einsum", "operand 0", "(2, 3)"]),
        (lambda t: t.norm(3), ValueError, ["norm", "p must be"]),
        (lambda t: t.tril().diag().diag().trace().tril(), ValueError, ["tril", "matrix"]),
        (lambda t: F.gelu(t, approximate="fast"), ValueError, ["gelu", "'tanh'"]),
    ],
)
def test_errors_name_the_op_and_the_shapes(call: Any, error: type, words: list[str]) -> None:
    with pytest.raises(error) as info:
        call(Tensor(np.ones((2, 3))))
    for w in words:
        assert w in str(info.value)


def test_rounding_and_norm_at_zero_have_zero_gradients() -> None:
    t = Tensor([0.0, 0.0], requires_grad=True)
    (t.round() + t.floor()).sum().backward()
    np.testing.assert_array_equal(t.grad.data, [0.0, 0.0])  # type: ignore[union-attr]
    t.grad = None
    t.norm().backward()
    np.testing.assert_array_equal(t.grad.data, [0.0, 0.0])  # type: ignore[union-attr]
