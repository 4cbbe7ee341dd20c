"""save -> load gives back exactly what was saved; writes are atomic."""

import json
import zipfile

import numpy as np
import pytest

import visnet
from visnet.core import fileformat
from visnet.core.initializers import init_graph
from visnet.resources import templates

TEMPLATES = [pytest.param(t, id=t.name) for t in templates()]
HISTORY = {"runs": [{"epochs": [{"epoch": 1, "loss": 0.7, "accuracy": 0.5},
                                {"epoch": 2, "loss": 0.4, "accuracy": 0.8}]}]}


@pytest.mark.parametrize("t", TEMPLATES)
@pytest.mark.parametrize("with_weights", [False, True])
@pytest.mark.parametrize("with_history", [False, True])
def test_save_load_identity(t, with_weights, with_history, tmp_path):
    graph = visnet.load(t.path).graph
    weights = init_graph(graph, seed=3) if with_weights else None
    history = HISTORY if with_history else None
    path = visnet.save(tmp_path / f"{t.name}.visnet", graph, weights=weights, history=history)
    doc = visnet.load(path)
    assert doc.graph == graph
    assert doc.graph.training == graph.training and doc.graph.dataset == graph.dataset
    assert doc.history == history
    if weights is None:
        assert doc.weights is None
    else:
        assert doc.weights.keys() == weights.keys()
        for key, value in weights.items():
            assert doc.weights[key].dtype == np.float32
            np.testing.assert_array_equal(doc.weights[key], value)


def test_the_file_is_a_zip_with_the_documented_members(tmp_path):
    graph = visnet.load(templates()[0].path).graph
    path = visnet.save(tmp_path / "a.visnet", graph, init_graph(graph), HISTORY)
    with zipfile.ZipFile(path) as zf:
        assert sorted(zf.namelist()) == ["history.json", "visnet.json", "weights.npz"]
        doc = json.loads(zf.read("visnet.json"))
    assert doc["format"] == "visnet" and doc["version"] == fileformat.VERSION
    assert set(doc) == {"format", "version", "graph", "training", "dataset"}


def test_a_bare_json_file_is_read_and_written(tmp_path):
    graph = visnet.load(templates()[1].path).graph
    path = visnet.save(tmp_path / "net.json", graph)
    assert json.loads(path.read_text())["format"] == "visnet"
    assert visnet.load(path).graph == graph
    with pytest.raises(ValueError, match="save as .visnet"):
        visnet.save(tmp_path / "net.json", graph, weights=init_graph(graph))


def test_params_left_out_take_defaults(tmp_path):
    doc = {"format": "visnet", "version": 1,
           "graph": {"nodes": [{"id": "a", "type": "Input", "params": {"shape": [3]}},
                               {"id": "b", "type": "Dense"}, {"id": "c", "type": "Loss",
                                                              "params": {"kind": "mse"}}],
                     "edges": [{"src": "a", "dst": "b"}, {"src": "b", "dst": "c"}]}}
    path = tmp_path / "min.json"
    path.write_text(json.dumps(doc))
    graph = visnet.load(path).graph
    assert graph.infer_shapes()["b"] == (32,)
    assert graph.training == visnet.TrainingSettings()


def test_non_finite_history_values_are_stored_as_null(tmp_path):
    graph = visnet.load(templates()[0].path).graph
    path = visnet.save(tmp_path / "nan.visnet", graph, history={"loss": [0.5, float("nan")]})
    assert visnet.load(path).history == {"loss": [0.5, None]}


def test_a_failed_write_leaves_the_old_file_untouched(tmp_path, monkeypatch):
    graph = visnet.load(templates()[0].path).graph
    path = visnet.save(tmp_path / "keep.visnet", graph)
    before = path.read_bytes()

    def explode(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(fileformat.np, "savez", explode)
    with pytest.raises(OSError, match="disk full"):
        visnet.save(path, graph, weights=init_graph(graph))
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.visnet"]  # no temporary left


def test_saving_weights_of_the_wrong_shape_is_refused(tmp_path):
    graph = visnet.load(templates()[0].path).graph
    weights = init_graph(graph)
    weights["n2/kernel"] = np.zeros((3, 3), np.float32)
    with pytest.raises(visnet.FileFormatError, match=r"n2/kernel.*\(3, 3\)"):
        visnet.save(tmp_path / "bad.visnet", graph, weights=weights)
    assert not (tmp_path / "bad.visnet").exists()
