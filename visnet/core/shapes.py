"""Shape inference and validation of a whole drawing.

``check`` never raises: it returns every node's output shape where one can be known and every
problem found, each attached to the node at fault, so the canvas can mark them all at once.
``infer_shapes`` is the strict form that raises when anything is wrong.

One state of a drawing is checked once: the report is kept with the Graph until its next
change and shared by every reader (one Train click has the data fit, the compiler, the initial
weights and the trainer; one edit has the canvas, the inspector and the summary), so it must be
treated as read-only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .errors import GraphError, LayerShapeError, Problem, ShapeError, cycle_message
from .layers import Shape

if TYPE_CHECKING:  # for annotations only: the Graph imports this module to check itself
    from .graph import Graph


@dataclass
class ShapeReport:
    """The outcome of checking a drawing.

    shapes: output shape of each node whose inputs are all known and valid.
    input_shapes: the shapes arriving at each such node, by port.
    problems: every error and warning, in the order of the drawing.
    """

    shapes: dict[str, Shape] = field(default_factory=dict)
    input_shapes: dict[str, list[Shape]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]

    @property
    def ok(self) -> bool:
        return not self.errors

    def problems_for(self, node_id: str) -> list[Problem]:
        return [p for p in self.problems if p.node_id == node_id]


def check(graph: Graph) -> ShapeReport:
    """The drawing's report, checked afresh only if it changed since the last check."""
    return graph.derived("shape_report", check_afresh)


def check_afresh(graph: Graph) -> ShapeReport:
    """The whole check, every time it is called."""
    report = ShapeReport()
    structural = _check_structure(graph)
    report.problems.extend(structural)
    blocked = {p.node_id for p in structural if p.is_error}

    for node_id in graph.partial_order():
        node = graph.nodes[node_id]
        edges = graph.inputs_of(node_id)
        if node_id in blocked or any(e.src not in report.shapes for e in edges):
            continue  # its fault is already reported, here or upstream
        inputs = [report.shapes[e.src] for e in edges]
        try:
            shape = node.layer.output_shape(node.resolved_params(), inputs)
        except LayerShapeError as exc:
            report.problems.append(Problem(node_id, f"{node.label} {exc}", kind="shape"))
            continue
        report.input_shapes[node_id] = inputs
        report.shapes[node_id] = shape

    order = {n: i for i, n in enumerate(graph.nodes)}
    report.problems.sort(key=lambda p: (p.node_id is not None, order.get(p.node_id, -1)))
    return report


def infer_shapes(graph: Graph) -> dict[str, Shape]:
    report = check(graph)
    errors = report.errors
    if errors:
        message = "\n".join(p.message for p in errors)
        cls = ShapeError if all(p.kind == "shape" for p in errors) else GraphError
        raise cls(errors[0].node_id, message, tuple(errors))
    return report.shapes


def _check_structure(graph: Graph) -> list[Problem]:
    problems: list[Problem] = []
    for type_name, why in (("Input", "where samples enter"),
                           ("Loss", "after the last layer, so the network can train")):
        found = [n.id for n in graph.nodes.values() if n.type == type_name]
        if not found:
            problems.append(Problem(None, f"The network has no {type_name}: add one {why}"))
        elif len(found) > 1:
            for node_id in found:
                problems.append(Problem(node_id, f"{type_name} {node_id} is one of "
                                                 f"{len(found)} {type_name} layers "
                                                 f"({', '.join(found)}); "
                                                 f"a network has exactly one: remove the others"))

    for cycle in graph.find_cycles():
        for node_id in cycle:
            problems.append(Problem(node_id, cycle_message(cycle)))

    for node in graph.nodes.values():
        layer = node.layer
        edges = graph.inputs_of(node.id)
        ports = {e.port for e in edges}
        if layer.variadic:
            if len(edges) < layer.min_inputs:
                problems.append(Problem(node.id, f"{node.label} needs at least {layer.min_inputs} "
                                                 f"inputs but has {len(edges)}: connect "
                                                 f"{layer.min_inputs - len(edges)} more"))
        else:
            for port in sorted(ports):
                if port >= layer.max_inputs:
                    problems.append(Problem(node.id, f"{node.label} has no input port {port}, "
                                                     f"but a connection arrives there"))
            for port in range(layer.min_inputs):
                if port not in ports:
                    where = "its input" if layer.max_inputs == 1 else f"input {port}"
                    problems.append(Problem(node.id, f"{node.label} has nothing connected to "
                                                     f"{where}: connect a layer to it"))
        if layer.has_output and not graph.outputs_of(node.id):
            problems.append(Problem(node.id, f"{node.label}'s output is not used: connect it "
                                             f"onward or delete it", "warning"))
    return problems


def weight_shapes(graph: Graph, report: ShapeReport | None = None) -> dict[str, Shape]:
    """{"{node_id}/{name}": shape} of every parameter tensor whose node's inputs are known."""
    report = report or check(graph)
    out: dict[str, Shape] = {}
    for node_id, inputs in report.input_shapes.items():
        node = graph.nodes[node_id]
        for name, shape in node.layer.weight_shapes(node.resolved_params(), inputs).items():
            out[f"{node_id}/{name}"] = shape
    return out


def connection_shape_problem(graph: Graph, src: str, dst: str,
                             port: int | None = None) -> str | None:
    """Why connecting ``src`` to ``dst`` would give ``dst`` an impossible input shape, or None.

    The editor refuses such a connection while it is being dragged. Only a new shape error at
    ``dst`` counts: a connection into a layer whose other inputs are still missing is fine.
    """
    if graph.connection_problem(src, dst, port):
        return None  # refused for another reason, which connection_problem gives
    trial = graph.copy()
    trial.connect(src, dst, port)
    before = {p.message for p in check(graph).problems_for(dst) if p.kind == "shape"}
    for p in check(trial).problems_for(dst):
        if p.is_error and p.kind == "shape" and p.message not in before:
            return p.message
    return None
