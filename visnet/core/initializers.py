"""Initial values of parameter tensors, with Keras' defaults (glorot_uniform kernels, orthogonal
recurrent kernels, zero biases, an LSTM forget-gate bias of one). All float32."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .layers import LayerType, Shape


def _fans(shape: Shape) -> tuple[int, int]:
    """fan_in, fan_out of a kernel: (in, out) matrices and (out, in, kh, kw) conv kernels."""
    if len(shape) == 2:
        return shape[0], shape[1]
    if len(shape) == 4:
        receptive = shape[2] * shape[3]
        return shape[1] * receptive, shape[0] * receptive
    n = int(np.prod(shape))
    return n, n


def glorot_uniform(shape: Shape, rng: np.random.Generator) -> np.ndarray:
    fan_in, fan_out = _fans(shape)
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=shape).astype(np.float32)


def orthogonal(shape: Shape, rng: np.random.Generator) -> np.ndarray:
    """A matrix with orthonormal rows or columns (whichever are fewer), as Keras' Orthogonal."""
    rows, cols = shape
    a = rng.standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    q *= np.sign(np.diag(r))  # makes the result uniformly distributed over orthogonal matrices
    if rows < cols:
        q = q.T
    return np.ascontiguousarray(q, dtype=np.float32)


def zeros(shape: Shape, rng: np.random.Generator) -> np.ndarray:
    return np.zeros(shape, np.float32)


def ones(shape: Shape, rng: np.random.Generator) -> np.ndarray:
    return np.ones(shape, np.float32)


def lstm_bias(shape: Shape, rng: np.random.Generator) -> np.ndarray:
    """Zero, except one on the forget gate (gates i, f, c, o): Keras' unit_forget_bias."""
    bias = np.zeros(shape, np.float32)
    units = shape[0] // 4
    bias[units:2 * units] = 1.0
    return bias


INITIALIZERS = {f.__name__: f for f in (glorot_uniform, orthogonal, zeros, ones, lstm_bias)}


def init_layer(layer: LayerType, params: Mapping[str, Any], inputs: list[Shape],
               rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Fresh parameter tensors of one layer, keyed by tensor name."""
    shapes = layer.weight_shapes(params, inputs)
    return {w.name: INITIALIZERS[w.init](shapes[w.name], rng) for w in layer.weight_specs(params)}


def init_graph(graph, seed: int = 0) -> dict[str, np.ndarray]:
    """Fresh weights of a whole valid drawing, {"{node_id}/{name}": float32 array}, reproducible
    for a seed and independent of how many other layers the drawing has."""
    from .shapes import check, infer_shapes

    report = check(graph)
    if not report.ok:
        infer_shapes(graph)  # raises, naming every problem
    weights: dict[str, np.ndarray] = {}
    for node_id in graph.topological_order():
        node = graph.nodes[node_id]
        if not node.layer.weights:
            continue
        # One stream per node, keyed by its id, so adding a layer elsewhere changes nothing here.
        rng = np.random.default_rng([seed, *node_id.encode()])
        for name, value in init_layer(node.layer, node.resolved_params(),
                                      report.input_shapes[node_id], rng).items():
            weights[f"{node_id}/{name}"] = value
    return weights
