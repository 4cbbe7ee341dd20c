"""The PyTorch script export against the model itself: for every catalogue entry (the layer
harness's drawing for its example and each variant) and every template, the written script,
imported and run with torch on its weights file, gives what ``Model.predict`` gives."""

import importlib.util

import pytest
import torch

from interop_cases import assert_close, predict, template_case, template_names
from layer_harness import case_id, cases, harness_data, harness_graph, harness_weights
from visnet.core.interop.torch_export import export_torch

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
    assert_close(run_script(graph, weights, x, folder)[0], predict(graph, weights, x))


@pytest.mark.parametrize("t, variant", CASES)
def test_every_layer_type_exports_and_runs_as_visnet_does(t, variant, tmp_path):
    g, _ = harness_graph(t, variant)
    x, _ = harness_data(g)
    assert_same_predictions(g, harness_weights(g), x, tmp_path)


@pytest.mark.parametrize("name", template_names())
def test_every_template_exports_and_runs_as_visnet_does(name, tmp_path):
    assert_same_predictions(*template_case(name), tmp_path)
