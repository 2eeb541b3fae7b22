"""The `tinygrad-edu` command line (also `python -m tinygrad_edu`).

tinygrad-edu demo [--out DIR] [--steps N] [--seed S] [--no-progress] [--quick]
tinygrad-edu --version
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

INSTALL_VIZ = 'pip install "tinygrad_edu[viz]"'
DEFAULT_STEPS = 200
QUICK_STEPS = 60

DEMO_HELP = f"""\
Run the lesson "From the normal equation to gradient descent" end to end on a built-in data
set (linear regression, 2 features): the normal equation, gradient descent with a fixed step,
backtracking and exact line search, Adam, RMSprop and AdaGrad. Prints a comparison table
(final loss, distance to the normal-equation solution, steps, time) and writes an HTML report
to DIR that follows the lesson in eleven sections, each with its formula, the numbers
tinygrad_edu computed next to the ones derived by hand, and pictures: the normal equation,
the slope of x^2 at 2, the gradient (with the computation graph and the gradient check), the
directional derivative, the update rule, the learning rate, the line searches (with the Armijo
picture), the adaptive methods, minibatches, momentum, L1/L2 and a small neural network, the
exercise, and the O(n^3) cost measured on this machine. Open DIR/index.html in a browser.

Needs matplotlib ({INSTALL_VIZ}). Graphs are drawn with Graphviz's
`dot` program when it is installed and shown as text otherwise.

example: tinygrad-edu demo --out demo-out"""


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def nonnegative_int(text: str) -> int:
    """argparse type: an integer >= 0 (a random seed)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def version_text() -> str:
    """`tinygrad-edu --version`: this package's version, then Python's and NumPy's."""
    import platform

    import numpy as np

    from . import __version__

    return f"tinygrad_edu {__version__} (Python {platform.python_version()}, NumPy {np.__version__})"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser: one sub-command, `demo`."""
    parser = argparse.ArgumentParser(
        prog="tinygrad-edu", description="tinygrad_edu: learn how gradients drive optimization."
    )
    parser.add_argument(
        "--version",
        action="version",
        version=version_text(),
        help="print the versions of tinygrad_edu, Python and NumPy, and exit",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = sub.add_parser(
        "demo",
        help="run the lesson end to end and write an HTML report",
        description=DEMO_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo.add_argument(
        "--out",
        metavar="DIR",
        default="demo-out",
        help="folder for the report, index.html and its pictures; created if needed (default: demo-out)",
    )
    demo.add_argument(
        "--steps",
        metavar="N",
        type=positive_int,
        default=None,
        help=f"at most N steps per optimizer (default: {DEFAULT_STEPS}; with --quick: {QUICK_STEPS})",
    )
    demo.add_argument(
        "--seed", metavar="S", type=nonnegative_int, default=0, help="random seed of the built-in data set (default: 0)"
    )
    demo.add_argument("--no-progress", action="store_true", help="do not show the progress bar")
    demo.add_argument(
        "--quick",
        action="store_true",
        help="a faster, smaller run (fewer steps unless --steps is given), e.g. for tests",
    )
    return parser


def run_demo_command(args: argparse.Namespace) -> int:
    """`tinygrad-edu demo`: compute, print the table, write the report. Returns the exit code."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        print(
            f"tinygrad-edu demo: the report's plots need matplotlib, which is not installed.\n"
            f"Install it with: {INSTALL_VIZ}",
            file=sys.stderr,
        )
        return 1
    from .demo import START, format_table, run_demo
    from .report import write_report

    steps = args.steps if args.steps is not None else (QUICK_STEPS if args.quick else DEFAULT_STEPS)
    t0 = time.perf_counter()
    result = run_demo(steps=steps, seed=args.seed, progress=not args.no_progress)
    print(
        f"Linear regression, {result.X.shape[0]} rows, 2 features (seed {args.seed}); "
        f"f(W) = ||y - XW||^2; every optimizer starts at W = {START}, at most {steps} steps.\n"
    )
    print(format_table(result))
    print()
    print(result.gradient_report)
    print(f"gradcheck: {result.gradcheck_message}")
    try:
        written = write_report(result, args.out)
    except OSError as err:
        print(f"tinygrad-edu demo: could not write the report to {args.out!r}: {err}", file=sys.stderr)
        return 1
    if written.graph_note:
        print(f"\nnote: {written.graph_note}")
    print(
        f"\nreport written to {written.index} ({len(written.files)} files next to it) "
        f"in {time.perf_counter() - t0:.1f} s; open it in a browser"
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `tinygrad-edu`; returns the exit code (argparse exits 2 on bad options)."""
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        return run_demo_command(args)
    return 2  # unreachable: argparse requires a known command


if __name__ == "__main__":
    sys.exit(main())
