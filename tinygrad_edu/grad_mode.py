"""The engine's per-thread switches: grad mode (`no_grad`, `enable_grad`), the forward-mode
level (`forward_level`), anomaly detection (`detect_anomaly`), and the recorder of
`tge.compile`."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any


class _State(threading.local):
    """Per-thread switches: recording for backward, forward-mode level, anomaly detection."""

    def __init__(self) -> None:
        self.grad_enabled = True
        self.fw_level = 0  # id of the active forward-mode (jvp) level; 0 = off
        self.anomaly = False
        self.recorder: Any = None  # a tge.compile recording in progress (recorder.py), or None


STATE = _State()


def is_grad_enabled() -> bool:
    """True when ops record the graph that backward needs (the default)."""
    return STATE.grad_enabled


class _GradMode(contextlib.ContextDecorator):
    """Set grad mode inside a `with` block or a decorated function; restore it after."""

    enabled = True

    def __enter__(self) -> None:
        self._prev = STATE.grad_enabled
        STATE.grad_enabled = self.enabled

    def __exit__(self, *exc: object) -> None:
        STATE.grad_enabled = self._prev


class no_grad(_GradMode):  # noqa: N801 - PyTorch's name
    """Ops inside do not record a graph: for evaluation and parameter updates."""

    enabled = False


class enable_grad(_GradMode):  # noqa: N801 - PyTorch's name
    """Ops inside record a graph, even within `no_grad`."""

    enabled = True


class detect_anomaly(contextlib.ContextDecorator):  # noqa: N801 - PyTorch's name
    """Backward raises at the first op whose gradient is NaN or infinite, naming the op and
    the line of user code that created it in the forward pass. Off by default."""

    def __enter__(self) -> None:
        self._prev = STATE.anomaly
        STATE.anomaly = True

    def __exit__(self, *exc: object) -> None:
        STATE.anomaly = self._prev


_next_level = iter(range(1, 1 << 62))


@contextlib.contextmanager
def forward_level() -> Iterator[int]:
    """Open a fresh forward-mode level; tangents from other levels are ignored inside."""
    prev = STATE.fw_level
    STATE.fw_level = next(_next_level)
    try:
        yield STATE.fw_level
    finally:
        STATE.fw_level = prev
