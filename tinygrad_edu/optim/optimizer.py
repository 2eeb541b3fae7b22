"""The optimizer base class: parameter groups, per-parameter state, zero_grad, step, state dicts.

Every optimizer here follows one pattern, so the update rule is the only thing a subclass
writes:

    for each parameter p with a gradient g (parameters whose .grad is None are skipped):
        x_new, state_new = self._update(x = p.data, g, state of p, its group)

`step` first computes every new value, then writes them all into the parameters, in place
as PyTorch's optimizers do (`p.data` keeps its identity; see assign.py for when it gets a new
array instead). So a step that fails half way changes nothing: no parameter and no state
entry. Updates work on NumPy arrays, so they never build graph.

The layout of `state_dict()` is PyTorch's:

    {'state': {0: {'step': 3, 'exp_avg': array(...), ...}, 1: {...}},
     'param_groups': [{'lr': 0.001, ..., 'params': [0, 1]}]}

where the integers number the parameters in the order the groups list them.
"""

from __future__ import annotations

import copy
import inspect
import math
import numbers
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ..tensor import Tensor
from .assign import Write, write_all
from .param_state import ParamState

ParamGroup = dict[str, Any]
Params = Iterable[Tensor] | Iterable[ParamGroup]
Closure = Callable[[], Any]


# ---------------------------------------------------------------- validation helpers
def check_number(name: str, value: Any) -> float:
    """Raise TypeError unless `value` is a real number (bools are refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, but got {type(value).__name__}: {value!r}")
    return float(value)


def check_nonnegative(value: Any, message: str, name: str) -> None:
    """PyTorch's check `0 <= value`, raising ValueError(f"{message}: {value} ...") (NaN fails)."""
    check_number(name, value)
    if not 0.0 <= value:
        raise ValueError(f"{message}: {value} (must be >= 0)")


def check_betas(betas: Any) -> None:
    """Both betas must lie in [0, 1): ValueError naming the index and the value otherwise."""
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise TypeError(f"betas must be a pair (beta1, beta2), but got {betas!r}")
    for i, beta in enumerate(betas):
        check_number(f"betas[{i}]", beta)
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {beta} (must lie in [0, 1))")


def _check_not_consumed(params: Any) -> None:
    """A generator (model.parameters()) that was already iterated gives no or some parameters."""
    if inspect.isgenerator(params) and inspect.getgeneratorstate(params) != inspect.GEN_CREATED:
        how = "used up" if inspect.getgeneratorstate(params) == inspect.GEN_CLOSED else "partly used"
        raise ValueError(
            f"optimizer got a generator of parameters that was already {how}: "
            "model.parameters() returns a generator, which yields each parameter once (list(), "
            "a for loop, or another optimizer consumed it). Call model.parameters() again for "
            "this optimizer, or keep a list: params = list(model.parameters())"
        )


# ---------------------------------------------------------------- the base class
class Optimizer:
    """Base class: holds `param_groups` and `state`; subclasses define `_update`.

    Args:
        params: an iterable of Tensors, or of dicts ("param groups") each with a 'params'
            entry and optional per-group hyper-parameters that override `defaults`.
        defaults: the hyper-parameters every group gets unless it sets its own.
    """

    def __init__(self, params: Params, defaults: dict[str, Any]) -> None:
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                "dicts, but got a single Tensor; wrap it in a list: [param]"
            )
        if isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets changes between runs; use a list instead"
            )
        self.defaults = dict(defaults)
        self.state = ParamState()
        self.param_groups: list[ParamGroup] = []
        _check_not_consumed(params)
        groups: list[Any] = list(params)
        if len(groups) == 0:
            if iter(params) is params:  # an iterator: a generator such as model.parameters()
                raise ValueError(
                    "optimizer got an empty parameter list: the iterator it was given yielded "
                    "nothing. model.parameters() returns a generator, which is used up after one "
                    "pass (by list(), a for loop, or another optimizer). Call model.parameters() "
                    "again for each optimizer, or keep a list: params = list(model.parameters())"
                )
            raise ValueError(
                "optimizer got an empty parameter list; pass model.parameters() or a non-empty "
                "list of Tensors with requires_grad=True"
            )
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: ParamGroup) -> None:
        """Add a group: a dict with 'params' (Tensors) and optional hyper-parameters."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError("a parameter group needs a 'params' entry")
        group = dict(param_group)
        params = group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets changes between runs; use a list instead"
            )
        params = list(params)
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(
                    "optimizer can only optimize Tensors, but parameter "
                    f"{i} of the group is a {type(p).__name__}: {p!r}"
                )
            if not p.is_leaf:
                raise ValueError(
                    f"can't optimize a non-leaf Tensor (parameter {i}, name={p.name!r}); "
                    "optimize the leaf it was computed from, or detach() it first"
                )
        if len({id(p) for p in params}) != len(params):
            raise ValueError("optimizer contains a parameter group with duplicate parameters")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        group["params"] = params
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        self._check_group(group)
        self.param_groups.append(group)

    def _check_group(self, group: ParamGroup) -> None:
        """Validate a group's hyper-parameters (subclasses re-run their constructor checks)."""

    # ------------------------------------------------------------ gradients
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients: `p.grad = None` (default), or zeros when set_to_none=False."""
        for group in self.param_groups:
            for p in group["params"]:
                if p._grad is None:  # (the storage behind .grad)
                    continue
                if set_to_none:
                    p._grad = None
                else:
                    p._grad = Tensor(np.zeros_like(p.data))

    # ------------------------------------------------------------ the step
    def step(self, closure: Closure | None = None) -> Any:
        """One update of every parameter that has a gradient; returns closure() (or None).

        The closure (optional here) re-evaluates the model: zero the grads, compute the
        loss, call backward, return the loss. All new values are computed before any is
        written, so an exception leaves the parameters and the state unchanged. Each
        parameter is updated in place (`p.data` keeps its identity) unless a live graph
        holds it; its `_version` goes up by one, as after PyTorch's `param.add_`.
        """
        loss = None
        if closure is not None:
            import tinygrad_edu as tge

            with tge.enable_grad():
                loss = closure()
        writes: list[Write] = []
        states: list[tuple[Tensor, dict[str, Any]]] = []
        for group in self.param_groups:
            for p in group["params"]:
                if p._grad is None:  # (the storage behind .grad)
                    continue
                values, subtract, new_state = self._compute(p, gradient_array(p), group)
                writes.append((p, values, subtract))
                if new_state:
                    states.append((p, new_state))
        error = write_all(writes, f"{type(self).__name__}.step")
        for p, new_state in states:
            self.state[p] = new_state
        if error is not None:
            raise error  # a floating-point error made an exception, raised once all is written
        return loss

    def _compute(self, p: Tensor, g: np.ndarray, group: ParamGroup) -> tuple[np.ndarray, bool, dict[str, Any]]:
        """One parameter's pending write and new state, computed without writing anything:
        (values, subtract, state), the new p.data being `values`, or `p.data - values` when
        `subtract`. This one runs `_update`; SGD overrides it to reuse its buffers."""
        old = self.state.get(p)
        state = dict(old) if old else self._init_state(p.data, group)
        new_x, new_state = self._update(p.data, g, state, group)
        new_state = {k: _as_array(v) for k, v in new_state.items()}
        return np.asarray(new_x, dtype=p.data.dtype), False, new_state

    def _init_state(self, x: np.ndarray, group: ParamGroup) -> dict[str, Any]:
        """The state of a parameter before its first update (created lazily)."""
        return {}

    def _update(
        self, x: np.ndarray, g: np.ndarray, state: dict[str, Any], group: ParamGroup
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Return (new parameter value, new state) from x, its gradient g and its state.

        Must not modify x, g or the arrays in `state`: build new arrays.
        """
        raise NotImplementedError(f"{type(self).__name__} does not define an update rule")

    # ------------------------------------------------------------ state dicts
    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state in PyTorch's layout, as copies (see the module docstring)."""
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {
            index[id(p)]: {k: _copy_value(v) for k, v in s.items()} for p, s in self.state.items() if id(p) in index
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore from `state_dict()` output (same groups, same sizes); copies the values."""
        if not isinstance(state_dict, dict) or set(state_dict) != {"state", "param_groups"}:
            raise ValueError("an optimizer state dict has exactly the keys 'state' and 'param_groups'")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"loaded state dict has {len(saved_groups)} parameter groups, "
                f"but the optimizer has {len(self.param_groups)}"
            )
        for i, (group, saved) in enumerate(zip(self.param_groups, saved_groups, strict=True)):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(
                    f"loaded state dict's parameter group {i} has {len(saved['params'])} "
                    f"parameters, but the optimizer's has {len(group['params'])}"
                )
        by_index = {
            int(i): p
            for group, saved in zip(self.param_groups, saved_groups, strict=True)
            for i, p in zip(saved["params"], group["params"], strict=True)
        }
        new_state = ParamState()
        for key, values in state_dict["state"].items():
            if int(key) not in by_index:
                raise ValueError(f"loaded state dict has state for unknown parameter {key}")
            p = by_index[int(key)]
            new_state[p] = {k: _cast_like(v, p.data, k) for k, v in values.items()}
        new_groups = []
        for group, saved in zip(self.param_groups, saved_groups, strict=True):
            merged = {k: _match_type(copy.deepcopy(v), group.get(k)) for k, v in saved.items()}
            merged["params"] = group["params"]
            new_groups.append(merged)
        self.state = new_state
        self.param_groups = new_groups

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


def gradient_array(p: Tensor) -> np.ndarray:
    """p.grad as an ndarray of p's dtype, checked to have p's shape (else a ValueError)."""
    assert p._grad is not None
    grad = np.asarray(p._grad.data, dtype=p.data.dtype)
    if grad.shape != p.data.shape:
        raise ValueError(
            f"gradient of shape {grad.shape} does not match parameter {p.name or ''} of shape {p.data.shape}"
        )
    return grad


def grad_norm(params: Iterable[Tensor]) -> float:
    """sqrt(sum over parameters of sum(g^2)), over the parameters that have a gradient."""
    total = 0.0
    for p in params:
        if p.grad is not None:
            total += float(np.sum(np.square(np.asarray(p.grad.data, dtype=np.float64))))
    return math.sqrt(total)


def _as_array(value: Any) -> Any:
    """NumPy scalars (from 0-d arithmetic) back to 0-d arrays; other values unchanged."""
    return np.asarray(value) if isinstance(value, np.generic) else value


def _copy_value(value: Any) -> Any:
    return np.array(value, copy=True) if isinstance(value, np.ndarray) else copy.deepcopy(value)


def _cast_like(value: Any, like: np.ndarray, key: str) -> Any:
    """Saved state arrays take the parameter's dtype (the step counter stays a number)."""
    if isinstance(value, Tensor):
        value = value.data
    if key != "step" and isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return np.array(value, dtype=like.dtype, copy=True)
    return _copy_value(value)


def _match_type(value: Any, current: Any) -> Any:
    """A tuple hyper-parameter (betas) saved as a list through a file comes back a tuple."""
    if isinstance(current, tuple) and isinstance(value, list):
        return tuple(value)
    return value
