"""A History shows as a summary: one line for repr, a small table with a sparkline in Jupyter."""

from __future__ import annotations

from tinygrad_edu import Tensor, optim


def test_history_prints_a_summary_not_every_number():
    X = Tensor([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0], [1.0, 3.0]])
    y = Tensor([1.0, 3.0, 2.0, 5.0])
    W = Tensor([1.0, 2.0], requires_grad=True, name="W")
    hist = optim.minimize(lambda: ((y - X @ W) ** 2).sum(), optim.SGD([W], lr=0.02), steps=1000)
    assert repr(hist) == f"History(1000 steps, loss 13 -> 2.7, final gradient norm {hist.grad_norm[-1]:.4g})"
    page = hist._repr_html_()
    assert len(page.encode()) < 2048 and page.count("<polyline") == 1 and "1000" in page
    assert repr(optim.History()) == "History(0 steps, nothing recorded)"


def test_sparkline_uses_a_log_scale_for_losses_spanning_decades():
    hist = optim.History(loss=[100.0, 10.0, 1.0, 0.1], grad_norm=[1.0, 0.5, 0.1, 0.01], steps=3)
    assert "(log scale)" in hist._repr_html_()
    flat = optim.History(loss=[2.0, 1.5, 1.2], steps=2)
    assert "(log scale)" not in flat._repr_html_() and "<polyline" in flat._repr_html_()
    assert "<polyline" not in optim.History(loss=[float("nan")], steps=0)._repr_html_()
