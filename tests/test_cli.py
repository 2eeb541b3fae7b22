"""`tinygrad-edu demo` end to end: the table, the report, the no-`dot` path, help and errors."""

from __future__ import annotations

import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tinygrad_edu.cli import build_parser, main


class Page(HTMLParser):
    """Collects what the tests look at: image sources, links, table ids and all the text."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.links: list[str] = []
        self.tables: list[str] = []
        self.ids: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "img" and a.get("src"):
            self.images.append(str(a["src"]))
        if tag == "a" and a.get("href"):
            self.links.append(str(a["href"]))
        if tag == "table":
            self.tables.append(str(a.get("id")))
        if a.get("id"):
            self.ids.append(str(a["id"]))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(index: Path) -> Page:
    page = Page()
    page.feed(index.read_text(encoding="utf-8"))
    page.close()
    return page


def demo(out: Path, *extra: str, path: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m tinygrad_edu demo --quick --out OUT ...` in a subprocess."""
    env = {**os.environ, "MPLBACKEND": "Agg"}
    if path is not None:
        env["PATH"] = path
    return subprocess.run(
        [sys.executable, "-m", "tinygrad_edu", "demo", "--quick", "--out", str(out), *extra],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


METHODS = ["normal equation", "GD, fixed step 1/L", "GD, backtracking", "GD, exact line search",
           "Adam", "RMSprop", "AdaGrad", "conjugate gradient", "L-BFGS", "Newton"]  # fmt: skip


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = tmp_path_factory.mktemp("demo") / "report"  # does not exist yet: the demo creates it
    return demo(out, "--no-progress"), out


def test_demo_prints_the_table(report: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    proc, out = report
    assert proc.returncode == 0, proc.stderr
    for head in ("final loss", "||W - W_ne||", "steps", "time (ms)"):
        assert head in proc.stdout
    for method in METHODS:
        assert f"\n{method} " in proc.stdout
    assert "all gradients agree" in proc.stdout
    assert f"report written to {out / 'index.html'}" in proc.stdout
    assert "9/9" not in proc.stderr  # --no-progress


def test_demo_reaches_the_normal_equation(report: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    """Even in the 60 steps of --quick, every method gets close to the normal-equation
    solution, and the line searches get there."""
    lines = {line.split("  ")[0]: line.split() for line in report[0].stdout.splitlines()}
    distances = {m: float(lines[m][len(m.split()) + 1]) for m in METHODS}
    assert distances["normal equation"] == 0.0
    assert distances["GD, exact line search"] < 1e-6 and distances["GD, backtracking"] < 1e-4
    assert max(distances[m] for m in ("conjugate gradient", "L-BFGS", "Newton")) < 1e-6
    assert max(distances.values()) < 0.5, distances


def test_demo_report_is_complete(report: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    _, out = report
    page = parse(out / "index.html")
    assert "comparison" in page.tables and "gradient-check" in page.tables
    assert {"contour.png", "history.png", "line_search.png"} <= set(page.images)
    for src in page.images + [h for h in page.links if "://" not in h and not h.startswith("#")]:
        assert (out / src).is_file(), f"the report links {src}, which was not written"
    text = " ".join(page.text)
    for method in METHODS:
        assert method in text
    if "graph.svg" not in page.images:  # no `dot` on this machine
        assert "install-dot" in page.ids


def test_demo_without_dot(tmp_path: Path) -> None:
    """With `dot` off the PATH the demo still completes, says how to install it, shows text."""
    empty = tmp_path / "bin"
    empty.mkdir()
    proc = demo(tmp_path / "out", path=str(empty))  # with the progress bar
    assert proc.returncode == 0, proc.stderr
    assert "9/9" in proc.stderr  # tqdm's bar over the nine iterative methods
    assert "apt-get install graphviz" in proc.stdout
    page = parse(tmp_path / "out" / "index.html")
    assert "install-dot" in page.ids
    assert "graph.svg" not in page.images
    text = " ".join(page.text)
    assert "apt-get install graphviz" in text and "└──" in text  # the text graph in a <pre>
    for src in page.images + [h for h in page.links if "://" not in h and not h.startswith("#")]:
        assert (tmp_path / "out" / src).is_file()


def test_demo_without_matplotlib(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['matplotlib'] = None\n"
        "from tinygrad_edu.cli import main\n"
        f"sys.exit(main(['demo', '--out', {str(tmp_path / 'out')!r}]))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert 'pip install "tinygrad_edu[viz]"' in proc.stderr
    assert not (tmp_path / "out").exists()


def test_help_explains_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["demo", "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    for option in ("--out DIR", "--steps N", "--seed S", "--no-progress", "--quick", "index.html"):
        assert option in text
    assert "demo" in build_parser().format_help()


@pytest.mark.parametrize("argv, message", [
    (["demo", "--bogus"], "unrecognized arguments: --bogus"),
    (["demo", "--steps", "0"], "--steps: must be at least 1"),
    (["demo", "--steps", "ten"], "--steps: expected a whole number"),
    (["demo", "--seed", "-1"], "--seed: must be 0 or more"),
    (["train"], "invalid choice: 'train'"),
    ([], "required"),
])  # fmt: skip
def test_bad_options_exit_2(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_entry_point_is_declared() -> None:
    pyproject = (Path(__file__).resolve().parent.parent / "pyproject.toml").read_text()
    assert 'tinygrad-edu = "tinygrad_edu.cli:main"' in pyproject


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    from tinygrad_edu import __version__

    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"tinygrad_edu {__version__} (Python ") and "NumPy" in out
    proc = subprocess.run(
        [sys.executable, "-m", "tinygrad_edu", "--version"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0 and proc.stdout == out


SECTIONS = ["normal-equation", "slope", "gradient", "directional", "update", "learning-rate", "line-search",
            "adaptive", "next-steps", "exercise", "cost"]  # fmt: skip


def test_demo_report_follows_the_lesson(report: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    """A table of contents, then one section per part of the lesson, each with a picture and
    the computed numbers next to the hand-derived ones, all agreeing."""
    _, out = report
    text = (out / "index.html").read_text(encoding="utf-8")
    assert [f"#{s}" for s in SECTIONS] == parse(out / "index.html").links[: len(SECTIONS)]
    chunks = text.split('<section id="')[1:]
    assert [c.split('"')[0] for c in chunks] == SECTIONS
    for slug, chunk in zip(SECTIONS, chunks):
        assert "<img " in chunk or slug == "gradient" and "install-dot" in chunk, f"{slug} has no picture"
        assert 'class="formula"' in chunk, f"{slug} has no formula"
    assert "<td>NO</td>" not in text  # every computed number agrees with its hand derivation
    assert text.count("<td>yes</td>") >= 20
    for number in ("[0.75, 2.12]", "<td>0.4</td>", "<td>3.56</td>", "<td>4</td>"):
        assert number in text, number
    for setting in ("betas=(0.9, 0.999)", "alpha=0.99", "initial_accumulator_value=0"):
        assert setting in text, setting  # the adaptive methods' settings are stated
    assert "diverged" in text and "2/L" in text
    if "graph.svg" in text:  # with `dot`: the backward pass as a stepper in the gradient section
        assert 'id="backward-steps"' in chunks[SECTIONS.index("gradient")] and "tge-stepper" in text
