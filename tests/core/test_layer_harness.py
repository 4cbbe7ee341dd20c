"""Every catalogue entry through the generic checks (see layer_harness): a new layer type gets
them all by being declared, and fails the first test until it has what they need."""

import json

import numpy as np
import pytest

import torch_reference as ref
from gradcheck import assert_gradients_match_central_differences
from layer_harness import (BATCH, case_id, cases, harness_data, harness_graph, harness_weights,
                           layer_params)
from visnet.core import layers
from visnet.core.backends.cpu.executor import HANDLERS, load_handlers
from visnet.core.backends.opcodes import OP_SLOT, Op
from visnet.core.graph import Graph
from visnet.core.model import compile

CASES = [pytest.param(t, v, id=case_id(t, v)) for t, v in cases()]


def ops_of(graph: Graph) -> set[Op]:
    model = compile(graph, backend="serial")
    plan = model.compiled.plan(2)
    return {Op(int(op)) for prog in plan.programs.values() for op in prog[:, OP_SLOT]}


def missing_pieces(t: layers.LayerType) -> list[str]:
    """What the harness needs of a type and the type lacks, each with where it goes."""
    from visnet.core.backends.cuda import kernels  # noqa: F401  (registers the handlers)
    from visnet.core.backends.cuda.ops import HANDLERS as CUDA_HANDLERS

    missing = []
    if t.example is None or len(t.example) != 2:
        missing.append("an example (params, input shapes) in its declaration "
                       "(visnet/core/layers/)")
    if t.name not in ref.REFERENCES:
        missing.append("a PyTorch reference: @reference in tests/core/torch_reference.py")
    if t.card is None and not t.key_params:
        missing.append("card lines or key_params in its declaration")
    if t.name not in ("Input", "Loss") and t.lowering.forward is None and not t.lowering.view:
        missing.append("a lowering (forward, backward) in its declaration")
    if not missing:
        load_handlers()
        ops = set().union(*(ops_of(harness_graph(t, v)[0]) for v in ({}, *t.variants)))
        for op in sorted(ops):
            if int(op) not in HANDLERS:
                missing.append(f"a CPU handler for {op.name}: @handles in a module of "
                               f"visnet/core/backends/cpu/")
            if int(op) not in CUDA_HANDLERS:
                missing.append(f"a CUDA handler for {op.name}: @handles in a module of "
                               f"visnet/core/backends/cuda/")
    return missing


def test_every_type_has_what_the_harness_needs():
    report = {t.name: missing_pieces(t) for t in layers.LAYER_TYPES}
    report = {name: m for name, m in report.items() if m}
    assert not report, "layer types lack:\n" + "\n".join(
        f"- {name}: " + "; ".join(m) for name, m in report.items())


@pytest.mark.parametrize("t, variant", CASES)
def test_config_round_trips(t, variant):
    g, node = harness_graph(t, variant)
    again = Graph.from_dict(json.loads(json.dumps(g.to_dict())))
    assert again.node(node).params == g.node(node).params
    assert again.node(node).resolved_params() == layer_params(t, variant)


@pytest.mark.parametrize("t, variant", CASES)
def test_shape_rule_and_parameter_count_agree_with_the_tensors(t, variant):
    g, node = harness_graph(t, variant)
    weights = harness_weights(g)
    x, y = harness_data(g)
    training = t.name not in ref.INFERENCE_ONLY
    _, _, outs = ref.loss_and_grads(g, weights, x, y, training=training)
    if t.has_output:
        assert tuple(outs[node].shape) == (BATCH, *g.infer_shapes()[node])
    model = compile(g, backend="serial")
    own = {k: v for k, v in model.get_weights().items() if k.startswith(f"{node}/")}
    params = layer_params(t, variant)
    inputs = [tuple(s) for s in t.example[1]]
    trainable, frozen = t.param_count(params, inputs)
    assert sum(v.size for v in own.values()) == trainable + frozen
    assert {k.split("/")[1]: v.shape for k, v in own.items()} == \
        t.weight_shapes(params, inputs)


@pytest.mark.parametrize("t, variant", CASES)
@pytest.mark.parametrize("backend", ["cpu", "serial"])
def test_forward_and_gradients_match_pytorch(t, variant, backend):
    g, node = harness_graph(t, variant)
    model = compile(g, backend=backend)
    weights = harness_weights(g)
    model.set_weights(weights)
    x, y = harness_data(g)
    training = t.name not in ref.INFERENCE_ONLY
    loss, grads = model.loss_and_grads(x, y, training=training)
    ref_loss, ref_grads, _ = ref.loss_and_grads(g, weights, x, y, training=training)
    assert loss == pytest.approx(ref_loss, rel=1e-5)
    assert grads.keys() == ref_grads.keys()
    for k, grad in grads.items():
        np.testing.assert_allclose(grad, ref_grads[k], rtol=1e-4, atol=1e-6, err_msg=k)


@pytest.mark.parametrize("t, variant", CASES)
def test_gradients_match_finite_differences_in_float64(t, variant):
    g, _ = harness_graph(t, variant)
    x, y = harness_data(g)
    assert_gradients_match_central_differences(g, harness_weights(g), x, y,
                                               training=t.name not in ref.INFERENCE_ONLY,
                                               entries=5)


@pytest.mark.parametrize("t, variant", CASES)
def test_parallel_and_serial_train_alike(t, variant):
    g, _ = harness_graph(t, variant)
    x, y = harness_data(g)
    weights = harness_weights(g)
    results = []
    for backend in ("cpu", "serial"):
        model = compile(g, backend=backend, seed=0)
        model.set_weights(weights)
        losses = [model.train_step(x, y)["loss"] for _ in range(3)]
        results.append((losses, model.get_weights()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-5)
    for k, v in results[1][1].items():
        np.testing.assert_allclose(results[0][1][k], v, rtol=1e-4, atol=1e-6, err_msg=k)


def test_the_harness_covers_a_type_of_each_input_kind():
    # Images, sequences, flat vectors and several inputs all reach the harness's drawings.
    kinds = {len(s) for t in layers.LAYER_TYPES for s in t.example[1]}
    assert kinds >= {1, 2, 3}
    assert any(len(t.example[1]) > 1 for t in layers.LAYER_TYPES)
