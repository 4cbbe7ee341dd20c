"""Every catalogue entry on the CUDA backend against the serial CPU backend, on the layer
harness's drawing (tests/core/layer_harness.py): loss, gradients, a training step and the
inference forward. A new layer type is checked here by being declared."""

import numpy as np
import pytest

from layer_harness import case_id, cases, harness_data, harness_graph, harness_weights
from visnet.core.model import compile

pytestmark = pytest.mark.filterwarnings(  # SplitMix64 wraps on purpose; the simulator warns
    "ignore:overflow encountered in scalar multiply:RuntimeWarning")

RTOL, ATOL = 2e-4, 2e-5  # float32 on both sides; sums run in another order on the GPU


CASES = [pytest.param(t, v, id=case_id(t, v)) for t, v in cases()]


@pytest.mark.parametrize("t, variant", CASES)
def test_cuda_agrees_with_the_cpu(t, variant):
    g, _ = harness_graph(t, variant)
    weights = harness_weights(g)
    x, y = harness_data(g)
    models = {}
    for backend in ("serial", "cuda"):
        model = compile(g, backend=backend, seed=0)
        model.set_weights(weights)
        models[backend] = model
    loss_c, grads_c = models["serial"].loss_and_grads(x, y)
    loss_g, grads_g = models["cuda"].loss_and_grads(x, y)
    np.testing.assert_allclose(loss_g, loss_c, rtol=RTOL, atol=ATOL)
    assert grads_c.keys() == grads_g.keys()
    for k in grads_c:
        np.testing.assert_allclose(grads_g[k], grads_c[k], rtol=RTOL, atol=ATOL, err_msg=k)
    for model in models.values():
        model.train_step(x, y)
    np.testing.assert_allclose(models["cuda"].predict(x), models["serial"].predict(x),
                               rtol=RTOL, atol=ATOL)
