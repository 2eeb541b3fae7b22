import os
import sys

import pytest
from hypothesis import HealthCheck, settings

sys.path.insert(0, os.path.dirname(__file__))

settings.register_profile(
    "ci", max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "long", max_examples=1000, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

TORCH_HINT = "`pip install torch` runs them"


def skip_reason(report) -> str:
    """The reason a skipped test report gives (pytest keeps it as (file, line, reason))."""
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr or "")


def torch_skips(reports) -> int:
    """How many of these skipped reports are PyTorch comparisons skipped for want of torch."""
    return sum("could not import 'torch'" in skip_reason(r) for r in reports)


def pytest_terminal_summary(terminalreporter) -> None:
    """One line that says how many PyTorch comparisons did not run and how to run them."""
    skipped = torch_skips(terminalreporter.stats.get("skipped", []))
    if skipped:
        terminalreporter.write_line(
            f"{skipped} PyTorch comparison{'s' if skipped != 1 else ''} skipped because torch is not installed; "
            f"{TORCH_HINT}",
            yellow=True,
        )


@pytest.fixture(scope="session")
def browser():
    """Headless system Chromium through Playwright; the test skips (saying how to install
    them) when either is missing. See tests/browser.py for the page helpers."""
    import browser as _browser

    why = _browser.missing()
    if why:
        pytest.skip(why)
    with _browser.launch() as b:
        yield b
