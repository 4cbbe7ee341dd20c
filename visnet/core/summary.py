"""The layer table of a drawing, as `visnet info` prints it and the app's summary shows it."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .errors import Problem
from .graph import Graph
from .layers import Shape, fmt_shape
from .shapes import check

BYTES_PER_VALUE = 4  # float32 everywhere


@dataclass(frozen=True)
class LayerRow:
    node_id: str
    type: str
    output_shape: Shape | None  # None where a problem upstream or here leaves it unknown
    trainable: int
    non_trainable: int
    inputs: tuple[str, ...]

    @property
    def params(self) -> int:
        return self.trainable + self.non_trainable

    @property
    def shape_text(self) -> str:
        if self.output_shape is None:
            return "?"
        return "scalar" if self.output_shape == () else fmt_shape(self.output_shape)


@dataclass(frozen=True)
class Summary:
    rows: tuple[LayerRow, ...]
    problems: tuple[Problem, ...]

    @property
    def trainable(self) -> int:
        return sum(r.trainable for r in self.rows)

    @property
    def non_trainable(self) -> int:
        return sum(r.non_trainable for r in self.rows)

    @property
    def total(self) -> int:
        return self.trainable + self.non_trainable

    def memory_bytes(self, batch_size: int) -> dict[str, int]:
        """A training-time estimate: weights; their gradients plus two optimizer moments (Adam);
        activations and their gradients for one batch."""
        values = sum(math.prod(r.output_shape) for r in self.rows if r.output_shape)
        weights = self.total * BYTES_PER_VALUE
        return {"weights": weights,
                "gradients_and_optimizer": 3 * self.trainable * BYTES_PER_VALUE,
                "activations": 2 * values * batch_size * BYTES_PER_VALUE}


def summarize(graph: Graph) -> Summary:
    report = check(graph)
    order = graph.partial_order()
    order += [n for n in graph.nodes if n not in order]  # nodes in cycles come last
    rows = []
    for node_id in order:
        node = graph.nodes[node_id]
        trainable = non_trainable = 0
        if node_id in report.input_shapes:
            trainable, non_trainable = node.layer.param_count(node.resolved_params(),
                                                              report.input_shapes[node_id])
        rows.append(LayerRow(node_id, node.type, report.shapes.get(node_id), trainable,
                             non_trainable, tuple(e.src for e in graph.inputs_of(node_id))))
    return Summary(tuple(rows), tuple(report.problems))


def human_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.2f} {unit}"
        n /= 1024
    return f"{n:.2f} GB"


def format_table(summary: Summary, title: str | None = None) -> str:
    """A Keras-like table: layer, output shape, parameters, inputs; then the totals."""
    header = ("Layer (type)", "Output shape", "Params", "Inputs")
    body = [(f"{r.node_id} ({r.type})", r.shape_text, f"{r.params:,}", ", ".join(r.inputs))
            for r in summary.rows]
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(4)]

    def line(cells):
        return "  ".join(c.ljust(w) if i != 2 else c.rjust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()

    rule = "-" * len(line(header))
    out = [title] if title else []
    out += [rule, line(header), rule, *(line(b) for b in body), rule]
    total = summary.total
    out.append(f"Total params: {total:,} ({human_bytes(total * BYTES_PER_VALUE)})")
    out.append(f"Trainable params: {summary.trainable:,}")
    out.append(f"Non-trainable params: {summary.non_trainable:,}")
    for p in summary.problems:
        out.append(f"{p.severity}: {p.message}")
    return "\n".join(out)
