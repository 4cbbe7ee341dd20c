"""The PyTorch script export against the model itself: for every catalogue entry (the layer
harness's drawing for its example and each variant) and every template, the written script,
imported and run with torch on its weights file, gives what ``Model.predict`` gives."""

import importlib.util

import numpy as np
import pytest
import torch

from layer_harness import case_id, cases, harness_data, harness_graph, harness_weights
from visnet.core.interop.torch_export import export_torch
from visnet.core.model import compile

CASES = [pytest.param(t, v, id=case_id(t, v)) for t, v in cases()]


def run_script(graph, weights, x, folder):
    script, npz = export_torch(graph, weights, folder / "net.py")
    spec = importlib.util.spec_from_file_location(f"exported_{id(graph)}", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    net = module.load_weights(module.Net()).eval()
    with torch.no_grad():
        return net(torch.from_numpy(x)).numpy(), script


def assert_same_predictions(graph, weights, x, folder):
    model = compile(graph, backend="serial")
    model.set_weights(weights)
    expected = model.predict(x)
    got, _ = run_script(graph, weights, x, folder)
    assert got.shape == expected.shape
    # float32 sums in another order: relative to each value, or to the output's scale near 0
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5 * np.abs(expected).max())


@pytest.mark.parametrize("t, variant", CASES)
def test_every_layer_type_exports_and_runs_as_visnet_does(t, variant, tmp_path):
    g, _ = harness_graph(t, variant)
    x, _ = harness_data(g)
    assert_same_predictions(g, harness_weights(g), x, tmp_path)


def template_names():
    from visnet.resources import templates

    return [t.name for t in templates()]


@pytest.mark.parametrize("name", template_names())
def test_every_template_exports_and_runs_as_visnet_does(name, tmp_path):
    from visnet.core.fileformat import load
    from visnet.core.initializers import init_graph
    from visnet.resources import drawing_path

    doc = load(drawing_path(name))
    weights = doc.weights or init_graph(doc.graph, seed=3)
    shape = doc.graph.infer_shapes()
    (inp,) = [n for n in doc.graph.nodes if doc.graph.nodes[n].type == "Input"]
    x = np.random.default_rng(0).standard_normal((5, *shape[inp])).astype(np.float32)
    assert_same_predictions(doc.graph, weights, x, tmp_path)
