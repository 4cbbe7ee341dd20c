"""One undo command per user edit. Each changes the core Graph only through its public methods
and knows how to put back exactly what it changed, so undo and redo step by step give back the
same ``graph.to_dict()``.

Node ids are chosen on the first redo and kept, so redo after undo brings back the same ids.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtGui import QUndoCommand

from ..core.errors import VisNetError
from ..core.graph import Edge, Graph, Node
from ..core.settings import TrainingSettings

PASTE_OFFSET = 40.0
KEEP = object()  # SetTraining: leave the dataset as it is


class AddNode(QUndoCommand):
    def __init__(self, graph: Graph, type_name: str, pos: tuple[float, float],
                 params: dict[str, Any] | None = None):
        super().__init__(f"Add {type_name}")
        self.graph = graph
        self.type_name = type_name
        self.pos = (float(pos[0]), float(pos[1]))
        self.params = dict(params or {})
        self.node_id: str | None = None

    def redo(self) -> None:
        self.node_id = self.graph.add(self.type_name, id=self.node_id, pos=self.pos,
                                      **self.params)

    def undo(self) -> None:
        self.graph.remove(self.node_id)


class RemoveItems(QUndoCommand):
    """Delete nodes (with every edge touching them) and edges; undo restores all of it."""

    def __init__(self, graph: Graph, node_ids: list[str], edges: list[Edge] = ()):
        n, e = len(node_ids), len(edges)
        what = f"{n} layer{'s' * (n != 1)}" if n else f"{e} connection{'s' * (e != 1)}"
        super().__init__(f"Delete {what}")
        self.graph = graph
        self.node_ids = list(dict.fromkeys(node_ids))
        self.edges = [x for x in dict.fromkeys(edges)
                      if x.src not in node_ids and x.dst not in node_ids]
        self.removed: list[tuple[int, Node]] = []  # (place in the order of nodes, node)
        self.cut: list[tuple[int, Edge]] = []  # (place in the order of edges, edge)

    def redo(self) -> None:
        gone = set(self.node_ids)
        self.cut = [(i, e) for i, e in enumerate(self.graph.edges)
                    if e in self.edges or e.src in gone or e.dst in gone]
        order = list(self.graph.nodes)
        self.removed = sorted((order.index(n), self.graph.nodes[n]) for n in self.node_ids)
        for _, edge in self.cut:
            self.graph.disconnect(edge)
        for _, node in self.removed:
            self.graph.remove(node.id)

    def undo(self) -> None:
        for at, node in self.removed:  # ascending places: each lands where it was
            self.graph.insert(node, at=at)
        for at, edge in self.cut:
            self.graph.connect(edge.src, edge.dst, edge.port, at=at)


class Connect(QUndoCommand):
    def __init__(self, graph: Graph, src: str, dst: str, port: int | None = None):
        super().__init__(f"Connect {src} to {dst}")
        self.graph = graph
        self.src, self.dst, self.port = src, dst, port
        self.edge: Edge | None = None

    def redo(self) -> None:
        self.edge = self.graph.connect(self.src, self.dst, self.port)
        self.port = self.edge.port

    def undo(self) -> None:
        self.graph.disconnect(self.edge)


class MoveNodes(QUndoCommand):
    """One drag gesture (or an auto-layout): every node's position before and after."""

    def __init__(self, graph: Graph, moves: dict[str, tuple[tuple[float, float],
                                                          tuple[float, float]]],
                 text: str = "Move"):
        super().__init__(text)
        self.graph = graph
        self.moves = dict(moves)

    def redo(self) -> None:
        for node_id, (_, new) in self.moves.items():
            self.graph.move(node_id, *new)

    def undo(self) -> None:
        for node_id, (old, _) in self.moves.items():
            self.graph.move(node_id, *old)


class SetParams(QUndoCommand):
    """Change some params of one node (validated before the command is made)."""

    def __init__(self, graph: Graph, node_id: str, changes: dict[str, Any]):
        names = ", ".join(changes)
        super().__init__(f"Set {names} of {node_id}")
        self.graph = graph
        self.node_id = node_id
        changes = graph.node(node_id).layer.check_params(changes, node_id)  # raises if bad
        self.before = dict(graph.node(node_id).params)
        self.after = {**self.before, **changes}

    def redo(self) -> None:
        self.graph.replace_params(self.node_id, self.after)

    def undo(self) -> None:
        self.graph.replace_params(self.node_id, self.before)


class SetTraining(QUndoCommand):
    """New training settings and/or dataset for the drawing."""

    def __init__(self, graph: Graph, settings: TrainingSettings | None = None,
                 dataset: Any = KEEP):
        super().__init__("Change training settings")
        self.graph = graph
        self.before = (graph.training, graph.dataset)
        self.after = (settings or graph.training,
                      graph.dataset if dataset is KEEP else dataset)

    def redo(self) -> None:
        self._apply(*self.after)

    def undo(self) -> None:
        self._apply(*self.before)

    def _apply(self, settings: TrainingSettings, dataset: str | None) -> None:
        if settings != self.graph.training:
            self.graph.set_training(settings)
        if dataset != self.graph.dataset:
            self.graph.set_dataset(dataset)


# ---------------------------------------------------------------------------------------------
# Copy and paste


def copy_nodes(graph: Graph, node_ids: list[str]) -> str:
    """The selected nodes and the edges between them, as the clipboard's JSON text."""
    chosen = [n for n in graph.nodes if n in set(node_ids)]
    nodes = [{"id": n, "type": graph.nodes[n].type, "params": dict(graph.nodes[n].params),
              "pos": list(graph.nodes[n].pos)} for n in chosen]
    edges = [{"src": e.src, "dst": e.dst, "port": e.port} for e in graph.edges
             if e.src in chosen and e.dst in chosen]
    return json.dumps({"format": "visnet-nodes", "nodes": nodes, "edges": edges})


class Paste(QUndoCommand):
    """Add copies of clipboard nodes under fresh ids, shifted so they do not hide the
    originals, with the edges between them."""

    def __init__(self, graph: Graph, text: str,
                 offset: float | tuple[float, float] = PASTE_OFFSET):
        super().__init__("Paste")
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != "visnet-nodes":
            raise ValueError("the clipboard holds no VisNet layers")
        try:  # refuse it whole now: a command that fails half-way would stay on the stack
            Graph.from_dict({"nodes": data["nodes"], "edges": data["edges"]})
        except (VisNetError, KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"the clipboard holds no usable VisNet layers: {exc}") from None
        self.graph = graph
        self.nodes = data["nodes"]
        self.edges = data["edges"]
        self.offset = offset if isinstance(offset, tuple) else (offset, offset)
        self.ids: dict[str, str] = {}

    def redo(self) -> None:
        for nd in self.nodes:
            new_id = self.ids.get(nd["id"])
            x, y = nd["pos"]
            self.ids[nd["id"]] = self.graph.add(nd["type"], id=new_id,
                                                pos=(x + self.offset[0], y + self.offset[1]),
                                                **nd["params"])
        for ed in self.edges:
            self.graph.connect(self.ids[ed["src"]], self.ids[ed["dst"]], ed["port"])

    def undo(self) -> None:
        for old in reversed(self.nodes):
            self.graph.remove(self.ids[old["id"]])

    @property
    def new_ids(self) -> list[str]:
        return [self.ids[nd["id"]] for nd in self.nodes]
