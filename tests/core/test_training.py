"""Training behaviour: templates learn, backends agree, serial is deterministic, dtypes hold."""

import numpy as np
import pytest

import visnet
from visnet.core.model import compile
from visnet.resources import TEMPLATES

from model_graphs import DENSE_GRAPHS, targets_for


def two_spirals(n_per_class, noise=0.1, seed=0):
    """TensorFlow Playground's spiral: two interleaved arms of 2-D points, labels 0 and 1."""
    rng = np.random.default_rng(seed)
    t = np.linspace(0.0, 1.0, n_per_class)
    xs, ys = [], []
    for label in (0, 1):
        angle = 1.75 * 2 * np.pi * t + label * np.pi
        radius = 5 * t
        pts = np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1)
        xs.append(pts + noise * rng.standard_normal(pts.shape))
        ys.append(np.full(n_per_class, label))
    return (np.concatenate(xs) / 5).astype(np.float32), np.concatenate(ys).astype(np.float32)


def test_spiral_template_learns_the_spiral():
    graph = visnet.load(TEMPLATES / "spiral_mlp.visnet").graph
    model = compile(graph, backend="cpu", seed=0)
    x, y = two_spirals(200)
    rng = np.random.default_rng(0)
    batch = graph.training.batch_size
    steps = 0
    for epoch in range(60):
        order = rng.permutation(len(x))
        for start in range(0, len(x), batch):
            idx = order[start:start + batch]
            model.train_step(x[idx], y[idx])
            steps += 1
        if model.evaluate(x, y)["accuracy"] >= 0.95:
            break
    assert model.evaluate(x, y)["accuracy"] >= 0.95, f"after {steps} steps"


@pytest.mark.parametrize("name", ["mlp_relu_gelu", "add", "sequence_dense", "dropout"])
def test_cpu_and_serial_backends_agree(name):
    graph = DENSE_GRAPHS[name]()
    rng = np.random.default_rng(0)
    shape = graph.infer_shapes()["n1"]
    models = [compile(graph, backend=b, seed=5) for b in ("cpu", "serial")]
    for _ in range(5):
        x = rng.standard_normal((64, *shape)).astype(np.float32)
        y = targets_for(graph, 64, rng)
        results = [m.train_step(x, y) for m in models]
        assert results[0]["loss"] == pytest.approx(results[1]["loss"], rel=1e-5)
    a, b = (m.get_weights() for m in models)
    for k in a:
        np.testing.assert_allclose(a[k], b[k], rtol=1e-4, atol=1e-6)


def test_serial_backend_is_deterministic_for_a_seed():
    graph = DENSE_GRAPHS["dropout"]()
    rng = np.random.default_rng(0)
    data = [(rng.standard_normal((16, 5)).astype(np.float32), targets_for(graph, 16, rng))
            for _ in range(5)]

    def run():
        model = compile(graph, backend="serial", seed=11)
        losses = [model.train_step(x, y)["loss"] for x, y in data]
        return losses, model.get_weights()

    (l1, w1), (l2, w2) = run(), run()
    assert l1 == l2
    for k in w1:
        np.testing.assert_array_equal(w1[k], w2[k])


def test_outputs_weights_and_gradients_stay_float32():
    graph = DENSE_GRAPHS["mlp_softmax_fused"]()
    model = compile(graph, backend="cpu")
    x = np.random.default_rng(0).standard_normal((8, 5))  # float64 in
    y = np.zeros(8)
    assert model.predict(x).dtype == np.float32
    _, grads = model.loss_and_grads(x, y)
    assert all(g.dtype == np.float32 for g in grads.values())
    assert all(w.dtype == np.float32 for w in model.get_weights().values())


def test_a_new_batch_size_replans_without_losing_weights():
    graph = DENSE_GRAPHS["mlp_relu_gelu"]()
    model = compile(graph, backend="serial")
    x = np.random.default_rng(0).standard_normal((10, 6)).astype(np.float32)
    whole = model.predict(x)
    np.testing.assert_allclose(model.predict(x, batch_size=3), whole, rtol=1e-6)
    np.testing.assert_allclose(model.predict(x[:1]), whole[:1], rtol=1e-6)


def test_the_panels_data_is_there_after_a_step():
    graph = DENSE_GRAPHS["mlp_relu_gelu"]()
    model = compile(graph, backend="cpu")
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((32, 6)).astype(np.float32), targets_for(graph, 32, rng)
    model.train_step(x, y)
    acts = model.activations(x[:4])
    assert acts["n2"].shape == (4, 8) and acts["n4"].shape == (4, 4)
    norms = model.layer_gradient_norms()
    assert set(norms) == {"n2", "n3", "n4"} and all(v > 0 for v in norms.values())
    hist = model.histograms("n2", bins=10)
    assert set(hist) == {"kernel", "kernel.grad", "bias", "bias.grad"}
    assert hist["kernel"][0].sum() == 6 * 8
    dead = model.dead_relu_fractions()
    assert set(dead) == {"n2"} and 0.0 <= dead["n2"] <= 1.0
    assert model.first_nonfinite() is None


def test_the_first_non_finite_layer_is_named():
    graph = DENSE_GRAPHS["mlp_relu_gelu"]()
    model = compile(graph, backend="serial")
    w = model.get_weights()
    w["n3/kernel"][0, 0] = np.inf
    model.set_weights(w)
    x = np.ones((4, 6), np.float32)
    model.predict(x)
    assert model.first_nonfinite() == "n3"


def test_inputs_of_the_wrong_shape_are_refused_with_the_shapes():
    model = compile(DENSE_GRAPHS["mlp_relu_gelu"](), backend="serial")
    with pytest.raises(ValueError, match=r"\(4, 5\).*\(N, 6\)"):
        model.predict(np.zeros((4, 5)))
    with pytest.raises(ValueError, match="targets have shape"):
        model.train_step(np.zeros((4, 6)), np.zeros((3,)))


def test_saturated_sigmoid_and_tanh_units_are_counted():
    g = visnet.Graph()
    x = g.add("Input", shape=[3])
    s = g.add("Dense", units=4, activation="sigmoid")
    t = g.add("Dense", units=2, activation="tanh")
    loss = g.add("Loss", kind="mse")
    g.connect(x, s)
    g.connect(s, t)
    g.connect(t, loss)
    model = compile(g, backend="serial")
    w = model.get_weights()
    w[f"{s}/kernel"][:] = 0
    w[f"{s}/kernel"][0, :2] = 100.0  # two units pinned at 1 for a positive first input
    model.set_weights(w)
    model.predict(np.array([[1.0, 0.0, 0.0]], np.float32))
    sat = model.saturated_fractions()
    assert set(sat) == {s, t}
    assert sat[s] == 0.5
