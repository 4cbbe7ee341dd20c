"""Initial values of parameter tensors. All float32.

Keras' initialisers by their Keras names (the normal ones truncated at two standard deviations,
as Keras draws them), orthogonal recurrent kernels, an LSTM forget-gate bias of one
("unit_forget", Keras' unit_forget_bias), and "torch": PyTorch's default for nn.Linear,
nn.Conv2d and the recurrent layers, uniform within 1/sqrt(fan_in) where fan_in is the layer's
(the kernel's inputs: in_features, in_channels*kh*kw; a recurrent layer's units), for the
kernel and the bias alike.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from .layers.base import INITIALIZER_NAMES

if TYPE_CHECKING:
    from .layers import LayerType, Shape

# Keras scales a truncated normal's stddev by this so its variance is the one asked for.
TRUNCATED_STDDEV = 0.87962566103423978
RANDOM_NORMAL_STDDEV = 0.05  # keras.initializers.RandomNormal's default


def _fans(shape: Shape) -> tuple[int, int]:
    """fan_in, fan_out of a kernel: (in, out) matrices, (kernel, in, out) 1-D conv kernels (as
    Keras keeps them) and (out, in, kh, kw) 2-D conv kernels. A transposed convolution's
    (in, out, kh, kw) kernel is read alike, so its fan_in is out*kh*kw, as in Keras and
    PyTorch."""
    if len(shape) == 2:
        return shape[0], shape[1]
    if len(shape) == 3:
        return shape[0] * shape[1], shape[0] * shape[2]
    if len(shape) == 4:
        receptive = shape[2] * shape[3]
        return shape[1] * receptive, shape[0] * receptive
    n = int(np.prod(shape))
    return n, n


def _uniform(shape: Shape, rng: np.random.Generator, limit: float) -> np.ndarray:
    return rng.uniform(-limit, limit, size=shape).astype(np.float32)


def _truncated_normal(shape: Shape, rng: np.random.Generator, variance: float) -> np.ndarray:
    stddev = math.sqrt(variance) / TRUNCATED_STDDEV
    values = rng.standard_normal(shape)
    outside = np.abs(values) > 2
    while outside.any():  # redraw what fell beyond two standard deviations
        values[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(values) > 2
    return (values * stddev).astype(np.float32)


def glorot_uniform(shape: Shape, rng: np.random.Generator, fan_in: int = 0) -> np.ndarray:
    fans = _fans(shape)
    return _uniform(shape, rng, math.sqrt(6.0 / sum(fans)))


def glorot_normal(shape: Shape, rng: np.random.Generator, fan_in: int = 0) -> np.ndarray:
    return _truncated_normal(shape, rng, 2.0 / sum(_fans(shape)))


def he_uniform(shape: Shape, rng: np.random.Generator, fan_in: int = 0) -> np.ndarray:
    return _uniform(shape, rng, math.sqrt(6.0 / _fans(shape)[0]))


def he_normal(shape: Shape, rng: np.random.Generator, fan_in: int = 0) -> np.ndarray:
    return _truncated_normal(shape, rng, 2.0 / _fans(shape)[0])


def lecun_normal(shape: Shape, rng: np.random.Generator, fan_in: int = 0) -> np.ndarray:
    return _truncated_normal(shape, rng, 1.0 / _fans(shape)[0])


def random_normal(shape: Shape, rng: np.random.Generator, fan_in: int = 0) -> np.ndarray:
    return (rng.standard_normal(shape) * RANDOM_NORMAL_STDDEV).astype(np.float32)


def torch(shape: Shape, rng: np.random.Generator, fan_in: int = 0) -> np.ndarray:
    """PyTorch's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with the layer's fan_in."""
    return _uniform(shape, rng, 1.0 / math.sqrt(max(fan_in, 1)))


def orthogonal(shape: Shape, rng: np.random.Generator, fan_in: int = 0) -> np.ndarray:
    """A matrix with orthonormal rows or columns (whichever are fewer), as Keras' Orthogonal."""
    rows, cols = shape
    a = rng.standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    q *= np.sign(np.diag(r))  # makes the result uniformly distributed over orthogonal matrices
    if rows < cols:
        q = q.T
    return np.ascontiguousarray(q, dtype=np.float32)


def zeros(shape: Shape, rng: np.random.Generator, fan_in: int = 0) -> np.ndarray:
    return np.zeros(shape, np.float32)


def ones(shape: Shape, rng: np.random.Generator, fan_in: int = 0) -> np.ndarray:
    return np.ones(shape, np.float32)


def unit_forget(shape: Shape, rng: np.random.Generator, fan_in: int = 0) -> np.ndarray:
    """Zero, except one on the forget gate (gates i, f, c, o): Keras' unit_forget_bias."""
    bias = np.zeros(shape, np.float32)
    units = shape[0] // 4
    bias[units:2 * units] = 1.0
    return bias


INITIALIZERS = {f.__name__: f for f in (glorot_uniform, glorot_normal, he_uniform, he_normal,
                                         lecun_normal, random_normal, zeros, ones, torch,
                                         orthogonal, unit_forget)}
assert set(INITIALIZER_NAMES) <= set(INITIALIZERS)


def layer_fan_in(shapes: Mapping[str, Shape]) -> int:
    """The fan_in PyTorch's default initialisation uses for a layer: a recurrent layer's units,
    else its kernel's inputs."""
    if "recurrent_kernel" in shapes:
        return shapes["recurrent_kernel"][0]
    if "kernel" in shapes:
        return _fans(shapes["kernel"])[0]
    return 1


def init_layer(layer: LayerType, params: Mapping[str, Any], inputs: list[Shape],
               rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Fresh parameter tensors of one layer, keyed by tensor name."""
    shapes = layer.weight_shapes(params, inputs)
    fan_in = layer_fan_in(shapes)
    return {w.name: INITIALIZERS[w.initializer(params)](shapes[w.name], rng, fan_in)
            for w in layer.weight_specs(params)}


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
