"""What the live panels ask of a model while it trains: a layer's histograms and activations,
the decision boundary over the data, predictions for the gallery, and each layer's health
figures. ``measure`` answers a ``Probe``; the app calls it on the training worker between two
batches, so every kernel call stays on that thread.

Plain Python and NumPy, no Qt: the panels draw what these functions return.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .metrics import predicted_classes, softmax

GRID = 80  # decision-boundary grid: GRID x GRID points
TEXT_LENGTH = 160  # characters of a text sample


@dataclass
class RunInfo:
    """What the panels need to know about a run once it starts."""

    dataset: Any  # the Dataset (its arrays are read-only for the GUI)
    batches: int
    epochs: int
    layer_labels: dict[str, str]
    loss_kind: str
    outputs_probabilities: bool
    first_epoch: int = 1
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass
class Probe:
    """What the worker was asked to measure between two batches."""

    node_id: str | None = None
    sample: int = 0
    boundary: bool = False
    gallery: int = 0  # how many validation images to predict for the gallery
    regression: int = 0  # how many validation samples to predict, for a regression
    text: tuple[str, float] | None = None  # (prompt, temperature) of a text sample


def layers_with_weights(graph, order=None) -> dict[str, str]:
    """node id -> label ("Dense n2") of the layers with parameters, in order: the gradient-flow
    panel's legend."""
    order = graph.topological_order() if order is None else order
    return {n: graph.nodes[n].label for n in order
            if graph.nodes[n].layer.weight_specs(graph.nodes[n].resolved_params())}


def run_info(graph, model, dataset, batch_size: int, epochs: int, first_epoch: int) -> RunInfo:
    labels = layers_with_weights(graph, model.compiled.order)
    return RunInfo(dataset, -(-len(dataset.x_train) // batch_size), epochs, labels,
                   model.compiled.loss.kind, model.outputs_probabilities,
                   first_epoch=first_epoch)


def sample_pool(dataset) -> np.ndarray:
    """The samples whose activations the panels show: validation data, else training data."""
    return dataset.x_val if len(dataset.x_val) else dataset.x_train


def measure(model, info: RunInfo, probe: Probe) -> dict[str, Any]:
    """Panel data, measured between batches."""
    out: dict[str, Any] = {"dead_relu": model.dead_relu_fractions(),
                           "saturated": model.saturated_fractions(),
                           "gradient_norms": model.layer_gradient_norms(),
                           "step": model.optimizer.step}
    ds = info.dataset
    if probe.node_id is not None and probe.node_id in model.graph.nodes:
        out["node_id"] = probe.node_id
        out["histograms"] = model.histograms(probe.node_id)
        pool = sample_pool(ds)
        sample = pool[min(max(probe.sample, 0), len(pool) - 1)][None]
        acts = model.activations(sample, nodes=[probe.node_id])
        if probe.node_id in acts:
            out["activation"] = acts[probe.node_id][0]
    if probe.boundary and ds.input_shape == (2,):
        out["boundary"] = boundary_grid(model, info)
    if probe.gallery and len(ds.x_val) and len(ds.input_shape) == 3 and ds.is_classes:
        x = ds.x_val[:probe.gallery]
        pred = predicted_classes(model.predict(x), info.loss_kind, info.outputs_probabilities)
        out["gallery"] = (x, ds.y_val[:probe.gallery], pred)
    elif probe.gallery and len(ds.x_val) and reconstructs_images(ds):
        x = ds.x_val[:probe.gallery]
        out["reconstructions"] = (x, ds.y_val[:probe.gallery], model.predict(x))
    if probe.regression and len(ds.x_val) and not ds.is_classes and \
            not reconstructs_images(ds):
        out["regression"] = regression_view(model, ds, probe.regression)
    if probe.text is not None and ds.extras.get("alphabet"):
        from .generate import sample_text

        prompt, temperature = probe.text
        out["text"] = sample_text(model, ds, prompt, TEXT_LENGTH, temperature,
                                  seed=model.optimizer.step)
    return out


def regression_view(model, ds, n: int):
    """(true, predicted) for the first n validation samples, and for sequences of one feature
    predicting one value, (the first sample's series, its true and its predicted next value)."""
    x, y = ds.x_val[:n], ds.y_val[:n]
    pred = model.predict(x)
    series = None
    if len(ds.input_shape) == 2 and ds.input_shape[1] == 1 and pred.shape[1:] == (1,):
        series = (x[0, :, 0].astype(np.float64), float(np.ravel(y[0])[0]),
                  float(pred[0, 0]))
    return y, pred, series


def reconstructs_images(ds) -> bool:
    """Images in and images of the same shape out (an autoencoder): the gallery shows each
    target beside the model's output."""
    return len(ds.input_shape) == 3 and not ds.is_classes and \
        tuple(ds.y_val.shape[1:]) == tuple(ds.input_shape)


def boundary_grid(model, info: RunInfo, size: int = GRID):
    """The network's output over a grid covering the data: (xs, ys, values (H, W)), values the
    probability of class 1 for two classes, else the predicted class."""
    x = info.dataset.x_train
    lo, hi = x.min(axis=0), x.max(axis=0)
    pad = (hi - lo) * 0.1 + 1e-6
    xs = np.linspace(lo[0] - pad[0], hi[0] + pad[0], size, dtype=np.float32)
    ys = np.linspace(lo[1] - pad[1], hi[1] + pad[1], size, dtype=np.float32)
    gx, gy = np.meshgrid(xs, ys)
    out = model.predict(np.stack([gx.ravel(), gy.ravel()], axis=1))
    if info.loss_kind == "binary_cross_entropy":
        v = out[:, 0]
        values = v if info.outputs_probabilities else 0.5 * (1.0 + np.tanh(0.5 * v))
    elif out.shape[1] == 2:
        values = out[:, 1] if info.outputs_probabilities else softmax(out)[:, 1]
    else:
        values = out.argmax(axis=1).astype(np.float32)
    return xs, ys, values.reshape(size, size)
