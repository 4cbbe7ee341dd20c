"""The small things a newcomer hit: Reset weights shows that it did something, the LR box
refuses an out-of-range number in words instead of turning it into another, Ctrl+D puts the
copy beside the original, and a panel squeezed small exports a readable PNG."""

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QMessageBox

import visnet
from visnet.resources import template_path
from visnet.ui.document import DocumentModel
from visnet.ui.main_window import MainWindow
from visnet.ui.training.controller import IDLE
from visnet.ui.training.panels.base import EXPORT_SIZE


@pytest.fixture(autouse=True)
def settings_in_tmp(tmp_path):
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))


@pytest.fixture
def window(qtbot):
    from visnet.ui.commands import SetTraining

    doc = DocumentModel(visnet.load(template_path("spiral_mlp")))
    doc.push(SetTraining(doc.graph, doc.graph.training.updated(epochs=2)))
    window = MainWindow(doc, remember=False)
    window.ask = lambda *args: QMessageBox.StandardButton.Discard
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_reset_weights_clears_the_panels_and_says_so(qtbot, window):
    window.training_bar.train_button.click()
    qtbot.waitUntil(lambda: window.controller.state == IDLE, timeout=120_000)
    assert window.training_panels["curves"].has_data()
    window.training_bar.reset_button.click()
    assert window.document.weights is None
    assert not window.training_panels["curves"].has_data()
    assert not window.training_panels["gradients"].has_data()
    assert "Weights reset" in window.statusBar().currentMessage()


def test_the_lr_box_refuses_fifty_in_words(qtbot, window):
    box = window.training_bar.lr
    refused = []
    box.refused.connect(refused.append)
    before = box.value()
    box.lineEdit().selectAll()
    qtbot.keyClicks(box.lineEdit(), "50")
    assert box.lineEdit().text() == "50"  # typed as typed, not cut to 5
    qtbot.keyClick(box.lineEdit(), Qt.Key.Key_Return)
    assert box.value() == before
    assert refused and "out of range" in refused[0] and "10" in refused[0]
    assert "out of range" in window.statusBar().currentMessage()


def test_duplicate_puts_the_copy_beside_the_cards(qtbot, window):
    from visnet.ui.canvas.items import NODE_HEIGHT, NODE_WIDTH

    window.scene.select_nodes(["n2", "n3"])
    new = window.scene.duplicate_selection()
    graph = window.document.graph
    for a in new:
        ax, ay = graph.nodes[a].pos
        for b, node in graph.nodes.items():
            if b != a:
                bx, by = node.pos
                assert abs(ax - bx) >= NODE_WIDTH or abs(ay - by) >= NODE_HEIGHT, (a, b)


def test_a_small_panel_exports_a_readable_png(qtbot, window, tmp_path):
    panel = window.training_panels["curves"]
    panel.content.resize(271, 185)
    path = tmp_path / "curves.png"
    assert panel.export_png(str(path))
    image = QImage(str(path))
    assert image.width() >= EXPORT_SIZE.width() and image.height() >= EXPORT_SIZE.height()
    assert panel.content.parent() is not None and panel.content.isVisible()  # back in place
