"""ONNX export against the model itself: every catalogue entry (the layer harness's drawing for
its example and each variant) and every template, run in onnxruntime, gives what
``Model.predict`` gives; every export passes the ONNX checker's full check."""

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from layer_harness import case_id, cases, harness_data, harness_graph, harness_weights
from visnet.core.interop.onnx_export import OPSET, export_onnx, to_onnx
from visnet.core.model import compile

CASES = [pytest.param(t, v, id=case_id(t, v)) for t, v in cases()
         if t.name not in ("Input", "Loss")] + \
    [pytest.param(t, {}, id=t.name) for t, _ in cases() if t.name in ("Input", "Loss")]


def run_onnx(model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    (name,) = [i.name for i in session.get_inputs()]
    return session.run(["output"], {name: x})[0]


def assert_same_predictions(graph, weights, x):
    model = compile(graph, backend="serial")
    model.set_weights(weights)
    expected = model.predict(x)
    got = run_onnx(to_onnx(graph, weights), x)
    assert got.shape == expected.shape
    # float32 sums in another order: relative to each value, or to the output's scale near 0
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5 * np.abs(expected).max())
    return float(np.max(np.abs(got - expected) / (np.abs(expected) + 1e-6)))


@pytest.mark.parametrize("t, variant", CASES)
def test_every_layer_type_exports_and_runs_as_visnet_does(t, variant):
    g, _ = harness_graph(t, variant)
    x, _ = harness_data(g)
    assert_same_predictions(g, harness_weights(g), x)


def test_the_file_has_a_named_input_with_a_dynamic_batch_axis(tmp_path):
    from visnet.core.graph import Graph

    g = Graph.sequential([4], ("Dense", {"units": 3, "activation": "softmax"}))
    path = export_onnx(g, harness_weights(g), tmp_path / "m.onnx")
    model = onnx.load(str(path))
    onnx.checker.check_model(model, full_check=True)
    (inp,) = model.graph.input
    assert inp.name == "input"
    dims = inp.type.tensor_type.shape.dim
    assert dims[0].dim_param == "batch" and [d.dim_value for d in dims[1:]] == [4]
    assert model.opset_import[0].version == OPSET
    x = np.random.default_rng(0).standard_normal((7, 4)).astype(np.float32)
    probs = run_onnx(model, x)
    np.testing.assert_allclose(probs.sum(axis=1), 1, rtol=1e-6)  # probabilities, as predict


def template_names():
    from visnet.resources import templates

    return [t.name for t in templates()]


@pytest.mark.parametrize("name", template_names())
def test_every_template_exports_and_runs_as_visnet_does(name):
    from visnet.core.fileformat import load
    from visnet.core.initializers import init_graph
    from visnet.resources import drawing_path

    doc = load(drawing_path(name))
    weights = doc.weights or init_graph(doc.graph, seed=3)
    shape = doc.graph.infer_shapes()
    (inp,) = [n for n in doc.graph.nodes if doc.graph.nodes[n].type == "Input"]
    x = np.random.default_rng(0).standard_normal((5, *shape[inp])).astype(np.float32)
    assert_same_predictions(doc.graph, weights, x)
