"""Loss functions and penalties, each composed from Tensor ops and the primitives of
ops_pointwise.py (softplus), so their gradients come from the ops' own backward rules.

Shapes must match exactly: a prediction of shape (N, 1) against a target of shape (N,) is an
error here, not a silent broadcast to (N, N). Targets may be Tensors, arrays or lists (lists
and integer arrays become float64 Tensors).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from .. import engine
from ..functions import where
from ..movement import pad
from ..ops_nn import Linear, NllLoss
from ..ops_pointwise import Softplus
from ..pointwise import elu, gelu, hardtanh, leaky_relu, log_sigmoid, mish, relu6, silu, softplus, softsign
from ..tensor import Tensor
from .conv import avg_pool2d, conv1d, conv2d, max_pool2d

__all__ = [
    "avg_pool2d",
    "conv1d",
    "conv2d",
    "max_pool2d",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "elu",
    "gelu",
    "hardtanh",
    "hinge_loss",
    "huber_loss",
    "l1_loss",
    "l1_penalty",
    "l2_penalty",
    "leaky_relu",
    "linear",
    "log_softmax",
    "log_sigmoid",
    "mish",
    "mse_loss",
    "nll_loss",
    "pad",
    "relu",
    "relu6",
    "sigmoid",
    "silu",
    "softplus",
    "softsign",
    "squared_error",
    "tanh",
]


def relu(x: Tensor) -> Tensor:
    """max(x, 0); derivative 1 where x > 0, else 0."""
    return x.relu()


def sigmoid(x: Tensor) -> Tensor:
    """1 / (1 + exp(-x))."""
    return x.sigmoid()


def tanh(x: Tensor) -> Tensor:
    """tanh(x)."""
    return x.tanh()


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x W^T + b, the layer nn.Linear computes (W of shape (out, in), b of shape (out,)):
    one primitive, d/dx = G W, d/dW = G^T x, d/db = G summed over the rows."""
    x, weight = _tensor("linear", "x", x), _tensor("linear", "weight", weight)
    if weight.ndim != 2 or x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        raise ValueError(
            f"linear: x's last axis must match weight's columns (weight has shape (out, in)), "
            f"got x of shape {x.shape} and weight of shape {weight.shape}"
        )
    if bias is None:
        return Linear.apply(x, weight)
    bias = _tensor("linear", "bias", bias)
    if bias.shape != weight.shape[:1]:
        raise ValueError(f"linear: bias must have shape ({weight.shape[0]},), got {bias.shape}")
    return Linear.apply(x, weight, bias)


def log_softmax(x: Tensor, dim: int = -1) -> Tensor:
    """x - logsumexp(x) along `dim` (x.log_softmax(dim)); the log-probabilities nll_loss takes."""
    return _tensor("log_softmax", "x", x).log_softmax(dim)


_REDUCTIONS = ("mean", "sum", "none")


def _tensor(fn: str, arg: str, x: Any) -> Tensor:
    if isinstance(x, Tensor):
        return x
    try:
        arr = np.asarray(x)
    except ValueError as e:
        raise ValueError(f"{fn}: {arg} is not a rectangular array of numbers: {e}") from e
    if arr.dtype.kind in "biu":
        arr = arr.astype(np.float64)
    if arr.dtype.kind != "f":
        raise TypeError(f"{fn}: {arg} must be a Tensor or an array of numbers, got {x!r}")
    return Tensor(arr)


def _same_shape(fn: str, pred: Tensor, target: Tensor, names: tuple[str, str]) -> None:
    if pred.shape != target.shape:
        raise ValueError(
            f"{fn}: {names[0]} has shape {pred.shape} but {names[1]} has shape {target.shape}; "
            f"they must match exactly (no broadcasting). Reshape one of them, e.g. "
            f"{names[1]}.reshape({', '.join(str(d) for d in pred.shape) or '()'})"
        )


def _reduce(fn: str, loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{fn}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


def _check_reduction(fn: str, reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{fn}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


@engine.composite("mse_loss({a}, {b})", "2·({a} - {b}){/n}", "-2·({a} - {b}){/n}")
def mse_loss(pred: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Mean squared error: mean_i (pred_i - target_i)^2  ('sum': the sum, 'none': elementwise).

    d/d pred_i of the mean = 2 (pred_i - target_i) / N.
    """
    _check_reduction("mse_loss", reduction)
    pred = _tensor("mse_loss", "pred", pred)
    target = _tensor("mse_loss", "target", target)
    _same_shape("mse_loss", pred, target, ("pred", "target"))
    diff = pred - target
    return _reduce("mse_loss", diff * diff, reduction)


@engine.composite("squared_error({a}, {b})", "-2·({b} - {a})", "2·({b} - {a})")
def squared_error(pred: Tensor, target: Any) -> Tensor:
    """The lesson's f(W) = ||y - XW||^2 = sum_i (y_i - pred_i)^2, with pred = XW.

    Its gradient with respect to W is -2 X^T (y - XW).
    """
    pred = _tensor("squared_error", "pred", pred)
    target = _tensor("squared_error", "target", target)
    _same_shape("squared_error", pred, target, ("pred", "target"))
    residual = target - pred
    return (residual * residual).sum()


def _class_indices(fn: str, targets: Any, n: int, c: int) -> np.ndarray:
    t = np.asarray(targets.data if isinstance(targets, Tensor) else targets)
    if t.shape != (n,):
        raise ValueError(
            f"{fn}: targets must have shape ({n},), one class index per row of logits, got shape {t.shape}"
        )
    if t.dtype.kind == "f":
        if not np.all(np.isfinite(t)) or not np.all(t == np.round(t)):
            raise ValueError(f"{fn}: targets must be integer class indices, got non-integer values {t!r}")
        t = t.astype(np.int64)
    elif t.dtype.kind not in "iub":
        raise TypeError(f"{fn}: targets must be integer class indices, got dtype {t.dtype}")
    t = t.astype(np.int64, copy=False)
    if n:
        low, high = np.minimum.reduce(t), np.maximum.reduce(t)
        if low < 0 or high >= c:
            raise ValueError(
                f"{fn}: targets must lie in [0, {c - 1}] for logits with {c} classes, got values from {low} to {high}"
            )
    return t


def _class_targets(fn: str, arg: str, logits: Tensor, targets: Any) -> np.ndarray:
    """The (N,) int64 class indices for (N, C) scores, checked; from a Tensor as an op on it,
    so that tge.compile follows the targets of each batch."""
    if logits.ndim != 2:
        raise ValueError(
            f"{fn}: {arg} must have shape (N, C), got shape {logits.shape}; "
            f"for a single example use {arg}.reshape(1, -1)"
        )
    t = _class_indices(fn, targets, *logits.shape)
    if isinstance(targets, Tensor):
        return engine.no_grad_op(np.asarray, targets, dtype=np.int64).data
    return t


@engine.composite("cross_entropy({a}, targets)", "(softmax({a}) - {target}){/rows}", "0 (class indices)")
def cross_entropy(logits: Tensor, targets: Any, reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy: loss_i = -log softmax(logits_i)[t_i] = logsumexp(logits_i) - logits_i[t_i].

    logits: (N, C) Tensor; targets: (N,) integer class indices (integral floats are accepted,
    since Tensor([0, 1]) is float64). d loss_i / d logits_i = softmax(logits_i) - onehot(t_i).
    With label_smoothing = e the target is (1 - e) onehot + e / C (PyTorch's rule):
    loss_i = (1 - e) (-log p_i[t_i]) + e mean_c (-log p_i[c]). It is nll_loss(log_softmax(logits)),
    two primitives, as in PyTorch.
    """
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must lie in [0, 1], got {label_smoothing}")
    _check_reduction("cross_entropy", reduction)
    logits = _tensor("cross_entropy", "logits", logits)
    t = _class_targets("cross_entropy", "logits", logits, targets)
    log_probs = logits.log_softmax(axis=1)
    if not label_smoothing:
        return NllLoss.apply(log_probs, target=t, reduction=reduction)
    loss = NllLoss.apply(log_probs, target=t, reduction="none")
    loss = loss * (1.0 - label_smoothing) - log_probs.mean(axis=1) * label_smoothing
    return _reduce("cross_entropy", loss, reduction)


def nll_loss(log_probs: Tensor, targets: Any, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood: loss_i = -log_probs[i, t_i]; d loss_i / d log_probs[i, t_i] = -1.

    log_probs: (N, C), usually F.log_softmax(logits, dim=1); targets: (N,) class indices.
    nll_loss(log_softmax(z)) is cross_entropy(z), as in PyTorch.
    """
    _check_reduction("nll_loss", reduction)
    log_probs = _tensor("nll_loss", "log_probs", log_probs)
    t = _class_targets("nll_loss", "log_probs", log_probs, targets)
    return NllLoss.apply(log_probs, target=t, reduction=reduction)


@engine.composite("l1_loss({a}, {b})", "sign({a} - {b}){/n}", "-sign({a} - {b}){/n}")
def l1_loss(pred: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Mean absolute error: mean_i |pred_i - target_i|; d/d pred_i = sign(pred_i - target_i) / N."""
    _check_reduction("l1_loss", reduction)
    pred, target = _tensor("l1_loss", "pred", pred), _tensor("l1_loss", "target", target)
    _same_shape("l1_loss", pred, target, ("pred", "target"))
    return _reduce("l1_loss", (pred - target).abs(), reduction)


@engine.composite(
    "huber_loss({a}, {b})", "clip({a} - {b}, -{delta}, {delta}){/n}", "-clip({a} - {b}, -{delta}, {delta}){/n}"
)
def huber_loss(pred: Tensor, target: Any, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """0.5 d^2 where |d| < delta, else delta (|d| - 0.5 delta), d = pred - target: quadratic near
    0, linear (gradient +-delta) beyond delta."""
    _check_reduction("huber_loss", reduction)
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    pred, target = _tensor("huber_loss", "pred", pred), _tensor("huber_loss", "target", target)
    _same_shape("huber_loss", pred, target, ("pred", "target"))
    d = pred - target
    small = d.abs() < delta
    return _reduce("huber_loss", where(small, d * d * 0.5, (d.abs() - 0.5 * delta) * delta), reduction)


@engine.composite("bce_with_logits({a}, {b})", "(sigmoid({a}) - {b}){/n}", "-{a}{/n}")
def binary_cross_entropy_with_logits(logits: Tensor, targets: Any, reduction: str = "mean") -> Tensor:
    """loss = -[y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))] = (1 - y) softplus(x) + y softplus(-x).

    softplus is one primitive (log(1 + exp(a)), derivative sigmoid(a)), stable for any |x|: the
    gradient is (1 - y) sigmoid(x) - y sigmoid(-x) = sigmoid(x) - y, the second derivative
    sigmoid(x) (1 - sigmoid(x)), exactly 1/4 at x = 0. Targets y lie in [0, 1].
    """
    _check_reduction("binary_cross_entropy_with_logits", reduction)
    fn = "binary_cross_entropy_with_logits"
    x = _tensor(fn, "logits", logits)
    y = _tensor(fn, "targets", targets)
    _same_shape(fn, x, y, ("logits", "targets"))
    loss = (1.0 - y) * Softplus.apply(x) + y * Softplus.apply(-x)
    return _reduce(fn, loss, reduction)


@engine.composite("hinge_loss({a}, {b})", "-{b}·[{b}·{a} < 1]{/n}", "-{a}·[{b}·{a} < 1]{/n}")
def hinge_loss(scores: Tensor, targets: Any, reduction: str = "mean") -> Tensor:
    """mean_i max(0, 1 - y_i s_i) for 1-D scores s and labels y in {-1, +1}.

    Subgradient: -y_i / N where y_i s_i < 1, else 0 (0 at the kink y_i s_i = 1).
    """
    _check_reduction("hinge_loss", reduction)
    s = _tensor("hinge_loss", "scores", scores)
    y = _tensor("hinge_loss", "targets", targets)
    if s.ndim != 1:
        raise ValueError(f"hinge_loss: scores must be 1-D, got shape {s.shape}")
    _same_shape("hinge_loss", s, y, ("scores", "targets"))
    labels = np.asarray(y.data)
    if not np.all((labels == 1) | (labels == -1)):
        raise ValueError("hinge_loss: targets must be -1 or +1; convert 0/1 labels with 2 * y - 1")
    return _reduce("hinge_loss", (1.0 - y * s).relu(), reduction)


def _param_list(fn: str, params: Any) -> list[Tensor]:
    if hasattr(params, "parameters") and callable(params.parameters):
        params = params.parameters()
    if isinstance(params, Tensor):
        return [params]
    if not isinstance(params, Iterable):
        raise TypeError(f"{fn}: params must be Tensors or a Module, got {params!r}")
    out = list(params)
    for p in out:
        if not isinstance(p, Tensor):
            raise TypeError(f"{fn}: every parameter must be a Tensor, got {type(p).__name__}")
    return out


@engine.composite("l1_penalty({*})", "sign({a})")
def l1_penalty(params: Iterable[Tensor] | Tensor | Any) -> Tensor:
    """sum over all parameters p and their elements of |p|;  d/dp = sign(p).

    `params` is an iterable of Tensors (e.g. model.parameters()), one Tensor, or a Module.
    """
    total: Tensor | None = None
    for p in _param_list("l1_penalty", params):
        term = p.abs().sum()
        total = term if total is None else total + term
    return Tensor(0.0) if total is None else total


@engine.composite("l2_penalty({*})", "2·{a}")
def l2_penalty(params: Iterable[Tensor] | Tensor | Any) -> Tensor:
    """sum over all parameters p and their elements of p^2;  d/dp = 2 p.

    `params` is an iterable of Tensors (e.g. model.parameters()), one Tensor, or a Module.
    """
    total: Tensor | None = None
    for p in _param_list("l2_penalty", params):
        term = (p * p).sum()
        total = term if total is None else total + term
    return Tensor(0.0) if total is None else total
