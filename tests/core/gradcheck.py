"""Gradients against central finite differences in float64, for any drawing: the check the
model reference tests and the layer harness share."""

import numpy as np
import pytest

from visnet.core.backends.cpu.backend import CpuBackend
from visnet.core.model import Model


def assert_gradients_match_central_differences(graph, weights, x, y, training=True, entries=6,
                                               eps=1e-6, seed=3):
    """For a few entries of every tensor: d loss / d entry from the model against
    (loss(w + eps) - loss(w - eps)) / 2 eps, all in float64."""
    model = Model(graph, CpuBackend(parallel=False, dtype=np.float64))
    weights = {k: np.ascontiguousarray(v, np.float64) for k, v in weights.items()}
    model.set_weights(weights)
    x = np.asarray(x, np.float64)
    _, grads = model.loss_and_grads(x, y, training=training)
    rng = np.random.default_rng(seed)
    for key, grad in grads.items():
        flat = weights[key].reshape(-1)
        for i in rng.choice(flat.size, size=min(entries, flat.size), replace=False):
            old = flat[i]
            losses = []
            for value in (old + eps, old - eps):
                flat[i] = value
                model.set_weights(weights)
                losses.append(model.loss_and_grads(x, y, training=training)[0])
            flat[i] = old
            numeric = (losses[0] - losses[1]) / (2 * eps)
            assert grad.reshape(-1)[i] == pytest.approx(numeric, rel=1e-5, abs=1e-8), (key, i)
