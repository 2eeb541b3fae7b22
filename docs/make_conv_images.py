"""Draw docs/images/conv_backward.png: a convolution's backward pass is two convolutions.

    python docs/make_conv_images.py [OUT_DIR]      (default: docs/images)

The numbers come from tinygrad_edu itself: the gradients shown are what backward computes,
and the script checks that they equal the two convolutions the picture names.
(docs/images/cnn_filters.png comes from `python examples/13_cnn_digits.py --out docs/images`.)
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from tinygrad_edu import Tensor  # noqa: E402
from tinygrad_edu.nn import functional as F  # noqa: E402
from tinygrad_edu.viz.plots import FONT, new_figure, save  # noqa: E402

IMAGES = Path(__file__).resolve().parent / "images"


def _grid(ax: plt.Axes, values: np.ndarray, title: str, cmap: str, pad: int = 0) -> None:
    limit = max(float(np.abs(values).max()), 1.0)
    ax.imshow(values, cmap=cmap, vmin=-2 * limit, vmax=2 * limit)  # pale colours: the numbers stay legible
    for (i, j), v in np.ndenumerate(values):
        ax.text(j, i, f"{v:g}", ha="center", va="center", fontsize=FONT)
    if pad:
        n = values.shape[0]
        ax.add_patch(plt.Rectangle((pad - 0.5, pad - 0.5), n - 2 * pad, n - 2 * pad, fill=False, lw=1.5))
    ax.set_title(title, fontsize=FONT)
    ax.set_xticks([])
    ax.set_yticks([])


def _symbol(ax: plt.Axes, text: str) -> None:
    ax.axis("off")
    ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=14)


def main(out_dir: str | Path = IMAGES) -> Path:
    rng = np.random.default_rng(3)
    x = Tensor(rng.integers(-2, 3, (1, 1, 5, 5)).astype(float), requires_grad=True)
    w = Tensor(np.array([[[[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]]]]), requires_grad=True)
    out = F.conv2d(x, w)
    G = Tensor(rng.integers(-1, 2, out.shape).astype(float))
    out.backward(G)
    padded = F.pad(G, (2, 2, 2, 2))
    turned = w.detach().flip((2, 3))
    assert np.array_equal(x.grad.data, F.conv2d(padded, turned).data)  # type: ignore[union-attr]
    assert np.array_equal(w.grad.data, F.conv2d(x.detach(), G).data)  # type: ignore[union-attr]

    fig = new_figure((9.5, 6.6))
    axes = fig.subplots(3, 5, gridspec_kw={"width_ratios": [5, 1, 3.2, 1, 5]})
    rows = [
        ("forward", x.data, "input x", w.data, "kernel w", out.data, "output = x * w"),
        ("input's gradient", padded.data, "G padded by k - 1", turned.data, "w turned 180 degrees",
         x.grad.data, "dL/dx"),  # type: ignore[union-attr]
        ("kernel's gradient", x.data, "input x", G.data, "upstream G = dL/d output", w.grad.data,
         "dL/dw"),  # type: ignore[union-attr]
    ]  # fmt: skip
    for r, (label, a, ta, b, tb, c, tc) in enumerate(rows):
        _grid(axes[r, 0], a[0, 0], ta, "PuOr", pad=2 if r == 1 else 0)
        _symbol(axes[r, 1], "*")
        _grid(axes[r, 2], b[0, 0], tb, "PiYG")
        _symbol(axes[r, 3], "=")
        _grid(axes[r, 4], c[0, 0], tc, "coolwarm")
        axes[r, 0].set_ylabel(label, fontsize=FONT + 1)
    fig.suptitle("A convolution's backward pass is two convolutions (* is conv2d: slide and sum)")
    out_path = Path(out_dir) / "conv_backward.png"
    out_path.parent.mkdir(parents=True, exist_ok=True)
    save(fig, out_path)
    plt.close(fig)
    return out_path


if __name__ == "__main__":
    print(main(*sys.argv[1:]))
