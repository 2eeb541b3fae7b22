"""Optimizers: gradient descent with fixed steps, line searches and adaptive step sizes,
conjugate gradient, and the second-order and quasi-Newton methods (Newton, L-BFGS).

`from tinygrad_edu import optim`. Equations, defaults and validation follow torch.optim.
"""

from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .conjugate_gradient import ConjugateGradient
from .early_stopping import EarlyStopping
from .lbfgs import LBFGS
from .line_search import BacktrackingLineSearch, ExactLineSearch
from .minimize import DivergenceError, History, minimize
from .newton import Newton
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = [
    "Adagrad",
    "Adam",
    "AdamW",
    "BacktrackingLineSearch",
    "ConjugateGradient",
    "DivergenceError",
    "EarlyStopping",
    "ExactLineSearch",
    "History",
    "LBFGS",
    "Newton",
    "Optimizer",
    "RMSprop",
    "SGD",
    "lr_scheduler",
    "minimize",
]
