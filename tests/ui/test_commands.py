"""Each command, pushed on a document, undone and redone step by step, gives back exactly the
drawing it started from (node and edge order included) and exactly the one it made."""

import pytest

import visnet
from visnet.core.errors import GraphError
from visnet.core.fileformat import Document
from visnet.core.graph import Edge, Graph
from visnet.resources import template_path
from visnet.ui.commands import (PASTE_OFFSET, AddNode, Connect, MoveNodes, Paste, RemoveItems,
                                SetParams, SetTraining, copy_nodes)
from visnet.ui.document import DocumentModel


def template(name):
    return DocumentModel(visnet.load(template_path(name)))


def state(graph):
    return graph.to_dict(), graph.training.to_dict(), graph.dataset


def step_by_step(document, *make_commands):
    """Push each command (made from the graph as it is then), then undo all one at a time and
    redo all one at a time, comparing the whole drawing after every step."""
    graph = document.graph
    states = [state(graph)]
    commands = []
    for make in make_commands:
        command = make(graph)
        document.push(command)
        commands.append(command)
        assert state(graph) != states[-1], f"{command.text()} changed nothing"
        states.append(state(graph))
    for i in reversed(range(len(commands))):
        document.undo_stack.undo()
        assert state(graph) == states[i], f"undo of {commands[i].text()}"
    for i in range(1, len(commands) + 1):
        document.undo_stack.redo()
        assert state(graph) == states[i], f"redo of {commands[i - 1].text()}"
    return commands


def test_add_node_keeps_its_id_through_undo_and_redo():
    document = template("spiral_mlp")
    (add,) = step_by_step(document, lambda g: AddNode(g, "Dropout", (40.0, 50.0), {"rate": 0.2}))
    node = document.graph.node(add.node_id)
    assert (node.type, node.params, node.pos) == ("Dropout", {"rate": 0.2}, (40.0, 50.0))
    assert add.node_id == "n6"


def test_remove_several_connected_nodes_of_the_residual_block_restores_every_edge_in_place():
    document = template("residual_block")
    graph = document.graph
    skip = Edge("n2", "n8", 0)
    # n4, n5 and n6 are wired to each other and to n3 and n7; listed out of order on purpose.
    (remove,) = step_by_step(document, lambda g: RemoveItems(g, ["n6", "n4", "n5"], [skip]))
    assert not {"n4", "n5", "n6"} & set(graph.nodes)
    assert skip not in graph.edges
    assert all({e.src, e.dst}.isdisjoint({"n4", "n5", "n6"}) for e in graph.edges)
    assert remove.text() == "Delete 3 layers"


def test_remove_only_connections():
    document = template("residual_block")
    step_by_step(document,
                 lambda g: RemoveItems(g, [], [Edge("n2", "n8", 0), Edge("n9", "n10", 0)]),
                 lambda g: RemoveItems(g, ["n1"]))


def test_connect_picks_the_next_free_port_and_undo_frees_it():
    document = template("residual_block")
    graph = document.graph
    step_by_step(document, lambda g: AddNode(g, "Conv2D", (300.0, 90.0),
                                             {"filters": 16, "padding": "same"}),
                 lambda g: Connect(g, "n1", "n13"),
                 lambda g: Connect(g, "n13", "n8"))
    assert Edge("n13", "n8", 2) in graph.edges  # Add takes any number of inputs
    assert document.report.ok


def test_a_connection_the_graph_refuses_is_an_error_before_anything_changes():
    document = template("spiral_mlp")
    before = state(document.graph)
    with pytest.raises(GraphError, match="cycle"):
        Connect(document.graph, "n4", "n2").redo()
    assert state(document.graph) == before


def test_move_nodes_is_one_step_for_the_whole_gesture():
    document = template("spiral_mlp")
    graph = document.graph
    moves = {"n2": ((0.0, 90.0), (10.0, 95.5)), "n3": ((0.0, 180.0), (10.0, 185.5))}
    step_by_step(document, lambda g: MoveNodes(g, moves))
    assert graph.node("n2").pos == (10.0, 95.5) and graph.node("n3").pos == (10.0, 185.5)
    assert document.undo_stack.count() == 1


def test_set_params_changes_shapes_and_undo_restores_the_params_as_they_were():
    document = template("spiral_mlp")
    step_by_step(document, lambda g: SetParams(g, "n2", {"units": 48}),
                 lambda g: SetParams(g, "n2", {"use_bias": False, "activation": "tanh"}),
                 lambda g: SetParams(g, "n1", {"shape": [3]}))
    assert document.graph.node("n2").params == {"units": 48, "activation": "tanh",
                                                "use_bias": False}
    assert document.report.shapes["n2"] == (48,)
    assert document.report.input_shapes["n2"] == [(3,)]
    document.undo_stack.setIndex(0)
    assert "use_bias" not in document.graph.node("n2").params  # left to its default again


def test_paste_adds_copies_under_fresh_ids_with_the_edges_between_them():
    document = template("spiral_mlp")
    graph = document.graph
    text = copy_nodes(graph, ["n3", "n2"])
    (paste,) = step_by_step(document, lambda g: Paste(g, text))
    assert paste.new_ids == ["n6", "n7"]
    assert graph.node("n6").params == graph.node("n2").params
    assert graph.node("n6").pos == (PASTE_OFFSET, 90.0 + PASTE_OFFSET)
    assert Edge("n6", "n7", 0) in graph.edges
    assert [e for e in graph.edges if {e.src, e.dst} & {"n6", "n7"}] == [Edge("n6", "n7", 0)]


def test_paste_refuses_what_is_not_visnet_layers():
    document = template("spiral_mlp")
    with pytest.raises(ValueError, match="no VisNet layers"):
        Paste(document.graph, '{"format": "something else"}')


def test_set_training_with_a_dataset_change():
    document = template("spiral_mlp")
    graph = document.graph
    settings = graph.training.updated(batch_size=128, epochs=3)
    step_by_step(document, lambda g: SetTraining(g, settings, "digits"),
                 lambda g: SetTraining(g, dataset=None),
                 lambda g: SetTraining(g, g.training.updated(seed=7)))
    assert graph.training.batch_size == 128 and graph.training.seed == 7
    assert graph.dataset is None


def test_a_long_edit_session_undoes_to_the_file_as_it_was():
    document = template("residual_block")
    original = state(document.graph)
    step_by_step(
        document,
        lambda g: RemoveItems(g, ["n4", "n7"]),
        lambda g: AddNode(g, "BatchNorm", (120.0, 270.0)),
        lambda g: Connect(g, "n3", "n13"),
        lambda g: Connect(g, "n13", "n5"),
        lambda g: Paste(g, copy_nodes(g, ["n13", "n5"])),
        lambda g: MoveNodes(g, {"n13": ((120.0, 270.0), (140.0, 280.0))}),
        lambda g: SetParams(g, "n11", {"units": 12}),
        lambda g: SetTraining(g, g.training.updated(epochs=2), "spiral"),
    )
    document.undo_stack.setIndex(0)
    assert state(document.graph) == original


def test_the_modified_flag_follows_the_undo_stack(qtbot, tmp_path):
    document = template("spiral_mlp")
    assert not document.modified
    with qtbot.waitSignal(document.modified_changed) as blocker:
        document.push(SetParams(document.graph, "n2", {"units": 8}))
    assert blocker.args == [True] and document.modified
    with qtbot.waitSignal(document.modified_changed) as blocker:
        document.undo_stack.undo()
    assert blocker.args == [False] and not document.modified

    document.push(SetParams(document.graph, "n2", {"units": 8}))
    document.save(tmp_path / "edited.visnet")
    assert not document.modified and document.title == "edited.visnet"
    document.undo_stack.undo()
    assert document.modified  # back before the save: no longer what the file holds


@pytest.mark.parametrize("suffix", [".visnet", ".json"])
def test_save_and_open_give_back_an_equal_drawing(tmp_path, suffix):
    document = template("residual_block")
    document.push(SetParams(document.graph, "n2", {"filters": 4}))
    document.push(MoveNodes(document.graph, {"n5": ((120.0, 360.0), (150.0, 365.0))}))
    document.push(SetTraining(document.graph, document.graph.training.updated(epochs=3),
                              "spiral"))
    path = document.save(tmp_path / f"drawing{suffix}")

    reopened = DocumentModel()
    reopened.open(path)
    assert reopened.graph == document.graph
    assert reopened.graph is not document.graph
    assert reopened.path == path and not reopened.modified
    assert reopened.undo_stack.count() == 0
    assert state(reopened.graph) == state(document.graph)


def test_a_new_document_starts_empty_and_clean():
    document = DocumentModel(Document(Graph()))
    assert document.graph.nodes == {} and not document.modified
    assert document.title == "Untitled"
