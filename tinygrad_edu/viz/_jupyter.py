"""Figures in Jupyter: shown once, inline, then closed.

With matplotlib's inline backend a pyplot figure shows when its cell ends, and again as the
cell's result when a function returns it. The plotting functions call `show(fig)`: in a
Jupyter kernel it displays the figure right away and closes it (pyplot forgets it, so the end
of the cell does not show it again and no figure piles up), and the figure returned as the
cell's last value does not show a second time. Displaying it in a later cell works as usual.
Outside Jupyter `show` does nothing: `plt.show()` and `fig.savefig` work as with any figure.
"""

from __future__ import annotations

import sys
from typing import Any


def _kernel_shell() -> Any:
    """The running IPython kernel's shell, or None (plain Python, a terminal IPython)."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return None
    shell = ipython.get_ipython()
    return shell if shell is not None and getattr(shell, "kernel", None) is not None else None


def show(fig: Any) -> Any:
    """Display `fig` once in a Jupyter kernel with the inline backend and close it; return it."""
    shell = _kernel_shell()
    if shell is None:
        return fig
    import matplotlib
    import matplotlib.pyplot as plt

    if "inline" not in matplotlib.get_backend().lower():  # ipympl and friends show figures themselves
        return fig
    from IPython.display import display

    display(fig)
    plt.close(fig)
    shown_in = shell.execution_count

    def display_again() -> None:
        if shell.execution_count == shown_in:  # the cell that drew it: shown already
            return
        del fig._ipython_display_  # from now on the figure displays as any other
        display(fig)

    fig._ipython_display_ = display_again
    return fig
