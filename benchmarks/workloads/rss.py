"""The process's resident memory and its peak, in MB, from the standard library alone.

On Linux the peak (VmHWM) can be reset by writing 5 to /proc/self/clear_refs, so a child
measures the peak of its workload above its own start rather than of its imports. Elsewhere
it falls back to resource.getrusage's ru_maxrss, which cannot be reset.
"""

from __future__ import annotations

import resource
import sys


def _status_kb(key: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def rss_mb() -> float:
    """Resident memory now."""
    kb = _status_kb("VmRSS")
    return kb / 1024 if kb is not None else peak_rss_mb()


def peak_rss_mb() -> float:
    """Peak resident memory since the process started or since reset_peak_rss()."""
    kb = _status_kb("VmHWM")
    if kb is not None:
        return kb / 1024
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss / 2**20 if sys.platform == "darwin" else maxrss / 1024  # bytes on macOS


def reset_peak_rss() -> bool:
    """Reset the peak to the current resident memory; False where the system cannot."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False
