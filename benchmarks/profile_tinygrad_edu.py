"""Profile tinygrad_edu on one workload with cProfile and print the top entries.

    python benchmarks/profile_tinygrad_edu.py overhead [--top 25] [--sort tottime] [--quick]

Runs the workload once as a warm-up, then once under cProfile, on one thread like run.py.
The printed table is what docs/performance.md quotes.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import cProfile  # noqa: E402
import importlib  # noqa: E402
import io  # noqa: E402
import pstats  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(1, str(HERE.parent))

from workloads.common import SIZES  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", choices=["linreg", "mlp", "overhead", "deep", "moons"])
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="tottime", choices=["tottime", "cumulative"])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    size = dict(SIZES[args.workload]["quick" if args.quick else "full"])
    if args.workload == "deep":
        size["ops"] = size["ops"][0]
    run = importlib.import_module(f"workloads.{args.workload}").FRAMEWORKS["tinygrad_edu"](size)
    run()  # warm-up
    profiler = cProfile.Profile()
    profiler.runcall(run)
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    stats.strip_dirs().sort_stats(args.sort).print_stats(args.top)
    print(stream.getvalue())


if __name__ == "__main__":
    main()
