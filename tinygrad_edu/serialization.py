"""Save and load tensors, arrays and nested state dicts without pickle.

File format (version 1): an ordinary NumPy .npz (zip) archive. The member
"__tinygrad_edu__" is a uint8 array holding UTF-8 JSON

    {"format": "tinygrad_edu", "version": 1, "tree": <node>}

where <node> describes the saved object: {"type": "none"}, {"type": "bool", "value": b},
{"type": "int", "value": i}, {"type": "float", "value": float.hex(x)} (exact, inf and nan
included), {"type": "str", "value": s}, {"type": "array", "key": k},
{"type": "numpy_scalar", "key": k}, {"type": "tensor", "key": k, "requires_grad": b,
"name": s | null}, {"type": "list" | "tuple", "items": [<node>, ...]} and
{"type": "dict", "ordered": b, "items": [[<key node>, <value node>], ...]}. Every array is a
member "a<k>" of the archive, read back with np.load(..., allow_pickle=False), so loading
never runs code from the file. Dict keys may be str, int, float, bool, None or tuples of
them, and come back with their exact types; arrays keep their dtypes. A Tensor's gradient is
not saved.

Writes are atomic: the archive is written to a temporary file in the target's folder,
flushed to disk (fsync), then renamed over the target with os.replace, so a crash mid-save
leaves any previous file intact.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
import zlib
from collections import OrderedDict
from typing import Any

import numpy as np

from .tensor import Tensor

__all__ = ["FORMAT_VERSION", "CheckpointError", "load", "save"]

FORMAT_NAME = "tinygrad_edu"
FORMAT_VERSION = 1
_META = "__tinygrad_edu__"
_ZIP_MAGIC = b"PK\x03\x04"

PathLike = str | os.PathLike[str]


class CheckpointError(ValueError):
    """A file that `load` cannot read as a tinygrad_edu checkpoint; `.path` names it."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"cannot load {path!r}: {reason}")
        self.path = path


# ---- save ---------------------------------------------------------------------------------
class _Encoder:
    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self._active: set[int] = set()

    def _store(self, arr: np.ndarray, where: str) -> str:
        if arr.dtype.hasobject:
            raise TypeError(
                f"save: {where} is an array of Python objects (dtype {arr.dtype}); only "
                f"numeric, bool and string arrays can be saved without pickle"
            )
        key = f"a{len(self.arrays)}"
        self.arrays[key] = arr
        return key

    def key(self, k: Any, where: str) -> dict[str, Any]:
        if k is None or isinstance(k, (bool, int, float, str, np.number, np.bool_)):
            return self.node(k, where)
        if isinstance(k, tuple):
            return {"type": "tuple", "items": [self.key(v, where) for v in k]}
        raise TypeError(
            f"save: {where} has a key {k!r} of type {type(k).__name__}; dict keys must be "
            f"str, numbers, bool, None or tuples of them"
        )

    def node(self, obj: Any, where: str) -> dict[str, Any]:
        if obj is None:
            return {"type": "none"}
        if isinstance(obj, bool):
            return {"type": "bool", "value": obj}
        if isinstance(obj, np.generic):
            return {"type": "numpy_scalar", "key": self._store(np.asarray(obj), where)}
        if isinstance(obj, int):
            return {"type": "int", "value": int(obj)}
        if isinstance(obj, float):
            return {"type": "float", "value": float(obj).hex()}
        if isinstance(obj, str):
            return {"type": "str", "value": obj}
        if isinstance(obj, Tensor):
            return {
                "type": "tensor",
                "key": self._store(np.asarray(obj.data), where),
                "requires_grad": bool(obj.requires_grad),
                "name": obj.name if isinstance(obj.name, str) else None,
            }
        if isinstance(obj, np.ndarray):
            return {"type": "array", "key": self._store(obj, where)}
        if isinstance(obj, (dict, list, tuple)):
            if id(obj) in self._active:
                raise ValueError(f"save: {where} contains itself (a reference cycle)")
            self._active.add(id(obj))
            try:
                if isinstance(obj, dict):
                    items = [[self.key(k, where), self.node(v, f"{where}[{k!r}]")] for k, v in obj.items()]
                    return {"type": "dict", "ordered": isinstance(obj, OrderedDict), "items": items}
                kind = "list" if isinstance(obj, list) else "tuple"
                return {
                    "type": kind,
                    "items": [self.node(v, f"{where}[{i}]") for i, v in enumerate(obj)],
                }
            finally:
                self._active.discard(id(obj))
        raise TypeError(
            f"save: {where} is a {type(obj).__name__}, which cannot be saved; supported are "
            f"Tensors, arrays, numbers, strings, None, bools and dicts/lists/tuples of them"
        )


def save(obj: Any, path: PathLike) -> None:
    """Write `obj` (Tensors, arrays, numbers, strings, None, bools and nested dicts, lists and
    tuples of them, such as a module's or an optimizer's state_dict()) to `path`, atomically.

    The file is written exactly at `path` (no extension is added; ".npz" is a good choice).
    """
    target = os.fspath(path)
    encoder = _Encoder()
    tree = encoder.node(obj, "obj")
    meta = json.dumps({"format": FORMAT_NAME, "version": FORMAT_VERSION, "tree": tree})
    members = {_META: np.frombuffer(meta.encode("utf-8"), dtype=np.uint8), **encoder.arrays}
    folder = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"save: cannot write {target!r}: folder {folder!r} does not exist")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(target) + ".", suffix=".tmp")
    try:
        if hasattr(os, "fchmod"):  # mkstemp makes the file private (0600); use the usual mode
            umask = os.umask(0)
            os.umask(umask)
            os.fchmod(fd, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as f:
            _write_npz(f, members)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_folder(folder)


def _write_npz(f: Any, members: dict[str, np.ndarray]) -> None:
    """What np.savez does, with pickling switched off for every member."""
    with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, arr in members.items():
            with zf.open(name + ".npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asanyarray(arr), allow_pickle=False)


def _fsync_folder(folder: str) -> None:
    """Make the rename itself durable where the platform allows it."""
    try:
        dfd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


# ---- load ---------------------------------------------------------------------------------
class _Malformed(Exception):
    pass


class _Decoder:
    def __init__(self, npz: Any) -> None:
        self.npz = npz

    def array(self, node: dict[str, Any]) -> np.ndarray:
        key = node.get("key")
        if not isinstance(key, str) or key == _META or key not in self.npz.files:
            raise _Malformed(f"the metadata refers to a missing array member {key!r}")
        try:
            return np.asarray(self.npz[key])
        except ValueError as e:
            if "allow_pickle" in str(e):
                raise _Malformed(
                    f"member {key!r} holds pickled Python objects, which load refuses to "
                    f"unpickle (it never runs code from a file)"
                ) from e
            raise

    def node(self, node: Any) -> Any:
        if not isinstance(node, dict) or not isinstance(node.get("type"), str):
            raise _Malformed(f"unexpected metadata entry {node!r:.80}")
        kind = node["type"]
        value = node.get("value")
        if kind == "none":
            return None
        if kind == "bool" and isinstance(value, bool):
            return value
        if kind == "int" and isinstance(value, int) and not isinstance(value, bool):
            return value
        if kind == "float" and isinstance(value, str):
            return float.fromhex(value)
        if kind == "str" and isinstance(value, str):
            return value
        if kind == "array":
            return self.array(node)
        if kind == "numpy_scalar":
            return self.array(node)[()]
        if kind == "tensor":
            name = node.get("name")
            return Tensor(
                self.array(node),
                requires_grad=bool(node.get("requires_grad", False)),
                name=name if isinstance(name, str) else None,
            )
        items = node.get("items")
        if kind in ("list", "tuple") and isinstance(items, list):
            values = [self.node(v) for v in items]
            return values if kind == "list" else tuple(values)
        if kind == "dict" and isinstance(items, list):
            out: dict[Any, Any] = OrderedDict() if node.get("ordered") else {}
            for pair in items:
                if not isinstance(pair, list) or len(pair) != 2:
                    raise _Malformed(f"bad dict item {pair!r:.80}")
                out[self.node(pair[0])] = self.node(pair[1])
            return out
        raise _Malformed(f"unknown or malformed metadata entry {node!r:.80}")


def load(path: PathLike) -> Any:
    """Read back what `save` wrote. Never unpickles or runs code from the file.

    Raises FileNotFoundError when there is no file, and CheckpointError (a ValueError) naming
    the path when the file is truncated, corrupted, not a tinygrad_edu checkpoint, or from a
    newer format version.
    """
    where = os.fspath(path)
    with open(where, "rb") as f:
        head = f.read(4)
    if head != _ZIP_MAGIC:
        what = "the file is empty" if not head else "it is not an .npz (zip) archive"
        raise CheckpointError(where, f"not a tinygrad_edu checkpoint: {what}")
    try:
        with open(where, "rb") as file, np.load(file, allow_pickle=False) as npz:  # closed on any error
            if not hasattr(npz, "files") or _META not in npz.files:
                raise CheckpointError(
                    where,
                    "not a tinygrad_edu checkpoint: an .npz without the "
                    f"{_META!r} metadata (was it written by tinygrad_edu.save?)",
                )
            meta = json.loads(bytes(np.asarray(npz[_META], dtype=np.uint8)).decode("utf-8"))
            if not isinstance(meta, dict) or meta.get("format") != FORMAT_NAME:
                raise CheckpointError(where, "not a tinygrad_edu checkpoint: foreign metadata")
            version = meta.get("version")
            if not isinstance(version, int) or version < 1:
                raise CheckpointError(where, f"bad format version {version!r}")
            if version > FORMAT_VERSION:
                raise CheckpointError(
                    where,
                    f"written in format version {version}, but this tinygrad_edu reads up to "
                    f"version {FORMAT_VERSION}; upgrade tinygrad_edu to load it",
                )
            return _Decoder(npz).node(meta.get("tree"))
    except CheckpointError:
        raise
    except _Malformed as e:
        raise CheckpointError(where, f"corrupted checkpoint: {e}") from e
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        OSError,
        ValueError,
        KeyError,
        TypeError,
        UnicodeDecodeError,
        NotImplementedError,
        RecursionError,
    ) as e:
        raise CheckpointError(where, f"the file is truncated or corrupted ({type(e).__name__}: {e})") from e
