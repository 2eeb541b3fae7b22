"""Beyond the lesson: a small convolutional network learns handwritten digits.

The 1,797 8x8 images of scikit-learn's digits data set (bundled with scikit-learn: no network
needed) are split 75/25 into training and test images. The network is two 3x3 convolutions
with ReLU, a 2x2 max pool and a linear layer; Adam trains it on mini-batches of 64 with the
softmax cross-entropy. It prints the test accuracy and the training time, and with --out saves
the first layer's learned filters and what they respond to.

    python examples/13_cnn_digits.py [--epochs N] [--out DIR]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from tinygrad_edu import Tensor, nn, no_grad, optim


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """Images (1797, 1, 8, 8) as float32 in [0, 1] and labels (1797,)."""
    try:
        from sklearn.datasets import load_digits as sklearn_digits
    except ImportError as e:
        raise SystemExit("this example reads the digits bundled with scikit-learn: pip install scikit-learn") from e
    digits = sklearn_digits()
    images = (digits.images / 16.0).astype(np.float32)[:, None, :, :]
    return images, digits.target.astype(np.int64)


def make_model(seed: int = 0) -> nn.Module:
    rng = np.random.default_rng(seed)
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1, seed=rng), nn.ReLU(),   # (N, 8, 8, 8)
        nn.Conv2d(8, 16, 3, padding=1, seed=rng), nn.ReLU(),  # (N, 16, 8, 8)
        nn.MaxPool2d(2),                                      # (N, 16, 4, 4)
        nn.Flatten(),                                         # (N, 256)
        nn.Linear(16 * 4 * 4, 10, seed=rng),
    )  # fmt: skip


def accuracy(model: nn.Module, images: np.ndarray, labels: np.ndarray) -> float:
    with no_grad():
        return float(np.mean(model(Tensor(images)).data.argmax(axis=1) == labels))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=8, help="passes over the training images (default: 8)")
    parser.add_argument("--out", type=Path, default=None, help="save cnn_filters.png here (default: don't save)")
    args = parser.parse_args()

    images, labels = load_digits()
    order = np.random.default_rng(0).permutation(len(labels))
    split = int(0.75 * len(labels))
    train, test = order[:split], order[split:]
    model = make_model()
    for p in model.parameters():
        p.data = p.data.astype(np.float32)  # float32, as image models usually train
    n_params = sum(p.size for p in model.parameters())
    print(f"digits: {len(train)} training and {len(test)} test images of 8x8 pixels, 10 classes")
    print(f"CNN: conv 3x3 (8) - relu - conv 3x3 (16) - relu - maxpool 2 - linear, {n_params} parameters")

    opt = optim.Adam(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    rng = np.random.default_rng(1)
    start, cpu_start = time.perf_counter(), time.process_time()
    for epoch in range(args.epochs):
        batches = np.array_split(rng.permutation(train), len(train) // 64)
        total = 0.0
        for rows in batches:
            opt.zero_grad()
            loss = loss_fn(model(Tensor(images[rows])), labels[rows])
            loss.backward()
            opt.step()
            total += loss.item()
        print(f"  epoch {epoch + 1}: mean training loss {total / len(batches):.4f}")
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
    steps = args.epochs * len(batches)
    print(f"training time: {seconds:.1f} s ({args.epochs} epochs, {steps} Adam steps; {cpu:.1f} s of CPU time)")
    print(f"training accuracy: {100 * accuracy(model, images[train], labels[train]):.1f}%")
    print(f"test accuracy: {100 * accuracy(model, images[test], labels[test]):.1f}%")

    if args.out is not None:
        save_filters(model, images[test], args.out / "cnn_filters.png")


def save_filters(model: nn.Module, images: np.ndarray, path: Path) -> None:
    """The 8 first-layer filters (blue negative, red positive) and each one's response to a test image."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from tinygrad_edu.viz.plots import new_figure, save

    conv = model[0]
    weights = conv.weight.data[:, 0]
    with no_grad():
        maps = model[1](conv(Tensor(images[:1]))).data[0]
    fig = new_figure((10, 2.9))  # the library's plot style: text of at least 10 pt
    axes = fig.subplots(2, 9)
    limit = np.abs(weights).max()
    axes[0, 0].imshow(images[0, 0], cmap="gray_r")
    axes[0, 0].set_title("input")
    axes[1, 0].axis("off")
    for i in range(8):
        axes[0, i + 1].imshow(weights[i], cmap="RdBu_r", vmin=-limit, vmax=limit)
        axes[0, i + 1].set_title(f"filter {i}")
        axes[1, i + 1].imshow(maps[i], cmap="viridis")
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0, 1].set_ylabel("3x3 weights")
    axes[1, 1].set_ylabel("relu(conv)")
    fig.suptitle("First-layer filters of the digits CNN (red positive, blue negative) and their responses")
    path.parent.mkdir(parents=True, exist_ok=True)
    save(fig, path)
    plt.close(fig)
    print(f"saved {path}")


if __name__ == "__main__":
    main()
