"""Where the layers of a drawing go on the canvas when nobody placed them: rows top to bottom by
depth (an imported model, the canvas's Auto-layout)."""

from __future__ import annotations

from collections import defaultdict

from .graph import Graph

LAYOUT_DX = 200.0
LAYOUT_DY = 110.0
GRID = 20.0  # the canvas's grid: positions land on it


def snap(value: float, step: float = GRID) -> float:
    return float(round(value / step) * step)


def layered_layout(graph: Graph, dx: float = LAYOUT_DX, dy: float = LAYOUT_DY
                   ) -> dict[str, tuple[float, float]]:
    """Positions for a top-to-bottom drawing: a node's row is the length of the longest path
    from an input to it; a row's nodes keep their left-to-right order and are spread ``dx``
    apart around the drawing's centre line; rows are ``dy`` apart from the drawing's top."""
    if not graph.nodes:
        return {}
    depth: dict[str, int] = {}
    for node_id in graph.partial_order():
        depth[node_id] = max((depth[e.src] + 1 for e in graph.inputs_of(node_id)), default=0)
    rest = [n for n in graph.nodes if n not in depth]  # in or behind a cycle: below the others
    while rest:
        progressed = False
        for node_id in list(rest):
            srcs = [e.src for e in graph.inputs_of(node_id)]
            if all(s in depth for s in srcs):
                depth[node_id] = max((depth[s] + 1 for s in srcs), default=0)
                rest.remove(node_id)
                progressed = True
        if not progressed:  # a cycle: put its first node after everything known so far
            node_id = rest.pop(0)
            known = [depth[e.src] + 1 for e in graph.inputs_of(node_id) if e.src in depth]
            depth[node_id] = max(known, default=max(depth.values(), default=-1) + 1)

    rows: dict[int, list[str]] = defaultdict(list)
    order = {n: i for i, n in enumerate(graph.nodes)}
    for node_id, d in depth.items():
        rows[d].append(node_id)
    xs = [n.pos[0] for n in graph.nodes.values()]
    centre = snap((min(xs) + max(xs)) / 2)
    top = snap(min(n.pos[1] for n in graph.nodes.values()))
    positions = {}
    for d, members in rows.items():
        members.sort(key=lambda n: (graph.nodes[n].pos[0], order[n]))
        width = (len(members) - 1) * dx
        for i, node_id in enumerate(members):
            positions[node_id] = (centre - width / 2 + i * dx, top + d * dy)
    return positions
