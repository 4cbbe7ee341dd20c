"""What the exporters share: the part of a drawing that is exported (every layer that feeds the
Loss's input, the Loss itself left out), its shapes, and the weights to write."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from ..errors import InteropError
from ..graph import Graph


@dataclass(frozen=True)
class ExportPlan:
    order: list[str]  # node ids, inputs first
    inputs: list[str]  # the Input nodes
    output: str  # the node whose output model.predict returns
    shapes: dict[str, tuple[int, ...]]  # each node's output shape, without the batch axis
    input_shapes: dict[str, list[tuple[int, ...]]]
    weights: dict[str, np.ndarray]


def plan_export(graph: Graph, weights: dict[str, np.ndarray] | None) -> ExportPlan:
    """The nodes to export, in order. Untrained drawings (``weights`` None) export their initial
    weights, with a warning."""
    from ..initializers import init_graph
    from ..shapes import check

    report = check(graph)
    errors = [p for p in report.problems if p.is_error]
    if errors:
        raise InteropError("cannot export a drawing with problems: "
                           + "; ".join(p.message for p in errors))
    losses = [n for n in graph.nodes if graph.nodes[n].type == "Loss"]
    if len(losses) != 1:
        raise InteropError(f"cannot export: the drawing needs one Loss (it has {len(losses)}); "
                           "the layer feeding it is the model's output")
    output = graph.inputs_of(losses[0])[0].src
    needed = {output}
    stack = [output]
    while stack:
        for e in graph.inputs_of(stack.pop()):
            if e.src not in needed:
                needed.add(e.src)
                stack.append(e.src)
    order = [n for n in graph.topological_order() if n in needed]
    if weights is None:
        warnings.warn("the drawing is untrained: exporting its initial weights", stacklevel=3)
        weights = init_graph(graph)
    missing, misfit = [], []
    for n in order:
        node = graph.nodes[n]
        params = node.resolved_params()
        needed = node.layer.weight_shapes(params, report.input_shapes.get(n, []))
        for name, shape in needed.items():
            have = weights.get(f"{n}/{name}")
            if have is None:
                missing.append(f"{n}/{name}")
            elif tuple(np.shape(have)) != tuple(shape):
                misfit.append(f"{n}/{name} is {tuple(np.shape(have))}, the drawing needs "
                              f"{tuple(shape)}")
    if missing or misfit:
        raise InteropError("cannot export: the weights do not fit the drawing (it changed "
                           "since they were trained; train it again or reset the weights): "
                           + "; ".join([f"no {m}" for m in missing] + misfit))
    return ExportPlan(order, [n for n in order if graph.nodes[n].type == "Input"], output,
                      dict(report.shapes), {k: list(v) for k, v in report.input_shapes.items()},
                      weights)
