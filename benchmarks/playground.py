"""The playground: MLP 2-8-8-1 (tanh hidden), binary cross-entropy on logits, batch 10, Adam 0.03.
Tiny steps, so this measures per-step overhead more than arithmetic."""

import numpy as np

from .frameworks import mlp_makers
from .timing import compare, report

NAME = "playground"
BATCH = 10


def run(quick: bool) -> dict:
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (200, 2)).astype(np.float32)
    y = (x[:, :1] * x[:, 1:] > 0).astype(np.float32)  # XOR of the signs, shaped like the output
    batches = [(x[i:i + BATCH], y[i:i + BATCH]) for i in range(0, len(x), BATCH)]
    makers, _ = mlp_makers([2, 8, 8, 1], ["tanh", "tanh", "linear"], "binary_cross_entropy",
                           0.03, batches)
    steps, repeats = (300, 3) if quick else (3000, 5)
    results = compare(makers, steps=steps, repeats=repeats, warmup=50)
    return report(NAME, "MLP 2-8-8-1 tanh, BCE, batch 10, Adam 0.03", results, [("step", 1)],
                  steps=steps, repeats=repeats, batch=BATCH)
