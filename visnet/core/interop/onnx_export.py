"""A drawing as an ONNX model (opset 17): the layers that feed the Loss, with their trained
weights, one graph input per Input node (named "input" when there is one) with a dynamic batch
axis, and one output, "output": what ``Model.predict`` returns. Each layer type writes its own
nodes (the ``export.onnx`` of its declaration, see visnet/core/layers/export.py)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from ..errors import InteropError
from ..graph import Graph
from .exported import ExportPlan, plan_export

OPSET = 17  # LayerNormalization is opset 17; Gelu (20) is written out with Erf
BATCH_AXIS = "batch"


class OnnxLayer:
    """The context a layer's ONNX hook builds its nodes with (see layers/export.py)."""

    def __init__(self, builder: _Builder, plan: ExportPlan, graph: Graph, node_id: str,
                 inputs: list[str]):
        node = graph.nodes[node_id]
        self.id = node_id
        self.params = node.resolved_params()
        self.input_shapes = [tuple(s) for s in plan.input_shapes.get(node_id, [])]
        self.shape = tuple(plan.shapes[node_id])
        self.inputs = inputs
        self._b = builder
        self._weights = plan.weights

    def op(self, op_type: str, *inputs: str, outputs: int = 1, **attributes):
        names = [self._b.fresh(f"{self.id}/{op_type}") for _ in range(outputs)]
        self._b.nodes.append((op_type, list(inputs), names, attributes, self.id))
        return names[0] if outputs == 1 else names

    def weight(self, name: str) -> np.ndarray:
        return np.asarray(self._weights[f"{self.id}/{name}"], np.float32)

    def tensor(self, array, hint: str) -> str:
        a = np.asarray(array)
        a = a.astype(np.int64) if a.dtype.kind in "iu" else a.astype(np.float32)
        name = self._b.fresh(f"{self.id}/{hint}")
        self._b.initializers.append((name, np.ascontiguousarray(a)))
        return name


class _Builder:
    def __init__(self):
        self.nodes: list[tuple[str, list[str], list[str], dict, str]] = []
        self.initializers: list[tuple[str, np.ndarray]] = []
        self._count: dict[str, int] = {}

    def fresh(self, stem: str) -> str:
        k = self._count.get(stem, 0)
        self._count[stem] = k + 1
        return stem if k == 0 else f"{stem}:{k}"


def to_onnx(graph: Graph, weights: dict[str, np.ndarray] | None = None):
    """The ONNX ModelProto of a drawing with these weights (its initial ones when None)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    from ... import __version__

    plan = plan_export(graph, weights)
    b = _Builder()
    names: dict[str, str] = {}
    graph_inputs = []
    for node_id in plan.inputs:
        name = "input" if len(plan.inputs) == 1 else node_id
        names[node_id] = name
        graph_inputs.append(helper.make_tensor_value_info(
            name, TensorProto.FLOAT, [BATCH_AXIS, *plan.shapes[node_id]]))
    unmapped = sorted({graph.nodes[n].type for n in plan.order
                       if graph.nodes[n].type != "Input"
                       and graph.nodes[n].layer.export.onnx is None})
    if unmapped:
        raise InteropError(f"no ONNX form for {', '.join(unmapped)}")
    for node_id in plan.order:
        if node_id in names:
            continue
        ins = [names[e.src] for e in sorted(graph.inputs_of(node_id), key=lambda e: e.port)]
        ctx = OnnxLayer(b, plan, graph, node_id, ins)
        names[node_id] = graph.nodes[node_id].layer.export.onnx(ctx)
    b.nodes.append(("Identity", [names[plan.output]], ["output"], {}, plan.output))
    onnx_nodes = []
    for k, (op_type, ins, outs, attrs, owner) in enumerate(b.nodes):
        onnx_nodes.append(helper.make_node(op_type, ins, outs, name=f"{owner}/{op_type}:{k}",
                                           **attrs))
    out_info = helper.make_tensor_value_info("output", TensorProto.FLOAT,
                                             [BATCH_AXIS, *plan.shapes[plan.output]])
    onnx_graph = helper.make_graph(
        onnx_nodes, "visnet", graph_inputs, [out_info],
        initializer=[numpy_helper.from_array(a, name) for name, a in b.initializers])
    model = helper.make_model(onnx_graph, producer_name="VisNet", producer_version=__version__,
                              opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = min(model.ir_version, 10)  # what current runtimes read
    loss = next(n for n in graph.nodes.values() if n.type == "Loss")
    helper.set_model_props(model, {"visnet.loss": loss.resolved_params()["kind"],
                                   "visnet.output_node": plan.output})
    onnx.checker.check_model(model, full_check=True)
    return model


def export_onnx(graph: Graph, weights: dict[str, np.ndarray] | None, path) -> Path:
    """Write the drawing as an ONNX file (atomically: a killed export leaves no partial file)."""
    import onnx

    path = Path(path)
    model = to_onnx(graph, weights)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        onnx.save_model(model, str(tmp))
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path
