import pytest

import visnet
from visnet import Edge, Graph, GraphError, ParamError


def mlp():
    g = Graph()
    x = g.add("Input", shape=[4])
    h = g.add("Dense", units=8, activation="relu")
    y = g.add("Dense", units=3)
    loss = g.add("Loss")
    for a, b in ((x, h), (h, y), (y, loss)):
        g.connect(a, b)
    return g, (x, h, y, loss)


def test_ids_are_stable_strings_never_reused():
    g = Graph()
    a = g.add("Input")
    b = g.add("Dense")
    g.remove(b)
    c = g.add("Dense")
    assert (a, b, c) == ("n1", "n2", "n3")
    assert list(g.nodes) == ["n1", "n3"]


def test_explicit_ids_are_checked():
    g = Graph()
    g.add("Input", id="in")
    with pytest.raises(GraphError, match="already exists"):
        g.add("Dense", id="in")
    with pytest.raises(GraphError, match="node id"):
        g.add("Dense", id="a/b")


def test_listeners_hear_every_change_in_order():
    g, (x, h, y, loss) = mlp()
    heard = []
    unsubscribe = g.subscribe(lambda c: heard.append((c.kind, c.node_id)))
    g.set_params(h, units=16)
    g.move(h, 10, 20)
    g.remove(y)
    unsubscribe()
    g.add("Dense")
    assert heard == [("params_changed", h), ("node_moved", h), ("edge_removed", y),
                     ("edge_removed", loss), ("node_removed", y)]


def test_a_bad_param_changes_nothing():
    g, (x, h, y, loss) = mlp()
    before = g.to_dict()
    with pytest.raises(ParamError, match="units must be an integer"):
        g.set_params(h, units=0, activation="tanh")
    assert g.to_dict() == before


def test_params_keep_only_what_was_set_and_resolve_defaults():
    g = Graph()
    c = g.add("Conv2D", filters=4)
    assert g.node(c).params == {"filters": 4}
    assert g.node(c).resolved_params()["padding"] == "valid"
    g.replace_params(c, {"kernel_size": 5})
    assert g.node(c).params == {"kernel_size": 5}


def test_remove_then_insert_restores_node_and_edges():
    g, (x, h, y, loss) = mlp()
    before = g.to_dict()
    node, edges = g.remove(h)
    assert h not in g.nodes and not g.inputs_of(y)
    g.insert(node, edges)
    assert sorted(map(str, g.to_dict()["edges"])) == sorted(map(str, before["edges"]))
    assert g.infer_shapes()[loss] == ()


def test_connect_picks_the_next_free_port_of_a_merge():
    g = Graph()
    a, b, c = g.add("Input", shape=[3]), g.add("Dense", units=3), g.add("Dense", units=3)
    add = g.add("Add")
    g.connect(a, b)
    g.connect(a, c)
    assert g.connect(b, add) == Edge(b, add, 0)
    assert g.connect(c, add) == Edge(c, add, 1)
    assert g.free_port(add) == 2


def test_connect_refuses_what_can_never_work():
    g, (x, h, y, loss) = mlp()
    with pytest.raises(GraphError, match="cycle"):
        g.connect(y, h)
    with pytest.raises(GraphError, match="already has its input connected"):
        g.connect(x, y)
    with pytest.raises(GraphError, match="no output"):
        g.connect(loss, h)
    with pytest.raises(GraphError, match="takes no input"):
        g.connect(h, x)
    with pytest.raises(GraphError, match="itself"):
        g.connect(h, h)
    assert g.connection_problem(y, h).startswith("connecting")
    assert g.connection_problem(x, h, port=0).startswith("input 0")


def test_topological_order_follows_edges_and_names_a_cycle():
    g = Graph()
    ids = [g.add("Dense") for _ in range(3)]
    g.connect(ids[2], ids[0])
    g.connect(ids[0], ids[1])
    assert g.topological_order() == [ids[2], ids[0], ids[1]]
    g.edges.append(Edge(ids[1], ids[2], 0))  # a file may hold a cycle the editor would refuse
    with pytest.raises(GraphError, match="form a cycle") as err:
        g.topological_order()
    assert all(i in str(err.value) for i in ids)


def test_copy_is_independent():
    g, (x, h, y, loss) = mlp()
    twin = g.copy()
    twin.set_params(h, units=99)
    twin.remove(y)
    assert g.node(h).params["units"] == 8 and y in g.nodes
    assert twin.add("Dense") == g.add("Dense")  # the id counter was copied too


def test_to_dict_from_dict_round_trip_keeps_ids_and_positions():
    g, (x, h, y, loss) = mlp()
    g.move(h, 12.5, -3)
    again = Graph.from_dict(g.to_dict(), g.training, "digits")
    assert again.to_dict() == g.to_dict()
    assert again.node(h).pos == (12.5, -3.0)
    assert again.add("Dense") == "n5"


def test_from_dict_reports_faults_as_graph_errors():
    with pytest.raises(GraphError, match="not a node"):
        Graph.from_dict({"nodes": [{"id": "a", "type": "Input"}],
                         "edges": [{"src": "a", "dst": "b"}]})


def test_training_settings_are_validated():
    g = Graph()
    with pytest.raises(ValueError, match="batch_size"):
        g.set_training(g.training.updated(batch_size=0))
    with pytest.raises(ValueError, match="optimizer.type"):
        visnet.TrainingSettings(optimizer={"type": "adagrad"})
    g.set_training(g.training.updated(epochs=3))
    assert g.training.epochs == 3


def test_infer_shapes_of_a_valid_graph():
    g, (x, h, y, loss) = mlp()
    assert g.infer_shapes() == {x: (4,), h: (8,), y: (3,), loss: ()}


def test_sequential_chains_the_layers_between_an_input_and_a_loss():
    g = Graph.sequential([2], ("Dense", {"units": 4, "activation": "relu"}),
                         ("Dense", {"units": 1}), loss="binary_cross_entropy")
    assert [n.type for n in g.nodes.values()] == ["Input", "Dense", "Dense", "Loss"]
    assert [(e.src, e.dst) for e in g.edges] == [("n1", "n2"), ("n2", "n3"), ("n3", "n4")]
    assert g.infer_shapes()["n3"] == (1,) and g.nodes["n4"].params["kind"] == \
        "binary_cross_entropy"
    with pytest.raises(GraphError, match="takes \\(type, params\\) pairs, not 'Dense'"):
        Graph.sequential([2], "Dense")
    with pytest.raises(GraphError, match="units"):
        Graph.sequential([2], ("Dense", {"units": 0}))
