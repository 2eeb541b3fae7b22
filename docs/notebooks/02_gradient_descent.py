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
# # 2. Gradient descent: the update, the learning rate, line searches, adaptive methods
#
# The second half of the lesson, cell by cell. The plots show inline, once each.

# %%
# %matplotlib inline
import numpy as np

from tinygrad_edu import Tensor, data, optim, viz

rng = np.random.default_rng(0)
xs = rng.uniform(0, 4, size=30)
X = Tensor(np.stack([np.ones(30), xs], axis=1), name="X")
Y = Tensor(1.0 + 2.0 * xs + rng.normal(0.0, 0.5, size=30), name="y")


def f(W):
    return ((Y - X @ W) ** 2).sum()


W_star = data.normal_equation(X, Y)
f_star = f(W_star).item()
L = float(np.linalg.eigvalsh(2 * X.numpy().T @ X.numpy()).max())
print("f* =", round(f_star, 6), " L =", round(L, 3), " 2/L =", round(2 / L, 6))

# %% [markdown]
# ## The update rule
# W_new = W_old - lr * grad f(W_old). The lesson's worked step: [1, 2] - 0.1 [2.5, -1.2].

# %%
W = Tensor([1.0, 2.0], requires_grad=True)
W.grad = Tensor([2.5, -1.2])
optim.SGD([W], lr=0.1).step()
print(W.numpy(), "by hand:", np.array([1.0, 2.0]) - 0.1 * np.array([2.5, -1.2]))

# %% [markdown]
# ## The learning rate: too small, good, too large
# Fixed-step gradient descent converges when lr < 2/L.


# %%
def run(make, steps=100):
    W = Tensor([0.0, 0.0], requires_grad=True, name="W")
    try:
        return optim.minimize(lambda: f(W), make([W]), steps=steps, tol=1e-6)
    except optim.DivergenceError as err:
        return err.history


rates = {f"lr = {k}/L": run(lambda p, k=k: optim.SGD(p, lr=k / L)) for k in (0.1, 1.0, 2.1)}
viz.plot_history(rates, f_star=f_star, title="too small, good, too large")

# %% [markdown]
# ## Fixed step, exact line search, backtracking

# %%
W = Tensor([0.0, 0.0], requires_grad=True, name="W")
backtracking = optim.BacktrackingLineSearch([W], lr=1.0, shrink=0.5)
searches = {
    "fixed lr = 1/L": run(lambda p: optim.SGD(p, lr=1 / L)),
    "exact line search": run(lambda p: optim.ExactLineSearch(p)),
    "backtracking": optim.minimize(lambda: f(W), backtracking, steps=100, tol=1e-6),
}
viz.plot_contour(lambda w: f(Tensor(w)), searches, resolution=50, title="three ways to choose the step")

# %% [markdown]
# One backtracking step: the trials 1, 1/2, 1/4, ... until the Armijo condition holds.

# %%
viz.plot_line_search(searches["backtracking"], step=0, f=lambda w: f(Tensor(w)), search=backtracking)

# %% [markdown]
# ## Adam, RMSprop, AdaGrad

# %%
adaptive = {
    "Adam lr=0.1": run(lambda p: optim.Adam(p, lr=0.1)),
    "RMSprop lr=0.01": run(lambda p: optim.RMSprop(p, lr=0.01)),
    "AdaGrad lr=1.0": run(lambda p: optim.Adagrad(p, lr=1.0)),
}
fig = viz.plot_history(adaptive, f_star=f_star, title="adaptive step sizes")
for name, h in adaptive.items():
    print(f"{name:16s} f - f* = {h.loss[-1] - f_star:.3e}")

# %% [markdown]
# ## The exercise: f(x) = x^2 - 4x + 5 from 0 with lr 0.1
# By hand: f'(x) = 2x - 4, f'(0) = -4, x_new = 0 - 0.1 * (-4) = 0.4.

# %%
x = Tensor(0.0, requires_grad=True)
opt = optim.SGD([x], lr=0.1)
(x**2 - 4 * x + 5).backward()
print("f'(0) =", x.grad.item())
opt.step()
print("x_new =", round(x.item(), 6))
