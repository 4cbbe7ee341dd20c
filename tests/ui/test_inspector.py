import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QMessageBox, QSpinBox

import visnet
from visnet.core.fileformat import Document
from visnet.core.graph import Graph
from visnet.core.layers import CATALOGUE
from visnet.core.shapes import weight_shapes
from visnet.resources import template_path
from visnet.ui import theme
from visnet.ui.commands import RemoveItems, SetParams
from visnet.ui.document import DocumentModel
from visnet.ui.inspector import NO_NODE_HINT, InspectorDock
from visnet.ui.main_window import MainWindow

WIDGETS = {"int": QSpinBox, "axis": QSpinBox, "float": QLineEdit, "shape": QLineEdit,
           "size2": QLineEdit, "bool": QCheckBox, "choice": QComboBox}


def open_template(qtbot, name):
    document = DocumentModel(visnet.load(template_path(name)))
    inspector = InspectorDock(document)
    qtbot.addWidget(inspector)
    return document, inspector


def test_changing_units_updates_the_graph_and_every_shape_downstream_in_one_undo_step(qtbot):
    document, inspector = open_template(qtbot, "spiral_mlp")
    inspector.show_node("n2")
    assert inspector.header.text() == "Dense n2"
    assert inspector.widget_for("units").value() == 32

    inspector.set_value("units", 48)

    assert document.graph.node("n2").params["units"] == 48
    assert document.report.shapes["n2"] == (48,)
    weights = weight_shapes(document.graph, document.report)
    assert weights["n2/kernel"] == (2, 48)
    assert weights["n3/kernel"] == (48, 32)
    assert document.undo_stack.count() == 1
    assert inspector.error_text() == ""
    assert inspector.shape_label.text() == "Output shape: (48,)"
    assert inspector.params_label.text() == f"Parameters: {2 * 48 + 48:,}"

    document.undo_stack.undo()
    assert document.graph.node("n2").params["units"] == 32
    assert document.report.shapes["n2"] == (32,)
    assert inspector.widget_for("units").value() == 32  # the form follows undo


def test_one_edit_in_the_window_checks_the_drawing_once(qtbot, monkeypatch, tmp_path):
    from visnet.core import shapes

    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))
    window = MainWindow(DocumentModel(visnet.load(template_path("spiral_mlp"))), remember=False)
    window.ask = lambda *args: QMessageBox.StandardButton.Discard  # closing after the edit
    qtbot.addWidget(window)
    window.show()
    window.scene.select_nodes(["n2"])
    checked = []

    def counted(graph):
        checked.append(graph)
        return check_afresh(graph)

    check_afresh = shapes.check_afresh
    monkeypatch.setattr(shapes, "check_afresh", counted)
    window.inspector_dock.set_value("units", 48)
    qtbot.wait(50)  # let every view catch up
    rows = {row.node_id: row for row in window.summary_dock.summary.rows}
    assert rows["n2"].output_shape == (48,) and window.inspector_dock.node_id == "n2"
    assert len(checked) == 1  # the canvas, the inspector and the summary share it


def test_typing_in_the_spin_box_and_pressing_enter_commits(qtbot):
    document, inspector = open_template(qtbot, "spiral_mlp")
    inspector.show()
    inspector.show_node("n3")
    spin = inspector.widget_for("units")
    spin.setFocus()
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin, "64")
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert document.graph.node("n3").params["units"] == 64
    assert document.undo_stack.count() == 1


def test_typing_a_value_out_of_the_spin_box_range_is_refused_with_a_reason(qtbot):
    document, inspector = open_template(qtbot, "spiral_mlp")
    inspector.show()
    inspector.show_node("n3")
    spin = inspector.widget_for("units")
    spin.setFocus()
    spin.lineEdit().selectAll()
    qtbot.keyClicks(spin, "0")
    qtbot.keyClick(spin, Qt.Key.Key_Return)
    assert document.graph.node("n3").params["units"] == 32
    assert "units" in inspector.error_text() and "not 0" in inspector.error_text()
    assert spin.value() == 32
    assert document.undo_stack.count() == 0


@pytest.mark.parametrize("template, node_id, param, value, expected", [
    ("spiral_mlp", "n2", "units", 0, "units must be an integer in [1, 65536], not 0"),
    ("spiral_mlp", "n2", "units", "many", "units must be an integer"),
    ("residual_block", "n2", "kernel_size", "-3", "kernel_size must be"),
    ("residual_block", "n2", "kernel_size", "3, 3, 3", "kernel_size must be"),
    ("residual_block", "n2", "kernel_size", "", "kernel_size must be"),
    ("residual_block", "n1", "shape", "1, x", "shape must be a list"),
    ("residual_block", "n1", "shape", "1, 0, 8", "shape must be a list"),
    ("residual_block", "n2", "activation", "swish", "activation must be one of"),
    ("mnist_mlp", "n3", "use_bias", "maybe", "use_bias must be true or false"),
])
def test_an_invalid_value_is_refused_and_changes_nothing(qtbot, template, node_id, param, value,
                                                         expected):
    document, inspector = open_template(qtbot, template)
    before = document.graph.to_dict()
    inspector.show_node(node_id)
    inspector.set_value(param, value)
    assert expected in inspector.error_text()
    assert node_id in inspector.error_text()
    assert document.graph.to_dict() == before
    assert document.undo_stack.count() == 0
    assert not inspector.error_label.isHidden()
    assert theme.current().error in inspector.error_label.styleSheet()
    # The editor shows the current value again.
    shown = inspector.widget_for(param)
    if isinstance(shown, QLineEdit):
        assert shown.text() == {"kernel_size": "3", "shape": "1, 8, 8"}[param]


def test_a_text_field_commits_once_on_enter_and_leaving_it(qtbot):
    g = Graph()
    node_id = g.add("Dropout")
    document = DocumentModel(Document(g))
    inspector = InspectorDock(document)
    qtbot.addWidget(inspector)
    inspector.show()
    inspector.show_node(node_id)
    line = inspector.widget_for("rate")
    line.setFocus()
    line.selectAll()
    qtbot.keyClicks(line, "0.2")
    qtbot.keyClick(line, Qt.Key.Key_Return)
    inspector.widget_for("rate").clearFocus()
    assert document.graph.node(node_id).params["rate"] == 0.2
    assert document.undo_stack.count() == 1


def test_a_good_value_after_a_refused_one_clears_the_reason(qtbot):
    document, inspector = open_template(qtbot, "residual_block")
    inspector.show_node("n2")
    inspector.set_value("kernel_size", "-3")
    assert inspector.error_text()
    inspector.set_value("kernel_size", "3, 5")
    assert inspector.error_text() == ""
    assert inspector.error_label.isHidden()
    assert document.graph.node("n2").params["kernel_size"] == [3, 5]


def test_every_kind_of_editor_commits_what_the_user_enters(qtbot):
    g = Graph()
    nodes = {t: g.add(t) for t in ("Input", "Dense", "Dropout", "MaxPool2D", "Concatenate")}
    document = DocumentModel(Document(g))
    inspector = InspectorDock(document)
    qtbot.addWidget(inspector)

    def enter(node_type, param, value):
        inspector.show_node(nodes[node_type])
        inspector.set_value(param, value)
        assert inspector.error_text() == ""
        return document.graph.node(nodes[node_type]).params[param]

    assert enter("Input", "shape", "1, 28, 28") == [1, 28, 28]
    assert enter("Input", "shape", "(3 32 32)") == [3, 32, 32]
    assert enter("Dense", "activation", "tanh") == "tanh"
    assert enter("Dense", "use_bias", False) is False
    assert enter("Dropout", "rate", "0.25") == 0.25
    assert enter("Dropout", "rate", "0,3") == 0.3  # a decimal comma
    assert enter("MaxPool2D", "strides", "3") == 3
    assert enter("MaxPool2D", "strides", "") is None  # nullable: empty means none
    assert enter("MaxPool2D", "pool_size", "2, 3") == [2, 3]
    assert enter("Concatenate", "axis", 1) == 1
    assert document.undo_stack.count() == 10

    inspector.show_node(nodes["Concatenate"])
    inspector.set_value("axis", 0)  # no axis 0 (that is the batch)
    assert "axis must be a non-zero integer" in inspector.error_text()
    assert inspector.widget_for("axis").value() == 1
    inspector.show_node(nodes["Dropout"])
    inspector.set_value("rate", "1")  # the range is [0, 1)
    assert "rate must be a number in [0, 1), not 1.0" in inspector.error_text()
    assert inspector.widget_for("rate").text() == "0.3"
    assert document.undo_stack.count() == 10


def test_entering_the_current_value_again_pushes_nothing(qtbot):
    document, inspector = open_template(qtbot, "spiral_mlp")
    inspector.show_node("n2")
    inspector.set_value("units", 32)
    inspector.set_value("activation", "relu")
    assert document.undo_stack.count() == 0


def test_the_axis_spin_box_steps_over_zero(qtbot):
    g = Graph()
    node_id = g.add("Concatenate", axis=-1)
    document = DocumentModel(Document(g))
    inspector = InspectorDock(document)
    qtbot.addWidget(inspector)
    inspector.show_node(node_id)
    spin = inspector.widget_for("axis")
    spin.stepUp()
    assert document.graph.node(node_id).params["axis"] == 1
    spin.stepDown()
    assert document.graph.node(node_id).params["axis"] == -1


def test_every_param_of_every_layer_type_gets_a_fitting_editor(qtbot):
    g = Graph()
    ids = {name: g.add(name) for name in CATALOGUE}
    document = DocumentModel(Document(g))
    inspector = InspectorDock(document)
    qtbot.addWidget(inspector)
    for name, layer in CATALOGUE.items():
        inspector.show_node(ids[name])
        assert inspector.header.text() == f"{name} {ids[name]}"
        assert inspector.description.text() == layer.summary
        for spec in layer.params:
            widget = inspector.widget_for(spec.name)
            # An int that may be null (a 1-D pool's strides) is typed, empty for none.
            expected = QLineEdit if spec.kind == "int" and spec.nullable else WIDGETS[spec.kind]
            assert isinstance(widget, expected), (name, spec.name)
            assert spec.help in widget.toolTip()
        assert inspector.error_text() == ""
    assert document.undo_stack.count() == 0


def test_the_details_show_the_output_shape_size_and_problems(qtbot):
    document, inspector = open_template(qtbot, "mnist_mlp")
    inspector.show_node("n3")
    assert inspector.shape_label.text() == "Output shape: (128,)"
    assert inspector.params_label.text() == "Parameters: 100,480"
    assert inspector.weights_label.text() == "Weights: kernel (784, 128), bias (128,)"
    assert inspector.problems_label.isHidden()

    document.push(RemoveItems(document.graph, ["n2"]))  # Dense n3 loses its input
    inspector.show_node("n3")
    assert inspector.shape_label.text().startswith("Output shape: unknown")
    assert "nothing connected" in inspector.problems_label.text()
    assert any("nothing connected" in m for m in inspector.problem_texts())


def test_the_form_follows_undo_and_a_deleted_node_leaves_the_hint(qtbot):
    document, inspector = open_template(qtbot, "spiral_mlp")
    inspector.show_node("n4")
    document.push(SetParams(document.graph, "n4", {"activation": "sigmoid"}))
    assert inspector.widget_for("activation").currentText() == "sigmoid"

    document.push(RemoveItems(document.graph, ["n4"]))
    assert inspector.node_id is None
    assert not inspector.hint.isHidden()
    assert inspector.hint.text() == NO_NODE_HINT
    with pytest.raises(KeyError):
        inspector.widget_for("units")


def test_with_no_node_it_shows_the_hint(qtbot):
    document, inspector = open_template(qtbot, "spiral_mlp")
    assert inspector.windowTitle() == "Inspector"
    assert inspector.node_id is None and not inspector.hint.isHidden()
    inspector.show_node("n2")
    assert inspector.hint.isHidden()
    inspector.show_node(None)
    assert not inspector.hint.isHidden()
    inspector.show_node("n99")  # not in the drawing
    assert inspector.node_id is None


def test_opening_another_drawing_clears_the_inspector(qtbot):
    document, inspector = open_template(qtbot, "spiral_mlp")
    inspector.show_node("n2")
    document.set_document(visnet.load(template_path("mnist_mlp")), None)
    assert inspector.node_id is None


def test_selecting_the_same_layer_again_keeps_the_reason_and_another_clears_it(qtbot):
    document, inspector = open_template(qtbot, "spiral_mlp")
    inspector.show_node("n2")
    inspector.set_value("units", 0)
    inspector.show_node("n2")
    assert "not 0" in inspector.error_text()
    inspector.show_node("n3")
    assert inspector.error_text() == "" and inspector.error_label.isHidden()
