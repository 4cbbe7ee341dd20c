"""ONNX export against the model itself: every catalogue entry (the layer harness's drawing for
its example and each variant) and every template, run in onnxruntime, gives what
``Model.predict`` gives; every export passes the ONNX checker's full check."""

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from interop_cases import assert_close, predict, template_case, template_names
from layer_harness import case_id, cases, harness_data, harness_graph, harness_weights
from visnet.core.interop.onnx_export import OPSET, export_onnx, to_onnx

CASES = [pytest.param(t, v, id=case_id(t, v)) for t, v in cases()]


def run_onnx(model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    (name,) = [i.name for i in session.get_inputs()]
    return session.run(["output"], {name: x})[0]


def assert_same_predictions(graph, weights, x):
    assert_close(run_onnx(to_onnx(graph, weights), x), predict(graph, weights, x))


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


@pytest.mark.parametrize("name", template_names())
def test_every_template_exports_and_runs_as_visnet_does(name):
    assert_same_predictions(*template_case(name))
