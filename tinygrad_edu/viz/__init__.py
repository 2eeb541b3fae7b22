"""Pictures: the computation graph, the backward pass step by step, the optimizer's path.

graphviz and matplotlib are optional (`pip install "tinygrad_edu[viz]"`) and imported only
when a picture is drawn.
"""

from ._deps import DotNotFoundError
from .backward import BackwardFrames, BackwardStep, backward_steps, draw_backward
from .gradcheck import draw_gradcheck
from .graph import draw_graph, graph_text
from .line_search import plot_line_search
from .plots import plot_contour, plot_history
from .stepper import Stepper

__all__ = [
    "BackwardFrames",
    "BackwardStep",
    "DotNotFoundError",
    "Stepper",
    "backward_steps",
    "draw_backward",
    "draw_gradcheck",
    "draw_graph",
    "graph_text",
    "plot_contour",
    "plot_history",
    "plot_line_search",
]
