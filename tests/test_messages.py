"""Messages that say what to do: each mistake a learner makes here gets an error naming the
mistake and the fix (and `.all()` / `.any()` exist, with NumPy's and PyTorch's semantics)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import Tensor, nn, optim

EXAMPLE_11 = Path(__file__).resolve().parent.parent / "examples" / "11_normal_equation_timing.py"


# ---------------------------------------------------------------- a used-up parameters() generator
def test_a_second_optimizer_on_the_same_parameters_generator_says_it_is_used_up():
    model = nn.Linear(2, 1, seed=0)
    params = model.parameters()
    optim.SGD(params, lr=0.1)
    with pytest.raises(ValueError, match="generator of parameters that was already used up") as info:
        optim.Adam(params)
    assert "params = list(model.parameters())" in str(info.value)
    assert "pass model.parameters()" not in str(info.value)  # the advice the learner already followed


def test_a_parameters_generator_consumed_by_list_says_it_is_used_up():
    model = nn.MLP([2, 3, 1], seed=0)
    params = model.parameters()
    print(len(list(params)), "parameters")
    with pytest.raises(ValueError, match="already used up.*Call model.parameters\\(\\) again"):
        optim.minimize(lambda: model(Tensor([[1.0, 2.0]])).sum(), optim.SGD(params, lr=0.1), steps=1)


def test_a_partly_used_generator_is_refused_rather_than_half_optimized():
    model = nn.MLP([2, 3, 1], seed=0)
    params = model.parameters()
    next(params)
    with pytest.raises(ValueError, match="already partly used"):
        optim.SGD(params, lr=0.1)


def test_an_empty_iterator_and_an_empty_list_get_different_advice():
    with pytest.raises(ValueError, match="the iterator it was given yielded nothing.*used up after one pass"):
        optim.SGD(iter([]), lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list; pass model.parameters\\(\\)"):
        optim.SGD([], lr=0.1)


def test_a_fresh_generator_still_works():
    model = nn.Linear(2, 1, seed=0)
    opt = optim.SGD(model.parameters(), lr=0.1)
    assert len(opt.param_groups[0]["params"]) == 2


# ---------------------------------------------------------------- minimize(f) with an f that takes W
def test_minimize_with_a_loss_function_that_takes_an_argument_says_how_to_call_it():
    W = Tensor([1.0, 2.0], requires_grad=True)

    def f(w):
        return (w * w).sum()

    with pytest.raises(TypeError, match=r"minimize calls loss_fn\(\) with no arguments, but f\(w\) needs w") as info:
        optim.minimize(f, optim.SGD([W], lr=0.1), steps=3)
    assert "minimize(lambda: f(W), optimizer)" in str(info.value)
    assert W.tolist() == [1.0, 2.0] and W.grad is None  # nothing ran
    hist = optim.minimize(lambda: f(W), optim.SGD([W], lr=0.1), steps=3)
    assert hist.steps == 3


def test_minimize_accepts_functions_with_defaults_and_refuses_non_tensors():
    W = Tensor([1.0, 2.0], requires_grad=True)

    def f(w=W, *, scale=1.0):
        return scale * (w * w).sum()

    assert optim.minimize(f, optim.SGD([W], lr=0.1), steps=2).steps == 2
    with pytest.raises(TypeError, match="loss_fn must be a function of no arguments"):
        optim.minimize(W, optim.SGD([W], lr=0.1))
    with pytest.raises(TypeError, match=r"loss_fn\(\) must return the loss as a scalar Tensor.*returned a float"):
        optim.minimize(lambda: 3.0, optim.SGD([W], lr=0.1))


# ---------------------------------------------------------------- truth value, all() and any()
def test_the_truth_value_of_a_tensor_points_to_methods_that_exist():
    t = Tensor([1.0, -2.0])
    advice = r"shape \(2,\) is ambiguous: use t.all\(\) .* t.any\(\)"
    with pytest.raises(ValueError, match=advice) as info:
        if t > 0:
            pass
    assert "on .data" not in str(info.value)
    assert bool((t > -3).all()) and not bool((t > 0).all()) and bool((t > 0).any())


def test_all_and_any_follow_numpy_and_pytorch():
    torch = pytest.importorskip("torch")
    a = np.array([[1.0, 0.0, 2.0], [0.0, 0.0, 3.0]])
    t, ref = Tensor(a), torch.tensor(a)
    for method in ("all", "any"):
        assert getattr(t, method)().dtype == np.bool_ and getattr(t, method)().shape == ()
        for axis in (None, 0, 1, -1, (0, 1)):
            for keepdims in (False, True):
                got = getattr(t, method)(axis=axis, keepdims=keepdims).numpy()
                np.testing.assert_array_equal(got, getattr(np, method)(a, axis=axis, keepdims=keepdims))
                if axis is not None:
                    expected = getattr(torch, method)(ref, dim=axis, keepdim=keepdims).numpy()
                    np.testing.assert_array_equal(getattr(t, method)(dim=axis, keepdim=keepdims).numpy(), expected)
        np.testing.assert_array_equal(
            getattr(Tensor(np.zeros((0, 2))), method)(axis=0).numpy(), getattr(np, method)(np.zeros((0, 2)), axis=0)
        )
    assert np.all(t > -1) and not np.any(t > 5)  # NumPy's functions on a Tensor
    w = Tensor([1.0, 2.0], requires_grad=True)
    assert not w.all().requires_grad and w.all().grad_fn is None


# ---------------------------------------------------------------- backward on a loss built under no_grad
def test_backward_on_a_loss_built_under_no_grad_says_so():
    W = Tensor([1.0, 2.0], requires_grad=True)
    with tge.no_grad():
        loss = ((W * 2.0) ** 2).sum()
    with pytest.raises(RuntimeError, match=r"computed under no_grad\(\).*Compute the loss outside no_grad"):
        loss.backward()
    with pytest.raises(RuntimeError, match=r"computed under no_grad\(\)"):
        tge.autograd.grad(loss, W)


def test_backward_on_a_constant_still_points_at_requires_grad():
    c = (Tensor([1.0, 2.0]) * 2.0).sum()
    with pytest.raises(RuntimeError, match="Create the inputs you differentiate with requires_grad=True") as info:
        c.backward()
    assert "no_grad" not in str(info.value)
    detached = Tensor([1.0], requires_grad=True)
    with tge.no_grad():
        x = detached * 2.0
    assert x.detach()._untracked is False  # detach() starts clean


# ---------------------------------------------------------------- examples/11 without threadpoolctl
def run_example_11(*args: str) -> subprocess.CompletedProcess:
    code = (
        "import runpy, sys; sys.modules['threadpoolctl'] = None; "  # as if it were not installed
        f"sys.argv = ['11_normal_equation_timing.py', *{list(args)!r}]; "
        f"runpy.run_path({str(EXAMPLE_11)!r}, run_name='__main__')"
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )


def test_example_11_says_what_to_install_for_single_thread_timings():
    explicit = run_example_11("--quick", "--threads", "1")
    assert explicit.returncode == 2
    assert "needs threadpoolctl" in explicit.stderr and 'pip install "tinygrad_edu[bench]"' in explicit.stderr
    default = run_example_11("--quick")
    assert default.returncode == 0, default.stderr
    assert "pip install threadpoolctl" in default.stderr and "BLAS threads: the BLAS default" in default.stdout


def test_the_bench_extra_holds_threadpoolctl():
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((EXAMPLE_11.parent.parent / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    assert any(req.startswith("threadpoolctl") for req in extras["bench"])
    assert any(req.startswith("threadpoolctl") for req in extras["dev"])
