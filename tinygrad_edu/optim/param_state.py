"""`optimizer.state`: per-parameter state, keyed by the parameter Tensor itself."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any

from ..tensor import Tensor


class ParamState(MutableMapping):
    """`optimizer.state`: a dict from parameter Tensor to its state dict, keyed by identity.

    Like PyTorch's `defaultdict(dict)`: reading the state of a parameter that has none
    inserts and returns an empty dict. Tensors are looked up by identity (`id`), so the
    mapping never relies on Tensor's `==` (which compares elementwise).
    """

    def __init__(self) -> None:
        self._items: dict[int, tuple[Tensor, dict[str, Any]]] = {}

    def __getitem__(self, param: Tensor) -> dict[str, Any]:
        if id(param) not in self._items:
            self._items[id(param)] = (param, {})
        return self._items[id(param)][1]

    def __setitem__(self, param: Tensor, value: dict[str, Any]) -> None:
        self._items[id(param)] = (param, value)

    def __delitem__(self, param: Tensor) -> None:
        del self._items[id(param)]

    def __contains__(self, param: object) -> bool:
        return id(param) in self._items

    def get(self, param: Tensor, default: Any = None) -> Any:
        item = self._items.get(id(param))
        return default if item is None else item[1]

    def __iter__(self) -> Iterator[Tensor]:
        return (param for param, _ in self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        names = [getattr(p, "name", None) or f"param{i}" for i, p in enumerate(self)]
        return f"ParamState({names})"
