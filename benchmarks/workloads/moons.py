"""moons: micrograd's own demo, MLP 2-16-16-1 on 100 two-moons points.

Loss = mean(relu(1 - y * score)) + 1e-4 * sum of squared parameters (max-margin plus L2);
20 SGD steps with micrograd's schedule lr = 1.0 - 0.9 k / 100. Every framework starts from
the same data and weights (micrograd's initialization, seeded) and returns the loss at each
step.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from workloads.common import (
    Run,
    Setup,
    import_torch,
    moons_data,
    moons_init,
    moons_lr,
    set_lr,
    tge_mlp,
    tge_sgd,
)

# float64 throughout: every framework must match the NumPy baseline to 1e-8 relative.
RTOL = 1e-8


def setup_numpy(size: dict[str, Any]) -> Run:
    X, y = moons_data(size["points"])
    init = moons_init(size["sizes"])
    alpha, n = size["alpha"], len(y)

    def run() -> list[float]:
        W1, b1, W2, b2, W3, b3 = init
        losses = []
        for k in range(size["steps"]):
            z1 = X @ W1.T + b1
            h1 = np.maximum(z1, 0)
            z2 = h1 @ W2.T + b2
            h2 = np.maximum(z2, 0)
            scores = (h2 @ W3.T + b3)[:, 0]
            margins = 1 - y * scores
            params = [W1, b1, W2, b2, W3, b3]
            reg = sum(float(np.sum(p * p)) for p in params)
            losses.append(float(np.mean(np.maximum(margins, 0))) + alpha * reg)
            # backward
            dz3 = (-y * (margins > 0) / n)[:, None]
            dz2 = (dz3 @ W3) * (z2 > 0)
            dz1 = (dz2 @ W2) * (z1 > 0)
            grads = [dz1.T @ X, dz1.sum(0), dz2.T @ h1, dz2.sum(0), dz3.T @ h2, dz3.sum(0)]
            lr = moons_lr(k)
            W1, b1, W2, b2, W3, b3 = (p - lr * (g + 2 * alpha * p) for p, g in zip(params, grads))
        return losses

    return run


def setup_tinygrad_edu(size: dict[str, Any]) -> Run:
    from tinygrad_edu import Tensor

    X_np, y_np = moons_data(size["points"])
    X, y = Tensor(X_np), Tensor(y_np)
    init = moons_init(size["sizes"])
    alpha = size["alpha"]
    model, params = tge_mlp(size["sizes"], init)
    hinge_loss, l2_penalty = _tge_losses()

    def run() -> list[float]:
        for p, value in zip(params, init):
            p.data = value.copy()  # the step writes into p.data: keep the shared init intact
        opt = tge_sgd(params, moons_lr(0))
        losses = []
        for k in range(size["steps"]):
            opt.zero_grad()
            scores = model(X).reshape(-1)
            loss = hinge_loss(scores, y) + alpha * l2_penalty(params)
            loss.backward()
            set_lr(opt, moons_lr(k))
            opt.step()
            losses.append(loss.item())
        return losses

    return run


def setup_tinygrad_edu_compile(size: dict[str, Any]) -> Run:
    """The same loop with the loss and its backward as one `tge.compile`d step."""
    import tinygrad_edu as tge
    from tinygrad_edu import Tensor

    X_np, y_np = moons_data(size["points"])
    X, y = Tensor(X_np), Tensor(y_np)
    init = moons_init(size["sizes"])
    alpha = size["alpha"]
    model, params = tge_mlp(size["sizes"], init)
    hinge_loss, l2_penalty = _tge_losses()

    def loss_and_grad(X: Any, y: Any) -> Any:
        scores = model(X).reshape(-1)
        loss = hinge_loss(scores, y) + alpha * l2_penalty(params)
        loss.backward()
        return loss

    step = tge.compile(loss_and_grad)

    def run() -> list[float]:
        for p, value in zip(params, init):
            p.data = value.copy()  # the step writes into p.data: keep the shared init intact
        opt = tge_sgd(params, moons_lr(0))
        losses = []
        for k in range(size["steps"]):
            opt.zero_grad()
            loss = step(X, y)
            set_lr(opt, moons_lr(k))
            opt.step()
            losses.append(loss.item())
        return losses

    return run


def _tge_losses() -> tuple[Any, Any]:
    """nn.functional's hinge_loss and l2_penalty, or their compositions without nn."""
    try:
        from tinygrad_edu.nn import functional

        return functional.hinge_loss, functional.l2_penalty
    except ImportError:

        def hinge_loss(scores: Any, targets: Any) -> Any:
            return (1 - targets * scores).relu().mean()

        def l2_penalty(params: list[Any]) -> Any:
            total = (params[0] * params[0]).sum()
            for p in params[1:]:
                total = total + (p * p).sum()
            return total

        return hinge_loss, l2_penalty


def setup_torch(size: dict[str, Any]) -> Run:
    torch = import_torch()
    F = torch.nn.functional
    X_np, y_np = moons_data(size["points"])
    X, y = torch.from_numpy(X_np), torch.from_numpy(y_np)
    init = moons_init(size["sizes"])
    alpha = size["alpha"]

    def run() -> list[float]:
        params = [torch.tensor(value, requires_grad=True) for value in init]
        opt = torch.optim.SGD(params, lr=moons_lr(0))
        losses = []
        for k in range(size["steps"]):
            opt.zero_grad()
            h = X
            for i in range(0, len(params), 2):
                h = F.linear(h, params[i], params[i + 1])
                if i + 2 < len(params):
                    h = F.relu(h)
            data_loss = F.relu(1 - y * h.reshape(-1)).mean()
            loss = data_loss + alpha * sum((p * p).sum() for p in params)
            loss.backward()
            set_lr(opt, moons_lr(k))
            opt.step()
            losses.append(loss.item())
        return losses

    return run


def setup_autograd(size: dict[str, Any]) -> Run:
    import autograd.numpy as anp
    from autograd import value_and_grad

    X, y = moons_data(size["points"])
    init = moons_init(size["sizes"])
    alpha = size["alpha"]

    def loss_fn(params: list[Any]) -> Any:
        h = X
        for i in range(0, len(params), 2):
            h = anp.dot(h, params[i].T) + params[i + 1]
            if i + 2 < len(params):
                h = anp.maximum(h, 0.0)
        data_loss = anp.mean(anp.maximum(1 - y * h[:, 0], 0.0))
        return data_loss + alpha * sum(anp.sum(p * p) for p in params)

    loss_and_grad = value_and_grad(loss_fn)

    def run() -> list[float]:
        params = list(init)
        losses = []
        for k in range(size["steps"]):
            loss, grads = loss_and_grad(params)
            params = [p - moons_lr(k) * g for p, g in zip(params, grads)]
            losses.append(float(loss))
        return losses

    return run


def setup_mygrad(size: dict[str, Any]) -> Run:
    import mygrad as mg
    from mygrad.nnet.activations import relu

    X, y = moons_data(size["points"])
    init = moons_init(size["sizes"])
    alpha = size["alpha"]

    def run() -> list[float]:
        params = [mg.tensor(value) for value in init]
        losses = []
        for k in range(size["steps"]):
            h = X
            for i in range(0, len(params), 2):
                h = mg.matmul(h, params[i].T) + params[i + 1]
                if i + 2 < len(params):
                    h = relu(h)
            data_loss = mg.mean(relu(1 - y * h[:, 0]))
            loss = data_loss + alpha * mg.add_sequence(*(mg.sum(p * p) for p in params))
            loss.backward()
            losses.append(loss.item())
            params = [mg.tensor(p.data - moons_lr(k) * p.grad) for p in params]
        return losses

    return run


def setup_micrograd(size: dict[str, Any]) -> Run:
    from micrograd.engine import Value
    from micrograd.nn import MLP

    X, y = moons_data(size["points"])
    init = moons_init(size["sizes"])
    alpha = size["alpha"]
    sizes = size["sizes"]
    model = MLP(sizes[0], sizes[1:])

    def run() -> list[float]:
        # load the shared initial weights into micrograd's neurons
        for layer, W, b in zip(model.layers, init[0::2], init[1::2]):
            for neuron, w_row, b_j in zip(layer.neurons, W, b):
                for w, value in zip(neuron.w, w_row):
                    w.data = float(value)
                neuron.b.data = float(b_j)
        # the demo's loop, as micrograd's README notebook writes it
        inputs = [list(map(Value, row)) for row in X.tolist()]
        losses = []
        for k in range(size["steps"]):
            scores = list(map(model, inputs))
            margins = [(1 + -yi * si).relu() for yi, si in zip(y.tolist(), scores)]
            data_loss = sum(margins) * (1.0 / len(margins))
            reg_loss = alpha * sum(p * p for p in model.parameters())
            loss = data_loss + reg_loss
            model.zero_grad()
            loss.backward()
            for p in model.parameters():
                p.data -= moons_lr(k) * p.grad
            losses.append(loss.data)
        return losses

    return run


FRAMEWORKS: dict[str, Setup] = {
    "numpy": setup_numpy,
    "tinygrad_edu": setup_tinygrad_edu,
    "tinygrad_edu_compile": setup_tinygrad_edu_compile,
    "torch": setup_torch,
    "autograd": setup_autograd,
    "mygrad": setup_mygrad,
    "micrograd": setup_micrograd,
}
