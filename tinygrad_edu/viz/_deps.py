"""Optional dependencies, imported only when a picture is drawn.

The core needs NumPy alone. graphviz (the Python package, plus the system program `dot`)
draws graphs and matplotlib draws plots; both come with the `viz` extra.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import graphviz

INSTALL_EXTRA = 'pip install "tinygrad_edu[viz]"'
INSTALL_DOT = (
    "The Graphviz program `dot` was not found on your PATH, so this graph cannot be rendered "
    "to an image. Install it with your system's package manager: "
    "`apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS), "
    "`conda install graphviz` (conda), or see https://graphviz.org/download/. "
    "Meanwhile `print(viz.graph_text(t))` shows the same graph as an indented text tree, "
    "and `.source` holds the DOT text."
)


class DotNotFoundError(RuntimeError):
    """Rendering needs the Graphviz program `dot`, which is not installed."""


def require(module: str, what: str) -> Any:
    """Import `module`, or raise an ImportError that says which extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise ImportError(f"{what} needs the optional package '{module.split('.')[0]}': {INSTALL_EXTRA}") from e


def pyplot() -> Any:
    """matplotlib.pyplot, imported on first use."""
    return require("matplotlib.pyplot", "this plot")


@functools.cache
def _digraph_class() -> type[graphviz.Digraph]:
    gv = require("graphviz", "drawing a graph")

    class Digraph(gv.Digraph):  # type: ignore[name-defined]
        """A graphviz.Digraph whose rendering errors say how to install `dot`.

        It is a graphviz.Digraph in every other way: it displays inline in Jupyter and
        `.render()`, `.pipe()`, `.source` work as usual. When `dot` is missing, Jupyter shows
        the text tree instead of an error.
        """

        text_fallback: Callable[[], str] = staticmethod(lambda: "")

        def pipe(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return super().pipe(*args, **kwargs)
            except gv.ExecutableNotFound as e:
                raise DotNotFoundError(INSTALL_DOT) from e

        def render(self, *args: Any, **kwargs: Any) -> Any:
            try:
                return super().render(*args, **kwargs)
            except gv.ExecutableNotFound as e:
                raise DotNotFoundError(INSTALL_DOT) from e

        def _repr_mimebundle_(self, include: Any = None, exclude: Any = None, **kw: Any) -> Any:
            try:
                return super()._repr_mimebundle_(include, exclude, **kw)
            except DotNotFoundError:
                return {"text/plain": self.text_fallback() + "\n\n" + INSTALL_DOT}

    return Digraph


def new_digraph(**kwargs: Any) -> graphviz.Digraph:
    """A fresh Digraph (see `_digraph_class`)."""
    return _digraph_class()(**kwargs)
