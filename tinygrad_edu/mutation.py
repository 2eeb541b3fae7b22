"""Mutation safety: the memory a recorded node reads is read-only while the node lives.

The memory of a leaf (a tensor the user made, or the result of an op outside any graph) is
made read-only while some recorded node reads it (`Function.lock_leaf`), and writable again
when the last such node is released by backward or freed. The lock is on the ndarray that
owns the memory (the root of the views), so views of it taken later are read-only too.
_LOCKS counts the nodes per root: id(root) -> [root, nodes holding it, epoch of the last
in-place write, its op]. Memory that NumPy does not own (another library's buffer) cannot be
locked and is skipped.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import tensor as _t

_LOCKS: dict[int, list[Any]] = {}


def root_of(arr: np.ndarray) -> np.ndarray:
    """The ndarray at the end of `arr`'s chain of views."""
    while isinstance(arr.base, np.ndarray):
        arr = arr.base
    return arr


def lock(arr: np.ndarray) -> list[Any] | None:
    """Count one more node holding the memory of `arr`, read-only from the first; return its
    entry in _LOCKS, or None when that memory cannot be locked."""
    root = arr if arr.base is None else root_of(arr)
    entry = _LOCKS.get(id(root))
    if entry is None:
        flags = root.flags
        if not flags.writeable or not flags.owndata:
            return None  # read-only already (a constant, a broadcast), or not NumPy's to lock
        root.setflags(write=False)
        entry = _LOCKS[id(root)] = [root, 0, 0, ""]
    entry[1] += 1
    return entry


def unlock_all(locked: list[tuple[_t.Tensor, np.ndarray, list[Any]]]) -> None:
    """One node fewer holds each of these memories; the last one makes it writable again."""
    for _, _, entry in locked:
        entry[1] -= 1
        if entry[1] == 0 and _LOCKS.get(id(entry[0])) is entry:
            del _LOCKS[id(entry[0])]
            entry[0].setflags(write=True)
    locked.clear()


def is_locked(arr: np.ndarray) -> bool:
    """True while a recorded node holds the memory of `arr` (see Function.lock_leaf)."""
    root = root_of(arr)
    entry = _LOCKS.get(id(root))
    return entry is not None and entry[0] is root


def write_through_lock(arr: np.ndarray, values: np.ndarray, epoch: int, op: str) -> None:
    """Write `values` into `arr`, whose memory a graph holds locked, as PyTorch writes in place
    into a tensor a graph saved: the nodes holding the lock then raise in backward."""
    root = root_of(arr)
    entry = _LOCKS[id(root)]
    was_writeable = arr.flags.writeable  # a view taken before the lock
    root.setflags(write=True)
    try:
        if not was_writeable:
            arr.setflags(write=True)  # a view taken while locked inherited read-only
        np.copyto(arr, values, casting="same_kind")
    finally:
        if not was_writeable and arr is not root:
            arr.setflags(write=False)
        root.setflags(write=False)
    entry[2], entry[3] = epoch, op


def modified_error(op_name: str, t: _t.Tensor, which: str, op: str, version: int | None) -> RuntimeError:
    """The error of a backward through a node whose input changed in place after it ran."""
    label = f"{t.name!r}, " if t.name else ""
    at = f", now at version {version}" if version is not None else ""
    return RuntimeError(
        f"{op_name}: one of the variables needed for gradient computation has been modified by "
        f"an inplace operation: {which} ({label}shape {t.shape}) was changed by {op} after this op "
        f"used it{at}. Call backward() before changing it (an optimizer step goes after "
        "backward), or, in a forward pass, write `t = t + v` instead of the in-place `t += v`."
    )
