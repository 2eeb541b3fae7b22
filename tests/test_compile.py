"""tge.compile: record once, replay bit for bit what eager computes."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import Tensor, data, engine, nn, optim
from tinygrad_edu.nn import functional as F

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def same(a: Any, b: Any) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


# ---------------------------------------------------------------- every benchmark workload
@pytest.mark.parametrize("workload", ["linreg", "mlp", "overhead", "deep", "moons"])
def test_benchmark_workloads_replay_bit_identical(workload: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    common = importlib.import_module("workloads.common")
    module = importlib.import_module(f"workloads.{workload}")
    size = dict(common.SIZES[workload]["quick"])
    if workload == "deep":
        size["ops"] = size["ops"][-1]
    eager = module.setup_tinygrad_edu(size)()
    run = module.setup_tinygrad_edu_compile(size)
    recorded, replayed, again = run(), run(), run()  # the first call records, the others replay
    assert recorded == eager and replayed == eager and again == eager
    for name in [m for m in sys.modules if m == "workloads" or m.startswith("workloads.")]:
        monkeypatch.delitem(sys.modules, name)


# ---------------------------------------------------------------- the examples' training loops
def _regression() -> tuple[Tensor, Tensor]:
    X, y, _ = data.make_regression(m=30, n=4, noise=0.5, seed=3)
    return X, y


OPTIMIZERS = {
    "SGD": lambda p: optim.SGD(p, lr=0.01),
    "SGD momentum nesterov wd": lambda p: optim.SGD(p, lr=0.01, momentum=0.9, nesterov=True, weight_decay=0.1),
    "Adam": lambda p: optim.Adam(p, lr=0.1),
    "AdamW amsgrad": lambda p: optim.AdamW(p, lr=0.1, amsgrad=True),
    "RMSprop centered": lambda p: optim.RMSprop(p, lr=0.01, centered=True, momentum=0.5),
    "Adagrad": lambda p: optim.Adagrad(p, lr=0.5),
    "BacktrackingLineSearch": lambda p: optim.BacktrackingLineSearch(p),
    "ExactLineSearch": lambda p: optim.ExactLineSearch(p),
    "Newton": lambda p: optim.Newton(p, damping=0.1),
    "LBFGS strong Wolfe": lambda p: optim.LBFGS(p, line_search_fn="strong_wolfe"),
    **({"ConjugateGradient": lambda p: optim.ConjugateGradient(p)} if hasattr(optim, "ConjugateGradient") else {}),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_minimize_compile_matches_eager_with_every_optimizer(name: str) -> None:
    X, y = _regression()
    runs = []
    for compile in (False, True):
        W = Tensor.zeros(4, requires_grad=True)
        hist = optim.minimize(lambda W=W: ((y - X @ W) ** 2).sum(), OPTIMIZERS[name]([W]), steps=15, compile=compile)
        runs.append((hist.loss, hist.grad_norm, hist.step_size, W.data.copy()))
    assert runs[0][:3] == runs[1][:3]
    assert same(runs[0][3], runs[1][3])


def test_the_moons_mlp_example_loop_replays_bit_identical() -> None:
    X, y = data.make_moons(40, noise=0.1, seed=0)
    losses = []
    for compile in (False, True):
        model = nn.MLP([2, 16, 16, 1], activation="tanh", seed=0)
        hist = optim.minimize(
            lambda model=model: F.binary_cross_entropy_with_logits(model(X).reshape(-1), y),
            optim.Adam(model.parameters(), lr=0.02),
            steps=12,
            compile=compile,
        )
        losses.append((hist.loss, [p.data.copy() for p in model.parameters()]))
    assert losses[0][0] == losses[1][0]
    assert all(same(a, b) for a, b in zip(losses[0][1], losses[1][1]))


def test_the_minibatch_example_loop_replays_bit_identical() -> None:
    X, y = _regression()
    results = []
    for compile in (False, True):
        W = Tensor.zeros(4, requires_grad=True, name="W")
        opt = optim.SGD([W], lr=0.01, momentum=0.9)

        def loss_and_grad(xb: Tensor, yb: Tensor, W: Tensor = W) -> Tensor:
            loss = F.mse_loss(xb @ W, yb) + 0.1 * F.l2_penalty([W])
            loss.backward()
            return loss

        step = tge.compile(loss_and_grad) if compile else loss_and_grad
        losses = []
        for _ in range(3):
            for xb, yb in data.batches(X, y, batch_size=8, shuffle=True, seed=np.random.default_rng(0)):
                opt.zero_grad()
                losses.append(step(xb, yb).item())  # the last batch is smaller: a second recording
                opt.step()
        results.append((losses, W.data.copy()))
    assert results[0][0] == results[1][0]
    assert same(results[0][1], results[1][1])


# ---------------------------------------------------------------- semantics
def _mlp_step(model: nn.Module) -> Any:
    def step(x: Tensor, y: Tensor) -> Tensor:
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        return loss

    return step


def test_replay_creates_no_graph_and_fills_grad_like_eager(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(0)
    x, y = Tensor(rng.standard_normal((6, 3))), Tensor(rng.integers(0, 3, 6))
    eager_model, model = nn.MLP([3, 5, 3], seed=1), nn.MLP([3, 5, 3], seed=1)
    step = tge.compile(_mlp_step(model))
    step(x, y)  # records
    for p in model.parameters():
        p.grad = None

    def no_op(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a replay applied an op")

    with monkeypatch.context() as m:
        m.setattr(engine.Function, "apply", classmethod(no_op))
        loss = step(x, y)
        loss2 = step(x, y)  # accumulates into .grad, as a second eager backward would
    eager = _mlp_step(eager_model)(x, y)
    _mlp_step(eager_model)(x, y)
    assert same(loss.data, eager.data) and same(loss2.data, eager.data)
    assert loss.grad_fn is None
    for p, q in zip(model.parameters(), eager_model.parameters()):
        assert same(p.grad.data, q.grad.data)


def _sum_of_products(W: Tensor) -> Any:
    def step(x: Tensor) -> Tensor:
        loss = (x @ W.T).sum()
        loss.backward()
        return loss

    return step


def test_gradients_and_losses_handed_out_are_not_overwritten_by_the_next_replay() -> None:
    W = Tensor(np.ones((2, 3)), requires_grad=True)
    compiled = tge.compile(_sum_of_products(W))
    kept = []
    for k in range(4):
        W.grad = None
        loss = compiled(Tensor(np.full((4, 3), float(k))))
        kept.append((loss, W.grad))
    for k, (loss, grad) in enumerate(kept):
        assert loss.item() == 24.0 * k
        assert np.all(grad.data == 4.0 * k)


def test_a_new_shape_records_again_and_args_are_inputs() -> None:
    calls = []

    def step(x: Tensor) -> Tensor:
        calls.append(x.shape)
        loss = (x * x).sum()
        loss.backward()
        return loss

    compiled = tge.compile(step)
    for n in (3, 3, 5, 3, 5):
        x = Tensor(np.arange(n, dtype=float), requires_grad=True)
        assert compiled(x).item() == float(np.sum(np.arange(n) ** 2))
        assert np.array_equal(x.grad.data, 2 * np.arange(n))  # the argument's own gradient
    assert calls == [(3,), (5,)]  # one recording per shape
    assert "2 recording(s)" in repr(compiled)


def test_closed_over_tensors_are_read_where_they_are() -> None:
    b = Tensor(np.array([1.0, 2.0]))
    compiled = tge.compile(lambda x: (x + b).sum())
    x = Tensor(np.zeros(2))
    assert compiled(x).item() == 3.0
    b.data = np.array([10.0, 20.0])  # rebinding a tensor the step reads: the replay follows
    assert compiled(x).item() == 30.0
    b.data = np.zeros(3)  # another shape: it records again
    assert compiled(Tensor(np.zeros(3))).item() == 0.0


def test_check_raises_on_value_dependent_python_control_flow() -> None:
    def step(x: Tensor) -> Tensor:
        loss = (x * 2.0).sum() if x.sum().item() > 0 else (x * 3.0).sum()
        loss.backward()
        return loss

    x = Tensor(np.ones(3), requires_grad=True)
    checked = tge.compile(step, check=True)
    checked(x)
    checked(x)  # same branch: fine
    with pytest.raises(tge.CompileError, match="differs from eager"):
        checked(Tensor(-np.ones(3), requires_grad=True))
    frozen = tge.compile(step)  # without check the recording's branch is replayed, as documented
    frozen(x)
    assert frozen(Tensor(-np.ones(3), requires_grad=True)).item() == -6.0


def test_ops_without_a_numpy_rule_replay_through_their_own_code() -> None:
    class Cube(engine.Function):
        """A user's op: f(a) = a^3;  df/da = 3 a^2 (backward in Tensor ops)."""

        def forward(self, a: np.ndarray) -> np.ndarray:
            return a**3

        def backward(self, g: Tensor) -> tuple[Tensor]:
            (a,) = self.inputs
            return (g * 3.0 * a * a,)

    W = Tensor(np.linspace(-1, 1, 6).reshape(2, 3), requires_grad=True)

    def step(x: Tensor) -> Tensor:
        h = tge.maximum(x @ W.T, 0.1).sigmoid() ** 1.5
        h = tge.where(h > 0.6, h, h.sqrt()) + Cube.apply(x[:, :2]).max(axis=1, keepdims=True)
        loss = tge.cat([h, (h * h + 1.0).log()], axis=1).logsumexp(axis=0).sum() / (W.abs() + 1).sum()
        loss.backward()
        return loss

    compiled = tge.compile(step, check=3)
    rng = np.random.default_rng(5)
    for _ in range(5):
        x = Tensor(rng.standard_normal((4, 3)), requires_grad=True)
        W.grad = None
        loss = compiled(x)
        grads = W.grad.data.copy(), x.grad.data.copy()
        W.grad, x2 = None, Tensor(x.data, requires_grad=True)
        assert same(step(x2).data, loss.data)
        assert same(W.grad.data, grads[0]) and same(x2.grad.data, grads[1])


def test_float32_steps_replay_bit_identical() -> None:
    model = nn.MLP([4, 8, 3], seed=2)
    for p in model.parameters():
        p.data = p.data.astype(np.float32)
    compiled = tge.compile(_mlp_step(model), check=3)
    rng = np.random.default_rng(1)
    for _ in range(5):
        compiled(Tensor(rng.standard_normal((5, 4)).astype(np.float32)), Tensor(rng.integers(0, 3, 5)))
        assert next(model.parameters()).grad.dtype == np.float32


def test_what_compile_refuses_is_said_plainly() -> None:
    W = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(TypeError, match="neither a Tensor nor hashable"):
        tge.compile(lambda x: (W * 1.0).sum())(np.ones(2))
    with pytest.raises(TypeError, match="return the loss Tensor"):
        tge.compile(lambda: 1.0)()

    def steps_inside() -> Tensor:
        loss = (W * W).sum()
        loss.backward()
        W.data = W.data - 0.1 * W.grad.data
        return loss

    with pytest.raises(tge.CompileError, match="opt.step"):
        tge.compile(steps_inside)()
    outside = (W * 2.0).sum()

    def uses_outside() -> Tensor:
        loss = outside * 1.0
        loss.backward()
        return loss

    with pytest.raises(tge.CompileError, match="computed before"):
        tge.compile(uses_outside)()

    def in_place(x: Tensor) -> Tensor:
        h = x * 2.0
        h += 1.0
        loss = (h * W).sum()
        loss.backward()
        return loss

    with pytest.raises(tge.CompileError, match=r"\+= changed a tensor of shape \(2,\) in place"):
        tge.compile(in_place)(Tensor(np.ones(2)))


def test_parameters_updated_in_place_between_calls_are_followed() -> None:
    W = Tensor(np.array([1.0, 2.0]), requires_grad=True)

    def step(x: Tensor) -> Tensor:
        loss = (x * W * W).sum()
        loss.backward()
        return loss

    compiled = tge.compile(step)
    x = Tensor(np.ones(2))
    for _ in range(3):
        W.grad = None
        loss = compiled(x)
        assert loss.item() == float(np.sum(W.data**2))
        assert np.array_equal(W.grad.data, 2 * W.data)
        with tge.no_grad():
            W -= 0.1 * W.grad  # in place: the same array, new values


def test_calls_under_forward_mode_or_no_grad_run_eagerly() -> None:
    W = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    compiled = tge.compile(lambda: (W * W).sum())
    _, slope = tge.jvp(lambda w: compiled(), (W,), (Tensor(np.array([1.0, 0.0])),))
    assert slope.item() == 2.0
    with tge.no_grad():
        assert compiled().item() == 5.0
    assert compiled.recordings == {}


def test_relu_backward_selects_like_eager_where_the_upstream_gradient_is_not_finite() -> None:
    """relu's derivative is exactly 0 where x <= 0 (at 0 too), so an infinite or NaN upstream
    gradient gives 0 there, in eager and in the replay alike: a product with a 0/1 mask would
    give inf * 0 = NaN."""
    x = Tensor([-2.0, 0.0, 3.0, -0.5, 1.5, 0.0, 0.0], requires_grad=True, name="x")

    def step(w: Tensor) -> Tensor:
        loss = (x.relu() * w).sum()
        loss.backward()
        return loss

    w = Tensor([np.inf, np.nan, 2.0, -np.inf, np.inf, -np.inf, 1.0])
    with np.errstate(invalid="ignore"):
        eager_loss = step(w)
        assert x.grad is not None
        eager = x.grad.data.copy()
        compiled = tge.compile(step)
        for _ in range(3):  # records, then replays twice
            x.grad = None
            loss = compiled(w)
            assert x.grad is not None
            assert same(x.grad.data, eager) and same(loss.data, eager_loss.data)
    assert same(eager, np.array([0.0, 0.0, 2.0, 0.0, np.inf, 0.0, 0.0]))


def test_a_gradient_nobody_keeps_is_written_again_and_one_kept_through_a_view_is_not() -> None:
    """A replay reuses the gradient buffer it handed to .grad last time only when nothing
    refers to it any more (zero_grad dropped it); a kept view of it keeps its values."""
    W = Tensor(np.ones((2, 3)), requires_grad=True)
    compiled = tge.compile(_sum_of_products(W))
    compiled(Tensor(np.zeros((4, 3))))  # records
    W.grad = None
    compiled(Tensor(np.full((4, 3), 1.0)))
    assert W.grad is not None
    first = W.grad.data
    address = first.__array_interface__["data"][0]
    del first
    W.grad = None
    compiled(Tensor(np.full((4, 3), 2.0)))  # nobody held the buffer: written again
    assert W.grad is not None and np.all(W.grad.data == 8.0)
    assert W.grad.data.__array_interface__["data"][0] == address
    row = W.grad.data[0]  # a view of the buffer, kept
    W.grad = None
    compiled(Tensor(np.full((4, 3), 3.0)))
    assert np.all(row == 8.0) and W.grad is not None and np.all(W.grad.data == 12.0)
