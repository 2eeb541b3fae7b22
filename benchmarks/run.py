"""Benchmarks: tinygrad_edu against a hand-written NumPy baseline and the other autodiff libraries.

    python benchmarks/run.py [--quick] [--only NAME[,NAME]] [--frameworks a,b]

Each workload (benchmarks/workloads/) runs in a fresh process per framework, on one thread
(OMP/OPENBLAS/MKL_NUM_THREADS=1, torch.set_num_threads(1)): one warm-up, then the median of
at least five timed runs (one with --quick; fewer when a single run is slow, see child.py),
and the quietest of three such rounds (one for a child that takes over ten seconds).
The parent checks that every framework's result matches the NumPy baseline's (1e-8 relative
in float64; the float32 mlp workload states its own tolerance) and prints one markdown table
per workload. Frameworks that are not installed are skipped. The exit status is 1 when a
result mismatches or when tinygrad_edu or the baseline fails; a peer's failure (micrograd's
RecursionError, a timeout) is a measurement, not an error.
"""

from __future__ import annotations

import os

# The parent reports the BLAS it sees with one thread too, as the children run.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import importlib  # noqa: E402
import importlib.metadata  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from child import MARKER  # noqa: E402
from workloads.common import SIZES  # noqa: E402

WORKLOADS = ["linreg", "mlp", "overhead", "deep", "moons", "conv", "memory"]
FRAMEWORKS = ["numpy", "tinygrad_edu", "tinygrad_edu_compile", "torch", "autograd", "mygrad", "micrograd"]
PEERS = ["torch", "autograd", "mygrad", "micrograd"]
BASELINE = "numpy"
OURS = "tinygrad_edu"
COMPILED = "tinygrad_edu_compile"  # the same loops with the training step under tge.compile

# Per mode: rounds of children per framework (the quietest is kept), timed repeats after the
# warm-up in each child, seconds of repeats a child may spend, and the timeout of one child.
MODES = {
    "full": {"rounds": 3, "repeats": 5, "budget": 20.0, "timeout": 120.0},
    "quick": {"rounds": 1, "repeats": 1, "budget": 5.0, "timeout": 60.0},
}
ROUND_LIMIT = 10.0  # seconds: a slower child runs in one round only


@dataclass
class Table:
    """One workload at one size: a row (the child's JSON, plus the check) per framework."""

    workload: str
    title: str
    size: dict[str, Any]
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)


# ---------------------------------------------------------------- running children


def run_child(
    workload: str, framework: str, size: dict[str, Any], mode: dict[str, float], timeout: float
) -> dict[str, Any]:
    """Run one (workload, framework, size) in a fresh process; its JSON or an 'error'."""
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = "1"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    cmd = [
        sys.executable,
        str(HERE / "child.py"),
        workload,
        framework,
        json.dumps(size),
        "--repeats",
        str(int(mode["repeats"])),
        "--budget",
        str(mode["budget"]),
    ]
    started = time.perf_counter()
    try:
        proc = subprocess.run(cmd, env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timeout (> {timeout:.0f} s)"}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(MARKER):
            out: dict[str, Any] = json.loads(line[len(MARKER) :])
            out["wall"] = time.perf_counter() - started
            return out
    last = (proc.stderr.strip().splitlines() or [""])[-1]
    return {"error": f"crashed (exit code {proc.returncode}) {last}"[:120]}


def check(result: list[float], reference: list[float], rtol: float) -> tuple[str, float]:
    """'ok' or 'MISMATCH', and the largest relative difference to the reference."""
    if len(result) != len(reference):
        return "MISMATCH", math.inf
    worst = 0.0
    for a, b in zip(result, reference):
        if not (math.isfinite(a) and math.isfinite(b)):
            return "MISMATCH", math.inf
        worst = max(worst, abs(a - b) / max(abs(b), 1e-300))
    return ("ok" if worst <= rtol else "MISMATCH"), worst


def run_table(table: Table, frameworks: list[str], mode: dict[str, float], previous: Table | None) -> None:
    """Fill the table's rows, in rounds; print progress to stderr.

    Rounds interleave the frameworks, so that a noisy minute on a shared machine hits them
    all alike; each framework keeps its quietest round (the lowest median). A framework whose
    child took longer than ROUND_LIMIT seconds is measured in one round only.
    """
    module = importlib.import_module(f"workloads.{table.workload}")
    runnable = []
    for fw in frameworks:
        skip = _skip_reason(fw, table, previous, mode["timeout"])
        if fw not in module.FRAMEWORKS:
            skip = "not run (a scalar engine on this size)" if fw == "micrograd" else "not run for this workload"
        if skip:
            table.rows[fw] = {"error": skip, "skipped": True}
        else:
            runnable.append(fw)
    for round_ in range(1, int(mode["rounds"]) + 1):
        for fw in runnable:
            best = table.rows.get(fw)
            if best is not None and ("error" in best or best["wall"] > ROUND_LIMIT):
                continue
            print(f"  {table.title}: {fw} (round {round_}) ...", file=sys.stderr, flush=True)
            row = run_child(table.workload, fw, table.size, mode, mode["timeout"])
            row["rounds"] = round_
            if best is None or "error" in row or row["time"] < best["time"]:
                table.rows[fw] = row
            else:
                best["rounds"] = round_
    table.rows = {fw: table.rows[fw] for fw in frameworks if fw in table.rows}
    # every framework's result against the baseline's
    reference = table.rows.get(BASELINE, {}).get("result")
    for fw, row in table.rows.items():
        if "error" in row:
            continue
        if fw == BASELINE:
            row["check"], row["rel"] = "ok (reference)", 0.0
        elif reference is None:
            row["check"], row["rel"] = "no baseline", math.nan
        else:
            row["check"], row["rel"] = check(row["result"], reference, module.RTOL)


def _skip_reason(fw: str, table: Table, previous: Table | None, timeout: float) -> str:
    """deep's larger size runs only for frameworks that passed the smaller one in time."""
    if previous is None:
        return ""
    before = previous.rows.get(fw)
    if before is None or "error" in before:
        return "skipped (failed at the smaller size)"
    projected = before["time"] * table.size["ops"] / previous.size["ops"]
    if projected > timeout / 2:
        return f"skipped (projected {projected:.0f} s per run)"
    return ""


# ---------------------------------------------------------------- printing


def fmt_time(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.0f} us"


def print_table(table: Table) -> None:
    per_op = table.workload == "overhead"
    base = table.rows.get(BASELINE, {})
    print(f"\n### {table.title}\n")
    time_header = "us per op (fwd+bwd)" if per_op else "time (median)"
    print(f"| framework | {time_header} | vs NumPy | peak memory | rounds x runs | result check | max rel. diff |")
    print("|---|---:|---:|---:|---|---|---:|")
    for fw, row in table.rows.items():
        if "error" in row:
            print(f"| {fw} | - | - | - | - | {row['error']} | - |")
            continue
        t = row["time"]
        shown = f"{t / table.size['ops'] * 1e6:.2f}" if per_op else fmt_time(t)
        ratio = f"{t / base['time']:.2f}x" if "time" in base else "-"
        runs = "1 (cold)" if row["cold"] else f"{row['rounds']}x{len(row['times'])}"
        rel = "-" if math.isnan(row["rel"]) else f"{row['rel']:.1e}"
        print(f"| {fw} | {shown} | {ratio} | {row['peak_mb']:.1f} MB | {runs} | {row['check']} | {rel} |")


def print_memory(out: dict[str, Any], steps: int) -> bool:
    """Print the memory workload; True when the peak stayed flat and the graph was freed."""
    print(f"\n### memory (tinygrad_edu, {steps:,} mlp training steps)\n")
    if "error" in out:
        print(f"error: {out['error']}")
        return False
    samples = out["samples"]
    print("| step | resident memory | peak so far |")
    print("|---:|---:|---:|")
    for s in samples:
        print(f"| {s['step']:,} | {s['rss_mb']:.1f} MB | {s['peak_mb']:.1f} MB |")
    # growth of the peak after the first sample (which includes the first step's allocations)
    growth = samples[-1]["peak_mb"] - samples[1]["peak_mb"] if len(samples) > 1 else 0.0
    flat = growth <= 5.0
    print(
        f"\npeak growth after step {samples[1]['step'] if len(samples) > 1 else 0:,}: "
        f"{growth:.1f} MB ({'flat' if flat else 'GROWING'}; flat means at most 5 MB)"
    )
    print("\nGraph freed by reference counting alone (gc disabled, loss dropped):\n")
    print("| case | graph objects tracked | still alive | graph size | left after drop |")
    print("|---|---:|---:|---:|---:|")
    freed = True
    for case, r in out["freed"].items():
        print(
            f"| {case.replace('_', ' ')} | {r['tracked']} | {r['alive']} "
            f"| {r['graph_kb']:.0f} kB | {r['left_kb']:.1f} kB |"
        )
        freed = freed and r["alive"] == 0
    print(f"\ngraph freed by refcounting: {'yes' if freed else 'NO'}")
    return flat and freed


def machine_info(frameworks: list[str]) -> None:
    import numpy as np

    print("## Machine\n")
    print(f"- code: {_code_version()}")
    print(f"- Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores, {_cpu_model()}")
    blas = "unknown"
    try:
        blas_cfg = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        blas = f"{blas_cfg.get('name')} {blas_cfg.get('version')}"
    except Exception:  # older NumPy: show_config has no dict mode
        pass
    print(f"- numpy {np.__version__}, BLAS: {blas}")
    try:
        from threadpoolctl import threadpool_info

        for pool in threadpool_info():
            print(
                f"- threadpoolctl: {pool.get('internal_api')} {pool.get('version')}, "
                f"kernel {pool.get('architecture')}, {pool.get('num_threads')} thread(s)"
            )
    except ImportError:
        pass
    coretype = os.environ.get("OPENBLAS_CORETYPE")
    if coretype:
        print(f"- OPENBLAS_CORETYPE={coretype} (set by this machine)")
    print("- one thread per framework: OMP/OPENBLAS/MKL_NUM_THREADS=1, torch.set_num_threads(1)")
    found = [f"{p} {importlib.metadata.version(p)}" for p in PEERS if p in frameworks]
    missing = [p for p in PEERS if p not in frameworks]
    print(
        f"- peers found: {', '.join(found) or 'none'}"
        + (f"; not installed or not selected: {', '.join(missing)}" if missing else "")
    )


def _code_version() -> str:
    """The commit benchmarked, and whether tinygrad_edu/ had uncommitted changes."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "tinygrad_edu"], cwd=REPO, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"commit {commit}" + (" with uncommitted changes in tinygrad_edu/" if dirty else "")


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


# ---------------------------------------------------------------- the targets


def print_targets(tables: dict[str, Table], memory_ok: bool | None) -> None:
    """Each target of the issue next to the measured numbers (where both were measured)."""

    def row(title: str, fw: str) -> dict[str, Any] | None:
        table = tables.get(title)
        r = table.rows.get(fw) if table else None
        return r if r and "time" in r else None

    def ratio(title: str, fw: str) -> float | None:
        ours, base = row(title, fw), row(title, BASELINE)
        return ours["time"] / base["time"] if ours and base else None

    lines = []
    for workload in ("linreg", "mlp"):
        r = ratio(workload, OURS)
        if r is not None:
            lines.append(f"{workload}: {r:.2f}x NumPy (target <= 1.10x): {'met' if r <= 1.10 else 'MISSED'}")
    title = "overhead"
    ours = row(title, OURS)
    if ours:
        us = {fw: row(title, fw)["time"] / tables[title].size["ops"] * 1e6 for fw in FRAMEWORKS if row(title, fw)}
        bars = []
        if "torch" in us:
            bars.append(("PyTorch", us["torch"]))
        for fw, name in (("autograd", "HIPS autograd"), ("mygrad", "MyGrad")):
            if fw in us:
                bars.append((f"half of {name}", us[fw] / 2))
        verdict = all(us[OURS] <= bar for _, bar in bars)
        lines.append(
            f"overhead: {us[OURS]:.2f} us per op (target <= "
            + ", ".join(f"{name} {bar:.2f}" for name, bar in bars)
            + f"): {'met' if verdict else 'MISSED'}"
        )
    deep = [t for t in tables.values() if t.workload == "deep"]
    if deep:
        big = deep[-1].rows.get(OURS, {})
        lines.append(
            f"{deep[-1].title}: "
            + ("backprop without error: met" if "time" in big else f"{big.get('error', 'not run')}: MISSED")
        )
        small, torch_row = row(deep[0].title, OURS), row(deep[0].title, "torch")
        if small and torch_row:
            met = small["time"] <= torch_row["time"] and small["peak_mb"] <= torch_row["peak_mb"]
            lines.append(
                f"{deep[0].title}: {fmt_time(small['time'])} and "
                f"{small['peak_mb']:.0f} MB vs PyTorch {fmt_time(torch_row['time'])} "
                f"and {torch_row['peak_mb']:.0f} MB (target: no slower, no more "
                f"memory): {'met' if met else 'MISSED'}"
            )
    ours, torch_row = row("moons", OURS), row("moons", "torch")
    if ours and torch_row:
        lines.append(
            f"moons: {fmt_time(ours['time'])} vs PyTorch {fmt_time(torch_row['time'])} "
            f"(target: no slower): "
            f"{'met' if ours['time'] <= torch_row['time'] else 'MISSED'}"
        )
    for workload, limit in (("moons", 2.5), ("mlp", 1.05)):
        r = ratio(workload, COMPILED)
        if r is not None:
            lines.append(
                f"{workload} with compile: {r:.2f}x NumPy (target <= {limit:.2f}x): {'met' if r <= limit else 'MISSED'}"
            )
    compiled = row("overhead", COMPILED)
    if compiled:
        us = compiled["time"] / tables["overhead"].size["ops"] * 1e6
        lines.append(f"overhead with compile: {us:.2f} us per op (target <= 2.00): {'met' if us <= 2.0 else 'MISSED'}")
    ours, torch_row = row("conv", OURS), row("conv", "torch")
    if ours and torch_row:
        r = ours["time"] / torch_row["time"]
        lines.append(
            f"conv: {fmt_time(ours['time'])} vs PyTorch {fmt_time(torch_row['time'])}, {r:.2f}x "
            f"(target <= 3x PyTorch): {'met' if r <= 3.0 else 'MISSED'}"
        )
    if memory_ok is not None:
        lines.append(f"memory: flat peak and graph freed by refcounting: {'met' if memory_ok else 'MISSED'}")
    if lines:
        print("\n## Targets\n")
        for line in lines:
            print(f"- {line}")


# ---------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat: seconds")
    parser.add_argument(
        "--only", default=",".join(WORKLOADS), help=f"comma-separated workloads among {', '.join(WORKLOADS)}"
    )
    parser.add_argument(
        "--frameworks", default=",".join(FRAMEWORKS), help="comma-separated frameworks (the NumPy baseline always runs)"
    )
    parser.add_argument("--timeout", type=float, help="seconds per child process")
    args = parser.parse_args(argv)
    for name in args.only.split(","):
        if name not in WORKLOADS:
            parser.error(f"unknown workload {name!r}; choose among {', '.join(WORKLOADS)}")
    for name in args.frameworks.split(","):
        if name not in FRAMEWORKS:
            parser.error(f"unknown framework {name!r}; choose among {', '.join(FRAMEWORKS)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    mode_name = "quick" if args.quick else "full"
    mode = dict(MODES[mode_name])
    if args.timeout:
        mode["timeout"] = args.timeout
    chosen = set(args.frameworks.split(",")) | {BASELINE}
    # tinygrad_edu always counts as present: if it fails to import, that is an error to show.
    frameworks = [
        fw for fw in FRAMEWORKS if fw in chosen and (fw in (BASELINE, OURS, COMPILED) or importlib.util.find_spec(fw))
    ]
    workloads = [w for w in WORKLOADS if w in args.only.split(",")]

    print(f"# tinygrad_edu benchmarks ({mode_name} mode)\n")
    machine_info(frameworks)
    started = time.perf_counter()
    tables: dict[str, Table] = {}
    memory_ok: bool | None = None
    failed = False
    for workload in workloads:
        size = SIZES[workload][mode_name]
        if workload == "memory":
            if OURS not in frameworks:
                continue
            print(f"  memory: {OURS} ...", file=sys.stderr, flush=True)
            out = run_child("memory", OURS, size, mode, mode["timeout"] * 3)
            memory_ok = print_memory(out, size["steps"])
            failed = failed or "error" in out
            continue
        if workload == "deep":
            sized = [(f"deep ({n:,} ops)", {**size, "ops": n}) for n in size["ops"]]
        else:
            sized = [(workload, size)]
        previous = None
        for title, s in sized:
            table = Table(workload, title, s)
            run_table(table, frameworks, mode, previous)
            print_table(table)
            tables[title] = table
            previous = table
            for fw, row in table.rows.items():
                mismatch = row.get("check") == "MISMATCH"
                ours_failed = fw in (BASELINE, OURS, COMPILED) and "error" in row and not row.get("skipped")
                failed = failed or mismatch or ours_failed
    if mode_name == "full":
        print_targets(tables, memory_ok)
    else:
        print("\n(the issue's targets are judged on full-size runs only)")
    print(f"\n(total {time.perf_counter() - started:.0f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
