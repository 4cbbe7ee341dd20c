from PySide6.QtCore import Qt

import visnet
from visnet.core.fileformat import Document
from visnet.core.graph import Graph
from visnet.core.summary import human_bytes, summarize
from visnet.resources import template_path
from visnet.ui import theme
from visnet.ui.commands import SetParams, SetTraining
from visnet.ui.document import DocumentModel
from visnet.ui.panels import NO_PROBLEMS, SUMMARY_COLUMNS, ProblemsDock, SummaryDock


def template_document(name):
    return DocumentModel(visnet.load(template_path(name)))


def broken_document():
    """An image straight into a Dense: Dense n2 has a shape error."""
    g = Graph()
    x = g.add("Input", shape=[1, 8, 8])
    h = g.add("Dense", units=10)
    loss = g.add("Loss")
    g.connect(x, h)
    g.connect(h, loss)
    return DocumentModel(Document(g)), h


def test_the_summary_table_has_a_row_per_layer_and_the_totals(qtbot):
    document = template_document("mnist_mlp")
    dock = SummaryDock(document)
    qtbot.addWidget(dock)
    table = dock.table
    assert dock.windowTitle() == "Summary"
    assert [table.horizontalHeaderItem(i).text() for i in range(table.columnCount())] == \
        list(SUMMARY_COLUMNS)
    assert table.rowCount() == len(document.graph.nodes)
    assert [table.item(2, c).text() for c in range(5)] == \
        ["n3", "Dense", "(128,)", "100,480", "n2"]
    assert "Total params: 101,770" in dock.totals_text()
    assert "Trainable: 101,770" in dock.totals_text()
    memory = summarize(document.graph).memory_bytes(64)
    assert "at batch 64" in dock.totals_text()
    assert human_bytes(sum(memory.values())) in dock.totals_text()


def test_the_summary_follows_edits_and_training_settings(qtbot):
    document = template_document("mnist_mlp")
    dock = SummaryDock(document)
    qtbot.addWidget(dock)
    document.push(SetParams(document.graph, "n3", {"units": 64}))
    assert dock.table.item(2, 3).text() == f"{784 * 64 + 64:,}"
    assert f"Total params: {784 * 64 + 64 + 64 * 10 + 10:,}" in dock.totals_text()
    settings = document.graph.training.updated(batch_size=128)
    document.push(SetTraining(document.graph, settings))
    assert "at batch 128" in dock.totals_text()
    document.undo_stack.undo()
    document.undo_stack.undo()
    assert "Total params: 101,770" in dock.totals_text()


def test_clicking_a_summary_row_names_its_node(qtbot):
    document = template_document("spiral_mlp")
    dock = SummaryDock(document)
    qtbot.addWidget(dock)
    with qtbot.waitSignal(dock.node_activated) as blocker:
        dock.table.cellClicked.emit(3, 1)
    assert blocker.args == ["n4"]


def test_a_layer_whose_input_shape_is_unknown_has_no_size_yet(qtbot):
    document, dense = broken_document()
    dock = SummaryDock(document)
    qtbot.addWidget(dock)
    assert [dock.table.item(1, c).text() for c in range(4)] == ["n2", "Dense", "?", "?"]
    assert dock.table.item(1, 0).foreground().color().name() == theme.current().error
    assert dock.table.item(2, 3).text() == "0"  # the Loss has no weights at all


def test_the_problems_of_a_broken_drawing_are_listed_in_red_and_lead_to_the_node(qtbot):
    document, dense = broken_document()
    dock = ProblemsDock(document)
    qtbot.addWidget(dock)
    dock.show()
    qtbot.waitExposed(dock)
    assert dock.windowTitle() == "Problems (1)"  # the tab shows how many
    rows = dock.row_texts()
    assert len(rows) == 1
    assert rows[0].startswith("Error: Dense n2 needs a flat input")
    item = dock.list.item(0)
    assert item.foreground().color().name() == theme.current().error

    rect = dock.list.visualItemRect(item)
    with qtbot.waitSignal(dock.node_activated) as blocker:
        qtbot.mouseClick(dock.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args == [dense]


def test_problems_without_a_node_and_warnings(qtbot):
    g = Graph()
    g.add("Dense")
    document = DocumentModel(Document(g))
    dock = ProblemsDock(document)
    qtbot.addWidget(dock)
    rows = dock.row_texts()
    assert "Error: The network has no Input: add one where samples enter" in rows
    assert any(r.startswith("Warning: Dense n1's output is not used") for r in rows)
    whole_network = dock.list.item(rows.index(
        "Error: The network has no Input: add one where samples enter"))
    with qtbot.assertNotEmitted(dock.node_activated):
        dock.list.itemClicked.emit(whole_network)
    warning = dock.list.item(next(i for i, r in enumerate(rows) if r.startswith("Warning")))
    assert warning.foreground().color().name() == theme.current().warning


def test_a_fixed_drawing_has_no_problems(qtbot):
    document, dense = broken_document()
    dock = ProblemsDock(document)
    qtbot.addWidget(dock)
    document.push(SetParams(document.graph, "n1", {"shape": [64]}))
    assert dock.row_texts() == [NO_PROBLEMS]
    with qtbot.assertNotEmitted(dock.node_activated):
        dock.list.itemClicked.emit(dock.list.item(0))
    document.undo_stack.undo()
    assert len(dock.row_texts()) == 1
