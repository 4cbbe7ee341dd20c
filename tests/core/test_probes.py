"""What the live panels ask of a training model: the decision boundary over the data, the
chosen layer's histograms and activation, the gallery's predictions, and every layer's health
figures."""

import numpy as np
import pytest

import visnet
from visnet import Graph
from visnet.core.metrics import softmax
from visnet.core.probes import Probe, boundary_grid, measure, run_info, sample_pool
from visnet.resources import template_path


def trained_a_step(graph, spec):
    """The model after one training batch (so that gradients and activations exist) and the
    RunInfo the panels would get."""
    dataset = visnet.datasets.load(spec)
    model = visnet.compile(graph, backend="serial", seed=0)
    model.train_step(dataset.x_train[:16], dataset.y_train[:16])
    return model, run_info(graph, model, dataset, batch_size=16, epochs=1, first_epoch=1)


def test_the_boundary_of_two_classes_is_the_probability_of_class_one_over_the_data():
    graph = Graph.sequential([2], ("Dense", {"units": 8, "activation": "tanh"}),
                             ("Dense", {"units": 2}))
    model, info = trained_a_step(graph, "spiral?samples=200")
    xs, ys, values = boundary_grid(model, info, size=9)
    x = info.dataset.x_train
    assert xs[0] < x[:, 0].min() and xs[-1] > x[:, 0].max()
    assert ys[0] < x[:, 1].min() and ys[-1] > x[:, 1].max()
    assert values.shape == (9, 9)
    corner = model.predict(np.array([[xs[0], ys[0]]], np.float32))
    assert values[0, 0] == pytest.approx(softmax(corner)[0, 1], rel=1e-5)


def test_the_boundary_of_one_logit_is_its_sigmoid():
    graph = visnet.load(template_path("spiral_mlp")).graph
    model, info = trained_a_step(graph, "spiral?samples=200")
    xs, ys, values = boundary_grid(model, info, size=5)
    logit = model.predict(np.array([[xs[-1], ys[0]]], np.float32))[0, 0]
    assert values[0, -1] == pytest.approx(1.0 / (1.0 + np.exp(-logit)), rel=1e-5)
    assert 0.0 <= values.min() and values.max() <= 1.0


def test_a_probe_gets_the_layer_it_names_the_gallery_and_every_layer_s_health():
    graph = Graph.sequential([1, 8, 8], ("Flatten", {}),
                             ("Dense", {"units": 12, "activation": "relu"}),
                             ("Dense", {"units": 10}))
    model, info = trained_a_step(graph, "digits")
    out = measure(model, info, Probe(node_id="n3", sample=2, gallery=4))
    assert set(out["histograms"]) == {"kernel", "kernel.grad", "bias", "bias.grad"}
    expected = model.activations(sample_pool(info.dataset)[2][None], nodes=["n3"])["n3"][0]
    np.testing.assert_array_equal(out["activation"], expected)
    images, labels, predicted = out["gallery"]
    assert len(images) == len(labels) == len(predicted) == 4
    assert set(out["gradient_norms"]) == {"n3", "n4"} and set(out["dead_relu"]) == {"n3"}
    assert "boundary" not in out  # images have no plane to draw it on
    quiet = measure(model, info, Probe(node_id="gone"))
    assert "histograms" not in quiet and "gradient_norms" in quiet


def test_an_autoencoder_is_answered_with_its_reconstructions():
    graph = visnet.load(template_path("digits_autoencoder")).graph
    model, info = trained_a_step(graph, "digits?target=input")
    out = measure(model, info, Probe(gallery=5))
    assert "gallery" not in out
    x, target, output = out["reconstructions"]
    np.testing.assert_array_equal(target, info.dataset.x_val[:5])
    np.testing.assert_array_equal(x, target)
    np.testing.assert_allclose(output, model.predict(info.dataset.x_val[:5]))
    assert output.shape == (5, 1, 8, 8)
