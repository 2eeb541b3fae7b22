"""The engine's per-thread switches: grad mode (`no_grad`, `enable_grad`), the forward-mode
level (`forward_level`), anomaly detection (`detect_anomaly`), and the recorder of
`tge.compile`."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any


class _State(threading.local):
    """Per-thread switches: recording for backward, forward-mode level, anomaly detection.

    `special` is True while any of the rare ones is on (forward mode, anomaly detection, a
    recording): every op reads that one flag instead of three (a thread-local read is not
    free). Setting a switch updates it."""

    grad_enabled: bool
    fw_level: int  # id of the active forward-mode (jvp) level; 0 = off
    anomaly: bool
    recorder: Any  # a tge.compile recording in progress (recorder.py), or None
    special: bool

    def __init__(self) -> None:
        self.grad_enabled = True
        self.fw_level, self.anomaly, self.recorder = 0, False, None

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name != "grad_enabled":
            d = self.__dict__
            rare = d.get("fw_level", 0) != 0 or d.get("anomaly", False) or d.get("recorder") is not None
            super().__setattr__("special", rare)


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
