"""The canvas follows the document and turns mouse gestures into commands.

Each test builds a DocumentModel from a template, shows it in a CanvasView, acts through the
viewport the way a user would (or through the scene's methods the menus call) and asserts on
the Graph, the undo stack and the items' state, never on pixels.
"""

import ast
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication

import visnet
from visnet.core.graph import Edge
from visnet.core.layers import fmt_shape
from visnet.resources import template_path, templates
from visnet.ui.canvas import LAYER_MIME, CanvasScene, CanvasView
from visnet.ui.canvas.items import ACCEPT, REFUSE
from visnet.ui.commands import AddNode, Connect, MoveNodes, RemoveItems
from visnet.ui.document import DocumentModel

LEFT = Qt.MouseButton.LeftButton


@pytest.fixture
def open_canvas(qtbot):
    def open_(template: str):
        doc = DocumentModel(visnet.load(template_path(template)))
        scene = CanvasScene(doc)
        view = CanvasView(scene)
        qtbot.addWidget(view)
        view.resize(900, 700)
        view.show()
        qtbot.waitExposed(view)
        view.fit_all()
        messages: list[str] = []
        view.status_message.connect(messages.append)
        return doc, scene, view, messages
    return open_


def send_move(view: CanvasView, pos: QPoint, buttons=LEFT) -> None:
    viewport = view.viewport()
    event = QMouseEvent(QEvent.Type.MouseMove, QPointF(pos), QPointF(viewport.mapToGlobal(pos)),
                        Qt.MouseButton.NoButton, buttons, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(viewport, event)


def drag(qtbot, view: CanvasView, start: QPointF, end: QPointF, before_release=None,
         button=LEFT, steps: int = 6) -> None:
    """Press at scene point ``start``, move with the button held to ``end``, release."""
    viewport = view.viewport()
    a, b = view.mapFromScene(start), view.mapFromScene(end)
    qtbot.mousePress(viewport, button, pos=a)
    for i in range(1, steps + 1):
        send_move(view, a + (b - a) * (i / steps), button)
    if before_release is not None:
        before_release()
    qtbot.mouseRelease(viewport, button, pos=b)


def output_port(scene: CanvasScene, node_id: str):
    return scene.node_items[node_id].output_port


def input_port(scene: CanvasScene, node_id: str, port: int = 0):
    return scene.node_items[node_id].input_ports[port]


def add_free_dense(doc: DocumentModel, pos=(320.0, 180.0)) -> str:
    command = AddNode(doc.graph, "Dense", pos)
    doc.push(command)
    return command.node_id


# -- drawing the document ---------------------------------------------------------------------


def test_every_template_gets_one_card_per_layer_and_one_curve_per_connection(open_canvas):
    for template in templates():
        doc, scene, view, _ = open_canvas(template.name)
        graph, report = doc.graph, doc.report
        assert set(scene.node_items) == set(graph.nodes), template.name
        assert set(scene.edge_items) == set(graph.edges), template.name
        for node_id, item in scene.node_items.items():
            shape = report.shapes[node_id]
            assert item.shape_text == ("scalar" if shape == () else fmt_shape(shape))
            assert tuple(item.pos().toTuple()) == graph.nodes[node_id].pos
            assert not item.has_error, item.problem_text
        for edge, item in scene.edge_items.items():
            assert item.toolTip() == f"{edge.src} → {edge.dst} (input {edge.port})"
            assert not item.has_error
            # the curve runs from the output port of src to the input port of dst
            assert item.path().pointAtPercent(0) == output_port(scene, edge.src).scenePos()
            assert item.path().pointAtPercent(1) == input_port(scene, edge.dst,
                                                               edge.port).scenePos()


def test_cards_show_key_params_shapes_and_parameter_counts(open_canvas):
    doc, scene, _, _ = open_canvas("digits_cnn")
    conv = scene.node_items["n2"]
    assert conv.title == "Conv2D  n2"
    assert conv.param_lines[0].startswith(f"{doc.graph.nodes['n2'].resolved_params()['filters']}"
                                          " filters 3x3")
    assert conv.params_text.endswith("params") and conv.params_text[0].isdigit()
    assert scene.node_items["n1"].output_port is not None
    assert not scene.node_items["n1"].input_ports  # an Input takes nothing
    assert scene.node_items["n9"].output_port is None  # a Loss gives nothing
    dense = scene.node_items["n8"]
    assert dense.param_lines[0].startswith("units ")


def test_variadic_merge_layers_show_their_connected_ports_and_one_free_port(open_canvas):
    doc, scene, _, _ = open_canvas("residual_block")
    add = scene.node_items["n8"]
    assert sorted(add.input_ports) == [0, 1, 2]
    doc.push(Connect(doc.graph, "n5", "n8"))
    assert sorted(add.input_ports) == [0, 1, 2, 3]
    assert scene.edge_items[Edge("n5", "n8", 2)].path().pointAtPercent(1) == \
        add.input_ports[2].scenePos()
    doc.undo_stack.undo()
    assert sorted(add.input_ports) == [0, 1, 2]


# -- adding layers ----------------------------------------------------------------------------


def drop_layer(view: CanvasView, where: QPoint, type_name: bytes) -> list[bool]:
    """Drag palette mime data into the viewport and drop it (Qt delivers a drop only to the
    widget that accepted the drag's enter). Returns whether each event was accepted."""
    viewport = view.viewport()
    mime = QMimeData()
    mime.setData(LAYER_MIME, type_name)
    copy, none = Qt.DropAction.CopyAction, Qt.KeyboardModifier.NoModifier
    events = [QDragEnterEvent(where, copy, mime, LEFT, none),
              QDragMoveEvent(where, copy, mime, LEFT, none),
              QDropEvent(QPointF(where), copy, mime, LEFT, none)]
    accepted = []
    for event in events:
        QApplication.sendEvent(viewport, event)
        accepted.append(event.isAccepted())
    return accepted


def test_dropping_a_palette_layer_adds_it_where_it_lands(open_canvas):
    doc, scene, view, _ = open_canvas("spiral_mlp")
    where = QPoint(700, 200)
    before = set(doc.graph.nodes)
    assert drop_layer(view, where, b"Dropout") == [True, True, True]

    (new_id,) = set(doc.graph.nodes) - before
    node = doc.graph.nodes[new_id]
    assert node.type == "Dropout"
    target = view.mapToScene(where)
    assert abs(node.pos[0] - target.x()) <= 10 and abs(node.pos[1] - target.y()) <= 10
    assert node.pos[0] % 20 == 0 and node.pos[1] % 20 == 0
    assert new_id in scene.node_items and scene.selected_node_ids() == [new_id]
    assert doc.undo_stack.count() == 1


def test_an_unknown_layer_dropped_is_refused_with_a_message(open_canvas):
    doc, _, view, messages = open_canvas("spiral_mlp")
    assert drop_layer(view, QPoint(400, 300), b"Denze")[-1] is False
    assert len(doc.graph.nodes) == 5
    assert any("did you mean 'Dense'" in m for m in messages)


def test_add_layer_at_center_never_stacks_cards(open_canvas):
    doc, _, view, _ = open_canvas("spiral_mlp")
    first = view.add_layer_at_center("Dense")
    second = view.add_layer_at_center("Dense")
    assert doc.graph.nodes[first].pos != doc.graph.nodes[second].pos


# -- connecting -------------------------------------------------------------------------------


def test_dragging_from_an_output_port_to_an_input_port_connects_them(qtbot, open_canvas):
    doc, scene, view, _ = open_canvas("spiral_mlp")
    dense = add_free_dense(doc)
    view.fit_all()
    target = input_port(scene, dense)
    states = []
    drag(qtbot, view, output_port(scene, "n2").scenePos(), target.scenePos(),
         before_release=lambda: states.append(target.state))

    assert states == [ACCEPT]
    assert Edge("n2", dense, 0) in doc.graph.edges
    assert Edge("n2", dense, 0) in scene.edge_items
    assert doc.undo_stack.count() == 2  # the AddNode and the Connect
    assert target.state != ACCEPT  # highlights end with the gesture


def test_dropping_a_connection_on_a_card_takes_its_next_free_input(qtbot, open_canvas):
    doc, scene, view, _ = open_canvas("residual_block")
    card = scene.node_items["n8"]  # Add: inputs 0 and 1 are taken
    drag(qtbot, view, output_port(scene, "n5").scenePos(), card.scenePos())
    assert Edge("n5", "n8", 2) in doc.graph.edges


def test_dragging_backwards_from_a_free_input_port_connects_too(qtbot, open_canvas):
    doc, scene, view, _ = open_canvas("spiral_mlp")
    dense = add_free_dense(doc)
    view.fit_all()
    drag(qtbot, view, input_port(scene, dense).scenePos(), output_port(scene, "n3").scenePos())
    assert Edge("n3", dense, 0) in doc.graph.edges


def test_dragging_a_connected_input_moves_that_connection_in_one_undo_step(qtbot, open_canvas):
    doc, scene, view, _ = open_canvas("spiral_mlp")
    dense = add_free_dense(doc)
    view.fit_all()
    count = doc.undo_stack.count()
    drag(qtbot, view, input_port(scene, "n3").scenePos(), input_port(scene, dense).scenePos())
    assert Edge("n2", dense, 0) in doc.graph.edges
    assert Edge("n2", "n3", 0) not in doc.graph.edges
    assert set(scene.edge_items) == set(doc.graph.edges)
    assert all(item.isVisible() for item in scene.edge_items.values())
    assert doc.undo_stack.count() == count + 1
    doc.undo_stack.undo()
    assert Edge("n2", "n3", 0) in doc.graph.edges and Edge("n2", dense, 0) not in doc.graph.edges
    assert set(scene.edge_items) == set(doc.graph.edges)


def test_a_connection_that_would_make_a_cycle_is_refused_with_the_reason(qtbot, open_canvas):
    doc, scene, view, messages = open_canvas("spiral_mlp")
    edges = list(doc.graph.edges)
    target = input_port(scene, "n2")
    states, callouts = [], []

    def before_release():
        states.append(target.state)
        callouts.append((scene.interaction.callout, scene.interaction.callout.isVisible()))

    drag(qtbot, view, output_port(scene, "n4").scenePos(), target.scenePos(),
         before_release=before_release)

    assert states == [REFUSE]
    # the reason is written beside the port, not only in the status bar
    ((callout, shown),) = callouts
    assert shown and "cycle" in callout.text.toPlainText()
    assert callout.scene() is None  # gone with the gesture
    assert callout.pos().x() > target.scenePos().x()
    assert doc.graph.edges == edges
    assert doc.undo_stack.count() == 0
    assert any("cycle" in m for m in messages)
    assert set(scene.edge_items) == set(edges)
    assert all(item.isVisible() for item in scene.edge_items.values())


def test_a_connection_with_an_impossible_shape_is_refused_with_the_reason(qtbot, open_canvas):
    doc, scene, view, messages = open_canvas("digits_cnn")
    dense = add_free_dense(doc)
    view.fit_all()
    drag(qtbot, view, output_port(scene, "n1").scenePos(), input_port(scene, dense).scenePos())

    assert not doc.graph.inputs_of(dense)
    assert any("needs a flat input" in m and "(1, 8, 8)" in m for m in messages)


def test_releasing_a_connection_on_empty_canvas_cancels_it(qtbot, open_canvas):
    doc, scene, view, messages = open_canvas("spiral_mlp")
    start = output_port(scene, "n2").scenePos()
    drag(qtbot, view, start, start + QPointF(400, 30))
    assert len(doc.graph.edges) == 4 and doc.undo_stack.count() == 0
    assert messages and scene.interaction is None
    assert len(scene.items()) == len(view.items())  # the dashed line is gone with the gesture
    assert not [i for i in scene.items() if i.zValue() > 5]


# -- deleting, moving, layout -----------------------------------------------------------------


def test_deleting_a_node_removes_its_edges_and_undo_brings_them_back(qtbot, open_canvas):
    doc, scene, view, _ = open_canvas("residual_block")
    touching = {e for e in doc.graph.edges if "n2" in (e.src, e.dst)}
    assert len(touching) == 3
    scene.select_nodes(["n2"])
    selections = []
    scene.selection_changed_nodes.connect(selections.append)
    view.setFocus()
    qtbot.keyClick(view.viewport(), Qt.Key.Key_Delete)

    assert "n2" not in doc.graph.nodes and "n2" not in scene.node_items
    assert selections[-1] == []
    assert not touching & set(scene.edge_items)
    assert set(scene.edge_items) == set(doc.graph.edges)
    assert doc.undo_stack.count() == 1

    doc.undo_stack.undo()
    assert "n2" in scene.node_items and touching <= set(scene.edge_items)
    assert set(scene.edge_items) == set(doc.graph.edges)
    assert tuple(scene.node_items["n2"].pos().toTuple()) == doc.graph.nodes["n2"].pos
    for edge in touching:
        assert scene.edge_items[edge].path().pointAtPercent(1) == \
            input_port(scene, edge.dst, edge.port).scenePos()


def test_deleting_a_selected_connection_keeps_its_layers(open_canvas):
    doc, scene, view, _ = open_canvas("spiral_mlp")
    scene.edge_items[Edge("n2", "n3", 0)].setSelected(True)
    assert view.delete_selection()
    assert Edge("n2", "n3", 0) not in doc.graph.edges and len(doc.graph.nodes) == 5


def test_dragging_nodes_is_one_undo_step_snapped_to_the_grid(qtbot, open_canvas):
    doc, scene, view, _ = open_canvas("spiral_mlp")
    old = {n: node.pos for n, node in doc.graph.nodes.items()}
    card = scene.node_items["n3"]
    delta = QPointF(63, 47)
    drag(qtbot, view, card.scenePos(), card.scenePos() + delta)

    assert doc.undo_stack.count() == 1
    x, y = doc.graph.nodes["n3"].pos
    assert x % 20 == 0 and y % 20 == 0
    assert abs(x - (old["n3"][0] + 63)) <= 12 and abs(y - (old["n3"][1] + 47)) <= 12
    assert tuple(card.pos().toTuple()) == (x, y)
    assert all(doc.graph.nodes[n].pos == old[n] for n in old if n != "n3")
    assert scene.edge_items[Edge("n3", "n4", 0)].path().pointAtPercent(0) == \
        output_port(scene, "n3").scenePos()

    scene.select_nodes(["n2", "n3"])
    before = {n: doc.graph.nodes[n].pos for n in ("n2", "n3")}
    drag(qtbot, view, card.scenePos(), card.scenePos() + QPointF(-100, 0))
    assert doc.undo_stack.count() == 2
    for n in ("n2", "n3"):
        assert doc.graph.nodes[n].pos == (before[n][0] - 100, before[n][1])

    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert {n: node.pos for n, node in doc.graph.nodes.items()} == old
    assert all(tuple(scene.node_items[n].pos().toTuple()) == old[n] for n in old)


def test_escape_during_a_drag_puts_the_cards_back_and_edits_nothing(qtbot, open_canvas):
    doc, scene, view, _ = open_canvas("spiral_mlp")
    dense = add_free_dense(doc)
    view.fit_all()
    count = doc.undo_stack.count()
    card = scene.node_items["n3"]
    old = doc.graph.nodes["n3"].pos
    view.setFocus()

    def press_escape():
        qtbot.keyClick(view.viewport(), Qt.Key.Key_Escape)

    drag(qtbot, view, card.scenePos(), card.scenePos() + QPointF(80, 40),
         before_release=press_escape)
    assert doc.graph.nodes["n3"].pos == old and tuple(card.pos().toTuple()) == old

    drag(qtbot, view, output_port(scene, "n1").scenePos(), input_port(scene, dense).scenePos(),
         before_release=press_escape)
    assert not doc.graph.inputs_of(dense)
    assert doc.undo_stack.count() == count and scene.interaction is None


def test_a_click_on_a_card_selects_it_without_an_edit(qtbot, open_canvas):
    doc, scene, view, _ = open_canvas("spiral_mlp")
    selections = []
    scene.selection_changed_nodes.connect(selections.append)
    card = scene.node_items["n4"]
    qtbot.mouseClick(view.viewport(), LEFT, pos=view.mapFromScene(card.scenePos()))
    assert scene.selected_node_ids() == ["n4"] and selections[-1] == ["n4"]
    assert doc.undo_stack.count() == 0


def test_auto_layout_puts_every_layer_below_its_inputs_in_one_step(open_canvas):
    doc, scene, _, _ = open_canvas("residual_block")
    doc.push(MoveNodes(doc.graph, {"n12": ((0.0, 990.0), (300.0, -400.0)),
                                   "n3": ((120.0, 180.0), (-200.0, 700.0))}))
    count = doc.undo_stack.count()
    before = {n: node.pos for n, node in doc.graph.nodes.items()}
    assert scene.auto_layout()

    assert doc.undo_stack.count() == count + 1
    pos = {n: node.pos for n, node in doc.graph.nodes.items()}
    for edge in doc.graph.edges:
        assert pos[edge.dst][1] > pos[edge.src][1], edge
    assert len(set(pos.values())) == len(pos)  # no two cards on one spot
    assert all(tuple(scene.node_items[n].pos().toTuple()) == p for n, p in pos.items())
    doc.undo_stack.undo()
    assert {n: node.pos for n, node in doc.graph.nodes.items()} == before


def test_opening_another_drawing_redraws_the_canvas(open_canvas):
    doc, scene, view, _ = open_canvas("spiral_mlp")
    scene.select_nodes(["n2"])
    doc.set_document(visnet.load(template_path("char_rnn")), None)
    assert set(scene.node_items) == set(doc.graph.nodes)
    assert set(scene.edge_items) == set(doc.graph.edges)
    assert scene.node_items["n2"].type_name == "SimpleRNN"
    for node_id, item in scene.node_items.items():
        assert item.shape_text == fmt_shape(doc.report.shapes[node_id]) or node_id == "n4"
    assert scene.selected_node_ids() == []
    new_id = scene.add_layer("Dense", QPointF(400, 0))  # edits reach the new Graph
    assert new_id in doc.graph.nodes


# -- copy, paste, duplicate -------------------------------------------------------------------


def test_copy_and_paste_make_offset_copies_with_their_inner_connections(open_canvas):
    doc, scene, _, _ = open_canvas("residual_block")
    chain = ["n3", "n4", "n5", "n6", "n7"]
    scene.select_nodes(chain)
    text = scene.copy_selection()
    new_ids = scene.paste(text)

    graph = doc.graph
    assert len(new_ids) == 5 and not set(new_ids) & set(chain)
    assert [graph.nodes[n].type for n in new_ids] == [graph.nodes[n].type for n in chain]
    for old, new in zip(chain, new_ids):
        (ox, oy), (nx, ny) = graph.nodes[old].pos, graph.nodes[new].pos
        assert nx > ox and ny > oy
        assert graph.nodes[new].params == graph.nodes[old].params
    inner = {(e.src, e.dst) for e in graph.edges if e.src in new_ids and e.dst in new_ids}
    assert inner == {(new_ids[i], new_ids[i + 1]) for i in range(4)}
    assert not [e for e in graph.edges if (e.src in new_ids) != (e.dst in new_ids)]
    assert scene.selected_node_ids() == new_ids
    assert set(scene.edge_items) == set(graph.edges)
    assert doc.undo_stack.count() == 1

    again = scene.paste(text)  # a second paste lands further away, not on the first
    assert graph.nodes[again[0]].pos != graph.nodes[new_ids[0]].pos


def test_duplicate_copies_the_selection_and_its_connections(open_canvas):
    doc, scene, _, _ = open_canvas("spiral_mlp")
    scene.select_nodes(["n2", "n3"])
    new_ids = scene.duplicate_selection()
    assert [doc.graph.nodes[n].type for n in new_ids] == ["Dense", "Dense"]
    assert Edge(new_ids[0], new_ids[1], 0) in doc.graph.edges
    assert scene.selected_node_ids() == new_ids
    assert doc.undo_stack.count() == 1


def test_pasting_text_that_is_not_layers_changes_nothing(open_canvas):
    doc, scene, _, messages = open_canvas("spiral_mlp")
    assert scene.paste("hello") == []
    assert scene.paste('{"format": "visnet-nodes", "nodes": [{"id": "a", "type": "Nope", '
                       '"params": {}, "pos": [0, 0]}], "edges": []}') == []
    assert len(doc.graph.nodes) == 5 and doc.undo_stack.count() == 0
    assert len(messages) == 2


# -- problems ---------------------------------------------------------------------------------


def test_a_shape_error_marks_its_card_with_the_message(open_canvas):
    doc, scene, _, _ = open_canvas("digits_cnn")
    dense = add_free_dense(doc)
    doc.push(Connect(doc.graph, "n1", dense))  # the canvas refuses this drag; a command can
    item = scene.node_items[dense]
    assert item.has_error
    assert "needs a flat input" in item.problem_text and "(1, 8, 8)" in item.problem_text
    assert item.problem_text.splitlines()[0] in item.toolTip()
    assert item.shape_text == "?"
    assert not scene.edge_items[Edge("n1", dense, 0)].has_error  # the edge stays neutral
    assert not scene.node_items["n2"].has_error
    doc.undo_stack.undo()
    assert "flat input" not in item.problem_text


def test_a_layer_whose_output_goes_nowhere_shows_a_warning(open_canvas):
    doc, scene, _, _ = open_canvas("spiral_mlp")
    doc.push(RemoveItems(doc.graph, [], [Edge("n4", "n5", 0)]))
    assert scene.node_items["n4"].has_warning and not scene.node_items["n4"].has_error
    assert scene.node_items["n5"].has_error


# -- zoom, pan, selection ---------------------------------------------------------------------


def wheel(view: CanvasView, pos: QPoint, notches: int) -> None:
    event = QWheelEvent(QPointF(pos), QPointF(view.viewport().mapToGlobal(pos)), QPoint(0, 0),
                        QPoint(0, 120 * notches), Qt.MouseButton.NoButton,
                        Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(view.viewport(), event)


def test_the_wheel_zooms_around_the_mouse_within_limits(open_canvas):
    _, scene, view, _ = open_canvas("digits_cnn")
    mouse = QPoint(300, 250)
    under = view.mapToScene(mouse)
    zoom = view.zoom
    wheel(view, mouse, 1)
    assert view.zoom == pytest.approx(zoom * 1.15)
    after = view.mapToScene(mouse)
    assert abs(after.x() - under.x()) < 2 and abs(after.y() - under.y()) < 2
    wheel(view, mouse, -2)
    assert view.zoom == pytest.approx(zoom / 1.15)
    for _ in range(30):
        wheel(view, mouse, 1)
    assert view.zoom == pytest.approx(4.0)
    for _ in range(40):
        wheel(view, mouse, -1)
    assert view.zoom == pytest.approx(0.2)


def test_fit_all_shows_every_card(open_canvas):
    _, scene, view, _ = open_canvas("residual_block")
    view.zoom_by(4.0)
    view.fit_all()
    visible = view.visible_scene_rect()
    for item in scene.node_items.values():
        assert visible.contains(item.sceneBoundingRect())


def test_middle_button_and_space_drag_pan_the_view(qtbot, open_canvas):
    doc, scene, view, _ = open_canvas("digits_cnn")
    centre = view.visible_scene_rect().center()
    viewport = view.viewport()
    a, b = QPoint(450, 350), QPoint(350, 300)
    drag(qtbot, view, view.mapToScene(a), view.mapToScene(b),
         button=Qt.MouseButton.MiddleButton)
    moved = view.visible_scene_rect().center()
    assert moved.x() > centre.x() + 50 and moved.y() > centre.y() + 25

    view.setFocus()
    qtbot.keyPress(view, Qt.Key.Key_Space)
    card = scene.node_items["n2"]  # a left drag that starts on a card pans instead of moving it
    drag(qtbot, view, card.scenePos(), card.scenePos() + QPointF(0, -100))
    qtbot.keyRelease(view, Qt.Key.Key_Space)
    assert view.visible_scene_rect().center().y() > moved.y() + 50
    assert doc.undo_stack.count() == 0 and scene.selected_node_ids() == []
    assert viewport.isVisible()


def test_a_rubber_band_on_empty_canvas_selects_the_cards_it_touches(qtbot, open_canvas):
    _, scene, view, _ = open_canvas("spiral_mlp")
    selections = []
    scene.selection_changed_nodes.connect(selections.append)
    first, second = scene.node_items["n1"], scene.node_items["n2"]
    start = first.sceneBoundingRect().topLeft() + QPointF(-30, -30)
    end = second.scenePos()
    drag(qtbot, view, start, end)
    assert scene.selected_node_ids() == ["n1", "n2"]
    assert selections[-1] == ["n1", "n2"]


def test_the_canvas_imports_nothing_from_the_training_views():
    # The canvas draws what core decides (shapes, layer health); the training views sit on
    # top of it, never under it.
    canvas = Path(visnet.__file__).parent / "ui" / "canvas"
    for path in canvas.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                package = ["visnet", "ui", "canvas"][:4 - node.level] if node.level else []
                module = ".".join(package + (node.module.split(".") if node.module else []))
                names = [module] + [f"{module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            assert not any(n.startswith("visnet.ui.training") for n in names), \
                f"{path.name} imports {names[0]}"
