"""The "graph" object of a document (the form ``Graph.to_dict`` writes), checked field by field
before a Graph is built from it: the first fault raises FileFormatError naming its place, as
``graph.nodes[2].params.units``. Also the rule for node ids, which the Graph applies to every
node it is given.

Plain dicts and lists in and out, so the Graph (``from_dict``) and the file format share these
checks without either importing the other for them.
"""

from __future__ import annotations

import re
from typing import Any

from . import layers
from .errors import FileFormatError, GraphError
from .json_checks import expect_list, expect_object, only_keys, short

MAX_NODES = 10_000

_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def check_id(node_id: Any) -> None:
    if not isinstance(node_id, str) or not _ID.match(node_id):
        raise GraphError(None, f"a node id must be 1 to 64 letters, digits, '_', '.' or '-', "
                               f"not {node_id!r}")


def checked_graph_dict(g: Any, where: str) -> dict[str, list[dict[str, Any]]]:
    """``g`` checked in full, with every field spelled out: {"nodes": [{"id", "type",
    "params" (checked), "pos" (two floats)}], "edges": [{"src", "dst", "port"}]}, in the order
    of ``g``. Edges may form cycles or leave ports open (shape inference reports those) but
    must name nodes that exist and ports that do."""
    expect_object(g, where, "graph")
    only_keys(g, {"nodes", "edges"}, where, "graph")
    nodes = expect_list(g.get("nodes", []), where, "graph.nodes")
    if len(nodes) > MAX_NODES:
        raise FileFormatError(f"{where}: graph.nodes holds {len(nodes)} layers; at most "
                              f"{MAX_NODES} are allowed")
    types: dict[str, str] = {}
    checked_nodes = []
    for i, nd in enumerate(nodes):
        node = _checked_node(nd, where, f"graph.nodes[{i}]")
        if node["id"] in types:
            raise FileFormatError(f"{where}: graph.nodes[{i}].id: the id {node['id']!r} is used "
                                  f"by two nodes")
        types[node["id"]] = node["type"]
        checked_nodes.append(node)
    taken: set[tuple[str, int]] = set()
    checked_edges = []
    for i, ed in enumerate(expect_list(g.get("edges", []), where, "graph.edges")):
        edge = _checked_edge(ed, where, f"graph.edges[{i}]", types)
        if (edge["dst"], edge["port"]) in taken:
            raise FileFormatError(f"{where}: graph.edges[{i}]: input {edge['port']} of "
                                  f"{edge['dst']} is connected twice")
        taken.add((edge["dst"], edge["port"]))
        checked_edges.append(edge)
    return {"nodes": checked_nodes, "edges": checked_edges}


def _checked_node(nd: Any, where: str, at: str) -> dict[str, Any]:
    expect_object(nd, where, at)
    only_keys(nd, {"id", "type", "params", "pos"}, where, at)
    node_id = nd.get("id")
    try:
        check_id(node_id)
    except GraphError as exc:
        raise FileFormatError(f"{where}: {at}.id: {exc}") from None
    type_name = nd.get("type")
    if not isinstance(type_name, str):
        raise FileFormatError(f"{where}: {at}.type: must be a layer type name, not "
                              f"{short(type_name)}")
    try:
        layer = layers.get(type_name)
    except GraphError as exc:
        raise FileFormatError(f"{where}: {at}.type: {exc}") from None
    params = expect_object(nd.get("params", {}), where, f"{at}.params")
    checked = {}
    for key, value in params.items():
        try:
            checked[key] = layer.check_param(key, value, node_id)
        except GraphError as exc:
            raise FileFormatError(f"{where}: {at}.params.{key}: {exc}") from None
    pos = nd.get("pos", [0.0, 0.0])
    if not (isinstance(pos, list) and len(pos) == 2 and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and abs(v) < 1e9
            for v in pos)):
        raise FileFormatError(f"{where}: {at}.pos: must be [x, y] with two numbers, not "
                              f"{short(pos)}")
    return {"id": node_id, "type": type_name, "params": checked,
            "pos": (float(pos[0]), float(pos[1]))}


def _checked_edge(ed: Any, where: str, at: str, types: dict[str, str]) -> dict[str, Any]:
    expect_object(ed, where, at)
    only_keys(ed, {"src", "dst", "port"}, where, at)
    for end in ("src", "dst"):
        value = ed.get(end)
        if not isinstance(value, str) or value not in types:
            raise FileFormatError(f"{where}: {at}.{end}: {short(value)} is not a node of this "
                                  f"network")
    port = ed.get("port", 0)
    if not isinstance(port, int) or isinstance(port, bool) or port < 0:
        raise FileFormatError(f"{where}: {at}.port: must be an integer >= 0, not {short(port)}")
    src, dst = ed["src"], ed["dst"]
    if not layers.get(types[src]).has_output:
        raise FileFormatError(f"{where}: {at}: {types[src]} {src} has no output to connect from")
    dst_layer = layers.get(types[dst])
    if not dst_layer.variadic and port >= dst_layer.max_inputs:
        raise FileFormatError(f"{where}: {at}.port: {types[dst]} {dst} has no input port {port}")
    return {"src": src, "dst": dst, "port": port}
