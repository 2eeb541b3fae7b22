"""Run one workload for one framework in this fresh process and print the result as JSON.

Started by run.py, one process per (workload, framework, size):

    python benchmarks/child.py WORKLOAD FRAMEWORK SIZE_JSON --repeats 5 --budget 20

It sets up the workload (untimed), runs it once as a warm-up, then `repeats` timed runs
(fewer when a run is slow, so that they fit in `budget` seconds; none when the warm-up alone
exceeds it, and then the warm-up is the one timing), and prints one line
`BENCHMARK-RESULT {json}` with the median time, all times, the peak resident memory of the
timed runs above the memory before them (so one-time lazy loading during the warm-up is not
counted; of the warm-up itself when it is the only run), and the workload's result (checked
by the parent). Any exception is reported as its
type and message rather than a traceback.
"""

from __future__ import annotations

import os

# One thread for every framework: set before NumPy (and its BLAS) is first imported.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import ctypes  # noqa: E402
import gc  # noqa: E402
import importlib  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

from workloads.rss import peak_rss_mb, reset_peak_rss, rss_mb  # noqa: E402

MARKER = "BENCHMARK-RESULT "


def measure(workload: str, framework: str, size: dict[str, Any], repeats: int, budget: float) -> dict[str, Any]:
    """Time one workload for one framework; see the module docstring."""
    if workload == "memory":
        from workloads.memory import run_tinygrad_edu

        return run_tinygrad_edu(size)
    module = importlib.import_module(f"workloads.{workload}")
    run = module.FRAMEWORKS[framework](size)

    settle()
    start_mb = rss_mb()
    reset_peak_rss()
    t0 = time.perf_counter()
    result = run()
    warmup = time.perf_counter() - t0
    peak_mb = peak_rss_mb() - start_mb
    if warmup * repeats > budget:
        repeats = int(budget // warmup)
    times = []
    if repeats:
        # the peak of the timed runs, above what the warm-up left (one-time lazy loading)
        settle()
        start_mb = rss_mb()
        reset_peak_rss()
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - t0)
    if repeats:
        peak_mb = peak_rss_mb() - start_mb
    return {
        "time": statistics.median(times) if times else warmup,
        "times": times,
        "warmup": warmup,
        "cold": not times,
        "peak_mb": peak_mb,
        "result": [float(v) for v in result],
    }


def settle() -> None:
    """Collect garbage and hand freed heap memory back to the system (glibc's malloc_trim),
    so that the next peak counts the workload's own allocations."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("workload")
    parser.add_argument("framework")
    parser.add_argument("size", help="the workload's sizes as JSON")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--budget", type=float, default=20.0)
    args = parser.parse_args()
    try:
        out = measure(args.workload, args.framework, json.loads(args.size), args.repeats, args.budget)
    except BaseException as e:  # report RecursionError, MemoryError, ... as a result
        message = str(e).splitlines()[0] if str(e) else ""
        out = {"error": f"{type(e).__name__}: {message}"[:80]}
    print(MARKER + json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
