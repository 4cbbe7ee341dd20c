"""Broken drawings: every fault is reported at once, attached to the node at fault, with a
message that says what is wrong and how to fix it; nodes downstream of a fault stay quiet."""

from __future__ import annotations

import pytest

import visnet
from visnet import Edge, GraphError, ShapeError


def build(nodes, edges):
    """A Graph from (id, type, params) triples and (src, dst[, port]) pairs. Edges are appended
    as they are, so drawings that Graph.connect would refuse (cycles) can be made too."""
    g = visnet.Graph()
    for node_id, type_name, params in nodes:
        g.add(type_name, id=node_id, **params)
    for edge in edges:
        g.edges.append(Edge(*edge))
    return g


def chain(*ids):
    return list(zip(ids, ids[1:]))


X_IMAGE = ("x", "Input", {"shape": [1, 8, 8]})
X_FLAT = ("x", "Input", {"shape": [12]})
LOSS = ("loss", "Loss", {})
MSE = ("loss", "Loss", {"kind": "mse"})

# Each case: the drawing, and {node_id (None: the network as a whole): fragments of its
# error message}. The set of keys is exactly the set of nodes with an error.
CASES = [
    pytest.param(
        build([X_IMAGE, ("conv", "Conv2D", {"filters": 8, "kernel_size": 3}),
               ("dense", "Dense", {"units": 10}), LOSS],
              chain("x", "conv", "dense", "loss")),
        {"dense": ["Dense dense", "(8, 6, 6)", "insert a Flatten"]},
        id="dense-after-conv"),
    pytest.param(
        build([("d", "Dense", {"units": 3}), MSE], chain("d", "loss")),
        {None: ["no Input"], "d": ["nothing connected"]},
        id="no-input"),
    pytest.param(
        build([("x1", "Input", {"shape": [4]}), ("x2", "Input", {"shape": [4]}),
               ("add", "Add", {}), MSE],
              [("x1", "add", 0), ("x2", "add", 1), ("add", "loss")]),
        {"x1": ["one of 2 Input layers", "x1, x2", "remove the others"],
         "x2": ["one of 2 Input layers", "x1, x2"]},
        id="two-inputs"),
    pytest.param(
        build([X_FLAT, ("d", "Dense", {"units": 3})], chain("x", "d")),
        {None: ["no Loss"]},
        id="no-loss"),
    pytest.param(
        build([X_FLAT, ("d", "Dense", {"units": 3}), ("l1", "Loss", {"kind": "mse"}),
               ("l2", "Loss", {"kind": "mse"})],
              [("x", "d"), ("d", "l1"), ("d", "l2")]),
        {"l1": ["one of 2 Loss layers", "l1, l2"], "l2": ["one of 2 Loss layers", "l1, l2"]},
        id="two-losses"),
    pytest.param(
        build([X_FLAT, ("d", "Dense", {"units": 3}), MSE], chain("d", "loss")),
        {"d": ["Dense d has nothing connected to its input"]},
        id="dense-with-nothing-connected"),
    pytest.param(
        build([X_FLAT, ("add", "Add", {}), MSE], chain("x", "add", "loss")),
        {"add": ["Add add", "at least 2", "has 1"]},
        id="add-with-one-input"),
    pytest.param(
        build([X_FLAT, ("a", "Dense", {"units": 3}), ("b", "Dense", {"units": 5}),
               ("add", "Add", {}), MSE],
              [("x", "a"), ("x", "b"), ("a", "add", 0), ("b", "add", 1), ("add", "loss")]),
        {"add": ["one shape", "input 0 gets (3,)", "input 1 gets (5,)"]},
        id="add-mismatched-shapes"),
    pytest.param(
        build([X_IMAGE, ("conv", "Conv2D", {"filters": 4, "padding": "same"}),
               ("pool", "MaxPool2D", {}), ("cat", "Concatenate", {"axis": 1}),
               ("flat", "Flatten", {}), ("d", "Dense", {"units": 2}), LOSS],
              [("x", "conv"), ("x", "pool"), ("conv", "cat", 0), ("pool", "cat", 1),
               ("cat", "flat"), ("flat", "d"), ("d", "loss")]),
        {"cat": ["Concatenate cat", "axis 1", "every other axis to agree",
                 "(4, 8, 8)", "(1, 4, 4)"]},
        id="concatenate-channels-mismatched-height"),
    pytest.param(
        build([("x", "Input", {"shape": [1, 3, 3]}), ("conv", "Conv2D", {"kernel_size": 5}),
               ("flat", "Flatten", {}), ("d", "Dense", {"units": 2}), LOSS],
              chain("x", "conv", "flat", "d", "loss")),
        {"conv": ["Conv2D conv", "kernel 5x5", "3x3", "padding 'same'"]},
        id="conv-kernel-larger-than-image"),
    pytest.param(
        build([("x", "Input", {"shape": [1, 1, 1]}), ("pool", "MaxPool2D", {"pool_size": 2}),
               ("flat", "Flatten", {}), ("d", "Dense", {"units": 2}), LOSS],
              chain("x", "pool", "flat", "d", "loss")),
        {"pool": ["MaxPool2D pool", "pool 2x2", "1x1", "smaller pool_size"]},
        id="maxpool-on-1x1"),
    pytest.param(
        build([X_FLAT, ("r", "Reshape", {"target_shape": [5, 2]}), ("f", "Flatten", {}), MSE],
              chain("x", "r", "f", "loss")),
        {"r": ["Reshape r", "(12,) (12 values)", "(5, 2) (10 values)", "hold 12 values"]},
        id="reshape-wrong-count"),
    pytest.param(
        build([X_FLAT, ("r", "Reshape", {"target_shape": [5, -1]}), ("f", "Flatten", {}), MSE],
              chain("x", "r", "f", "loss")),
        {"r": ["12 is not a multiple of 5"]},
        id="reshape-inferred-axis-does-not-divide"),
    pytest.param(
        build([X_FLAT, ("rnn", "LSTM", {"units": 4}), MSE], chain("x", "rnn", "loss")),
        {"rnn": ["LSTM rnn", "(time, features)", "(12,)"]},
        id="lstm-on-flat-input"),
    pytest.param(
        build([X_IMAGE, ("rnn", "GRU", {"units": 4}), MSE], chain("x", "rnn", "loss")),
        {"rnn": ["(time, features)", "Reshape to (8, 8)"]},
        id="gru-on-image-suggests-reshape"),
    pytest.param(
        build([X_FLAT, ("conv", "Conv2D", {}), ("f", "Flatten", {}), MSE],
              chain("x", "conv", "f", "loss")),
        {"conv": ["(channels, height, width)", "(12,)", "Reshape to (channels, height, width)"]},
        id="conv-on-flat-input"),
    pytest.param(
        build([X_FLAT, ("d", "Dense", {"units": 1}), LOSS], chain("x", "d", "loss")),
        {"loss": ["Loss loss", "at least 2 class scores", "(1,)", "binary_cross_entropy"]},
        id="cross-entropy-after-one-unit"),
    pytest.param(
        build([X_IMAGE, ("conv", "Conv2D", {}), LOSS], chain("x", "conv", "loss")),
        {"loss": ["class scores", "(8, 6, 6)", "add a Flatten"]},
        id="cross-entropy-after-image"),
    pytest.param(
        build([X_FLAT, ("a", "Add", {}), ("b", "Dense", {"units": 12}),
               ("c", "Dense", {"units": 12}), MSE],
              [("x", "a", 0), ("a", "b"), ("b", "c"), ("c", "a", 1), ("c", "loss")]),
        {"a": ["a, b, c form a cycle"], "b": ["cycle"], "c": ["cycle"]},
        id="cycle-of-three"),
    pytest.param(
        build([("x", "Input", {"shape": [1, 3, 3]}), ("conv", "Conv2D", {"kernel_size": 5}),
               ("f", "Flatten", {}), ("lonely", "Dense", {"units": 2}),
               ("add", "Add", {}), ("d", "Dense", {"units": 2})],
              [("x", "conv"), ("conv", "f"), ("x", "add"), ("add", "d")]),
        {None: ["no Loss"], "conv": ["padding 'same'"], "lonely": ["nothing connected"],
         "add": ["at least 2"]},
        id="several-independent-errors"),
    pytest.param(
        build([X_IMAGE, ("conv", "Conv2D", {}), ("d1", "Dense", {"units": 8}),
               ("d2", "Dense", {"units": 4}), ("act", "Activation", {}), LOSS],
              chain("x", "conv", "d1", "d2", "act", "loss")),
        {"d1": ["insert a Flatten"]},
        id="only-the-root-cause-is-named"),
    pytest.param(
        build([("x", "Input", {"shape": [1, 3, 3]}), ("conv", "Conv2D", {"kernel_size": 5}),
               ("f1", "Flatten", {}), ("f2", "Flatten", {}), ("add", "Add", {}), MSE],
              [("x", "conv"), ("conv", "f1"), ("x", "f2"), ("f1", "add", 0), ("f2", "add", 1),
               ("add", "loss")]),
        {"conv": ["padding 'same'"]},
        id="merge-after-a-failing-branch-stays-quiet"),
]


@pytest.mark.parametrize("graph, expected", CASES)
def test_broken_graph_names_exactly_the_nodes_at_fault(graph, expected):
    report = graph.check()
    by_node: dict[str | None, list[str]] = {}
    for p in report.errors:
        by_node.setdefault(p.node_id, []).append(p.message)
    assert set(by_node) == set(expected), "\n".join(p.message for p in report.errors)
    for node_id, fragments in expected.items():
        text = "\n".join(by_node[node_id])
        for fragment in fragments:
            assert fragment in text, f"{node_id}: {fragment!r} not in {text!r}"
    assert not report.ok


@pytest.mark.parametrize("graph, expected", CASES)
def test_infer_shapes_raises_listing_every_error(graph, expected):
    report = graph.check()
    with pytest.raises(GraphError) as err:
        graph.infer_shapes()
    assert {p.node_id for p in err.value.problems} == set(expected)
    assert list(err.value.problems) == report.errors
    for p in report.errors:
        assert p.message in str(err.value), "the message lists every problem"
    only_shape_faults = all(p.kind == "shape" for p in report.errors)
    assert isinstance(err.value, ShapeError) == only_shape_faults


def test_shape_faults_raise_shape_error():
    g = CASES[0].values[0]
    with pytest.raises(ShapeError, match="insert a Flatten") as err:
        g.infer_shapes()
    assert err.value.node_id == "dense"
    assert [p.kind for p in err.value.problems] == ["shape"]


@pytest.mark.parametrize("case_id", ["no-input", "cycle-of-three", "several-independent-errors"])
def test_wiring_faults_raise_graph_error_not_shape_error(case_id):
    (g, expected), = [c.values for c in CASES if c.id == case_id]
    with pytest.raises(GraphError) as err:
        g.infer_shapes()
    assert type(err.value) is GraphError
    assert len(err.value.problems) >= len(expected)


def test_downstream_nodes_get_no_shape_either():
    g, _ = next(c.values for c in CASES if c.id == "only-the-root-cause-is-named")
    report = g.check()
    assert set(report.shapes) == {"x", "conv"}
    assert report.shapes["conv"] == (8, 6, 6)
    assert report.problems_for("d2") == [] and report.problems_for("loss") == []


def test_cycle_nodes_and_what_follows_them_are_left_out_of_the_order():
    g, _ = next(c.values for c in CASES if c.id == "cycle-of-three")
    assert g.find_cycles() == [["a", "b", "c"]]
    assert g.partial_order() == ["x"]
    with pytest.raises(GraphError, match="form a cycle"):
        g.topological_order()


def test_unused_output_is_a_warning_only():
    g = build([X_FLAT, ("d", "Dense", {"units": 3}), ("spare", "Dense", {"units": 5}), MSE],
              [("x", "d"), ("d", "loss"), ("x", "spare")])
    report = g.check()
    assert report.ok
    assert [(p.node_id, p.severity) for p in report.problems] == [("spare", "warning")]
    assert "output is not used" in report.problems[0].message
    shapes = g.infer_shapes()  # does not raise
    assert shapes["spare"] == (5,) and shapes["d"] == (3,)


def test_warnings_are_not_listed_among_errors():
    g = build([X_FLAT, ("d", "Dense", {"units": 3}), ("lonely", "Dense", {"units": 2})],
              chain("x", "d"))
    with pytest.raises(GraphError) as err:
        g.infer_shapes()
    assert all(p.severity == "error" for p in err.value.problems)
    assert "output is not used" not in str(err.value)


def test_long_chain_checks_without_error():
    """MAX_NODES allows 10,000 layers; a long but valid chain must check fine."""
    g = visnet.Graph()
    prev = g.add("Input", shape=[4])
    for _ in range(2000):
        node = g.add("Dense", units=4)
        g.connect(prev, node)
        prev = node
    g.connect(prev, g.add("Loss", kind="mse"))
    assert g.check().ok
    assert len(g.infer_shapes()) == 2002


# ---------------------------------------------------------------------------------------------
# Graph.connect refuses what the network could never use.


def simple():
    g = visnet.Graph()
    g.add("Input", id="x", shape=[4])
    g.add("Add", id="add")
    g.add("Dense", id="b", units=4)
    g.add("Dense", id="c", units=4)
    g.add("Loss", id="loss", kind="mse")
    g.connect("x", "add")
    g.connect("add", "b")
    g.connect("b", "c")
    return g


def test_connect_refuses_a_cycle():
    g = simple()
    with pytest.raises(GraphError, match=r"would make a cycle \(add -> b -> c -> add\)") as err:
        g.connect("c", "add")
    assert err.value.node_id == "add"
    assert g.edges == [Edge("x", "add", 0), Edge("add", "b", 0), Edge("b", "c", 0)]


def test_connect_refuses_an_occupied_port():
    g = simple()
    with pytest.raises(GraphError, match=r"input 0 of Dense c is already connected \(from b\)"):
        g.connect("x", "c", 0)
    with pytest.raises(GraphError, match=r"Dense c already has its input connected \(from b\)"):
        g.connect("x", "c")
    assert len(g.edges) == 3


def test_connect_refuses_out_of_a_loss():
    g = simple()
    g.connect("c", "loss")
    with pytest.raises(GraphError, match="Loss loss has no output"):
        g.connect("loss", "add")


def test_connect_refuses_into_an_input():
    g = simple()
    with pytest.raises(GraphError, match="Input x takes no input"):
        g.connect("c", "x")


def test_connect_refuses_a_node_into_itself():
    g = simple()
    with pytest.raises(GraphError, match="cannot be connected to itself"):
        g.connect("add", "add")


def test_connect_refuses_a_missing_port_and_a_missing_node():
    g = simple()
    with pytest.raises(GraphError, match="has no input port 1"):
        g.connect("x", "b", 1)
    with pytest.raises(GraphError, match="no node 'ghost'"):
        g.connect("ghost", "b")


def test_a_connection_that_would_give_an_impossible_shape_is_named():
    from visnet.core.shapes import connection_shape_problem

    g = visnet.Graph()
    x = g.add("Input", shape=[1, 8, 8])
    d = g.add("Dense", units=4)
    f = g.add("Flatten")
    assert "insert a Flatten" in connection_shape_problem(g, x, d)
    assert connection_shape_problem(g, x, f) is None
    g.connect(x, f)
    assert connection_shape_problem(g, f, d) is None
    assert connection_shape_problem(g, d, x) is None  # Input takes no input: another reason
