"""mlp: MLP 784-256-256-10 with ReLU, softmax cross-entropy, 100 SGD steps (batch 128, lr 0.1).

Inputs are float32 (4096, 784) with 10 classes; every framework starts from the same float32
weights (PyTorch's initialization, seeded) and returns the loss at each step.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from workloads.common import (
    Run,
    Setup,
    batches,
    import_torch,
    linear_init,
    mlp_data,
    tge_mlp,
    tge_sgd,
)

# float32: summation orders differ between BLAS calls and frameworks, and 100 SGD steps carry
# those rounding differences forward, so the losses must agree to 1e-5 relative (float32's
# epsilon is 1.2e-7; the frameworks measured here agree to about 2e-7).
RTOL = 1e-5


def setup_numpy(size: dict[str, Any]) -> Run:
    sizes, lr = size["sizes"], size["lr"]
    X, y = mlp_data(size["n"], sizes[0], sizes[-1])
    init = linear_init(sizes)
    steps = batches(size["n"], size["batch"], size["steps"])

    def run() -> list[float]:
        params = list(init)
        losses = []
        for rows in steps:
            xb, yb = X[rows], y[rows]
            n = xb.shape[0]
            # forward, keeping each layer's input and pre-activation
            inputs, h = [], xb
            for i in range(0, len(params), 2):
                inputs.append(h)
                z = h @ params[i].T + params[i + 1]
                h = np.maximum(z, 0) if i + 2 < len(params) else z
            z_max = h.max(axis=1, keepdims=True)
            e = np.exp(h - z_max)
            s = e.sum(axis=1, keepdims=True)
            log_probs = h - z_max - np.log(s)
            losses.append(float(-log_probs[np.arange(n), yb].mean()))
            # backward: softmax minus one-hot, then through the layers in reverse
            dz = e / s
            dz[np.arange(n), yb] -= 1
            dz /= n
            grads: list[np.ndarray] = [np.empty(0)] * len(params)
            for i in range(len(params) - 2, -1, -2):
                grads[i] = dz.T @ inputs[i // 2]
                grads[i + 1] = dz.sum(axis=0)
                if i > 0:
                    dz = (dz @ params[i]) * (inputs[i // 2] > 0)
            params = [p - lr * g for p, g in zip(params, grads)]
        return losses

    return run


def setup_tinygrad_edu(size: dict[str, Any]) -> Run:
    from tinygrad_edu import Tensor

    sizes, lr = size["sizes"], size["lr"]
    X, y = mlp_data(size["n"], sizes[0], sizes[-1])
    init = linear_init(sizes)
    steps = batches(size["n"], size["batch"], size["steps"])
    model, params = tge_mlp(sizes, init)
    cross_entropy = tge_cross_entropy()

    def run() -> list[float]:
        for p, value in zip(params, init):
            p.data = value.copy()  # the step writes into p.data: keep the shared init intact
        opt = tge_sgd(params, lr)
        losses = []
        for rows in steps:
            opt.zero_grad()
            # the batch as a view, as PyTorch's X[rows] and the NumPy baseline take it (no copy)
            loss = cross_entropy(model(Tensor.from_numpy(X[rows])), y[rows])
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return losses

    return run


def setup_tinygrad_edu_compile(size: dict[str, Any]) -> Run:
    """The same loop with the loss and its backward as one `tge.compile`d step."""
    import tinygrad_edu as tge
    from tinygrad_edu import Tensor

    sizes, lr = size["sizes"], size["lr"]
    X, y = mlp_data(size["n"], sizes[0], sizes[-1])
    init = linear_init(sizes)
    steps = batches(size["n"], size["batch"], size["steps"])
    model, params = tge_mlp(sizes, init)
    cross_entropy = tge_cross_entropy()

    def loss_and_grad(xb: Any, yb: Any) -> Any:
        loss = cross_entropy(model(xb), yb)
        loss.backward()
        return loss

    step = tge.compile(loss_and_grad)

    def run() -> list[float]:
        for p, value in zip(params, init):
            p.data = value.copy()  # the step writes into p.data: keep the shared init intact
        opt = tge_sgd(params, lr)
        losses = []
        for rows in steps:
            opt.zero_grad()
            loss = step(Tensor.from_numpy(X[rows]), Tensor.from_numpy(y[rows]))  # views, no copy
            opt.step()
            losses.append(loss.item())
        return losses

    return run


def tge_cross_entropy() -> Any:
    """nn.functional.cross_entropy, or its composition from log_softmax without nn."""
    try:
        from tinygrad_edu.nn import functional

        return functional.cross_entropy
    except ImportError:

        def cross_entropy(logits: Any, targets: np.ndarray) -> Any:
            log_probs = logits.log_softmax(axis=-1)
            return -log_probs[np.arange(len(targets)), targets].mean()

        return cross_entropy


def setup_torch(size: dict[str, Any]) -> Run:
    torch = import_torch()
    F = torch.nn.functional
    sizes, lr = size["sizes"], size["lr"]
    X_np, y_np = mlp_data(size["n"], sizes[0], sizes[-1])
    X, y = torch.from_numpy(X_np), torch.from_numpy(y_np)
    init = linear_init(sizes)
    steps = batches(size["n"], size["batch"], size["steps"])
    layers: list[Any] = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [torch.nn.Linear(n_in, n_out), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    params = list(model.parameters())

    def run() -> list[float]:
        with torch.no_grad():
            for p, value in zip(params, init, strict=True):
                p.copy_(torch.from_numpy(value))
        opt = torch.optim.SGD(params, lr=lr)
        losses = []
        for rows in steps:
            opt.zero_grad()
            loss = F.cross_entropy(model(X[rows]), y[rows])
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return losses

    return run


def setup_autograd(size: dict[str, Any]) -> Run:
    import autograd.numpy as anp
    from autograd import value_and_grad
    from autograd.scipy.special import logsumexp

    sizes, lr = size["sizes"], size["lr"]
    X, y = mlp_data(size["n"], sizes[0], sizes[-1])
    init = linear_init(sizes)
    steps = batches(size["n"], size["batch"], size["steps"])

    def loss_fn(params: list[Any], xb: np.ndarray, yb: np.ndarray) -> Any:
        h = xb
        for i in range(0, len(params), 2):
            h = anp.dot(h, params[i].T) + params[i + 1]
            if i + 2 < len(params):
                h = anp.maximum(h, 0.0)
        log_probs = h - logsumexp(h, axis=1, keepdims=True)
        return -anp.mean(log_probs[np.arange(len(yb)), yb])

    loss_and_grad = value_and_grad(loss_fn)

    def run() -> list[float]:
        params = list(init)
        losses = []
        for rows in steps:
            loss, grads = loss_and_grad(params, X[rows], y[rows])
            params = [p - lr * g for p, g in zip(params, grads)]
            losses.append(float(loss))
        return losses

    return run


def setup_mygrad(size: dict[str, Any]) -> Run:
    import mygrad as mg
    from mygrad.nnet.activations import relu
    from mygrad.nnet.losses import softmax_crossentropy

    sizes, lr = size["sizes"], size["lr"]
    X, y = mlp_data(size["n"], sizes[0], sizes[-1])
    init = linear_init(sizes)
    steps = batches(size["n"], size["batch"], size["steps"])

    def run() -> list[float]:
        params = [mg.tensor(value) for value in init]
        losses = []
        for rows in steps:
            h = X[rows]
            for i in range(0, len(params), 2):
                h = mg.matmul(h, params[i].T) + params[i + 1]
                if i + 2 < len(params):
                    h = relu(h)
            loss = softmax_crossentropy(h, y[rows])
            loss.backward()
            losses.append(loss.item())
            params = [mg.tensor(p.data - lr * p.grad) for p in params]
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
