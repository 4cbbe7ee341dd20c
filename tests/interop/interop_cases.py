"""What the interop tests share: the templates as (drawing, weights, a batch of inputs), and a
comparison of outputs to float32's precision."""

import numpy as np


def template_names() -> list[str]:
    from visnet.resources import templates

    return [t.name for t in templates()]


def template_case(name: str, batch: int = 5):
    """(graph, weights, x): a template with its initial weights and random inputs."""
    from visnet.core.fileformat import load
    from visnet.core.initializers import init_graph
    from visnet.resources import drawing_path

    doc = load(drawing_path(name))
    weights = doc.weights or init_graph(doc.graph, seed=3)
    shapes = doc.graph.infer_shapes()
    (inp,) = [n for n in doc.graph.nodes if doc.graph.nodes[n].type == "Input"]
    x = np.random.default_rng(0).standard_normal((batch, *shapes[inp])).astype(np.float32)
    return doc.graph, weights, x


def predict(graph, weights, x) -> np.ndarray:
    from visnet.core.model import compile

    model = compile(graph, backend="serial")
    model.set_weights(weights)
    return model.predict(x)


def assert_close(got: np.ndarray, expected: np.ndarray) -> None:
    """float32 sums in another order: equal relative to each value, or to the output's scale
    near zero."""
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5 * np.abs(expected).max())
