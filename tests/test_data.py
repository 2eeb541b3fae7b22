"""data: shapes, seeding, mini-batches and the normal equation."""

import numpy as np
import pytest

from tinygrad_edu import Tensor, data


def test_make_regression_shapes_dtype_and_seed():
    X, y, w = data.make_regression(50, 3, noise=0.1, seed=0)
    assert all(isinstance(t, Tensor) for t in (X, y, w))
    assert X.shape == (50, 3) and y.shape == (50,) and w.shape == (3,)
    assert X.dtype == np.float64 and not X.requires_grad
    X2, y2, w2 = data.make_regression(50, 3, noise=0.1, seed=0)
    assert np.array_equal(X.numpy(), X2.numpy()) and np.array_equal(y.numpy(), y2.numpy())
    assert not np.array_equal(X.numpy(), data.make_regression(50, 3, seed=1)[0].numpy())
    residual = y.numpy() - X.numpy() @ w.numpy()
    assert 0.05 < residual.std() < 0.2


def test_make_regression_without_noise_and_with_bias():
    X, y, w = data.make_regression(20, 2, noise=0.0, seed=1, bias=True)
    assert X.shape == (20, 3) and w.shape == (3,)
    assert np.all(X.numpy()[:, 0] == 1.0)
    np.testing.assert_allclose(y.numpy(), X.numpy() @ w.numpy(), rtol=1e-12)


def test_make_moons_like_sklearn():
    X, y = data.make_moons(101, noise=0.0, seed=0)
    assert X.shape == (101, 2) and y.shape == (101,)
    x, labels = X.numpy(), y.numpy()
    assert set(np.unique(labels)) == {0.0, 1.0}
    assert (labels == 0).sum() == 50 and (labels == 1).sum() == 51
    outer, inner = x[labels == 0], x[labels == 1]
    np.testing.assert_allclose(np.hypot(outer[:, 0], outer[:, 1]), 1.0)
    np.testing.assert_allclose(np.hypot(inner[:, 0] - 1, inner[:, 1] - 0.5), 1.0)
    assert np.all(outer[:, 1] >= -1e-12) and np.all(inner[:, 1] <= 0.5 + 1e-12)
    a, b = data.make_moons(40, noise=0.1, seed=3), data.make_moons(40, noise=0.1, seed=3)
    assert np.array_equal(a[0].numpy(), b[0].numpy()) and np.array_equal(a[1].numpy(), b[1].numpy())
    assert labels[:20].min() != labels[:20].max()  # shuffled, not sorted by class


def test_make_moons_matches_sklearn_when_installed():
    datasets = pytest.importorskip("sklearn.datasets")
    X, y = data.make_moons(30, noise=0.0, seed=0)
    Xs, ys = datasets.make_moons(30, noise=0.0, shuffle=False)
    ours = sorted(map(tuple, np.round(np.c_[X.numpy(), y.numpy()], 10)))
    theirs = sorted(map(tuple, np.round(np.c_[Xs, ys], 10)))
    np.testing.assert_allclose(ours, theirs, atol=1e-9)


@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("batch_size", [1, 4, 7, 10, 32])
def test_batches_cover_every_row_once(shuffle, batch_size):
    X = np.arange(20.0).reshape(10, 2)
    y = np.arange(10.0)
    got = list(data.batches(X, y, batch_size, shuffle=shuffle, seed=0))
    sizes = [len(b[1]) for b in got]
    assert sizes[:-1] == [batch_size] * (len(got) - 1) and 0 < sizes[-1] <= batch_size
    rows = np.concatenate([b[1] for b in got])
    assert sorted(rows) == list(range(10))
    if not shuffle:
        assert list(rows) == list(range(10))
    for xb, yb in got:
        assert np.array_equal(xb[:, 0], 2 * yb)  # rows of X and y stay paired


def test_batches_types_and_seeding():
    X, y, _ = data.make_regression(13, 2, seed=0)
    first = list(data.batches(X, y, 5, seed=4))
    again = list(data.batches(X, y, 5, seed=4))
    assert all(isinstance(a, Tensor) and isinstance(b, Tensor) for a, b in first)
    assert all(np.array_equal(a[1].numpy(), b[1].numpy()) for a, b in zip(first, again))
    rng = np.random.default_rng(0)
    e1 = np.concatenate([b.numpy() for _, b in data.batches(X, y, 5, seed=rng)])
    e2 = np.concatenate([b.numpy() for _, b in data.batches(X, y, 5, seed=rng)])
    assert not np.array_equal(e1, e2) and np.array_equal(np.sort(e1), np.sort(e2))


@pytest.mark.parametrize(
    "call, exc, text",
    [
        (lambda: list(data.batches(np.zeros((3, 2)), np.zeros(4), 2)), ValueError, "rows"),
        (lambda: list(data.batches(np.zeros((3, 2)), np.zeros(3), 0)), ValueError, "batch_size"),
        (lambda: list(data.batches(np.zeros((3, 2)), np.zeros(3), 1.5)), TypeError, "batch_size"),
        (lambda: data.make_regression(0, 2), ValueError, "m"),
        (lambda: data.make_regression(5, 2, noise=-1), ValueError, "noise"),
        (lambda: data.make_moons(10, noise="big"), TypeError, "noise"),
        (lambda: data.make_moons(10, seed="x"), TypeError, "make_moons: seed"),
        (lambda: list(data.batches(np.zeros(3), np.zeros(3), 2, seed=-2)), ValueError, "seed"),
        (lambda: data.normal_equation(np.zeros(3), np.zeros(3)), ValueError, "2-D"),
        (lambda: data.normal_equation(np.zeros((3, 2)), np.zeros(4)), ValueError, "y must"),
    ],
)
def test_bad_arguments(call, exc, text):
    with pytest.raises(exc, match=text):
        call()


def test_normal_equation_equals_lstsq_and_recovers_w():
    X, y, w = data.make_regression(200, 4, noise=0.01, seed=5)
    sol = data.normal_equation(X, y)
    assert isinstance(sol, Tensor) and sol.shape == (4,)
    ref = np.linalg.lstsq(X.numpy(), y.numpy(), rcond=None)[0]
    np.testing.assert_allclose(sol.numpy(), ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(sol.numpy(), w.numpy(), atol=0.01)
    # the gradient of ||y - XW||^2 vanishes at the solution
    Xn, yn = X.numpy(), y.numpy()
    assert np.abs(Xn.T @ (yn - Xn @ sol.numpy())).max() < 1e-9


def test_normal_equation_arrays_and_matrix_targets():
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((10, 3)), rng.standard_normal((10, 2))
    np.testing.assert_allclose(data.normal_equation(X, Y).numpy(), np.linalg.solve(X.T @ X, X.T @ Y), rtol=1e-10)
