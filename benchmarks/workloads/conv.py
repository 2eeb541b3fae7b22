"""conv: conv2d forward + backward on a batch of 64 28x28 images, 8 filters 3x3 (with bias).

float32 input (64, 1, 28, 28); the output (64, 8, 26, 26) is multiplied by a fixed upstream
gradient and summed, and backward gives the gradients of the input, the weights and the bias.
Every framework returns the loss, the weight and bias gradients and two sums of the input
gradient. The NumPy baseline is im2col with sliding_window_view and one matrix product each
way, written by hand.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from workloads.common import SEED, Run, Setup, import_torch

# float32, sums over 43,264 output positions in different orders: 1e-4 relative.
RTOL = 1e-4


def conv_data(size: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """x (N, 1, H, W), w (F, 1, k, k), b (F,), and the upstream gradient v, all float32."""
    rng = np.random.default_rng(SEED + 3)
    n, hw, f, k = size["batch"], size["hw"], size["filters"], size["kernel"]
    x = rng.standard_normal((n, 1, hw, hw)).astype(np.float32)
    w = (rng.standard_normal((f, 1, k, k)) / k).astype(np.float32)
    b = rng.standard_normal(f).astype(np.float32)
    v = rng.standard_normal((n, f, hw - k + 1, hw - k + 1)).astype(np.float32)
    return x, w, b, v


def _result(loss: float, gw: np.ndarray, gb: np.ndarray, gx: np.ndarray) -> list[float]:
    return [loss, *gw.ravel().tolist(), *gb.ravel().tolist(), float(gx.sum()), float(np.abs(gx).sum())]


def setup_numpy(size: dict[str, Any]) -> Run:
    x, w, b, v = conv_data(size)
    n, c, hw, _ = x.shape
    f, _, k, _ = w.shape
    o = hw - k + 1

    def run() -> list[float]:
        cols = sliding_window_view(x, (k, k), axis=(2, 3))  # (N, C, o, o, k, k)
        cols = np.ascontiguousarray(cols.transpose(0, 2, 3, 1, 4, 5)).reshape(n * o * o, c * k * k)
        wm = w.reshape(f, c * k * k)
        out = (cols @ wm.T + b).reshape(n, o, o, f).transpose(0, 3, 1, 2)
        loss = float(np.sum(out * v))
        g = np.ascontiguousarray(v.transpose(0, 2, 3, 1)).reshape(n * o * o, f)
        gw = (g.T @ cols).reshape(w.shape)
        gb = g.sum(axis=0)
        gcols = (g @ wm).reshape(n, o, o, c, k, k)
        gx = np.zeros_like(x)
        for i in range(k):
            for j in range(k):
                gx[:, :, i : i + o, j : j + o] += gcols[:, :, :, :, i, j].transpose(0, 3, 1, 2)
        return _result(loss, gw, gb, gx)

    return run


def setup_tinygrad_edu(size: dict[str, Any]) -> Run:
    from tinygrad_edu import Tensor
    from tinygrad_edu.nn import functional as F

    x, w, b, v = conv_data(size)
    upstream = Tensor(v)

    def run() -> list[float]:
        xt, wt, bt = (Tensor(a, requires_grad=True) for a in (x, w, b))
        out = F.conv2d(xt, wt, bt)
        loss = (out * upstream).sum()
        loss.backward()
        return _result(loss.item(), wt.grad.data, bt.grad.data, xt.grad.data)

    return run


def setup_torch(size: dict[str, Any]) -> Run:
    torch = import_torch()
    x, w, b, v = conv_data(size)
    upstream = torch.from_numpy(v)

    def run() -> list[float]:
        xt, wt, bt = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
        out = torch.nn.functional.conv2d(xt, wt, bt)
        loss = (out * upstream).sum()
        loss.backward()
        return _result(loss.item(), wt.grad.numpy(), bt.grad.numpy(), xt.grad.numpy())

    return run


FRAMEWORKS: dict[str, Setup] = {
    "numpy": setup_numpy,
    "tinygrad_edu": setup_tinygrad_edu,
    "torch": setup_torch,
}
