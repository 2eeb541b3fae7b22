"""linreg: 100 full-batch gradient-descent steps on mean((Xw - y)^2), lr = 1/lambda_max(H).

X is float64 (10000, 256). Every framework returns the loss at each step.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from workloads.common import Run, Setup, import_torch, linreg_data, tge_sgd

# float64 throughout: every framework must match the NumPy baseline to 1e-8 relative.
RTOL = 1e-8


def setup_numpy(size: dict[str, Any]) -> Run:
    X, y, lr = linreg_data(size["n"], size["d"])
    n = X.shape[0]

    def run() -> list[float]:
        w = np.zeros(X.shape[1])
        losses = []
        for _ in range(size["steps"]):
            r = X @ w - y
            losses.append(float(np.mean(r * r)))
            w = w - lr * (X.T @ ((2.0 / n) * r))
        return losses

    return run


def setup_tinygrad_edu(size: dict[str, Any]) -> Run:
    from tinygrad_edu import Tensor

    X_np, y_np, lr = linreg_data(size["n"], size["d"])
    X, y = Tensor(X_np), Tensor(y_np)

    def run() -> list[float]:
        w = Tensor(np.zeros(X_np.shape[1]), requires_grad=True)
        opt = tge_sgd([w], lr)
        losses = []
        for _ in range(size["steps"]):
            opt.zero_grad()
            loss = ((X @ w - y) ** 2).mean()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return losses

    return run


def setup_tinygrad_edu_compile(size: dict[str, Any]) -> Run:
    """The same loop with the loss and its backward as one `tge.compile`d step."""
    import tinygrad_edu as tge
    from tinygrad_edu import Tensor

    X_np, y_np, lr = linreg_data(size["n"], size["d"])
    X, y = Tensor(X_np), Tensor(y_np)
    w = Tensor(np.zeros(X_np.shape[1]), requires_grad=True)

    def loss_and_grad(X: Any, y: Any) -> Any:
        loss = ((X @ w - y) ** 2).mean()
        loss.backward()
        return loss

    step = tge.compile(loss_and_grad)

    def run() -> list[float]:
        w.data = np.zeros(X_np.shape[1])
        opt = tge_sgd([w], lr)
        losses = []
        for _ in range(size["steps"]):
            opt.zero_grad()
            loss = step(X, y)
            opt.step()
            losses.append(loss.item())
        return losses

    return run


def setup_torch(size: dict[str, Any]) -> Run:
    torch = import_torch()
    X_np, y_np, lr = linreg_data(size["n"], size["d"])
    X, y = torch.from_numpy(X_np), torch.from_numpy(y_np)

    def run() -> list[float]:
        w = torch.zeros(X_np.shape[1], dtype=torch.float64, requires_grad=True)
        opt = torch.optim.SGD([w], lr=lr)
        losses = []
        for _ in range(size["steps"]):
            opt.zero_grad()
            loss = ((X @ w - y) ** 2).mean()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return losses

    return run


def setup_autograd(size: dict[str, Any]) -> Run:
    import autograd.numpy as anp
    from autograd import value_and_grad

    X, y, lr = linreg_data(size["n"], size["d"])

    def loss_fn(w: Any) -> Any:
        return anp.mean((anp.dot(X, w) - y) ** 2)

    loss_and_grad = value_and_grad(loss_fn)

    def run() -> list[float]:
        w = np.zeros(X.shape[1])
        losses = []
        for _ in range(size["steps"]):
            loss, g = loss_and_grad(w)
            w = w - lr * g
            losses.append(float(loss))
        return losses

    return run


def setup_mygrad(size: dict[str, Any]) -> Run:
    import mygrad as mg

    X, y, lr = linreg_data(size["n"], size["d"])

    def run() -> list[float]:
        w = mg.tensor(np.zeros(X.shape[1]))
        losses = []
        for _ in range(size["steps"]):
            loss = mg.mean((mg.matmul(X, w) - y) ** 2)
            loss.backward()
            losses.append(loss.item())
            w = mg.tensor(w.data - lr * w.grad)
        return losses

    return run


FRAMEWORKS: dict[str, Setup] = {
    "numpy": setup_numpy,
    "tinygrad_edu": setup_tinygrad_edu,
    "tinygrad_edu_compile": setup_tinygrad_edu_compile,
    "torch": setup_torch,
    "autograd": setup_autograd,
    "mygrad": setup_mygrad,
}
