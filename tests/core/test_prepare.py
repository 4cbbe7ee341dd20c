"""Before a run: the data are loaded and checked against the drawing before anything is
compiled, and the compiled model starts from the weights it is given."""

import numpy as np
import pytest

import visnet
from visnet.core.data import DataError
from visnet.core.prepare import load_and_compile
from visnet.resources import template_path


def test_data_that_do_not_fit_are_refused_before_the_compile():
    graph = visnet.load(template_path("spiral_mlp")).graph
    compiling = []
    with pytest.raises(DataError, match="digits gives images of shape"):
        load_and_compile(graph, "digits", on_compiling=lambda: compiling.append(True))
    assert compiling == []


def test_the_model_is_compiled_with_the_drawing_s_settings_and_the_weights_given():
    graph = visnet.load(template_path("spiral_mlp")).graph
    graph.set_training(graph.training.updated(backend="serial", seed=3))
    kernel = np.full((2, 32), 0.25, np.float32)
    compiling = []
    dataset, model = load_and_compile(
        graph, "spiral?samples=100", weights={"n2/kernel": kernel},
        on_compiling=lambda: compiling.append(True))
    assert compiling == [True]
    assert dataset.input_shape == (2,)
    np.testing.assert_array_equal(model.get_weights()["n2/kernel"], kernel)
    fresh = visnet.compile(graph, backend="serial", seed=3).get_weights()
    np.testing.assert_array_equal(model.get_weights()["n3/kernel"], fresh["n3/kernel"])
