"""Central differences are written once (checks.central_differences) and shared."""

from __future__ import annotations

import numpy as np
from helpers import numeric_vjp

from tinygrad_edu import Tensor, checks
from tinygrad_edu.viz import gradcheck as viz_gradcheck
from tinygrad_edu.viz import plots


def f_array(w: np.ndarray) -> float:
    return float(np.sum(np.sin(w) * w**2))


def test_central_differences_of_a_known_function() -> None:
    w = np.array([[0.3, -1.2], [2.0, 0.5]])
    numeric = checks.central_differences(f_array, w, 1e-6)
    exact = np.cos(w) * w**2 + 2 * w * np.sin(w)
    assert numeric.shape == w.shape and numeric.dtype == np.float64
    np.testing.assert_allclose(numeric, exact, rtol=1e-8, atol=1e-9)
    assert np.array_equal(w, [[0.3, -1.2], [2.0, 0.5]])  # the input is not touched


def test_every_numerical_gradient_of_the_package_is_the_same_computation() -> None:
    w = np.array([0.3, -1.2, 2.0])
    shared = checks.central_differences(f_array, w, 1e-6)
    from_plots = plots.numeric_gradient(lambda v: Tensor(v).sin() * Tensor(v) ** 2, w, 1e-6)
    from_viz = viz_gradcheck.central_differences(lambda t: t.sin() * t**2, [Tensor(w)], 0, 1e-6)
    (from_tests,) = numeric_vjp(lambda v: np.sin(v) * v**2, [w], np.ones(3), 1e-6)
    assert np.array_equal(from_plots, shared) and np.array_equal(from_viz, shared)
    assert np.array_equal(from_tests, shared)
