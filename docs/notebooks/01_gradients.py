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
# # 1. Gradients: slopes, partial derivatives, directions
#
# The first half of the lesson *From the normal equation to gradient descent*, to run cell by
# cell. Every picture shows inline; the graphs need the Graphviz program `dot`.

# %%
# %matplotlib inline
import numpy as np

import tinygrad_edu as tge
from tinygrad_edu import Tensor, data, viz

# %% [markdown]
# ## The slope of x^2 at 2
# The derivative f'(x) is the slope of the tangent line. For f(x) = x^2, f'(x) = 2x, so
# f(2) = 4 and f'(2) = 4. Reverse mode computes it from the operations that computed the value.

# %%
x = Tensor(2.0, requires_grad=True, name="x")
y = x**2
y.name = "y"
y.backward()
print("f(2) =", y.item(), " f'(2) =", x.grad.item(), " by hand: 2 * 2 =", 2 * 2.0)

# %% [markdown]
# ## The lesson's loss and its gradient
# Linear regression with an intercept: f(W) = ||y - XW||^2 = sum_i (y_i - (w0 + w1 x_i))^2.
# Its gradient, by the chain rule, is -2 X^T (y - XW). One backward pass gives both partial
# derivatives.

# %%
rng = np.random.default_rng(0)
xs = rng.uniform(0, 4, size=30)
X = Tensor(np.stack([np.ones(30), xs], axis=1), name="X")
Y = Tensor(1.0 + 2.0 * xs + rng.normal(0.0, 0.5, size=30), name="y")


def f(W):
    return ((Y - X @ W) ** 2).sum()


W = Tensor([0.0, 0.0], requires_grad=True, name="W")
loss = f(W)
loss.name = "f"
loss.backward()
by_hand = -2 * X.T @ (Y - X @ W)
print("autodiff:", W.grad.numpy(), " by hand:", by_hand.numpy())
print(tge.compare_gradients(W.grad, by_hand, names=["W"]))

# %% [markdown]
# The computation graph: one box per tensor, one ellipse per op. W's box shows its gradient.

# %%
viz.draw_graph(loss)

# %% [markdown]
# The backward pass, step by step: each frame runs one op's backward rule; the current op is
# orange and every gradient that has arrived so far is filled in. Step through the frames
# with Previous / Next or the slider (`frames[k]` is frame k as a graph; `frames` alone shows
# the same stepper).

# %%
a = Tensor(2.0, requires_grad=True, name="a")
c = a * a + a * Tensor(3.0, name="b")
c.name = "c"
frames = viz.draw_backward(c)
print(len(frames), "frames; d c / d a = 2a + b =", 2 * 2.0 + 3.0)
frames.stepper()

# %% [markdown]
# ## The directional derivative
# D_u f(W) = u . grad f(W): forward mode computes it in one pass. The rate is smallest,
# -||grad f||, for u = -grad f / ||grad f||: the direction of steepest descent.

# %%
W0 = Tensor([0.0, 0.0])
g = tge.grad(f)(W0).numpy()
for u in ([1.0, 0.0], [0.0, 1.0], [0.6, 0.8]):
    print(u, round(tge.directional_derivative(f, W0, Tensor(u)).item(), 4), round(float(np.dot(u, g)), 4))
angles = np.linspace(0, 2 * np.pi, 181)
rates = [tge.directional_derivative(f, W0, Tensor([np.cos(t), np.sin(t)])).item() for t in angles]
print("smallest rate", round(min(rates), 2), " -||g|| =", round(-np.linalg.norm(g), 2))

# %%
import matplotlib.pyplot as plt  # noqa: E402

fig, ax = plt.subplots(figsize=(5, 3.5))
ax.plot(np.degrees(angles), rates)
ax.axhline(-np.linalg.norm(g), color="red", linestyle=":", label="-||grad f||")
ax.set_xlabel("angle of u (degrees)")
ax.set_ylabel("D_u f(W)")
ax.legend()
plt.show()

# %% [markdown]
# ## The normal equation
# Setting the gradient to zero gives X^T X W = X^T y: the exact answer in one step, at a cost
# of about n^3 operations for n features.

# %%
W_star = data.normal_equation(X, Y)
print("W* =", W_star.numpy(), " gradient there:", np.round(tge.grad(f)(W_star).numpy(), 8))
