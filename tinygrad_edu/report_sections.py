"""The sections of the demo's report, one function per part of the lesson.

Each function draws its pictures into the report's folder and returns its HTML: the formula,
a table of the numbers tinygrad_edu computed next to the ones derived by hand, and the
pictures. `build` returns them in the lesson's order as (anchor, title, html); parts 6 to 8,
on choosing the step size, are in report_step_size.py.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from . import report_figures as figs
from .demo import START, DemoResult
from .report import Pictures, Written, compare, esc, formula, table
from .report_step_size import adaptive, learning_rate, line_search


def _f(result: DemoResult) -> Callable[[np.ndarray], float]:
    return lambda w: result.loss(w).item()


def normal_equation(r: DemoResult, pic: Pictures) -> str:
    X, y = r.X, r.y
    A, b = X.T @ X, X.T @ y
    inverse = np.array([[A[1, 1], -A[0, 1]], [-A[1, 0], A[0, 0]]]) / (A[0, 0] * A[1, 1] - A[0, 1] * A[1, 0])
    ne = next(row for row in r.rows if row.name == "normal equation")
    return (
        formula("W* = (X^T X)^-1 X^T y        (the gradient -2 X^T (y - XW) set to zero)")
        + f"<p>Linear regression on {X.shape[0]} rows and 2 features (data.make_regression, the second "
        "feature scaled by 1/3 so the bowl of f is elongated). <code>data.normal_equation</code> solves the "
        "least-squares problem in one step; by hand, the 2 x 2 inverse is [[d, -b], [-c, a]] / (ad - bc).</p>"
        + compare(
            [
                ("W*", r.w_normal, inverse @ b),
                ("f(W*) = ||y - XW*||^2", ne.final_loss, float(np.sum((y - X @ (inverse @ b)) ** 2))),
            ],
            rtol=1e-8,
        )
        + "<p>The catch is the cost: solving n equations in n unknowns takes about n^3/3 multiply-adds, so "
        "10,000 features cost 10,000^3 = 10^12 operations (section 11 measures it). One gradient of f costs "
        "two matrix-vector products, about 4mn operations.</p>"
        + pic(
            "fit.png",
            lambda p: figs.fit(X, y, r.w_normal, p),
            "y against the prediction X W*",
            "Every row's y against its prediction x_i . W*: the exact least-squares fit.",
        )
    )


def slope(r: DemoResult, pic: Pictures) -> str:
    s = r.slope
    assert s is not None
    return (
        formula("f(x) = x^2,   f'(x) = 2x,   so at x = 2:   f(2) = 4,   f'(2) = 4")
        + "<p>The derivative is the slope of the tangent line. Reverse mode computes it from the operations "
        "that computed the value: <code>x = Tensor(2.0, requires_grad=True); (x**2).backward()</code>.</p>"
        + compare([("f(2)", s.value, s.x**2), ("f'(2), x.grad after backward", s.slope, s.by_hand)])
        + pic(
            "tangent.png",
            lambda p: figs.tangent(s, p),
            "x squared with its tangent at 2",
            "f(x) = x^2 and its tangent at x = 2: the line rises 4 for every 1 it runs.",
        )
    )


def gradient(r: DemoResult, pic: Pictures, graph_html: str, check_html: str) -> str:
    assert r.autodiff_grad is not None and r.numeric_grad is not None
    at, autodiff = np.array(START), r.autodiff_grad
    by_hand = -2.0 * r.X.T @ (r.y - r.X @ at)
    rows = [
        ("∂f/∂w0 at W (autodiff vs hand formula)", r.autodiff_grad[0], by_hand[0]),
        ("∂f/∂w1 at W (autodiff vs hand formula)", r.autodiff_grad[1], by_hand[1]),
    ]
    numeric = [
        ("∂f/∂w0: central difference, h = 1e-6", r.numeric_grad[0], by_hand[0]),
        ("∂f/∂w1: central difference, h = 1e-6", r.numeric_grad[1], by_hand[1]),
    ]
    report = r.gradient_report
    check_rows = [
        (row.name, str(row.shape), f"{row.max_abs_error:.3e}", f"{row.max_rel_error:.3e}", "yes" if row.ok else "NO")
        for row in (report.rows if report else [])
    ]
    err = np.abs(r.numeric_grad - r.autodiff_grad)
    check_rows.append(
        (
            "W (autodiff vs central differences, gradcheck)",
            "(2,)",
            f"{err.max():.3e}",
            f"{(err / np.maximum(np.abs(r.autodiff_grad), 1e-12)).max():.3e}",
            "yes" if r.gradcheck_ok else "NO",
        )
    )
    return (
        formula("f(W) = ||y - XW||^2 = sum_i (y_i - x_i . W)^2\ngrad f(W) = (∂f/∂w0, ∂f/∂w1) = -2 X^T (y - XW)")
        + f"<p>A partial derivative moves one weight and holds the other; the gradient collects them. One "
        f"backward pass gives both, here at W = {esc(START)}.</p>"
        + compare(rows, rtol=1e-10)
        + "<p>Central differences (f(W + h e_j) - f(W - h e_j)) / 2h agree to about h^2 and rounding:</p>"
        + compare(numeric, rtol=1e-6, atol=1e-6)
        + table(("check", "shape", "max abs error", "max rel error", "ok"), check_rows, "gradient-check")
        + f"<p>{esc(r.gradcheck_message)}</p>"
        + pic(
            "gradient.png",
            lambda p: figs.gradient(_f(r), at, autodiff, r.w_normal, p),
            "the gradient drawn on the contours",
            "The two partial derivatives and the gradient at W (drawn to scale, shortened): the "
            "gradient is perpendicular to the contour through W and points uphill.",
        )
        + graph_html
        + check_html
    )


def directional(r: DemoResult, pic: Pictures) -> str:
    d = r.directional
    assert d is not None
    g = d.gradient
    rows: list[tuple[str, object, object]] = [
        (f"D_u f, u = ({u[0]:.4g}, {u[1]:.4g})", forward, dot) for u, forward, dot in d.rows
    ]
    rows.append(("steepest unit u found on the circle (2° apart) vs -g/||g||", d.steepest, -g / np.linalg.norm(g)))
    return (
        formula(
            "D_u f(W) = d/da f(W + a u) at a = 0 = u^T grad f(W)\n"
            "min over ||u|| = 1 of u^T grad f = -||grad f||, at u = -grad f / ||grad f||"
        )
        + "<p>Forward mode (<code>tge.directional_derivative</code>) computes the rate of change along u in "
        "one pass, without the gradient; by hand it is the dot product u . grad f. The last row of the first "
        "table is the steepest descent direction, where the rate is -||g||.</p>"
        + compare(rows[:-1], rtol=1e-9)
        + compare(rows[-1:], rtol=0.0, atol=0.02)
        + pic(
            "directional.png",
            lambda p: figs.directional(_f(r), d, r.w_normal, p),
            "directions at W and the rate of change against the angle",
            f"Left: unit directions at W. Right: D_u f as u turns around the circle, a cosine whose "
            f"minimum -||g|| = {-np.linalg.norm(g):.5g} lies opposite the gradient.",
        )
    )


def update(r: DemoResult, pic: Pictures) -> str:
    assert r.worked_step is not None
    sgd, hand = r.worked_step
    fixed = r.history("GD, fixed step 1/L")
    lr = 1.0 / r.lipschitz
    g = -2.0 * r.X.T @ (r.y - r.X @ np.array(START))
    rows = [("the lesson's step [1, 2] - 0.1 [2.5, -1.2] (optim.SGD)", sgd, hand)]
    if fixed is not None and len(fixed.params) > 1:
        rows.append((f"the demo's first step from W = {START}, lr = 1/L", fixed.params[1][0], np.array(START) - lr * g))
    return (
        formula("W_new = W_old - lr * grad f(W_old)")
        + "<p>Step against the gradient, scaled by the learning rate. The lesson's worked example gives "
        "[1.0 - 0.25, 2.0 + 0.12] = [0.75, 2.12]; <code>optim.SGD</code> does the same arithmetic with the "
        "gradient in <code>W.grad</code>.</p>"
        + compare(rows)
        + pic(
            "update.png",
            lambda p: figs.update_step(_f(r), np.array(START), g, lr, r.w_normal, p),
            "one gradient step on the contours",
            "One step of gradient descent with lr = 1/L.",
        )
    )


def next_steps(r: DemoResult, pic: Pictures) -> str:
    n = r.next_steps
    assert n is not None
    epochs = table(("epoch", "mean squared error"), [(k + 1, f"{e:.5f}") for k, e in enumerate(n.epochs)])
    momentum = table(("method", "steps to ||grad f|| < 1e-6"), list(n.momentum_steps.items()))
    zeros = {k: int(np.sum(np.abs(w) < 1e-2)) for k, w in n.weights.items()}
    return (
        formula(
            "minibatch SGD: W <- W - lr grad f_B(W), f_B = the loss on a random batch B\n"
            "momentum: b <- mu b + g;  W <- W - lr b\n"
            "L2: f(W) + lambda ||W||^2      L1: f(W) + lambda sum |w_j|"
        )
        + f"<p><b>Stochastic gradient descent.</b> Batches of {n.batch_size} rows of a 1000-row regression "
        "(data.batches), momentum 0.9: the error after each pass over the data.</p>"
        + epochs
        + pic("sgd.png", lambda p: figs.sgd_epochs(n, p), "error per epoch of minibatch SGD")
        + "<p><b>Momentum.</b> The same step lr = 1/L on an elongated bowl (condition number about 27), with "
        "and without momentum:</p>"
        + momentum
        + "<p><b>L1 and L2.</b> 30 noisy rows, 10 features of which 3 matter. L2 shrinks every weight; L1 "
        f"sets the useless ones to zero ({zeros.get('L1, lambda = 5', 0)} of 10 below 0.01, against "
        f"{zeros.get('no penalty', 0)} without a penalty).</p>"
        + pic("penalties.png", lambda p: figs.penalties(n, p), "learned weights with no penalty, L2 and L1")
        + f"<p><b>A neural network.</b> An MLP with layers 2-16-16-2 (tanh) and cross-entropy, trained with "
        f"Adam on 200 points of two moons: its loss is not convex, but the same gradients train it "
        f"({n.accuracy:.1%} of the training points right).</p>"
        + pic("moons.png", lambda p: figs.moons(n, p), "decision boundary and loss of the network")
    )


def exercise(r: DemoResult, pic: Pictures) -> str:
    e = r.exercise
    assert e is not None
    return (
        formula("f(x) = x^2 - 4x + 5,   f'(x) = 2x - 4\nx_new = x - lr f'(x) = 0 - 0.1 * (-4) = 0.4")
        + "<p>One step of gradient descent from x = 0 with lr = 0.1, by autodiff and optim.SGD, and by hand. "
        "Each further step multiplies the distance to the minimum x = 2 by 1 - 0.1 * 2 = 0.8.</p>"
        + compare(
            [
                ("f'(0)", e.derivative, -4.0),
                ("x after one step", e.x1, 0.4),
                ("f(x) after one step", e.f1, 0.4**2 - 4 * 0.4 + 5),
                (f"x after {len(e.path) - 1} steps", e.path[-1], 2 - 2 * 0.8 ** (len(e.path) - 1)),
            ]
        )
        + pic("exercise.png", lambda p: figs.exercise(e, p), "the exercise's parabola and iterates")
    )


def cost(r: DemoResult, pic: Pictures) -> str:
    t = r.timing
    assert t is not None
    rows = [(n, 4 * n, f"{1e3 * a:.3f}", f"{1e3 * b:.3f}", k) for n, a, b, k in zip(t.sizes, t.solve, t.gd, t.gd_steps)]
    faster = [n for n, a, b in zip(t.sizes, t.solve, t.gd) if b < a]
    verdict = (
        f"Gradient descent was faster than the solve from n = {faster[0]} on."
        if faster
        else "The solve was faster at every size measured here: the crossover lies at a larger n on this machine."
    )
    return (
        formula(
            "normal equation: form X^T X (m n^2) and solve (n^3 / 3)\n"
            "gradient descent: 2 matrix-vector products per step (4 m n), a number of steps that depends "
            "on the condition number, not on n"
        )
        + "<p>A quick measurement on this machine, best of 3, one BLAS thread where threadpoolctl is "
        "installed (examples/11_normal_equation_timing.py measures larger sizes).</p>"
        + table(("n", "m", "solve (ms)", "GD (ms)", "GD steps"), rows, "timing")
        + f"<p>{esc(verdict)}</p>"
        + pic("timing.png", lambda p: figs.timing(t, p), "time against n for the solve and for GD")
    )


def build(r: DemoResult, out: Path, written: Written, graph_html: str, check_html: str) -> list[tuple[str, str, str]]:
    """The report's sections in the lesson's order: (anchor, title, html)."""
    pic = Pictures(out, written)
    return [
        ("normal-equation", "1. The normal equation and its cost", normal_equation(r, pic)),
        ("slope", "2. What is a gradient? The slope of x^2 at 2", slope(r, pic)),
        ("gradient", "3. Partial derivatives and the gradient", gradient(r, pic, graph_html, check_html)),
        ("directional", "4. The directional derivative and steepest descent", directional(r, pic)),
        ("update", "5. The update rule", update(r, pic)),
        ("learning-rate", "6. The learning rate: too small, good, too large", learning_rate(r, pic)),
        ("line-search", "7. Fixed step, exact line search, backtracking", line_search(r, pic)),
        ("adaptive", "8. Adam, RMSprop and AdaGrad", adaptive(r, pic)),
        ("next-steps", "9. Next steps: minibatches, momentum, L1/L2, a neural network", next_steps(r, pic)),
        ("exercise", "10. Exercise: f(x) = x^2 - 4x + 5", exercise(r, pic)),
        ("cost", "11. The O(n^3) cost, measured", cost(r, pic)),
    ]
