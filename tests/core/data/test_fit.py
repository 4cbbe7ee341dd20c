"""check_fit: a dataset against a drawing's Input, loss and the layer feeding the loss. It passes
for the templates with their own built-in datasets and names the mismatch and its fix otherwise."""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import pytest

import visnet
from visnet import Graph
from visnet.core.data import CLASSES, DataError, Loaded, load
from visnet.core.data.dataset import finish
from visnet.core.data.fit import check_fit
from visnet.resources import TEMPLATES


@lru_cache(maxsize=None)
def dataset(spec: str):
    return load(spec)


def template(name: str) -> Graph:
    return visnet.load(TEMPLATES / f"{name}.visnet").graph


def node_of(graph: Graph, type_name: str):
    """The last node of a type (the Loss, or the Dense that ends a template)."""
    return [n for n in graph.nodes.values() if n.type == type_name][-1]


@pytest.mark.parametrize("name, spec", [
    ("spiral_mlp", "spiral"),
    ("digits_cnn", "digits"),
    ("sine_lstm", "sine"),
    ("char_rnn", "text"),
    ("residual_block", "digits"),
])
def test_templates_fit_their_own_datasets(name, spec):
    graph = template(name)
    assert graph.dataset == spec
    check_fit(graph, dataset(spec))


def test_other_two_d_sets_fit_the_spiral_template():
    for spec in ("moons", "circles", "xor", "gaussians"):
        check_fit(template("spiral_mlp"), dataset(spec))


def test_digits_against_mnist_mlp_says_to_set_the_input_shape():
    with pytest.raises(DataError, match=re.escape("set the Input's shape to [1, 8, 8]")) as info:
        check_fit(template("mnist_mlp"), dataset("digits"))
    assert "Input n1" in str(info.value)


def test_images_into_a_flat_input_also_says_to_flatten():
    with pytest.raises(DataError, match=re.escape("[1, 8, 8], and add a Flatten after it")):
        check_fit(template("spiral_mlp"), dataset("digits"))


def test_two_d_points_against_an_image_input():
    with pytest.raises(DataError, match=re.escape("set the Input's shape to [2]")):
        check_fit(template("digits_cnn"), dataset("spiral"))


def test_wrong_number_of_units_names_the_dense_layer():
    graph = template("digits_cnn")
    last = node_of(graph, "Dense")
    graph.set_params(last.id, units=7)
    with pytest.raises(DataError, match=re.escape(f"{last.label} gives 7 outputs: "
                                                  "set its units to 10")):
        check_fit(graph, dataset("digits"))


def test_wrong_number_of_outputs_from_a_non_dense_layer_asks_for_a_dense_end():
    g = Graph()
    a = g.add("Input", shape=[1, 8, 8])
    f = g.add("Flatten")
    loss = g.add("Loss", kind="cross_entropy")
    g.connect(a, f)
    g.connect(f, loss)
    with pytest.raises(DataError, match=re.escape(f"Flatten {f} gives 64 outputs: end the "
                                                  "network in a Dense layer of 10 units")):
        check_fit(g, dataset("digits"))


def test_regression_with_cross_entropy_says_mse():
    graph = template("sine_lstm")
    loss = node_of(graph, "Loss")
    graph.set_params(loss.id, kind="cross_entropy")
    with pytest.raises(DataError, match=rf"regression dataset but {loss.label} is "
                                        r"cross_entropy.*set its kind to mse"):
        check_fit(graph, dataset("sine"))


def test_regression_with_wrong_output_size_says_units():
    graph = template("sine_lstm")
    dense = node_of(graph, "Dense")
    graph.set_params(dense.id, units=3)
    with pytest.raises(DataError, match=rf"targets of shape .* but {dense.label} gives .*"
                                        r"set its units to 1"):
        check_fit(graph, dataset("sine"))


def test_classes_with_mse_says_cross_entropy():
    graph = template("digits_cnn")
    loss = node_of(graph, "Loss")
    graph.set_params(loss.id, kind="mse")
    with pytest.raises(DataError, match=rf"10 classes but {loss.label} is mse.*"
                                        r"set its kind to cross_entropy"):
        check_fit(graph, dataset("digits"))


def test_binary_cross_entropy_with_ten_classes_is_refused():
    graph = template("digits_cnn")
    loss = node_of(graph, "Loss")
    graph.set_params(loss.id, kind="binary_cross_entropy")
    with pytest.raises(DataError, match=r"10 classes; binary_cross_entropy tells two apart: "
                                        rf"set {loss.label}'s kind to cross_entropy"):
        check_fit(graph, dataset("digits"))


def test_binary_cross_entropy_with_two_outputs_says_one_unit():
    graph = template("spiral_mlp")
    dense = node_of(graph, "Dense")
    graph.set_params(dense.id, units=2)
    with pytest.raises(DataError, match=rf"one output per sample, but {dense.label} gives .*"
                                        r"set its units to 1"):
        check_fit(graph, dataset("spiral"))


def test_two_classes_with_cross_entropy_and_two_units_fit():
    graph = template("spiral_mlp")
    graph.set_params(node_of(graph, "Dense").id, units=2)
    graph.set_params(node_of(graph, "Loss").id, kind="cross_entropy")
    check_fit(graph, dataset("spiral"))


def rnn_graph(return_sequences: bool) -> tuple[Graph, str]:
    g = Graph()
    a = g.add("Input", shape=[32, 40])
    r = g.add("SimpleRNN", units=16, return_sequences=return_sequences)
    d = g.add("Dense", units=40)
    loss = g.add("Loss", kind="cross_entropy")
    g.connect(a, r)
    g.connect(r, d)
    g.connect(d, loss)
    return g, d


def test_per_step_targets_without_return_sequences_say_turn_it_on():
    graph, dense = rnn_graph(return_sequences=False)
    with pytest.raises(DataError, match=rf"one class per step of 32 but Dense {dense} gives .*"
                                        r"turn on return_sequences"):
        check_fit(graph, dataset("text"))


def test_per_step_targets_with_return_sequences_fit():
    graph, _ = rnn_graph(return_sequences=True)
    check_fit(graph, dataset("text"))


def test_one_class_per_sample_from_a_sequence_output_says_flatten():
    rng = np.random.default_rng(0)
    loaded = Loaded(rng.normal(size=(20, 5, 3)).astype(np.float32), np.arange(20) % 4, CLASSES,
                    ("a", "b", "c", "d"))
    ds = finish("sequences", loaded)
    g = Graph()
    a = g.add("Input", shape=[5, 3])
    r = g.add("SimpleRNN", units=6, return_sequences=True)
    d = g.add("Dense", units=4)
    loss = g.add("Loss", kind="cross_entropy")
    g.connect(a, r)
    g.connect(r, d)
    g.connect(d, loss)
    with pytest.raises(DataError, match=rf"one class per sample but Dense {d} gives .*"
                                        r"turn off return_sequences"):
        check_fit(g, ds)
    g.set_params(r, return_sequences=False)
    check_fit(g, ds)
