"""How an optimizer stores new values in its parameters: in place, as PyTorch's optimizers do.

torch.optim.SGD ends with `param.add_(grad, alpha=-lr)`: the parameter keeps its memory, and a
reference taken earlier to it (`W.numpy()`, `W.data`, a view) sees the new values. Every
optimizer here does the same through `store`: `p.data` keeps its identity, its values change.

It writes in place only when that is safe: the array is writeable and no live graph holds it
(a graph that still needs a parameter locks its memory read-only, see mutation.py). Otherwise
`p.data` gets a new array, which is always correct. Either way the change counts as an in-place
op: `p._version` goes up by one, and a node recorded before the step raises in backward ("...
modified by an inplace operation ... by SGD.step"), as PyTorch raises.
"""

from __future__ import annotations

import numpy as np

from .. import engine
from ..inplace import bump
from ..tensor import Tensor

# one pending write: (parameter, values, subtract): p.data <- values, or p.data - values
Write = tuple[Tensor, np.ndarray, bool]


def writable(arr: np.ndarray) -> bool:
    """True when `arr` may be written in place: writeable, and not locked by a live graph.
    (A lock makes the array that owns the memory read-only, so only a view needs the lookup.)"""
    if not arr.flags.writeable:
        return False
    return arr.base is None or not engine.is_locked(arr)


def store(p: Tensor, values: np.ndarray, op: str, subtract: bool = False, epoch: int | None = None) -> None:
    """p.data <- values (p.data - values when `subtract`), in p.data's own memory when that is
    safe, else as a new array; count the change in p's version. `values` is never kept."""
    x = p.data
    if epoch is None:
        epoch = engine.next_epoch()
    bump(p, epoch, op)
    if writable(x):
        if subtract:
            np.subtract(x, values, out=x)
        else:
            np.copyto(x, values, casting="same_kind")
    elif subtract:
        p.data = np.asarray(x - values, dtype=x.dtype)
    else:
        p.data = np.array(values, dtype=x.dtype, copy=True)


def write_all(writes: list[Write], op: str) -> Exception | None:
    """Store every pending write: the last phase of a step, once all values are computed.

    Nothing here fails half way. Inside tge.compile's recording the first `store` refuses
    before it writes (counting the change raises CompileError). A floating-point error made
    an exception (np.seterr(over="raise"), warnings filtered to errors) in `p.data - values`
    arrives after NumPy wrote the result: the other
    parameters are written too, and the first such error is returned for the caller to raise
    once it has stored its state, so a step is never left half done.
    """
    if not writes:
        return None
    epoch = engine.next_epoch()
    error: Exception | None = None
    for p, values, subtract in writes:
        try:
            store(p, values, op, subtract, epoch)
        except (FloatingPointError, RuntimeWarning) as e:
            error = error or e
    return error
