"""The lesson's claim, measured: the normal equation costs O(n^3), gradient descent O(n) per
weight per step. Which is faster on this machine, and from which number of features n?

For each n: a well-conditioned least-squares problem with m = 4n rows (standard normal X,
so the condition number of X^T X is about 9 for any n). Timed, best of a few runs:

* normal equation, solve: np.linalg.solve(X^T X, X^T y), the lesson's W = (X^T X)^-1 X^T y
  without forming the inverse (forming X^T X costs m n^2, the solve n^3 / 3);
* normal equation, lstsq: np.linalg.lstsq(X, y), an SVD, the stable way (data.normal_equation),
  for n up to 800;
* gradient descent: steepest descent with exact line search from W = 0, the hand-derived
  gradient g = -2 X^T (y - XW) (checked against autodiff in 02_gradient.py) and the exact
  step eps = ||g||^2 / (2 ||X g||^2), in NumPy: three matrix-vector products per step. It
  stops when ||g|| <= 1e-6 ||g_0||;
* tinygrad_edu: the same method through the library (optim.ExactLineSearch with
  optim.minimize and autodiff), for n up to 200: the algorithm plus the framework's overhead.

    python examples/11_normal_equation_timing.py [--quick] [--out DIR]
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from tinygrad_edu import Tensor, optim

RTOL = 1e-6
FULL = [50, 100, 200, 400, 800, 1200, 1600, 2000, 2400]
QUICK = [20, 40, 80]
LSTSQ_MAX_N = 800  # the SVD takes seconds beyond this
LIBRARY_MAX_N = 200  # the library's forward mode is slow on large data (see the docs page)


def best_time(fn: Callable[[], object], budget: float = 1.0) -> tuple[float, object]:
    """The fastest of up to 3 runs of fn (fewer once the runs took longer than `budget`)."""
    times, result = [], None
    for _ in range(3):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
        if sum(times) > budget:
            break
    return min(times), result


def ms(seconds: float) -> str:
    """A time in milliseconds, 9 characters wide; '-' when not measured (NaN)."""
    return f"{1e3 * seconds:9.2f}" if seconds == seconds else f"{'-':>9s}"


def gradient_descent(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, int]:
    """Steepest descent with exact line search on ||y - XW||^2; returns (W, steps)."""
    w = np.zeros(X.shape[1])
    r = y.copy()  # the residual y - X w
    g = -2.0 * (X.T @ r)
    stop = RTOL * np.linalg.norm(g)
    steps = 0
    while np.linalg.norm(g) > stop:
        Xg = X @ g
        eps = (g @ g) / (2.0 * (Xg @ Xg))  # minimizes f(w - eps g) exactly
        w -= eps * g
        r += eps * Xg
        g = -2.0 * (X.T @ r)
        steps += 1
    return w, steps


def library_descent(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, int]:
    """The same method with tinygrad_edu's autodiff and ExactLineSearch."""
    Xt, yt = Tensor(X), Tensor(y)
    W = Tensor.zeros(X.shape[1], requires_grad=True)
    tol = RTOL * np.linalg.norm(2.0 * X.T @ y)
    hist = optim.minimize(lambda: ((yt - Xt @ W) ** 2).sum(), optim.ExactLineSearch([W]), steps=10_000, tol=tol)
    return W.data.copy(), hist.steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"only n = {QUICK} (for tests)")
    parser.add_argument("--out", type=Path, default=None, help="save normal_vs_gd.png here (default: don't save)")
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="BLAS threads (default 1: steadier timings on a shared machine); needs threadpoolctl: "
        'pip install threadpoolctl, or pip install "tinygrad_edu[bench]"',
    )
    args = parser.parse_args()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        install = 'pip install threadpoolctl (or pip install "tinygrad_edu[bench]")'
        if args.threads is not None:
            parser.error(f"--threads {args.threads} needs threadpoolctl to set the number of BLAS threads: {install}")
        print(
            f"note: threadpoolctl is not installed, so BLAS runs with its default number of threads and "
            f"timings are noisier on a shared machine; for single-threaded timings: {install}",
            file=sys.stderr,
        )
        threads = "the BLAS default (threadpoolctl not installed)"
    else:
        threadpool_limits(1 if args.threads is None else args.threads)
        threads = str(1 if args.threads is None else args.threads)

    sizes = QUICK if args.quick else FULL
    print(
        f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}, "
        f"NumPy {np.__version__}, BLAS threads: {threads}"
    )
    print(f"problem: m = 4n rows, X standard normal; GD stops at ||g|| <= {RTOL:g} ||g_0||; times in ms\n")
    head = (
        f"{'n':>5s} {'m':>6s} {'solve':>9s} {'lstsq':>9s} {'GD':>9s} {'GD steps':>8s} {'rel err':>8s} {'library':>9s}"
    )
    print(head)
    print("-" * len(head))
    rows = []
    for n in sizes:
        rng = np.random.default_rng(n)
        m = 4 * n
        X = rng.standard_normal((m, n))
        y = X @ rng.standard_normal(n) + 0.1 * rng.standard_normal(m)
        t_solve, w_solve = best_time(lambda X=X, y=y: np.linalg.solve(X.T @ X, X.T @ y))
        t_lstsq = (
            best_time(lambda X=X, y=y: np.linalg.lstsq(X, y, rcond=None)[0])[0] if n <= LSTSQ_MAX_N else float("nan")
        )
        t_gd, (w_gd, steps) = best_time(lambda X=X, y=y: gradient_descent(X, y))
        err = float(np.linalg.norm(w_gd - w_solve) / np.linalg.norm(w_solve))
        t_lib = best_time(lambda X=X, y=y: library_descent(X, y))[0] if n <= LIBRARY_MAX_N else float("nan")
        rows.append((n, t_solve, t_lstsq, t_gd, t_lib))
        print(f"{n:5d} {m:6d} {ms(t_solve)} {ms(t_lstsq)} {ms(t_gd)} {steps:8d} {err:8.1e} {ms(t_lib)}")

    n_arr = np.array([r[0] for r in rows])
    faster = [r[0] for r in rows if r[3] < r[1]]
    print()
    if faster:
        print(f"GD (NumPy) beat the solve of the normal equation at n = {faster}")
    else:
        print("The normal equation (solve) was faster than GD at every n measured.")
    lst = [r[0] for r in rows if r[3] < r[2]]
    print(f"GD (NumPy) beat lstsq at n = {lst}" if lst else "lstsq was faster than GD at every n measured.")
    if len(rows) >= 3:
        for name, k in (("solve", 1), ("GD", 3)):
            slope = np.polyfit(np.log(n_arr[-3:]), np.log([r[k] for r in rows[-3:]]), 1)[0]
            print(f"  time grows like n^{slope:.2f} for {name} over the last three sizes")

    if args.out is not None:
        path = plot(rows, args.out / "normal_vs_gd.png")
        print(f"\nsaved {path}")


def plot(rows: list[tuple[int, float, float, float, float]], path: Path) -> Path:
    """Time against n on log-log axes, one line per method (rows: n and the four times in
    seconds, NaN where not measured), drawn like the library's plots; returns the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from tinygrad_edu.viz.plots import new_figure, save

    fig = new_figure((5.6, 5.2))
    ax = fig.subplots()
    n = np.array([r[0] for r in rows], dtype=np.float64)
    for name, k, style, colour in (
        ("normal equation: solve", 1, "o-", "#1f77b4"),
        ("normal equation: lstsq (SVD)", 2, "s-", "#2ca02c"),
        ("gradient descent, exact steps (NumPy)", 3, "^-", "#ff7f0e"),
        ("the same descent through tinygrad_edu", 4, "v--", "#d62728"),
    ):
        ax.loglog(n, [1e3 * r[k] for r in rows], style, color=colour, markersize=5, label=name)
    ax.set_xticks(n, [f"{v:g}" for v in n])  # the sizes measured, not 2 x 10^2 ... (they collide)
    ax.xaxis.set_minor_formatter("")  # no labels on the minor ticks
    ax.set_xlabel("features n (rows m = 4n)")
    ax.set_ylabel("time (ms, best of 3)")
    ax.set_title(f"the normal equation against gradient descent\n(stopped at ||g|| <= {RTOL:g} ||g_0||)")
    ax.grid(True, which="both", alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside lower center", ncols=1, frameon=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    save(fig, path)
    plt.close(fig)
    return path


if __name__ == "__main__":
    main()
