"""MNIST-sized MLP 784-128(relu)-10, softmax cross-entropy, batch 64, Adam 1e-3, one epoch over
60,000 synthetic samples (uint8-like pixels scaled to [0, 1], random labels, fixed seed)."""

import numpy as np

from .frameworks import mlp_makers
from .timing import compare, report

NAME = "mnist_mlp"
BATCH = 64
SAMPLES = 60_000


def run(quick: bool) -> dict:
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (SAMPLES, 784), dtype=np.uint8).astype(np.float32) / np.float32(255)
    y = rng.integers(0, 10, SAMPLES).astype(np.float32)
    # One epoch: 937 full batches and a last one of 32, as a training loop without drop_last.
    batches = [(x[i:i + BATCH], y[i:i + BATCH]) for i in range(0, SAMPLES, BATCH)]
    makers, _ = mlp_makers([784, 128, 10], ["relu", "linear"], "cross_entropy", 1e-3, batches)
    steps = len(batches)  # a timed run is one whole epoch, after a warm-up epoch
    repeats = 1 if quick else 3
    results = compare(makers, steps=steps, repeats=repeats, warmup=steps)
    return report(NAME, "MLP 784-128-10 relu, CE, batch 64, Adam 1e-3, 60k samples", results,
                  [("epoch", steps), ("step", 1)], steps=steps, repeats=repeats, batch=BATCH)
