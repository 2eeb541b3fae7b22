# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 3. Next steps: minibatches, regularization, a neural network

# %%
# %matplotlib inline
import matplotlib.pyplot as plt
import numpy as np

from tinygrad_edu import Tensor, data, nn, optim
from tinygrad_edu.losses import cross_entropy, l1_penalty, l2_penalty, mse_loss

# %% [markdown]
# ## Stochastic gradient descent on minibatches, with momentum

# %%
Xr, yr, w_true = data.make_regression(1000, 5, noise=0.1, seed=0)
model = nn.Linear(5, 1, seed=0)
opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
batch_rng = np.random.default_rng(0)
for epoch in range(3):
    for xb, yb in data.batches(Xr, yr, batch_size=32, seed=batch_rng):
        opt.zero_grad()
        mse_loss(model(xb).reshape(-1), yb).backward()
        opt.step()
    print(f"epoch {epoch}: mean squared error {mse_loss(model(Xr).reshape(-1), yr).item():.4f}")

# %% [markdown]
# ## L1 and L2: only 3 of 10 features matter
# L2 shrinks every weight; L1 sets the useless ones to zero.

# %%
rng = np.random.default_rng(1)
Xs = rng.standard_normal((30, 10))
truth = np.zeros(10)
truth[[1, 4, 7]] = [3.0, -2.0, 1.5]
Xt, yt = Tensor(Xs), Tensor(Xs @ truth + rng.standard_normal(30))
learned = {}
for name, penalty in (("none", None), ("L2", l2_penalty), ("L1", l1_penalty)):
    W = Tensor(np.zeros(10), requires_grad=True)
    opt = optim.SGD([W], lr=0.01)
    decay = optim.lr_scheduler.ExponentialLR(opt, gamma=0.995)
    for _ in range(1000):
        opt.zero_grad()
        fit = ((yt - Xt @ W) ** 2).sum() / 2
        (fit if penalty is None else fit + 5.0 * penalty([W])).backward()
        opt.step()
        decay.step()
    learned[name] = W.numpy()
    print(f"{name:4s}", np.round(W.numpy(), 2))

# %%
fig, ax = plt.subplots(figsize=(7, 3.5))
for k, (name, w) in enumerate(learned.items()):
    ax.bar(np.arange(10) + (k - 1) * 0.27, w, 0.27, label=name)
ax.set_xlabel("weight index")
ax.legend()
plt.show()

# %% [markdown]
# ## A small neural network on two moons
# Its loss is not convex, but the same gradients train it.

# %%
X_moons, y_moons = data.make_moons(200, noise=0.1, seed=0)
net = nn.MLP([2, 16, 16, 2], activation="tanh", seed=0)
hist = optim.minimize(lambda: cross_entropy(net(X_moons), y_moons), optim.Adam(net.parameters(), lr=0.05), steps=150)
accuracy = (net(X_moons).numpy().argmax(axis=1) == y_moons.numpy()).mean()
print(f"loss {hist.loss[0]:.3f} -> {hist.loss[-1]:.4f}, training accuracy {accuracy:.1%}")
hist.plot()
