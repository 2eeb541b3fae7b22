# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Graphs, the backward pass and optimizer runs in a notebook
#
# The lesson's linear regression, f(W) = ||y - XW||^2. Open this file in Jupyter (with
# jupytext: `jupytext --to notebook graphs.py`) or run it as a script. Every picture below
# displays once, inline.

# %%
from tinygrad_edu import Tensor, optim, viz

X = Tensor([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0], [1.0, 3.0]], name="X")
y = Tensor([1.0, 3.0, 2.0, 5.0], name="y")
W = Tensor([1.0, 2.0], requires_grad=True, name="W")
loss = ((y - X @ W) ** 2).sum()
loss.name = "loss"
loss.backward()
viz.draw_graph(loss)

# %% [markdown]
# The chain rule as a sum over paths: for f(x, y) = x^2 + 3xy, every path from x to f in red,
# each edge labelled with its local derivative in our names.

# %%
x = Tensor(2.0, requires_grad=True, name="x")
y2 = Tensor(3.0, requires_grad=True, name="y")
f = x**2 + 3 * x * y2
f.name = "f"
viz.draw_graph(f, highlight=x)

# %% [markdown]
# The backward pass, one step at a time: Previous / Next, or drag the slider.

# %%
viz.draw_backward(f)

# %% [markdown]
# A composed operation is one box; `expand=True` shows what it is made of.

# %%
z = Tensor([1.0, 2.0, 0.5], requires_grad=True, name="z")
p = z.softmax()
p.name = "p"
viz.draw_graph(p)

# %% [markdown]
# Gradient descent: `minimize` returns a History, shown as a short summary.

# %%
W0 = Tensor([-1.0, 3.0], requires_grad=True, name="W")
hist = optim.minimize(lambda: ((y - X @ W0) ** 2).sum(), optim.SGD([W0], lr=0.02), steps=50)
hist

# %%
hist.plot()

# %%
viz.plot_contour(lambda w: ((y - X @ Tensor(w)) ** 2).sum(), {"SGD lr=0.02": hist}, levels=12, resolution=40)
