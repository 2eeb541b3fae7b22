"""minimize's callback (called after every step, True stops) and EarlyStopping on a validation
loss (patience, min_delta, restore_best)."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_edu import Tensor, optim


def problem():
    W = Tensor([1.0, 2.0], requires_grad=True)
    X = Tensor([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0], [1.0, 3.0]])
    y = Tensor([1.0, 3.0, 2.0, 5.0])
    return W, lambda: ((y - X @ W) ** 2).sum()


def test_callback_runs_after_every_step_with_index_loss_and_optimizer():
    W, loss_fn = problem()
    opt = optim.SGD([W], lr=0.01)
    calls = []

    def callback(k, loss, optimizer):
        calls.append((k, loss, optimizer, W.data.copy()))

    hist = optim.minimize(loss_fn, opt, steps=6, callback=callback)
    assert [c[0] for c in calls] == list(range(6)) and hist.steps == 6
    assert [c[1] for c in calls] == hist.loss
    assert all(c[2] is opt for c in calls)
    for k, c in enumerate(calls):  # called after the step: W is already x_{k+1}
        expected = hist.params[k + 1][0] if k + 1 < len(hist) else hist.final_params[0]
        np.testing.assert_array_equal(c[3], expected)


@pytest.mark.parametrize("stop", [True, 1, "yes", np.bool_(True)])
def test_callback_returning_a_true_value_stops_after_that_step(stop):
    W, loss_fn = problem()
    hist = optim.minimize(
        loss_fn, optim.SGD([W], lr=0.01), steps=50, callback=lambda k, loss, opt: stop if k == 3 else None
    )
    assert hist.steps == 4 and len(hist) == 4
    np.testing.assert_array_equal(hist.final_params[0], W.data)


def test_callback_not_called_when_tol_stops_before_a_step():
    W, loss_fn = problem()
    seen = []
    hist = optim.minimize(loss_fn, optim.Newton([W]), steps=10, tol=1e-8, callback=lambda k, loss, opt: seen.append(k))
    assert hist.steps == 1 and len(hist) == 2 and seen == [0]


def test_non_callable_callback_raises():
    W, loss_fn = problem()
    with pytest.raises(TypeError, match="callback must be a function"):
        optim.minimize(loss_fn, optim.SGD([W]), steps=3, callback=42)


class Scripted:
    """A validation loss that follows a script, one value per call."""

    def __init__(self, values):
        self.values = list(values)
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return self.values[self.calls - 1]


@pytest.mark.parametrize(
    ("values", "patience", "min_delta", "stop", "best_step"),
    [
        ([5, 4, 4.5, 3.99, 3.995, 4.0, 4.1, 1.0], 2, 0.02, 3, 1),  # 3.99 is not 0.02 better than 4
        ([5, 4, 4.5, 3.99, 3.995, 4.0, 4.1, 1.0], 2, 0.0, 5, 3),
        ([5, 4, 4.5, 3.99, 3.995, 4.0, 4.1, 1.0], 1, 0.0, 2, 1),
        ([3, 2, 1, 0.5, 0.25, 0.1, 0.05, 0.01], 1, 0.0, None, 7),
    ],
)
def test_early_stopping_patience_and_min_delta(values, patience, min_delta, stop, best_step):
    W, loss_fn = problem()
    stopper = optim.EarlyStopping(Scripted(values), patience=patience, min_delta=min_delta)
    hist = optim.minimize(loss_fn, optim.SGD([W], lr=0.01), steps=len(values), callback=stopper)
    assert stopper.stopped_step == stop and stopper.best_step == best_step
    assert hist.steps == (len(values) if stop is None else stop + 1)
    assert stopper.val_loss == [float(v) for v in values[: hist.steps]]
    assert stopper.best == values[best_step]


def test_early_stopping_on_an_overfitting_regression_restores_the_best_weights():
    rng = np.random.default_rng(1)
    w_true = np.zeros(30)
    w_true[:3] = [1.0, -2.0, 0.5]
    X_train, X_val = rng.normal(size=(32, 30)), rng.normal(size=(200, 30))
    y_train = X_train @ w_true + 0.5 * rng.normal(size=32)
    y_val = X_val @ w_true + 0.5 * rng.normal(size=200)
    W = Tensor(np.zeros(30), requires_grad=True)

    def val_loss():
        return ((Tensor(y_val) - Tensor(X_val) @ W) ** 2).mean()

    stopper = optim.EarlyStopping(val_loss, patience=20, min_delta=1e-4, restore_best=True)
    hist = optim.minimize(
        lambda: ((Tensor(y_train) - Tensor(X_train) @ W) ** 2).mean(),
        optim.SGD([W], lr=0.02),
        steps=5000,
        callback=stopper,
    )
    assert stopper.stopped_step is not None and hist.steps < 5000  # it stopped early
    assert hist.loss[-1] < hist.loss[stopper.best_step]  # training loss still going down
    assert stopper.val_loss[stopper.best_step] == stopper.best < stopper.val_loss[-1]
    assert min(stopper.val_loss) > stopper.best - 1e-4  # later gains were all below min_delta
    assert val_loss().item() == pytest.approx(stopper.best, rel=1e-12)  # best weights restored
    np.testing.assert_array_equal(hist.final_params[0], W.data)


@pytest.mark.parametrize(
    ("options", "exc", "message"),
    [
        (dict(patience=0), ValueError, "patience must be an integer >= 1"),
        (dict(patience=2.5), ValueError, "patience must be an integer >= 1"),
        (dict(min_delta=-0.1), ValueError, "min_delta must be a number >= 0"),
        (dict(every=0), ValueError, "every must be an integer >= 1"),
    ],
)
def test_early_stopping_validation(options, exc, message):
    with pytest.raises(exc, match=message):
        optim.EarlyStopping(lambda: 0.0, **options)
    with pytest.raises(TypeError, match="val_fn must be a function"):
        optim.EarlyStopping(0.5)


def test_early_stopping_every_n_steps_and_no_grad():
    W, loss_fn = problem()
    seen = []

    def val():
        out = (W * W).sum()
        seen.append(out.requires_grad)  # True if gradient recording were on
        return out

    stopper = optim.EarlyStopping(val, patience=100, every=3)
    optim.minimize(loss_fn, optim.SGD([W], lr=0.01), steps=10, callback=stopper)
    assert stopper.checked_steps == [2, 5, 8] and len(stopper.val_loss) == 3
    assert seen == [False, False, False]
