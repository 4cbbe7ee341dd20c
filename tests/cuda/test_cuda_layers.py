"""The CUDA backend against the serial CPU backend on the same drawings, weights and batches:
every layer's forward and backward pass (model_graphs covers every catalogue type). Runs in
Numba's CUDA simulator where there is no GPU."""

import numpy as np
import pytest

from visnet.core.model import compile

from model_graphs import CONV_GRAPHS, DENSE_GRAPHS, RECURRENT_GRAPHS, targets_for

pytestmark = pytest.mark.filterwarnings(  # SplitMix64 wraps on purpose; the simulator warns
    "ignore:overflow encountered in scalar multiply:RuntimeWarning")

BATCH = 3
RTOL, ATOL = 2e-4, 2e-5  # float32 on both sides; sums run in another order on the GPU
CASES = [pytest.param(name, make, id=name)
         for name, make in {**DENSE_GRAPHS, **CONV_GRAPHS, **RECURRENT_GRAPHS}.items()]


def data(graph, batch=BATCH, seed=0):
    rng = np.random.default_rng(seed)
    shape = graph.infer_shapes()[next(n for n in graph.nodes if graph.nodes[n].type == "Input")]
    x = rng.standard_normal((batch, *shape)).astype(np.float32)
    return x, targets_for(graph, batch, rng)


def pair(graph, optimizer=None):
    """The same drawing compiled for the serial CPU backend and for CUDA, with one set of
    weights (non-zero biases and moving statistics, so every term of the maths counts)."""
    cpu = compile(graph, backend="serial", seed=0, optimizer=optimizer)
    rng = np.random.default_rng(1)
    weights = cpu.get_weights()
    for k, w in weights.items():
        if k.endswith(("bias", "beta", "moving_mean")):
            weights[k] = (0.1 * rng.standard_normal(w.shape)).astype(np.float32)
        if k.endswith(("gamma", "moving_variance")):
            weights[k] = (1 + 0.2 * rng.random(w.shape)).astype(np.float32)
    cpu.set_weights(weights)
    gpu = compile(graph, backend="cuda", seed=0, optimizer=optimizer)
    gpu.set_weights(weights)
    return cpu, gpu


def assert_close(a, b, what):
    np.testing.assert_allclose(b, a, rtol=RTOL, atol=ATOL, err_msg=what)


@pytest.mark.parametrize("name, make", CASES)
def test_forward_and_backward_agree_with_the_cpu(name, make):
    graph = make()
    cpu, gpu = pair(graph)
    x, y = data(graph)
    # Training mode (dropout's masks, BatchNorm's batch statistics) for the gradients; predict
    # runs the inference forward (the kernel tests check each mode of each op on its own).
    loss_c, grads_c = cpu.loss_and_grads(x, y)
    loss_g, grads_g = gpu.loss_and_grads(x, y)
    assert_close(loss_c, loss_g, f"{name} loss")
    assert grads_c.keys() == grads_g.keys()
    for k in grads_c:
        assert_close(grads_c[k], grads_g[k], f"{name} d loss / d {k}")
    assert_close(cpu.predict(x), gpu.predict(x), f"{name} predict")
