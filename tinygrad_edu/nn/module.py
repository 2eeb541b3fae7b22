"""Module: a container of parameters and submodules with a `forward`, as in torch.nn.

A Module registers, in assignment order, every attribute that is a Tensor with
requires_grad=True as a parameter and every attribute that is a Module as a submodule.
Parameters are named by their path from the root, as PyTorch names them ("0.weight",
"layers.2.bias"), and each parameter Tensor carries that name in `.name` so that graphs and
error messages label it (a module renames its submodules' parameters when it is assigned to a
parent). Registration happens at assignment: a Tensor assigned without requires_grad stays a
plain attribute.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

import numpy as np

from ..tensor import Tensor
from .parameter import Parameter


class IncompatibleKeys(NamedTuple):
    """What `load_state_dict(strict=False)` could not match (PyTorch's `_IncompatibleKeys`)."""

    missing_keys: list[str]
    unexpected_keys: list[str]


class Module:
    """Base class: subclasses assign parameters and submodules in `__init__`, then define
    `forward`. Calling the module calls `forward`."""

    training: bool
    _parameters: OrderedDict[str, Tensor]
    _modules: OrderedDict[str, Module]
    _buffers: OrderedDict[str, Tensor]

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "training", True)

    # ---- registration -----------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        params: OrderedDict[str, Tensor] | None = self.__dict__.get("_parameters")
        modules: OrderedDict[str, Module] | None = self.__dict__.get("_modules")
        if params is None or modules is None:
            raise AttributeError(
                f"cannot assign {name!r} before Module.__init__() is called: "
                f"call super().__init__() first in {type(self).__name__}.__init__"
            )
        buffers: OrderedDict[str, Tensor] = self.__dict__["_buffers"]
        if name in buffers and isinstance(value, Tensor) and not isinstance(value, Parameter):
            buffers[name] = value  # new values of a buffer (running statistics) stay registered
        elif isinstance(value, Parameter) or isinstance(value, Tensor) and value.requires_grad:
            modules.pop(name, None)
            params[name] = value  # a reassigned name keeps its place, as in PyTorch
            value.name = name
        elif isinstance(value, Module):
            params.pop(name, None)
            modules[name] = value
            value._rename(name + ".")
        else:
            params.pop(name, None)
            modules.pop(name, None)
        object.__setattr__(self, name, value)

    def register_buffer(self, name: str, tensor: Tensor) -> None:
        """A Tensor that is part of the state but not learned (BatchNorm's running statistics):
        it appears in state_dict() and load_state_dict(), not in parameters()."""
        if not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer: {name!r} must be a Tensor, got {type(tensor).__name__}")
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        self._buffers[name] = tensor
        object.__setattr__(self, name, tensor)

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        """(qualified name, buffer) pairs, module by module."""
        for mod_name, mod in self.named_modules(prefix):
            for name, b in mod._buffers.items():
                yield (f"{mod_name}.{name}" if mod_name else name), b

    def buffers(self) -> Iterator[Tensor]:
        return (b for _, b in self.named_buffers())

    def __delattr__(self, name: str) -> None:
        self._buffers.pop(name, None)
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        object.__delattr__(self, name)

    def _rename(self, prefix: str) -> None:
        """Set every parameter's `.name` to its qualified name under `prefix`."""
        for name, p in self.named_parameters(prefix=prefix.rstrip("."), remove_duplicate=False):
            p.name = name

    # ---- forward ------------------------------------------------------------------------
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward(...)")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # ---- traversal ----------------------------------------------------------------------
    def named_children(self) -> Iterator[tuple[str, Module]]:
        yield from self._modules.items()

    def children(self) -> Iterator[Module]:
        return (m for _, m in self.named_children())

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module and all below it, depth first, each once."""
        seen: set[int] = set()
        stack: list[tuple[str, Module]] = [(prefix, self)]
        while stack:
            name, mod = stack.pop()
            if id(mod) in seen:
                continue
            seen.add(id(mod))
            yield name, mod
            kids = [(f"{name}.{k}" if name else k, m) for k, m in mod._modules.items()]
            stack.extend(reversed(kids))

    def modules(self) -> Iterator[Module]:
        return (m for _, m in self.named_modules())

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        """(qualified name, parameter) pairs in registration order; a shared parameter once."""
        seen: set[int] = set()
        mods = self.named_modules(prefix) if recurse else iter([(prefix, self)])
        for mod_name, mod in mods:
            for name, p in mod._parameters.items():
                if remove_duplicate and id(p) in seen:
                    continue
                seen.add(id(p))
                yield (f"{mod_name}.{name}" if mod_name else name), p

    def parameters(self, recurse: bool = True) -> Iterator[Tensor]:
        """The parameters in the order of named_parameters(), each once."""
        return (p for _, p in self.named_parameters(recurse=recurse))

    # ---- training helpers ---------------------------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset every parameter's gradient: to None (default) or to zeros."""
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad = Tensor(np.zeros_like(p.data))

    def train(self, mode: bool = True) -> Module:
        """Set the `training` flag on this module and all below it; returns self."""
        if not isinstance(mode, bool):
            raise TypeError(f"train(mode): mode must be a bool, got {mode!r}")
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> Module:
        """Same as `train(False)`."""
        return self.train(False)

    # ---- state --------------------------------------------------------------------------
    def state_dict(self) -> OrderedDict[str, np.ndarray]:
        """Ordered mapping qualified name -> a copy of the array of each parameter, then of each
        buffer (PyTorch's names: a state dict loads into the same torch.nn modules)."""
        state: OrderedDict[str, np.ndarray] = OrderedDict()
        seen: set[int] = set()
        for mod_name, mod in self.named_modules():  # module by module: its parameters, then its buffers
            prefix = mod_name + "." if mod_name else ""
            for name, p in mod._parameters.items():
                if id(p) not in seen:
                    seen.add(id(p))
                    state[prefix + name] = p.data.copy()
            for name, b in mod._buffers.items():
                state[prefix + name] = b.data.copy()
        return state

    def load_state_dict(self, state_dict: Mapping[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy arrays from `state_dict` into the parameters (cast to each parameter's dtype).

        Every problem is collected and reported in one RuntimeError, as PyTorch does: missing
        and unexpected keys (only when strict) and shape mismatches (always). Nothing is
        changed unless the whole load succeeds.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"load_state_dict expects a mapping name -> array, got {type(state_dict).__name__}")
        own = dict(self.named_parameters())
        own.update(self.named_buffers())
        missing = [k for k in own if k not in state_dict]
        unexpected = [str(k) for k in state_dict if k not in own]
        errors: list[str] = []
        if strict and missing:
            errors.append("Missing key(s) in state_dict: " + ", ".join(f'"{k}"' for k in missing))
        if strict and unexpected:
            errors.append("Unexpected key(s) in state_dict: " + ", ".join(f'"{k}"' for k in unexpected))
        new_values: dict[str, np.ndarray] = {}
        for name, p in own.items():
            if name not in state_dict:
                continue
            value = np.asarray(state_dict[name])
            if value.dtype.kind not in "biuf":
                errors.append(f"bad value for {name}: expected a numeric array, got dtype {value.dtype}")
            elif value.shape != p.shape:
                errors.append(
                    f"size mismatch for {name}: copying a param with shape {value.shape} from "
                    f"checkpoint, the shape in current model is {p.shape}."
                )
            else:
                new_values[name] = np.array(value, dtype=p.dtype, copy=True)
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t" + "\n\t".join(errors))
        for name, value in new_values.items():
            own[name].data = value
        return IncompatibleKeys(missing, unexpected)

    # ---- printing -----------------------------------------------------------------------
    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's repr."""
        return ""

    def __repr__(self) -> str:
        lines = []
        for name, m in self._modules.items():
            child = repr(m).replace("\n", "\n  ")
            lines.append(f"  ({name}): {child}")
        if not lines:
            return f"{type(self).__name__}({self.extra_repr()})"
        extra = self.extra_repr()
        head = f"{type(self).__name__}(" + (f"\n  {extra}" if extra else "")
        return head + "\n" + "\n".join(lines) + "\n)"
