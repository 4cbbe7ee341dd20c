"""loss_and_grads against PyTorch autograd (float64 reference, float32 tolerance) and against
central finite differences in float64."""

import numpy as np
import pytest

from visnet.core.initializers import init_graph
from visnet.core.model import compile

import torch_reference as ref
from gradcheck import assert_gradients_match_central_differences
from model_graphs import CONV_GRAPHS, DENSE_GRAPHS, RECURRENT_GRAPHS, targets_for

BATCH = 5
CASES = [pytest.param(name, make, id=name)
         for name, make in {**DENSE_GRAPHS, **CONV_GRAPHS, **RECURRENT_GRAPHS}.items()]


def data(graph, seed=0):
    rng = np.random.default_rng(seed)
    shape = graph.infer_shapes()[next(n for n in graph.nodes if graph.nodes[n].type == "Input")]
    x = rng.standard_normal((BATCH, *shape)).astype(np.float32)
    return x, targets_for(graph, BATCH, rng)


def weights_for(graph, seed=1):
    w = init_graph(graph, seed)
    rng = np.random.default_rng(seed)
    # Non-zero biases and moving statistics, so every term of the maths is exercised.
    for k in w:
        if k.endswith("bias") or k.endswith("beta") or k.endswith("moving_mean"):
            w[k] = (0.1 * rng.standard_normal(w[k].shape)).astype(np.float32)
        if k.endswith("gamma") or k.endswith("moving_variance"):
            w[k] = (1 + 0.2 * rng.random(w[k].shape)).astype(np.float32)
    return w


@pytest.mark.parametrize("name, make", CASES)
@pytest.mark.parametrize("backend", ["cpu", "serial"])
def test_loss_and_grads_match_pytorch(name, make, backend):
    graph = make()
    model = compile(graph, backend=backend)
    weights = weights_for(graph)
    model.set_weights(weights)
    x, y = data(graph)
    training = name != "dropout"  # the reference knows dropout at inference only
    loss, grads = model.loss_and_grads(x, y, training=training)
    ref_loss, ref_grads, _ = ref.loss_and_grads(graph, weights, x, y, training=training)
    assert loss == pytest.approx(ref_loss, rel=1e-5)
    assert grads.keys() == ref_grads.keys()
    for k, g in grads.items():
        assert g.dtype == np.float32
        np.testing.assert_allclose(g, ref_grads[k], rtol=1e-4, atol=1e-6, err_msg=k)


@pytest.mark.parametrize("name, make", CASES)
def test_predict_matches_pytorch_forward(name, make):
    graph = make()
    model = compile(graph, backend="serial")
    weights = weights_for(graph)
    model.set_weights(weights)
    x, _ = data(graph)
    _, _, outs = ref.loss_and_grads(graph, weights, x, data(graph)[1], training=False)
    feed = model.compiled.loss.node
    pred = model.predict(x)
    assert pred.dtype == np.float32
    np.testing.assert_allclose(pred, outs[feed], rtol=1e-5, atol=1e-6)


def finite_difference_check(graph, training=True, entries=6, eps=1e-6):
    """Central differences in float64 of the loss w.r.t. a few entries of every tensor."""
    x, y = data(graph)
    assert_gradients_match_central_differences(graph, weights_for(graph), x, y, training,
                                               entries, eps)


@pytest.mark.parametrize("name, make", CASES)
def test_gradients_match_finite_differences_in_float64(name, make):
    finite_difference_check(make(), training=name != "dropout")
