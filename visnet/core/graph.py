"""The editable document: layers (nodes) and the connections between them (edges).

Plain Python, no Qt. Every change goes through a method of Graph, which tells its listeners, so
the canvas, the inspector and the summary can follow the document without owning any of it,
and moves ``revision`` on, so what is derived from one state of the drawing (the shape report)
is computed once however many readers ask.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from . import layers, shapes
from .errors import FileFormatError, GraphError, cycle_message
from .graph_dict import check_id, checked_graph_dict
from .settings import TrainingSettings

_AUTO_ID = re.compile(r"^n(\d+)$")


@dataclass
class Node:
    """One layer in the drawing. ``params`` holds the values set on it (validated); parameters
    left out take the declaration's defaults."""

    id: str
    type: str
    params: dict[str, Any] = field(default_factory=dict)
    pos: tuple[float, float] = (0.0, 0.0)

    @property
    def layer(self) -> layers.LayerType:
        return layers.get(self.type)

    def resolved_params(self) -> dict[str, Any]:
        return self.layer.resolve(self.params)

    @property
    def label(self) -> str:
        return f"{self.type} {self.id}"


@dataclass(frozen=True)
class Edge:
    """A connection from the output of ``src`` to input ``port`` of ``dst``."""

    src: str
    dst: str
    port: int = 0


@dataclass(frozen=True)
class Change:
    """What changed, as told to listeners.

    kind is one of: node_added, node_removed, edge_added, edge_removed, params_changed,
    node_moved, settings_changed, reset (everything may have changed).
    """

    kind: str
    node_id: str | None = None
    edge: Edge | None = None


Listener = Callable[[Change], None]
Derived = TypeVar("Derived")


class Graph:
    """A network drawing: nodes keyed by stable string ids, edges, and training settings."""

    def __init__(self, training: TrainingSettings | None = None, dataset: str | None = None):
        self.nodes: dict[str, Node] = {}
        self.edges: list[Edge] = []
        self.training = training or TrainingSettings()
        self.dataset = dataset
        self._listeners: list[Listener] = []
        self._counter = 0
        self.revision = 0  # one more after every change
        self._derived: dict[str, tuple[int, Any]] = {}

    # -- listeners ---------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(change)`` after every change; returns a function that unsubscribes."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def _tell(self, kind: str, node_id: str | None = None, edge: Edge | None = None) -> None:
        self.revision += 1
        change = Change(kind, node_id, edge)
        for listener in list(self._listeners):
            listener(change)

    # -- nodes -------------------------------------------------------------------------------

    def node(self, node_id: str) -> Node:
        try:
            return self.nodes[node_id]
        except KeyError:
            raise GraphError(node_id, f"there is no node {node_id!r} in this network") from None

    def new_id(self) -> str:
        """A fresh id, never one this graph has handed out before."""
        self._counter += 1
        while f"n{self._counter}" in self.nodes:
            self._counter += 1
        return f"n{self._counter}"

    def _note_id(self, node_id: str) -> None:
        m = _AUTO_ID.match(node_id)
        if m:
            self._counter = max(self._counter, int(m.group(1)))

    def add(self, type_name: str, /, *, id: str | None = None,
            pos: tuple[float, float] | None = None, **params: Any) -> str:
        """Add a layer of ``type_name`` with the given params; returns its id."""
        layer = layers.get(type_name)
        if id is not None:
            check_id(id)
            if id in self.nodes:
                raise GraphError(id, f"a node with id {id!r} already exists")
        node_id = id or self.new_id()
        checked = layer.check_params(params, node_id)
        self._note_id(node_id)
        x, y = pos if pos is not None else self._next_position()
        self.nodes[node_id] = Node(node_id, type_name, checked, (float(x), float(y)))
        self._tell("node_added", node_id)
        return node_id

    def insert(self, node: Node, edges: Iterable[Edge] = (), at: int | None = None) -> None:
        """Put back a node (and its edges) exactly as it was, as undo does after a remove;
        ``at`` is its place in the order of nodes (the end when None)."""
        if node.id in self.nodes:
            raise GraphError(node.id, f"a node with id {node.id!r} already exists")
        check_id(node.id)
        node.layer.check_params(node.params, node.id)
        self._note_id(node.id)
        restored = Node(node.id, node.type, dict(node.params), tuple(node.pos))
        if at is None or at >= len(self.nodes):
            self.nodes[node.id] = restored
        else:
            items = list(self.nodes.items())
            items.insert(max(at, 0), (node.id, restored))
            self.nodes = dict(items)
        self._tell("node_added", node.id)
        for e in edges:
            self.connect(e.src, e.dst, e.port)

    def remove(self, node_id: str) -> tuple[Node, list[Edge]]:
        """Remove a node and every edge touching it; returns both, so the removal can be undone."""
        node = self.node(node_id)
        touching = [e for e in self.edges if node_id in (e.src, e.dst)]
        for e in touching:
            self.disconnect(e)
        del self.nodes[node_id]
        self._tell("node_removed", node_id)
        return node, touching

    def set_params(self, node_id: str, **params: Any) -> None:
        """Set some params of a node; each is validated first, so a bad value changes nothing."""
        node = self.node(node_id)
        checked = node.layer.check_params(params, node_id)
        node.params = {**node.params, **checked}
        self._tell("params_changed", node_id)

    def replace_params(self, node_id: str, params: dict[str, Any]) -> None:
        """Make exactly ``params`` the node's set params (the rest take defaults)."""
        node = self.node(node_id)
        node.params = node.layer.check_params(params, node_id)
        self._tell("params_changed", node_id)

    def move(self, node_id: str, x: float, y: float) -> None:
        self.node(node_id).pos = (float(x), float(y))
        self._tell("node_moved", node_id)

    def _next_position(self) -> tuple[float, float]:
        if not self.nodes:
            return (0.0, 0.0)
        lowest = max(self.nodes.values(), key=lambda n: n.pos[1])
        return (lowest.pos[0], lowest.pos[1] + 100.0)

    # -- edges -------------------------------------------------------------------------------

    def inputs_of(self, node_id: str) -> list[Edge]:
        """Edges into a node, by port."""
        return sorted((e for e in self.edges if e.dst == node_id), key=lambda e: e.port)

    def outputs_of(self, node_id: str) -> list[Edge]:
        return [e for e in self.edges if e.src == node_id]

    def free_port(self, node_id: str) -> int | None:
        """The port a new connection into ``node_id`` would take, or None if all are taken."""
        layer = self.node(node_id).layer
        taken = {e.port for e in self.inputs_of(node_id)}
        if layer.variadic:
            return max(taken, default=-1) + 1
        return next((p for p in range(layer.max_inputs) if p not in taken), None)

    def connection_problem(self, src: str, dst: str, port: int | None = None) -> str | None:
        """Why ``connect(src, dst, port)`` would be refused, or None if it would be accepted."""
        for node_id in (src, dst):
            if node_id not in self.nodes:
                return f"there is no node {node_id!r} in this network"
        a, b = self.nodes[src], self.nodes[dst]
        if src == dst:
            return f"{a.label} cannot be connected to itself"
        if not a.layer.has_output:
            return f"{a.label} has no output to connect from"
        if b.layer.max_inputs == 0:
            return f"{b.label} takes no input"
        path = self._path(dst, src)
        if path is not None:
            loop = " -> ".join([*path, dst])
            return f"connecting {src} to {dst} would make a cycle ({loop})"
        if port is None:
            port = self.free_port(dst)
            if port is None:
                src_of = ", ".join(e.src for e in self.inputs_of(dst))
                return f"{b.label} already has its input connected (from {src_of}): " \
                       f"disconnect it first"
        if not isinstance(port, int) or isinstance(port, bool) or port < 0 or (
                not b.layer.variadic and port >= b.layer.max_inputs):
            return f"{b.label} has no input port {port!r}"
        for e in self.inputs_of(dst):
            if e.port == port:
                return f"input {port} of {b.label} is already connected (from {e.src}): " \
                       f"disconnect it first"
        return None

    def connect(self, src: str, dst: str, port: int | None = None,
                at: int | None = None) -> Edge:
        """Connect the output of ``src`` to input ``port`` of ``dst`` (the next free port if
        None). Refuses, with a GraphError saying why, what the network could never use.
        ``at`` is the edge's place in the order of edges (the end when None), for undo."""
        problem = self.connection_problem(src, dst, port)
        if problem:
            raise GraphError(dst if dst in self.nodes else src, problem)
        edge = Edge(src, dst, self.free_port(dst) if port is None else port)
        if at is None:
            self.edges.append(edge)
        else:
            self.edges.insert(max(at, 0), edge)
        self._tell("edge_added", edge.dst, edge)
        return edge

    def disconnect(self, edge: Edge) -> None:
        try:
            self.edges.remove(edge)
        except ValueError:
            raise GraphError(edge.dst, f"there is no connection from {edge.src} to "
                                       f"{edge.dst} (input {edge.port})") from None
        self._tell("edge_removed", edge.dst, edge)

    def _path(self, start: str, goal: str) -> list[str] | None:
        """A path of node ids from ``start`` to ``goal`` following edges, or None."""
        parent: dict[str, str | None] = {start: None}
        frontier = [start]
        while frontier:
            current = frontier.pop()
            if current == goal:
                path = [current]
                while parent[path[-1]] is not None:
                    path.append(parent[path[-1]])
                return path[::-1]
            for e in self.outputs_of(current):
                if e.dst not in parent:
                    parent[e.dst] = current
                    frontier.append(e.dst)
        return None

    # -- order -------------------------------------------------------------------------------

    def find_cycles(self) -> list[list[str]]:
        """Node ids of every group of nodes that feed each other (strongly connected parts),
        by Tarjan's algorithm, iterative so that long chains cannot exhaust the stack."""
        successors = {n: [] for n in self.nodes}
        for e in self.edges:
            successors[e.src].append(e.dst)
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        stack: list[str] = []
        on_stack: set[str] = set()
        groups: list[list[str]] = []
        position = {n: i for i, n in enumerate(self.nodes)}

        for root in self.nodes:
            if root in index:
                continue
            work = [(root, 0)]
            while work:
                v, i = work.pop()
                if i == 0:
                    index[v] = low[v] = len(index)
                    stack.append(v)
                    on_stack.add(v)
                if i < len(successors[v]):
                    work.append((v, i + 1))
                    w = successors[v][i]
                    if w not in index:
                        work.append((w, 0))
                    elif w in on_stack:
                        low[v] = min(low[v], index[w])
                    continue
                if work:  # v is finished: pass its low-link to the node that reached it
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[v])
                if low[v] == index[v]:
                    group = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        group.append(w)
                        if w == v:
                            break
                    if len(group) > 1 or v in successors[v]:
                        groups.append(sorted(group, key=position.__getitem__))
        return groups

    def partial_order(self) -> list[str]:
        """Node ids, each after every node that feeds it, leaving out nodes in or behind a
        cycle; ties keep the order in which nodes were added."""
        indegree = {n: 0 for n in self.nodes}
        for e in self.edges:
            indegree[e.dst] += 1
        position = {n: i for i, n in enumerate(self.nodes)}
        ready = [n for n in self.nodes if indegree[n] == 0]
        order: list[str] = []
        while ready:
            ready.sort(key=position.__getitem__)
            n = ready.pop(0)
            order.append(n)
            for e in self.outputs_of(n):
                indegree[e.dst] -= 1
                if indegree[e.dst] == 0:
                    ready.append(e.dst)
        return order

    def topological_order(self) -> list[str]:
        """Every node id, each after every node that feeds it. Raises GraphError naming the
        nodes of a cycle."""
        order = self.partial_order()
        if len(order) < len(self.nodes):
            cycle = self.find_cycles()[0]
            raise GraphError(cycle[0], cycle_message(cycle))
        return order

    # -- settings ----------------------------------------------------------------------------

    def set_training(self, settings: TrainingSettings) -> None:
        self.training = settings
        self._tell("settings_changed")

    def set_dataset(self, dataset: str | None) -> None:
        self.dataset = dataset
        self._tell("settings_changed")

    # -- checking ----------------------------------------------------------------------------

    def derived(self, name: str, compute: Callable[[Graph], Derived]) -> Derived:
        """``compute(self)``, kept under ``name`` until the drawing next changes. It must depend
        on the drawing alone (copies share it) and be treated as read-only."""
        kept = self._derived.get(name)
        if kept is not None and kept[0] == self.revision:
            return kept[1]
        value = compute(self)
        self._derived[name] = (self.revision, value)
        return value

    def check(self) -> shapes.ShapeReport:
        """Every problem of the drawing at once, never raising."""
        return shapes.check(self)

    def infer_shapes(self) -> dict[str, tuple[int, ...]]:
        """{node_id: output shape}; raises GraphError (a ShapeError for shape faults) that lists
        every problem."""
        return shapes.infer_shapes(self)

    # -- copies and dicts --------------------------------------------------------------------

    def copy(self) -> Graph:
        """An independent copy with the same ids and no listeners. What was derived from this
        state of the drawing (the shape report) holds for the copy too and comes along: the
        training worker's copy and the model's own copy are not checked again."""
        g = Graph(self.training, self.dataset)
        g.nodes = {k: Node(n.id, n.type, copy.deepcopy(n.params), n.pos)
                   for k, n in self.nodes.items()}
        g.edges = list(self.edges)
        g._counter = self._counter
        g.revision = self.revision
        g._derived = dict(self._derived)
        return g

    def to_dict(self) -> dict[str, Any]:
        """The "graph" object of the file format."""
        return {
            "nodes": [{"id": n.id, "type": n.type, "params": copy.deepcopy(n.params),
                       "pos": [n.pos[0], n.pos[1]]} for n in self.nodes.values()],
            "edges": [{"src": e.src, "dst": e.dst, "port": e.port} for e in self.edges],
        }

    @classmethod
    def sequential(cls, input_shape: Iterable[int], *layers_in_order: tuple[str, dict[str, Any]],
                   loss: str = "cross_entropy") -> Graph:
        """A chain: Input(input_shape) -> each (type, params) in turn -> Loss(loss).

        ``Graph.sequential([2], ("Dense", {"units": 16, "activation": "relu"}),
        ("Dense", {"units": 1}), loss="binary_cross_entropy")``; node ids n1, n2, ...
        """
        g = cls()
        prev = g.add("Input", shape=[int(n) for n in input_shape])
        for spec in layers_in_order:
            if not (isinstance(spec, tuple) and len(spec) == 2 and isinstance(spec[1], dict)):
                raise GraphError(None, f"Graph.sequential takes (type, params) pairs, not "
                                       f"{spec!r}")
            node = g.add(spec[0], **spec[1])
            g.connect(prev, node)
            prev = node
        g.connect(prev, g.add("Loss", kind=loss))
        return g

    @classmethod
    def from_dict(cls, d: dict[str, Any], training: TrainingSettings | None = None,
                  dataset: str | None = None) -> Graph:
        """Build a graph from its dict, checked as strictly as a file is. Edges may form cycles
        or leave ports open (shape inference reports those) but must name nodes that exist."""
        try:
            return graph_from_dict(d, "graph dict", training, dataset)
        except FileFormatError as exc:
            raise GraphError(None, str(exc)) from None

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Graph) and self.to_dict() == other.to_dict()
                and self.training == other.training and self.dataset == other.dataset)

    __hash__ = None  # mutable

    def __repr__(self) -> str:
        return f"Graph({len(self.nodes)} nodes, {len(self.edges)} edges)"


def graph_from_dict(d: Any, where: str, training: TrainingSettings | None = None,
                    dataset: str | None = None) -> Graph:
    """The Graph of a document's "graph" object; FileFormatError names the place of the first
    fault (see graph_dict)."""
    checked = checked_graph_dict(d, where)
    graph = Graph(training, dataset)
    for node in checked["nodes"]:
        graph.insert(Node(**node))
    # Appended as they are: a file may hold a cycle that connect() would refuse.
    graph.edges.extend(Edge(**edge) for edge in checked["edges"])
    return graph
