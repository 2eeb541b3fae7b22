"""Every script in examples/ runs and prints what it claims (the lesson's numbers)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SCRIPTS = sorted(EXAMPLES.glob("[0-9][0-9]_*.py"))
SAVES_PICTURES = {"06_learning_rate.py", "07_line_search.py", "08_adaptive.py", "10_mlp_moons.py",
                  "11_normal_equation_timing.py", "12_beyond_gradient.py", "13_cnn_digits.py"}  # fmt: skip


def run(script: str, *args: str) -> str:
    """Run one example; return its output (stdout), failing the test on a non-zero exit."""
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert proc.returncode == 0, f"{script} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def test_every_example_is_tested() -> None:
    assert [s.name for s in SCRIPTS] == sorted(CHECKS), "add a check for every example script"


def check_01(out: str) -> None:
    assert "f(2)  = 4" in out and "f'(2) = 4" in out
    assert "f'(0) = -4" in out
    assert re.search(r"x_new = .* = 0\.4\b", out)


def check_02(out: str) -> None:
    assert "all gradients agree" in out
    assert "gradcheck (autodiff vs central differences in float64): passed" in out


def check_03(out: str) -> None:
    smallest = float(re.search(r"Smallest D_u f over 720 directions: (-?[\d.]+)", out).group(1))
    steepest = float(re.search(r"= -\|\|grad f\|\| = (-?[\d.]+)", out).group(1))
    assert smallest == pytest.approx(steepest, rel=1e-3)


def check_04(out: str) -> None:
    assert out.count("Hessian = 2X^T X? yes") == 2
    assert "(all >= 0: True)" in out
    seen = int(re.search(r"Points on the path with a negative eigenvalue: (\d+) of", out).group(1))
    assert seen >= 1


def check_05(out: str) -> None:
    assert float(re.search(r"max \|W_gd - W_ne\| = ([\d.e+-]+)", out).group(1)) < 1e-6


def check_06(out: str) -> None:
    assert "good: converged" in out
    assert "too large: DIVERGED" in out and "DivergenceError: the loss" in out
    assert "2/L =" in out


def check_07(out: str) -> None:
    for method in ("fixed step 1/L", "exact line search", "backtracking (Armijo)"):
        assert re.search(rf"{re.escape(method)}\s+\d+\s+\d+\s+0\.25000000", out), method
    assert "accepted" in out and "rejected" in out


def check_08(out: str) -> None:
    gaps = dict(re.findall(r"^(GD|Adam|RMSprop|AdaGrad)[^\n]*?\s([\d.]+e[+-]\d+)\s", out, flags=re.M))
    assert set(gaps) == {"GD", "Adam", "RMSprop", "AdaGrad"}
    assert all(float(gaps[m]) < 1e-3 * float(gaps["GD"]) for m in ("Adam", "RMSprop", "AdaGrad"))


def check_09(out: str) -> None:
    assert "lowest test MSE at lam = 0.1" in out


def check_10(out: str) -> None:
    accuracy = float(re.search(r"MLP training accuracy: ([\d.]+)%", out).group(1))
    assert accuracy >= 97.0


def check_13(out: str) -> None:
    accuracy = float(re.search(r"test accuracy: ([\d.]+)%", out).group(1))
    assert accuracy >= 97.0
    assert re.search(r"training time: [\d.]+ s \(8 epochs, 168 Adam steps; [\d.]+ s of CPU time\)", out)


def check_11(out: str) -> None:
    rows = re.findall(r"^\s+(\d+)\s+(\d+)\s+([\d.]+)", out, flags=re.M)
    assert [int(r[0]) for r in rows] == [20, 40, 80]
    assert "GD steps" in out


def check_12(out: str) -> None:
    rows = dict(
        re.findall(
            r"^(GD, fixed step 1/L|GD \+ exact line search|conjugate gradient|L-BFGS|Newton)"
            r"\s+(\d+)\s",
            out,
            flags=re.M,
        )
    )
    assert set(rows) == {"GD, fixed step 1/L", "GD + exact line search", "conjugate gradient", "L-BFGS", "Newton"}
    assert "(not converged)" not in out
    steps = [int(v) for v in re.findall(r"^Newton\s+(\d+)\s", out, flags=re.M)]
    assert steps[0] == 1  # one Newton step solves the lesson's least squares
    assert int(re.findall(r"^conjugate gradient\s+(\d+)\s", out, flags=re.M)[0]) == 2
    assert float(re.search(r"max difference ([\d.e+-]+)\)", out).group(1)) < 1e-10
    assert "DivergenceError" in out


CHECKS = {s.name: globals()[f"check_{s.name[:2]}"] for s in SCRIPTS if f"check_{s.name[:2]}" in globals()}


@pytest.mark.parametrize("script", [s.name for s in SCRIPTS])
def test_example(script: str, tmp_path: Path) -> None:
    args = ["--quick"] if script.startswith("11_") else []
    if script in SAVES_PICTURES:
        args += ["--out", str(tmp_path)]
    out = run(script, *args)
    CHECKS[script](out)
    if script in SAVES_PICTURES:
        assert list(tmp_path.glob("*.png")), f"{script} --out saved no picture"


def test_examples_do_not_need_dot(tmp_path: Path) -> None:
    """The scripts never call Graphviz: with `dot` off the PATH they still run."""
    env = {**os.environ, "PATH": str(tmp_path), "MPLBACKEND": "Agg"}
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / "02_gradient.py")], capture_output=True, text=True, env=env, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
