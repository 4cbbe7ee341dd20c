"""The generic layer harness (Keras' idea): every catalogue entry, with no per-type code here, gets
a drawing built from its declared example, on which the tests check config round trips, the
shape rule, parameter counts, gradients against finite differences and PyTorch, and the
backends against each other. tests/cuda reuses it for the CUDA backend.

The drawing: one Input of flat samples, one Dense (tanh) and Reshape per example input (so
every input of the layer gets a gradient), the layer, then Flatten, Dense(3) and an MSE loss.
A Loss type is drawn as Input -> Dense -> Loss with its example kind; an Input type as
Input -> Flatten -> Dense -> Loss.
"""

from __future__ import annotations

import math

import numpy as np

from visnet.core import layers
from visnet.core.graph import Graph

BATCH = 4
HEAD_UNITS = 3


def cases() -> list[tuple[layers.LayerType, dict]]:
    """(type, variant) for every catalogue entry's example and each of its variants."""
    return [(t, v) for t in layers.LAYER_TYPES for v in ({}, *t.variants)]


def case_id(t: layers.LayerType, variant: dict) -> str:
    return t.name + "".join(f"-{k}={v}" for k, v in variant.items())


def given_params(t: layers.LayerType, variant: dict | None = None) -> dict:
    return {**t.example[0], **(variant or {})}


def layer_params(t: layers.LayerType, variant: dict | None = None) -> dict:
    return t.resolve(t.check_params(given_params(t, variant)))


def harness_graph(t: layers.LayerType, variant: dict | None = None) -> tuple[Graph, str]:
    """(the drawing, the id of the node of type t, with the example's params and the
    variant's laid over them)"""
    g = Graph()
    params, inputs = given_params(t, variant), t.example[1]
    if t.name == "Input":
        node = g.add("Input", **params)
        last = g.add("Flatten")
        g.connect(node, last)
    elif t.name == "Loss":
        (scores,) = inputs
        x = g.add("Input", shape=[6])
        dense = g.add("Dense", units=math.prod(scores))
        g.connect(x, dense)
        node = g.add("Loss", **params)
        g.connect(dense, node)
        return g, node
    else:
        x = g.add("Input", shape=[7])
        node = g.add(t.name, **params)
        for shape in inputs:
            dense = g.add("Dense", units=math.prod(shape), activation="tanh")
            g.connect(x, dense)
            reshape = g.add("Reshape", target_shape=list(shape))
            g.connect(dense, reshape)
            g.connect(reshape, node)
        last = node
        if len(t.output_shape(layer_params(t, variant), [tuple(s) for s in inputs])) != 1:
            last = g.add("Flatten")
            g.connect(node, last)
    head = g.add("Dense", units=HEAD_UNITS)
    g.connect(last, head)
    g.connect(head, g.add("Loss", kind="mse"))
    return g, node


def harness_data(graph: Graph, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    shapes = graph.infer_shapes()
    x_shape = shapes[next(n for n in graph.nodes if graph.nodes[n].type == "Input")]
    loss = next(n for n in graph.nodes if graph.nodes[n].type == "Loss")
    kind = graph.nodes[loss].resolved_params()["kind"]
    feed = shapes[graph.inputs_of(loss)[0].src]
    x = rng.standard_normal((BATCH, *x_shape)).astype(np.float32)
    if kind == "cross_entropy":
        y = rng.integers(0, feed[-1], (BATCH, *feed[:-1])).astype(np.float32)
    elif kind == "binary_cross_entropy":
        y = rng.integers(0, 2, (BATCH, *feed)).astype(np.float32)
    else:
        y = rng.standard_normal((BATCH, *feed)).astype(np.float32)
    return x, y


def harness_weights(graph: Graph, seed: int = 1) -> dict[str, np.ndarray]:
    """Initial weights with non-zero biases and statistics, so every term is exercised."""
    from visnet.core.initializers import init_graph

    w = init_graph(graph, seed)
    rng = np.random.default_rng(seed)
    for k in w:
        if k.endswith(("bias", "beta", "moving_mean")):
            w[k] = (0.1 * rng.standard_normal(w[k].shape)).astype(np.float32)
        if k.endswith(("gamma", "moving_variance")):
            w[k] = (1 + 0.2 * rng.random(w[k].shape)).astype(np.float32)
    return w
