"""save/load: exact round trips, atomic writes, refusal of bad files, and resumable training."""

import json
import os
import pickle
import subprocess
import sys
import tempfile
import zipfile
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tinygrad_edu import Tensor, nn, serialization
from tinygrad_edu.serialization import CheckpointError, load, save

REPO = Path(__file__).resolve().parents[1]


def assert_same(a, b, where="obj"):
    """Equal values of exactly the same types, arrays bit for bit with the same dtype."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, Tensor):
        assert a.requires_grad == b.requires_grad and a.name == b.name, where
        assert_same(a.data, b.data, where + ".data")
    elif isinstance(a, (np.ndarray, np.generic)):
        assert a.dtype == b.dtype and a.shape == b.shape, where
        assert a.tobytes() == b.tobytes(), where
    elif isinstance(a, float):
        assert a.hex() == b.hex() or (a != a and b != b), where
    elif isinstance(a, dict):
        assert [(type(k), k) for k in a] == [(type(k), k) for k in b], where
        for k in a:
            assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    else:
        assert a == b, where


def roundtrip(obj, folder):
    path = os.path.join(folder, "obj.npz")
    save(obj, path)
    return load(path)


# ---- round trips ----------------------------------------------------------------------------
def test_round_trip_of_every_supported_kind(tmp_path):
    obj = {
        "none": None,
        "flags": [True, False],
        "int": 3,
        "big": 2**100,
        "floats": (0.1, -0.0, float("inf"), float("nan")),
        "text": "héllo",
        "f32": np.arange(6, dtype=np.float32).reshape(2, 3),
        "i64": np.array([1, -2], dtype=np.int64),
        "bool": np.array([True, False]),
        "scalar_array": np.array(2.5),
        "np_scalars": [np.float32(1.5), np.int64(7), np.bool_(True)],
        "tensor": Tensor(np.ones(3), requires_grad=True, name="w"),
        "plain_tensor": Tensor(np.arange(4)),
        0: "int key",
        1.5: "float key",
        None: "none key",
        (1, "a"): "tuple key",
        "nested": {"a": [{"b": ()}], 2: OrderedDict([("z", 1), ("y", 2)])},
    }
    back = roundtrip(obj, tmp_path)
    assert_same(obj, back)
    assert back["tensor"].is_leaf and back["tensor"].grad is None


def test_module_and_state_dict_round_trip(tmp_path):
    model = nn.MLP([2, 5, 1], seed=0)
    back = roundtrip(model.state_dict(), tmp_path)
    assert isinstance(back, OrderedDict)
    other = nn.MLP([2, 5, 1], seed=1)
    other.load_state_dict(back)
    for (n, p), (m, q) in zip(model.named_parameters(), other.named_parameters()):
        assert n == m and np.array_equal(p.numpy(), q.numpy())


def test_optimizer_style_state_with_int_keys(tmp_path):
    state = {
        "state": {0: {"momentum_buffer": np.ones(2)}, 1: {"step": 3.0, "exp_avg": np.zeros(4)}},
        "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "nesterov": False, "params": [0, 1]}],
    }
    assert_same(state, roundtrip(state, tmp_path))


def test_path_objects_and_exact_file_name(tmp_path):
    path = tmp_path / "checkpoint"
    save([1, 2], path)
    assert path.exists() and not (tmp_path / "checkpoint.npz").exists()
    assert load(path) == [1, 2]


arrays = hnp.arrays(
    dtype=st.sampled_from([np.float64, np.float32, np.int64, np.int32, np.uint8, np.bool_]),
    shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3),
)
tensors = st.builds(
    lambda a, rg, name: Tensor(a, requires_grad=rg, name=name),
    hnp.arrays(
        dtype=st.sampled_from([np.float64, np.float32]),
        shape=hnp.array_shapes(min_dims=0, max_dims=2, max_side=3),
    ),
    st.booleans(),
    st.none() | st.text(max_size=4),
)
leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=6)
    | arrays
    | arrays.filter(lambda a: a.ndim == 0).map(lambda a: a[()])
    | tensors
)
keys = (
    st.text(max_size=4)
    | st.integers()
    | st.none()
    | st.floats(allow_nan=False)
    | st.tuples(st.integers(), st.text(max_size=2))
)
trees = st.recursive(
    leaves,
    lambda children: (
        st.lists(children, max_size=3)
        | st.lists(children, max_size=3).map(tuple)
        | st.dictionaries(keys, children, max_size=3)
        | st.dictionaries(keys, children, max_size=3).map(OrderedDict)
    ),
    max_leaves=12,
)


@given(trees)
def test_round_trip_property(obj):
    with tempfile.TemporaryDirectory() as folder:
        assert_same(obj, roundtrip(obj, folder))


@pytest.mark.parametrize(
    "obj, text",
    [
        ({1, 2}, "set"),
        ({"a": [object()]}, r"obj\['a'\]\[0\]"),
        (np.array([1, "a"], dtype=object), "Python objects"),
        ({frozenset([1]): 1}, "key"),
        (1 + 2j, "complex"),
    ],
)
def test_unsupported_values_raise_type_error_and_write_nothing(tmp_path, obj, text):
    path = tmp_path / "x.npz"
    with pytest.raises(TypeError, match=text):
        save(obj, path)
    assert list(tmp_path.iterdir()) == []


def test_reference_cycle_is_refused(tmp_path):
    loop: list = []
    loop.append(loop)
    with pytest.raises(ValueError, match="cycle"):
        save(loop, tmp_path / "x.npz")


# ---- atomic writes ------------------------------------------------------------------------------
def test_crash_before_rename_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    save({"version": 1}, path)

    def crash(*args, **kwargs):
        raise OSError("simulated crash")

    monkeypatch.setattr(serialization.os, "replace", crash)
    with pytest.raises(OSError, match="simulated"):
        save({"version": 2}, path)
    monkeypatch.undo()
    assert load(path) == {"version": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.npz"]  # no temporary file left


def test_crash_mid_write_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    save({"w": np.zeros(3)}, path)
    real = serialization._write_npz

    def half_then_crash(f, members):
        real(f, members)
        f.truncate(f.tell() // 2)
        raise KeyboardInterrupt

    monkeypatch.setattr(serialization, "_write_npz", half_then_crash)
    with pytest.raises(KeyboardInterrupt):
        save({"w": np.ones(3)}, path)
    monkeypatch.undo()
    assert_same(load(path), {"w": np.zeros(3)})
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt.npz"]


# ---- refusing bad files --------------------------------------------------------------------------
def _expect_refusal(path, text=None):
    with pytest.raises(CheckpointError, match=text) as info:
        load(path)
    assert str(path) in str(info.value) and info.value.path == str(path)
    assert isinstance(info.value, ValueError)


def test_truncated_files_are_refused(tmp_path):
    path = tmp_path / "ckpt.npz"
    save({"w": np.arange(1000.0)}, path)
    raw = path.read_bytes()
    for cut in (len(raw) - 10, len(raw) // 2, 100, 4):
        path.write_bytes(raw[:cut])
        _expect_refusal(path)
    path.write_bytes(b"")
    _expect_refusal(path, "empty")


def test_corrupted_bytes_are_refused(tmp_path):
    path = tmp_path / "ckpt.npz"
    save({"w": np.arange(1000.0)}, path)
    raw = bytearray(path.read_bytes())
    for pos in (len(raw) // 2, 40, len(raw) - 30):
        bad = raw.copy()
        bad[pos] ^= 0xFF
        path.write_bytes(bytes(bad))
        _expect_refusal(path)


def test_foreign_files_are_refused(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    _expect_refusal(text, "not an .npz")
    npy = tmp_path / "a.npy"
    np.save(npy, np.ones(2))
    _expect_refusal(npy, "not an .npz")
    plain = tmp_path / "plain.npz"
    np.savez(plain, a=np.ones(2))
    _expect_refusal(plain, "metadata")
    pickled = tmp_path / "model.pkl"
    pickled.write_bytes(pickle.dumps({"a": 1}))
    _expect_refusal(pickled)
    zipped = tmp_path / "other.zip"
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.writestr("readme.txt", "hi")
    _expect_refusal(zipped)


def test_saving_into_a_missing_folder_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save([1], tmp_path / "no" / "such" / "x.npz")


@pytest.mark.skipif(not hasattr(os, "fchmod"), reason="POSIX file modes")
def test_saved_file_gets_the_usual_permissions(tmp_path):
    path = tmp_path / "x.npz"
    save([1], path)
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_missing_file_is_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "nope.npz")


def _write_archive(path, meta, **members):
    with zipfile.ZipFile(path, "w") as zf:
        blob = json.dumps(meta).encode()
        with zf.open("__tinygrad_edu__.npy", "w") as f:
            np.lib.format.write_array(f, np.frombuffer(blob, dtype=np.uint8))
        for name, arr in members.items():
            with zf.open(name + ".npy", "w") as f:
                np.lib.format.write_array(f, arr, allow_pickle=True)


class _Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def test_pickled_object_array_is_refused_without_running_it(tmp_path):
    marker = str(tmp_path / "code-ran")
    path = tmp_path / "evil.npz"
    meta = {"format": "tinygrad_edu", "version": 1, "tree": {"type": "array", "key": "a0"}}
    _write_archive(path, meta, a0=np.array([_Payload(marker)], dtype=object))
    _expect_refusal(path, "pickled")
    assert not os.path.exists(marker)


@pytest.mark.parametrize(
    "meta, text",
    [
        ({"format": "tinygrad_edu", "version": 99, "tree": {"type": "none"}}, "version 99"),
        ({"format": "other", "version": 1, "tree": {"type": "none"}}, "foreign"),
        ({"format": "tinygrad_edu", "version": 1, "tree": {"type": "array", "key": "a7"}}, "a7"),
        ({"format": "tinygrad_edu", "version": 1, "tree": {"type": "eval", "value": "1"}}, "metadata"),
        ({"format": "tinygrad_edu", "version": 1, "tree": {"type": "dict", "items": [[1]]}}, "dict"),
    ],
)
def test_bad_metadata_is_refused(tmp_path, meta, text):
    path = tmp_path / "ckpt.npz"
    _write_archive(path, meta)
    _expect_refusal(path, text)


# ---- resumable training ----------------------------------------------------------------------------
TRAIN = r"""
import sys
from tinygrad_edu import data, nn, optim
from tinygrad_edu.nn import functional as F
from tinygrad_edu.serialization import load, save

mode, ckpt, out, k, total, which = sys.argv[1:4] + [int(a) for a in sys.argv[4:6]] + sys.argv[6:]
X, y = data.make_moons(48, noise=0.1, seed=0)
model = nn.MLP([2, 8, 1], activation="tanh", seed=1)
if which == "sgd":
    opt = optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
else:
    opt = optim.Adam(model.parameters(), lr=0.01)
start, stop = 0, total
if mode == "resume":
    state = load(ckpt)
    model.load_state_dict(state["model"])
    opt.load_state_dict(state["optim"])
    start = state["step"]
elif mode == "first":
    stop = k
for step in range(start, stop):
    for xb, yb in data.batches(X, y, 16, seed=step):
        opt.zero_grad()
        loss = F.binary_cross_entropy_with_logits(model(xb).reshape(-1), yb)
        loss.backward()
        opt.step()
if mode == "first":
    save({"model": model.state_dict(), "optim": opt.state_dict(), "step": k}, ckpt)
else:
    save({"model": model.state_dict(), "optim": opt.state_dict()}, out)
"""


@pytest.mark.parametrize("which", ["sgd", "adam"])
def test_training_resumed_in_a_new_process_matches_an_uninterrupted_run(tmp_path, which):
    pytest.importorskip("tinygrad_edu.optim")
    env = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    ckpt, resumed, full = tmp_path / "k.npz", tmp_path / "resumed.npz", tmp_path / "full.npz"

    def run(mode, out):
        args = [sys.executable, "-c", TRAIN, mode, str(ckpt), str(out), "3", "7", which]
        done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr

    run("first", tmp_path / "unused.npz")
    run("resume", resumed)
    run("full", full)
    a, b = load(resumed), load(full)
    assert list(a["model"]) == list(b["model"])
    assert_same(a, b)
    assert a["optim"]["state"], "the optimizer kept its per-parameter state"
