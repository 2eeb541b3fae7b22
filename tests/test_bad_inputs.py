"""A catalogue of bad inputs across the public API, one row each.

Every row names the exception type it expects and two patterns its message must match: what
is wrong, and what to do about it. Each row also checks that the failed call changed
nothing: the tensors (data and grad), module parameters, optimizer state and files that the
row set up are compared before and after.

A row marked xfail(strict=True) is a known gap in the library's message or checks; its
reason says what the message should say. When the library is fixed the row passes, strict
xfail turns that into a failure, and the mark is removed.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import Tensor, cli, nn, optim, viz
from tinygrad_edu.nn import functional as F
from tinygrad_edu.serialization import CheckpointError

Objects = dict[str, Any]


@dataclass
class Case:
    id: str
    setup: Callable[[Path], Objects]  # builds what the call works on (given a fresh folder)
    call: Callable[[Objects], Any]  # the bad call
    exc: type[BaseException]
    what: str  # regex: the message says what is wrong...
    fix: str  # ...and what to do
    xfail: str | None = None  # the library's gap, when the row documents one
    xfail_raises: type[BaseException] = AssertionError  # how the gap shows today


# ---------------------------------------------------------------- set-ups
def nothing(tmp: Path) -> Objects:
    return {}


def leaf(tmp: Path) -> Objects:
    """A parameter that already has a gradient: a failed call must leave both alone."""
    w = Tensor([1.0, 2.0], requires_grad=True, name="w")
    (w * w).sum().backward()
    return {"w": w}


def live_graph(tmp: Path) -> Objects:
    objs = leaf(tmp)
    objs["y"] = objs["w"] * 3.0  # shape (2,), not a scalar
    return objs


def freed_graph(tmp: Path) -> Objects:
    objs = leaf(tmp)
    loss = (objs["w"] * objs["w"]).sum()
    loss.backward()  # frees the graph
    objs["loss"] = loss
    return objs


def rebound(tmp: Path) -> Objects:
    objs = leaf(tmp)
    objs["loss"] = (objs["w"] * objs["w"]).sum()
    objs["w"].data = objs["w"].data - 0.1  # new data between forward and backward
    return objs


def nan_graph(tmp: Path) -> Objects:
    objs = leaf(tmp)
    with tge.detect_anomaly():
        objs["loss"] = (objs["w"] - 1.0).sqrt().sum()  # sqrt'(0) is infinite
    return objs


@tge.detect_anomaly()
def backward_checked(o: Objects) -> None:
    o["loss"].backward()


def linear(tmp: Path) -> Objects:
    lin = nn.Linear(2, 3, seed=0)
    lin(Tensor([[1.0, 2.0]])).sum().backward()
    return {"lin": lin}


def mlp(tmp: Path) -> Objects:
    return {"mlp": nn.MLP([2, 4, 1], seed=0)}


def trained_sgd(tmp: Path) -> Objects:
    """An optimizer with state (a momentum buffer) after one step."""
    w = Tensor([1.0, -1.0], requires_grad=True, name="w")
    opt = optim.SGD([w], lr=0.1, momentum=0.9)
    ((w - 3.0) ** 2).sum().backward()
    opt.step()
    return {"w": w, "opt": opt}


def checkpoint(tmp: Path) -> Objects:
    """A folder with a good checkpoint, a junk file, a foreign .npz, a truncated copy and one
    from a future format version."""
    good = tmp / "good.npz"
    tge.save({"w": Tensor([1.0, 2.0]), "step": 3}, good)
    (tmp / "junk.npz").write_bytes(b"this is not a checkpoint")
    np.savez(tmp / "foreign.npz", weights=np.ones(3))
    raw = good.read_bytes()
    (tmp / "truncated.npz").write_bytes(raw[: len(raw) // 2])
    with np.load(good) as npz:
        members = {k: npz[k] for k in npz.files}
    meta = json.loads(members["__tinygrad_edu__"].tobytes().decode())
    meta["version"] = 99
    members["__tinygrad_edu__"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(tmp / "future.npz", **members)
    return {"folder": tmp, "good": good}


def graph_to_draw(tmp: Path) -> Objects:
    objs = leaf(tmp)
    objs["loss"] = (objs["w"] * objs["w"]).sum()
    return objs


@contextlib.contextmanager
def without_dot() -> Iterator[None]:
    with mock.patch.dict(os.environ, {"PATH": ""}):
        yield


def render_without_dot(o: Objects) -> Any:
    g = viz.draw_graph(o["loss"])
    with without_dot():
        return g.pipe(format="svg")


def file_missing(tmp: Path) -> Objects:
    return {"folder": tmp}


def cli_out(tmp: Path) -> Objects:
    return {"folder": tmp, "out": tmp / "report"}


def load(name: str) -> Callable[[Objects], Any]:
    return lambda o: tge.load(o["folder"] / name)


def path_of(name: str) -> str:
    return rf"{name}'?"  # the message names the file


WRONG_SHAPES = {"weight": np.zeros((2, 3)), "bias": np.zeros(3)}

# ---------------------------------------------------------------- the catalogue
CASES = [
    # -- tensors
    Case("tensor_from_string", nothing, lambda o: Tensor("abc"),
         TypeError, r"cannot make a tensor from str", r"pass a number, a nested list"),
    Case("tensor_from_object", nothing, lambda o: Tensor(object()),
         TypeError, r"cannot make a tensor from object", r"pass a number, a nested list"),
    Case("tensor_from_string_array", nothing, lambda o: Tensor(np.array(["a", "b"])),
         TypeError, r"unsupported element type", r"tensors hold bool, integer or floating-point"),
    Case("ragged_list", nothing, lambda o: Tensor([[1.0, 2.0], [3.0]]),
         ValueError, r"ragged", r"same length"),
    Case("requires_grad_on_ints", nothing, lambda o: Tensor([1, 2], dtype=np.int64, requires_grad=True),
         TypeError, r"only floating-point tensors can require gradients.*int64", r"dtype=np.float64"),
    Case("requires_grad_on_int_array", nothing, lambda o: Tensor(np.arange(3), requires_grad=True),
         TypeError, r"only floating-point tensors can require gradients", r"dtype=np.float64"),
    Case("requires_grad_()_on_bools", nothing, lambda o: Tensor(np.array([True])).requires_grad_(),
         TypeError, r"only floating-point tensors can require gradients.*bool", r"dtype=np.float64"),
    Case("negative_size_factory", nothing, lambda o: Tensor.zeros(2, -1),
         ValueError, r"zeros.*\(2, -1\)", r"non-negative"),
    Case("broadcast_mismatch", leaf, lambda o: o["w"] + Tensor([1.0, 2.0, 3.0]),
         ValueError, r"Add.*shapes \(2,\) of 'w', \(3,\)", r"reshape|unsqueeze|size 1"),
    Case("matmul_misaligned", leaf, lambda o: Tensor.ones(3, 4) @ Tensor.ones(3, 4),
         ValueError, r"matmul: shapes \(3, 4\) and \(3, 4\) do not align", r"Transpose an operand"),
    Case("matmul_of_a_scalar", leaf, lambda o: Tensor(2.0) @ o["w"],
         ValueError, r"matmul: both operands need at least one dimension", r"use \* to multiply by a scalar"),
    Case("sum_axis_out_of_range", leaf, lambda o: o["w"].sum(axis=3),
         ValueError, r"sum: axis 3 is out of range for a tensor of shape \(2,\)", r"valid: -1 to 0"),
    Case("softmax_axis_out_of_range", leaf, lambda o: Tensor.ones(2, 3).softmax(axis=-3),
         ValueError, r"axis -3 is out of range .*\(2, 3\)", r"valid: -2 to 1"),
    Case("index_out_of_range", leaf, lambda o: o["w"][5],
         IndexError, r"GetItem.*index 5 is out of bounds", r"axis 0 with size 2"),
    Case("float_index", leaf, lambda o: o["w"][np.array([0.5])],
         IndexError, r"GetItem", r"must be of integer \(or boolean\) type"),
    Case("reshape_wrong_size", leaf, lambda o: o["w"].reshape(3),
         ValueError, r"Reshape.*cannot reshape array of size 2", r"size 2 into shape \(3,\)"),
    Case("transpose_not_a_permutation", leaf, lambda o: o["w"].transpose(0, 1),
         ValueError, r"transpose: axes \(0, 1\)", r"not a permutation of the 1 axes"),
    Case("squeeze_a_long_axis", leaf, lambda o: o["w"].squeeze(0),
         ValueError, r"squeeze: axis 0 of shape \(2,\) has size 2", r"not 1"),
    Case("cat_nothing", nothing, lambda o: tge.cat([]),
         ValueError, r"cat", r"expected a non-empty list of tensors"),
    Case("stack_different_shapes", leaf, lambda o: tge.stack([o["w"], Tensor.ones(3)]),
         ValueError, r"stack", r"all tensors need the same shape, got \[\(2,\), \(3,\)\]"),
    Case("item_of_a_vector", leaf, lambda o: o["w"].item(),
         ValueError, r"only one-element tensors .* shape \(2,\)", r"Index it or reduce it first"),
    Case("truth_value_of_a_vector", leaf, lambda o: bool(o["w"] > 0),
         ValueError, r"truth value of a tensor of shape \(2,\) is ambiguous", r"\.all\(\) or .*\.any\(\)"),
    # -- autograd
    Case("backward_on_a_vector", live_graph, lambda o: o["y"].backward(),
         RuntimeError, r"only for one-element outputs.*shape \(2,\)", r"Reduce it first|pass gradient="),
    Case("backward_gradient_wrong_shape", live_graph, lambda o: o["y"].backward(Tensor([1.0, 2.0, 3.0])),
         ValueError, r"gradient has shape \(3,\) but the tensor has shape \(2,\)", r"pass a gradient of the same"),
    Case("backward_without_grad", nothing, lambda o: Tensor([1.0]).sum().backward(),
         RuntimeError, r"does not require grad", r"requires_grad=True"),
    Case("backward_twice_through_a_freed_graph", freed_graph, lambda o: o["loss"].backward(),
         RuntimeError, r"backward through the graph a second time", r"retain_graph=True"),
    Case("backward_after_rebinding_data", rebound, lambda o: o["loss"].backward(),
         RuntimeError, r"'w' was given new data", r"Run the forward pass again"),
    Case("backward_with_a_nan_under_detect_anomaly", nan_graph, backward_checked,
         RuntimeError, r"SqrtBackward returned a NaN or infinite gradient", r"Check the inputs of this op"),
    Case("autograd_grad_unused_input", leaf,
         lambda o: tge.autograd.grad((o["w"] * 2.0).sum(), [o["w"], Tensor([1.0], requires_grad=True)]),
         RuntimeError, r"input 1 .* was not used", r"allow_unused=True"),
    Case("autograd_grad_input_without_grad", leaf, lambda o: tge.autograd.grad((o["w"] * 2).sum(), Tensor([1.0])),
         RuntimeError, r"input 0 .* does not require grad", r"requires_grad=True"),
    Case("autograd_grad_vector_output", leaf, lambda o: tge.autograd.grad(o["w"] * 2.0, o["w"]),
         RuntimeError, r"output 0 has shape \(2,\)", r"Pass grad_outputs"),
    Case("autograd_grad_count_mismatch", leaf,
         lambda o: tge.autograd.grad([o["w"] * 2.0], o["w"], grad_outputs=[Tensor([1.0, 1.0]), Tensor([1.0])]),
         ValueError, r"got 1 outputs but 2 grad_outputs", r"1 outputs"),
    Case("requires_grad_()_on_a_non_leaf", live_graph, lambda o: o["y"].requires_grad_(False),
         RuntimeError, r"only leaf tensors can change requires_grad", r"\.detach\(\)\.requires_grad_\(\)"),
    # -- derivatives as functions
    Case("grad_of_a_vector_function", leaf, lambda o: tge.grad(lambda x: x * 2.0)(o["w"]),
         ValueError, r"grad: f must return a scalar .* shape \(2,\)", r"\.sum\(\)|tge\.jacobian"),
    Case("grad_of_a_function_returning_a_float", leaf, lambda o: tge.grad(lambda x: 3.0)(o["w"]),
         TypeError, r"grad: f must return a Tensor, got float", r"must return a Tensor"),
    Case("hvp_of_a_vector_function", leaf, lambda o: tge.hvp(lambda x: x * x, o["w"], Tensor([1.0, 0.0])),
         ValueError, r"hvp: f must return a scalar", r"\.sum\(\)"),
    Case("jvp_tangent_shape_mismatch", leaf, lambda o: tge.jvp(lambda x: x * 2.0, (o["w"],), (Tensor([1.0]),)),
         ValueError, r"tangent 0 has shape \(1,\) but its primal has shape \(2,\)", r"needs the same shape"),
    Case("jvp_tangent_count_mismatch", leaf, lambda o: tge.jvp(lambda x: x, (o["w"],), (o["w"], o["w"])),
         ValueError, r"1 primals but 2 tangents", r"one tangent per primal"),
    Case("jvp_of_integers", nothing, lambda o: tge.jvp(lambda x: x, (Tensor(np.arange(2)),), (Tensor(np.ones(2)),)),
         TypeError, r"primal 0 has dtype int64", r"needs floating tensors"),
    Case("gradcheck_without_grad", nothing, lambda o: tge.gradcheck(lambda x: x.sum(), Tensor([1.0])),
         ValueError, r"no input requires grad", r"requires_grad=True"),
    # -- nn
    Case("linear_zero_features", nothing, lambda o: nn.Linear(0, 3),
         ValueError, r"Linear: in_features", r"must be at least 1, got 0"),
    Case("linear_float_features", nothing, lambda o: nn.Linear(2.5, 3),
         TypeError, r"Linear: in_features", r"must be an int, got 2.5"),
    Case("linear_bias_not_bool", nothing, lambda o: nn.Linear(2, 3, bias="yes"),
         TypeError, r"Linear: bias", r"must be True or False, got 'yes'"),
    Case("linear_input_of_wrong_width", linear, lambda o: o["lin"](Tensor([[1.0, 2.0, 3.0]])),
         ValueError, r"got shape \(1, 3\)", r"last dimension is 2"),
    Case("mlp_unknown_activation", nothing, lambda o: nn.MLP([2, 3], activation="gelu"),
         ValueError, r"got 'gelu'", r"one of \['relu', 'sigmoid', 'tanh'\] or a Module class"),
    Case("mlp_activation_instance", nothing, lambda o: nn.MLP([2, 3], activation=nn.Tanh()),
         TypeError, r"got Tanh\(\)", r"the class, not an instance"),
    Case("mlp_one_size", nothing, lambda o: nn.MLP([2]),
         ValueError, r"got \[2\]", r"needs an input and an output size"),
    Case("sequential_of_a_class", nothing, lambda o: nn.Sequential(nn.ReLU),
         TypeError, r"layer 0 must be a Module", r"forget the parentheses"),
    Case("load_state_dict_missing_key", linear, lambda o: o["lin"].load_state_dict({"weight": np.zeros((3, 2))}),
         RuntimeError, r"Missing key\(s\).*bias", r"loading state_dict for Linear"),
    Case("load_state_dict_unexpected_key", linear,
         lambda o: o["lin"].load_state_dict({**o["lin"].state_dict(), "extra": np.zeros(1)}),
         RuntimeError, r"Unexpected key\(s\).*extra", r"loading state_dict for Linear"),
    Case("load_state_dict_wrong_shape", linear, lambda o: o["lin"].load_state_dict(WRONG_SHAPES),
         RuntimeError, r"size mismatch for weight.*\(2, 3\)", r"current model is \(3, 2\)"),
    Case("load_state_dict_not_a_mapping", linear, lambda o: o["lin"].load_state_dict([1, 2]),
         TypeError, r"got list", r"expects a mapping name -> array"),
    # -- losses
    Case("mse_shape_mismatch", leaf, lambda o: F.mse_loss(o["w"], Tensor([1.0, 2.0, 3.0])),
         ValueError, r"pred has shape \(2,\) but target has shape \(3,\)", r"Reshape one of them"),
    Case("mse_bad_reduction", leaf, lambda o: F.mse_loss(o["w"], Tensor([1.0, 2.0]), reduction="avg"),
         ValueError, r"got 'avg'", r"reduction must be one of \('mean', 'sum', 'none'\)"),
    Case("cross_entropy_class_out_of_range", nothing, lambda o: F.cross_entropy(Tensor([[1.0, 2.0]]), [5]),
         ValueError, r"got values from 5 to 5", r"must lie in \[0, 1\] for logits with 2 classes"),
    Case("cross_entropy_fractional_targets", nothing, lambda o: F.cross_entropy(Tensor([[1.0, 2.0]]), [0.5]),
         ValueError, r"non-integer values", r"must be integer class indices"),
    Case("cross_entropy_targets_wrong_length", nothing, lambda o: F.cross_entropy(Tensor([[1.0, 2.0]]), [0, 1]),
         ValueError, r"got shape \(2,\)", r"one class index per row of logits"),
    Case("cross_entropy_1d_logits", nothing, lambda o: F.cross_entropy(Tensor([1.0, 2.0]), [0]),
         ValueError, r"logits must have shape \(N, C\), got shape \(2,\)", r"reshape\(1, -1\)"),
    Case("hinge_with_0_1_labels", nothing, lambda o: F.hinge_loss(Tensor([1.0, 2.0]), Tensor([0.0, 1.0])),
         ValueError, r"targets must be -1 or \+1", r"convert 0/1 labels with 2 \* y - 1"),
    Case("bce_shape_mismatch", nothing,
         lambda o: F.binary_cross_entropy_with_logits(Tensor([1.0, 2.0]), Tensor([0.0, 1.0, 1.0])),
         ValueError, r"logits has shape \(2,\) but targets has shape \(3,\)", r"Reshape one of them"),
    Case("l2_penalty_of_numbers", nothing, lambda o: F.l2_penalty([1.0]),
         TypeError, r"got float", r"every parameter must be a Tensor"),
    # -- optim
    Case("sgd_negative_lr", leaf, lambda o: optim.SGD([o["w"]], lr=-1.0),
         ValueError, r"Invalid learning rate: -1", r"must be >= 0|non-negative"),
    Case("adam_negative_eps", leaf, lambda o: optim.Adam([o["w"]], eps=-1e-8),
         ValueError, r"Invalid epsilon value: -1e-08", r"must be >= 0|non-negative"),
    Case("adam_beta_of_one", leaf, lambda o: optim.Adam([o["w"]], betas=(0.9, 1.0)),
         ValueError, r"Invalid beta parameter at index 1: 1.0", r"\[0, 1\)"),
    Case("adam_betas_not_a_pair", leaf, lambda o: optim.Adam([o["w"]], betas=0.9),
         TypeError, r"got 0.9", r"betas must be a pair \(beta1, beta2\)"),
    Case("sgd_lr_as_string", leaf, lambda o: optim.SGD([o["w"]], lr="0.1"),
         TypeError, r"got str: '0.1'", r"lr must be a real number"),
    Case("nesterov_without_momentum", leaf, lambda o: optim.SGD([o["w"]], lr=0.1, nesterov=True),
         ValueError, r"got momentum=0", r"requires a momentum and zero dampening"),
    Case("empty_parameter_list", nothing, lambda o: optim.SGD([], lr=0.1),
         ValueError, r"empty parameter list", r"model\.parameters\(\)|non-empty|at least one"),
    Case("single_tensor_instead_of_a_list", leaf, lambda o: optim.SGD(o["w"], lr=0.1),
         TypeError, r"got a single Tensor", r"wrap it in a list: \[param\]"),
    Case("non_tensor_parameter", nothing, lambda o: optim.SGD([np.ones(2)], lr=0.1),
         TypeError, r"parameter 0 of the group is a ndarray", r"can only optimize Tensors"),
    Case("backtracking_without_closure", trained_sgd, lambda o: optim.BacktrackingLineSearch([o["w"]]).step(),
         TypeError, r"step needs a closure", r"zeroes the gradients, computes the loss, calls loss.backward\(\)"),
    Case("exact_line_search_without_closure", trained_sgd, lambda o: optim.ExactLineSearch([o["w"]]).step(),
         TypeError, r"step needs a closure", r"returns the loss"),
    Case("backtracking_shrink_above_one", leaf, lambda o: optim.BacktrackingLineSearch([o["w"]], shrink=1.5),
         ValueError, r"Invalid shrink value: 1.5", r"must lie in \(0, 1\)"),
    Case("optimizer_load_state_dict_wrong_keys", trained_sgd, lambda o: o["opt"].load_state_dict({"state": {}}),
         ValueError, r"optimizer state dict", r"exactly the keys 'state' and 'param_groups'"),
    Case("optimizer_load_state_dict_wrong_sizes", trained_sgd,
         lambda o: o["opt"].load_state_dict({"state": {}, "param_groups": [{"params": [0, 1], "lr": 0.1}]}),
         ValueError, r"parameter group 0 has 2 parameters", r"optimizer's has 1"),
    Case("minimize_negative_steps", trained_sgd,
         lambda o: optim.minimize(lambda: (o["w"] ** 2).sum(), o["opt"], steps=-1),
         ValueError, r"got -1", r"steps must be a non-negative integer"),
    # -- viz
    Case("draw_graph_of_a_number", nothing, lambda o: viz.draw_graph(3.0),
         TypeError, r"draw_graph.*float", r"Tensor"),
    Case("backward_steps_of_a_vector", live_graph, lambda o: viz.backward_steps(o["y"]),
         ValueError, r"the output has shape \(2,\)", r"pass gradient="),
    Case("backward_steps_after_backward", freed_graph, lambda o: viz.backward_steps(o["loss"]),
         RuntimeError, r"was freed by an earlier backward\(\)", r"call backward_steps before backward"),
    Case("render_without_dot", graph_to_draw, render_without_dot,
         viz.DotNotFoundError, r"`dot` was not found", r"apt-get install graphviz"),
    # -- save and load
    Case("load_missing_file", file_missing, load("missing.npz"),
         FileNotFoundError, r"No such file", path_of("missing.npz")),
    Case("load_junk_file", checkpoint, load("junk.npz"),
         CheckpointError, r"not a tinygrad_edu checkpoint", path_of("junk.npz")),
    Case("load_foreign_npz", checkpoint, load("foreign.npz"),
         CheckpointError, r"foreign.npz'.*not a tinygrad_edu checkpoint", r"written by tinygrad_edu.save"),
    Case("load_truncated_file", checkpoint, load("truncated.npz"),
         CheckpointError, r"truncated or corrupted", path_of("truncated.npz")),
    Case("load_future_version", checkpoint, load("future.npz"),
         CheckpointError, r"format version 99", r"upgrade tinygrad_edu"),
    Case("save_unsupported_object_over_a_good_file", checkpoint, lambda o: tge.save({"f": print}, o["good"]),
         TypeError, r"obj\['f'\] is a builtin_function_or_method", r"supported are Tensors, arrays, numbers"),
    Case("save_into_a_missing_folder", file_missing, lambda o: tge.save(1, o["folder"] / "nope" / "x.npz"),
         FileNotFoundError, r"folder .*nope' does not exist", r"cannot write"),
    # -- the command line
    Case("cli_unknown_option", cli_out, lambda o: cli.main(["demo", "--out", str(o["out"]), "--bogus"]),
         SystemExit, r"unrecognized arguments: --bogus", r"usage: tinygrad-edu"),
    Case("cli_unknown_command", cli_out, lambda o: cli.main(["train"]),
         SystemExit, r"invalid choice: 'train'", r"choose from .*demo"),
    Case("cli_no_command", cli_out, lambda o: cli.main([]),
         SystemExit, r"required", r"usage: tinygrad-edu"),
]  # fmt: skip


# ---------------------------------------------------------------- before/after snapshots
def snapshot(value: Any) -> Any:
    """A deep, comparable copy of everything a failed call could have changed."""
    if isinstance(value, Tensor):
        grad = None if value._grad is None else value._grad.data.copy()  # no non-leaf warning
        return ("tensor", value.data.copy(), value.requires_grad, grad)
    if isinstance(value, nn.Module):
        return ("module", {k: snapshot(p) for k, p in value.named_parameters()})
    if isinstance(value, optim.Optimizer):
        params = [snapshot(p) for g in value.param_groups for p in g["params"]]
        return ("optimizer", value.state_dict(), params)
    if isinstance(value, Path):
        if value.is_dir():
            return ("folder", {p.name: p.read_bytes() for p in sorted(value.iterdir()) if p.is_file()})
        return ("file", value.read_bytes() if value.exists() else None)
    if isinstance(value, dict):
        return {k: snapshot(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(snapshot(v) for v in value)
    if isinstance(value, np.ndarray):
        return value.copy()
    return value


def assert_same(before: Any, after: Any, where: str) -> None:
    assert type(before) is type(after), where
    if isinstance(before, np.ndarray):
        assert before.dtype == after.dtype and before.shape == after.shape, where
        assert np.array_equal(before, after, equal_nan=before.dtype.kind == "f"), where
    elif isinstance(before, dict):
        assert list(before) == list(after), where
        for k in before:
            assert_same(before[k], after[k], f"{where}[{k!r}]")
    elif isinstance(before, (list, tuple)):
        assert len(before) == len(after), where
        for i, (b, a) in enumerate(zip(before, after)):
            assert_same(b, a, f"{where}[{i}]")
    else:
        assert before == after, where


def params(case: Case) -> Any:
    marks = [pytest.mark.xfail(strict=True, reason=case.xfail, raises=case.xfail_raises)] if case.xfail else []
    return pytest.param(case, id=case.id, marks=marks)


@pytest.mark.parametrize("case", [params(c) for c in CASES])
def test_bad_input(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    objs = case.setup(tmp_path)
    before = snapshot(objs)
    with np.errstate(all="ignore"), pytest.raises(case.exc) as err:
        case.call(objs)
    message = str(err.value)
    if case.exc is SystemExit:
        assert err.value.code == 2  # type: ignore[union-attr]  # argparse's usage error
        message = capsys.readouterr().err
    assert re.search(case.what, message, re.S), f"does not say what is wrong: {message!r}"
    assert re.search(case.fix, message, re.S), f"does not say what to do: {message!r}"
    assert_same(before, snapshot(objs), case.id)


def test_the_catalogue_is_large_and_names_are_unique() -> None:
    assert len(CASES) >= 50
    assert len({c.id for c in CASES}) == len(CASES)


def test_the_failed_save_left_no_temporary_file(tmp_path: Path) -> None:
    """The folder check above compares files; this one also looks for hidden temporaries."""
    good = tmp_path / "good.npz"
    tge.save([1, 2], good)
    with pytest.raises(TypeError):
        tge.save({"f": print}, good)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["good.npz"]
    assert tge.load(good) == [1, 2]


def test_the_command_line_exits_2_on_a_bad_option(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "tinygrad_edu", "demo", "--out", str(tmp_path / "r"), "--bogus"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "unrecognized arguments: --bogus" in proc.stderr and "usage:" in proc.stderr
    assert not (tmp_path / "r").exists()


def test_the_snapshot_sees_every_kind_of_change(tmp_path: Path) -> None:
    """The before/after check would catch a call that changed something and then raised."""
    changes: list[Callable[[Objects], Any]] = [
        lambda o: o["w"].grad.data.__setitem__(0, 9.0),  # a gradient, in place
        lambda o: setattr(o["w"], "grad", None),  # a gradient, dropped
        lambda o: o["opt"].state[o["w"]].__setitem__("momentum_buffer", np.zeros(2)),  # optimizer state
        lambda o: o["opt"].param_groups[0].__setitem__("lr", 1.0),  # a hyper-parameter
        lambda o: setattr(o["w"], "data", o["w"].data + 1.0),  # parameter values
    ]
    for change in changes:
        objs = trained_sgd(tmp_path)
        before = snapshot(objs)
        change(objs)
        with pytest.raises(AssertionError):
            assert_same(before, snapshot(objs), "objs")
    objs = checkpoint(tmp_path)
    before = snapshot(objs)
    (tmp_path / "good.npz").write_bytes(b"overwritten")
    with pytest.raises(AssertionError):
        assert_same(before, snapshot(objs), "files")
