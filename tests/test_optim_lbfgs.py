"""L-BFGS against torch.optim.LBFGS, point for point in float64 (with and without the strong
Wolfe search), against scipy's L-BFGS-B on a logistic regression; validation, failures and
state dicts that resume bit-exactly."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_edu as tge
from tinygrad_edu import Tensor, optim

rng = np.random.default_rng(3)
X = rng.normal(size=(60, 4))
Y_REG = X @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.3 + 0.1 * rng.normal(size=60)
LABELS = (X @ np.array([1.5, -1.0, 0.5, 2.0]) - 0.2 + rng.normal(size=60) > 0).astype(float)


# Each problem is written once with Tensor methods, so it runs on tinygrad_edu and on torch.
def least_squares(w, b, X, y):
    r = y - X @ w - b
    return (r * r).sum()


def logistic(w, b, X, y):
    z = X @ w + b  # mean log(1 + exp(z)) - y z: the negative log-likelihood
    return ((z.exp() + 1).log() - y * z).mean() + 1e-3 * (w * w).sum()


def rosenbrock(w, b, X, y):
    return (1 - w[0]) ** 2 + 100 * (w[1] - w[0] ** 2) ** 2 + (w[2] - 2 * w[3]) ** 2 + b * b


def pseudo_huber(w, b, X, y):  # nearly |w|: cubic fits are poor, the zoom must step in
    return (w * w + 0.01).sqrt().sum() + (b * b + 0.01).sqrt()


PROBLEMS = {
    "least_squares": (least_squares, Y_REG, np.zeros(4), 0.0),
    "logistic": (logistic, LABELS, np.full(4, 0.5), -1.0),
    "rosenbrock": (rosenbrock, Y_REG, np.array([-1.2, 1.0, 0.5, 1.0]), 0.7),
    "pseudo_huber": (pseudo_huber, Y_REG, np.array([3.0, -2.0, 1.0, 0.5]), 1.0),
}


def run(backend, problem, steps, record, **options):
    """Take `steps` optimizer steps; record every point where the closure is evaluated."""
    loss_fn, y, w0, b0 = PROBLEMS[problem]
    if backend == "torch":
        torch = pytest.importorskip("torch")
        make = lambda a, grad=False: torch.tensor(a, dtype=torch.float64, requires_grad=grad)  # noqa: E731
        opt_class = torch.optim.LBFGS
    else:
        make = lambda a, grad=False: Tensor(np.array(a, dtype=np.float64), requires_grad=grad)  # noqa: E731
        opt_class = optim.LBFGS
    w, b = make(w0, True), make(b0, True)
    Xb, yb = make(X), make(y)
    opt = opt_class([w, b], **options)
    points, losses = [], []

    def closure():
        opt.zero_grad()
        points.append(np.r_[np.asarray(w.detach()), np.asarray(b.detach())])
        loss = loss_fn(w, b, Xb, yb)
        loss.backward()
        return loss

    for _ in range(steps):
        losses.append(float(opt.step(closure).detach()))
        record.append(np.r_[np.asarray(w.detach()), np.asarray(b.detach())])
    state = opt.state[w]
    return points, losses, {k: state[k] for k in ("func_evals", "n_iter")}


CASES = [
    ("least_squares", dict()),
    ("least_squares", dict(line_search_fn="strong_wolfe")),
    ("logistic", dict()),
    ("logistic", dict(line_search_fn="strong_wolfe")),
    ("logistic", dict(lr=0.5, max_iter=3, history_size=2)),
    ("logistic", dict(max_iter=4, history_size=2, line_search_fn="strong_wolfe")),
    ("rosenbrock", dict(line_search_fn="strong_wolfe")),
    ("rosenbrock", dict(lr=3.0, line_search_fn="strong_wolfe")),  # overshoots: zooming
    ("logistic", dict(lr=50.0, max_iter=5, line_search_fn="strong_wolfe")),
    ("logistic", dict(lr=0.01, line_search_fn="strong_wolfe")),  # too short: extrapolation
    ("pseudo_huber", dict(lr=100.0, line_search_fn="strong_wolfe")),
    ("rosenbrock", dict(lr=0.1, max_iter=7, max_eval=9, history_size=5)),
    ("rosenbrock", dict(max_iter=50, tolerance_change=1e-12, line_search_fn="strong_wolfe")),
]


@pytest.mark.parametrize(
    ("problem", "options"), CASES, ids=[f"{p}-{'-'.join(f'{k}={v}' for k, v in o.items())}" for p, o in CASES]
)
def test_every_evaluation_point_matches_torch(problem, options):
    ours_end, theirs_end = [], []
    ours, our_losses, our_counts = run("tge", problem, 6, ours_end, **options)
    theirs, their_losses, their_counts = run("torch", problem, 6, theirs_end, **options)
    assert len(ours) == len(theirs) > 6
    np.testing.assert_allclose(np.array(ours), np.array(theirs), rtol=1e-9, atol=1e-11)
    np.testing.assert_allclose(our_losses, their_losses, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(np.array(ours_end), np.array(theirs_end), rtol=1e-9, atol=1e-11)
    assert our_counts == {k: int(v) for k, v in their_counts.items()}


def test_reaches_scipy_lbfgsb_optimum_on_logistic_regression():
    scipy_optimize = pytest.importorskip("scipy.optimize")

    def f_and_grad(theta):
        w, b = theta[:4], theta[4]
        z = X @ w + b
        p = 1 / (1 + np.exp(-z))
        value = np.mean(np.logaddexp(0, z) - LABELS * z) + 1e-3 * w @ w
        grad = np.r_[X.T @ (p - LABELS) / len(z) + 2e-3 * w, np.mean(p - LABELS)]
        return value, grad

    reference = scipy_optimize.minimize(
        f_and_grad, np.zeros(5), jac=True, method="L-BFGS-B", options=dict(ftol=1e-15, gtol=1e-12, maxiter=1000)
    )
    assert reference.success
    w, b = Tensor(np.zeros(4), requires_grad=True), Tensor(0.0, requires_grad=True)
    opt = optim.LBFGS([w, b], line_search_fn="strong_wolfe", tolerance_grad=1e-12, tolerance_change=1e-15)
    hist = optim.minimize(lambda: logistic(w, b, Tensor(X), Tensor(LABELS)), opt, steps=10, tol=1e-8)
    np.testing.assert_allclose(np.r_[w.data, b.data], reference.x, rtol=1e-6, atol=1e-7)
    assert hist.loss[-1] == pytest.approx(reference.fun, rel=1e-12)
    assert hist.grad_norm[-1] < 1e-7


@pytest.mark.parametrize(
    ("options", "exc", "message"),
    [
        (dict(lr=-1.0), ValueError, "Invalid learning rate: -1.0"),
        (dict(line_search_fn="wolfe"), ValueError, r"Invalid line_search_fn: 'wolfe'.*'strong_wolfe'"),
        (dict(max_iter=0), ValueError, "Invalid max_iter value: 0"),
        (dict(max_iter=2.5), ValueError, "Invalid max_iter value: 2.5"),
        (dict(max_eval=0), ValueError, "Invalid max_eval value: 0"),
        (dict(history_size=0), ValueError, "Invalid history_size value: 0"),
        (dict(tolerance_grad=-1e-7), ValueError, "Invalid tolerance_grad value"),
        (dict(tolerance_change=float("nan")), ValueError, "Invalid tolerance_change value: nan"),
        (dict(lr="1"), TypeError, "lr must be a real number"),
    ],
)
def test_bad_settings_raise(options, exc, message):
    with pytest.raises(exc, match=message):
        optim.LBFGS([Tensor([1.0], requires_grad=True)], **options)


def test_defaults_are_pytorchs():
    opt = optim.LBFGS([Tensor([1.0], requires_grad=True)])
    group = {k: v for k, v in opt.param_groups[0].items() if k != "params"}
    assert group == dict(
        lr=1,
        max_iter=20,
        max_eval=25,
        tolerance_grad=1e-7,
        tolerance_change=1e-9,
        history_size=100,
        line_search_fn=None,
    )


def test_needs_a_closure_and_one_group():
    x = Tensor([1.0], requires_grad=True)
    with pytest.raises(TypeError, match="needs a closure"):
        optim.LBFGS([x]).step()
    with pytest.raises(ValueError, match="parameter groups"):
        optim.LBFGS([{"params": [x]}, {"params": [Tensor([2.0], requires_grad=True)]}])


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_closure_raising_mid_step_leaves_parameters_grads_and_state_unchanged(line_search_fn):
    w, b = Tensor(np.full(4, 0.5), requires_grad=True), Tensor(-1.0, requires_grad=True)
    opt = optim.LBFGS([w, b], max_iter=5, line_search_fn=line_search_fn)
    calls = [0]
    fail_at = [None]

    def closure():
        calls[0] += 1
        if calls[0] == fail_at[0]:
            raise RuntimeError("evaluation failed")
        opt.zero_grad()
        loss = logistic(w, b, Tensor(X), Tensor(LABELS))
        loss.backward()
        return loss

    opt.step(closure)
    before = opt.state_dict()
    w_data, w_grad = w.data, w.grad
    fail_at[0] = calls[0] + 4  # fail inside the next step, after some moves
    with pytest.raises(RuntimeError, match="evaluation failed"):
        opt.step(closure)
    assert w.data is w_data and w.grad is w_grad
    after = opt.state_dict()
    assert after["state"][0]["n_iter"] == before["state"][0]["n_iter"]
    np.testing.assert_array_equal(after["state"][0]["d"], before["state"][0]["d"])
    assert len(after["state"][0]["old_dirs"]) == len(before["state"][0]["old_dirs"])

    fresh = optim.LBFGS([Tensor([1.0], requires_grad=True)])
    with pytest.raises(RuntimeError, match="boom"):
        fresh.step(lambda: (_ for _ in ()).throw(RuntimeError("boom")))
    assert len(fresh.state) == 0


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_state_dict_through_save_and_load_resumes_bit_exactly(tmp_path, line_search_fn):
    def make(w0, b0):
        w, b = Tensor(w0.copy(), requires_grad=True), Tensor(b0, requires_grad=True)
        opt = optim.LBFGS([w, b], max_iter=3, history_size=4, line_search_fn=line_search_fn)

        def closure():
            opt.zero_grad()
            loss = rosenbrock(w, b, None, None)
            loss.backward()
            return loss

        return w, b, opt, closure

    w, b, opt, closure = make(np.array([-1.2, 1.0, 0.5, 1.0]), 0.7)
    for _ in range(4):
        opt.step(closure)
    tge.save({"w": w, "b": b, "opt": opt.state_dict()}, tmp_path / "lbfgs.npz")
    saved = tge.load(tmp_path / "lbfgs.npz")
    w2, b2, opt2, closure2 = make(saved["w"].numpy(), saved["b"].numpy())
    opt2.load_state_dict(saved["opt"])
    for _ in range(5):
        assert float(opt.step(closure)) == float(opt2.step(closure2))
        np.testing.assert_array_equal(w.data, w2.data)
        np.testing.assert_array_equal(b.data, b2.data)
    assert set(opt.state[w]) >= {
        "func_evals",
        "n_iter",
        "d",
        "t",
        "old_dirs",
        "old_stps",
        "ro",
        "H_diag",
        "prev_flat_grad",
        "prev_loss",
        "al",
    }


def test_stops_at_once_when_the_gradient_is_below_tolerance_grad():
    x = Tensor([0.0, 0.0], requires_grad=True)
    opt = optim.LBFGS([x])

    def closure():
        opt.zero_grad()
        loss = (x * x).sum()
        loss.backward()
        return loss

    assert float(opt.step(closure)) == 0.0
    assert opt.state[x]["func_evals"] == 1 and opt.state[x]["n_iter"] == 0
    np.testing.assert_array_equal(x.data, [0.0, 0.0])
