"""A trained drawing comes back the same by every way of opening it: given at start (`visnet
FILE`), File > Open, Open Recent and a drop; and no panel keeps the state of the drawing or the
data before."""

import numpy as np
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

import visnet
from visnet.resources import template_path
from visnet.ui.document import DocumentModel
from visnet.ui.main_window import MainWindow
from visnet.ui.training.controller import IDLE


@pytest.fixture(autouse=True)
def settings_in_tmp(tmp_path):
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))


def make(qtbot, doc: DocumentModel) -> MainWindow:
    window = MainWindow(doc, remember=False)
    window.ask = lambda *args: QMessageBox.StandardButton.Discard
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def panel_state(window: MainWindow) -> dict:
    p = window.training_panels
    gradients = p["gradients"]
    matrix = p["confusion"].matrix()
    return {
        "batch_steps": list(p["curves"].batch_steps()),
        "epochs": len(p["curves"].epoch_rows()),
        "gradient_layers": sorted(gradients.layers()),
        "gradient_steps": {n: list(gradients.series(n)[0]) for n in gradients.layers()},
        "confusion": None if matrix is None else matrix.tolist(),
        "class_names": p["confusion"].class_names(),
    }




def test_every_route_restores_the_same_panels(qtbot, tmp_path):
    from visnet.ui.commands import SetTraining

    doc = DocumentModel(visnet.load(template_path("spiral_mlp")))
    doc.push(SetTraining(doc.graph, doc.graph.training.updated(epochs=5)))
    window = make(qtbot, doc)
    window.training_bar.train_button.click()
    qtbot.waitUntil(lambda: window.controller.state == IDLE, timeout=120_000)
    path = tmp_path / "trained.visnet"
    assert window._save_to(path)
    after_training = panel_state(window)
    assert after_training["gradient_steps"]["n2"] and after_training["confusion"]

    routes = {}
    at_start = make(qtbot, DocumentModel(visnet.load(path), path))  # visnet FILE
    routes["visnet FILE"] = panel_state(at_start)
    for route in ("open", "recent", "drop"):
        other = make(qtbot, DocumentModel(visnet.load(template_path("digits_cnn"))))
        if route == "open":
            assert other.open_path(path)
        elif route == "recent":
            other.open_recent(path)
        else:
            from PySide6.QtCore import QMimeData, QUrl
            mime = QMimeData()
            mime.setUrls([QUrl.fromLocalFile(str(path))])
            assert other.dropped_drawing(mime) == path
            other.open_recent(path)  # what the drop does once it is over
        routes[route] = panel_state(other)
    for route, state in routes.items():
        assert state["batch_steps"] == after_training["batch_steps"], route
        assert state["epochs"] == 5, route
        assert state["gradient_layers"] == ["n2", "n3", "n4"], route
        assert state["gradient_steps"]["n2"], route  # the gradient flow comes back
        assert state["confusion"] == after_training["confusion"], route
    assert len({str(s) for s in routes.values()}) == 1  # every route: the same state


def test_a_reopened_run_keeps_its_class_names(qtbot, tmp_path):
    from visnet.core.training import Trainer

    csv = tmp_path / "flowers.csv"
    rng = np.random.default_rng(0)
    rows = ["a,b,species"] + [f"{rng.normal(i):.3f},{rng.normal(-i):.3f},{name}"
                              for i, name in enumerate(["setosa", "versicolor", "virginica"] * 20)]
    csv.write_text("\n".join(rows) + "\n")
    g = visnet.Graph.sequential([2], ("Dense", {"units": 3, "activation": "softmax"}))
    data = visnet.datasets.load(f"csv:{csv}")
    model = visnet.compile(g, backend="serial")
    trainer = Trainer(model, data, epochs=2, batch_size=16)
    for _ in trainer.run():
        pass
    path = tmp_path / "flowers.visnet"
    visnet.save(path, g, model.get_weights(), trainer.history)
    window = make(qtbot, DocumentModel(visnet.load(path), path))
    assert window.training_panels["confusion"].class_names() == ["setosa", "versicolor",
                                                                 "virginica"]


def test_no_panel_keeps_the_last_drawing(qtbot, tmp_path):
    from visnet.ui.commands import SetTraining

    doc = DocumentModel(visnet.load(template_path("spiral_mlp")))
    doc.push(SetTraining(doc.graph, doc.graph.training.updated(epochs=3)))
    window = make(qtbot, doc)
    window.training_bar.train_button.click()
    qtbot.waitUntil(lambda: window.controller.state == IDLE, timeout=120_000)
    panels = window.training_panels
    assert panels["gradients"].has_data() and panels["boundary"].has_data()
    window.new_document()
    assert panels["gradients"].layers() == {} and not panels["gradients"].has_data()
    assert not panels["boundary"].has_data() and not panels["confusion"].has_data()
    assert not panels["curves"].has_data()
    assert "finished" not in window.statusBar().currentMessage().lower()
    window.open_template(next(t for t in __import__("visnet.resources", fromlist=["x"])
                              .templates() if t.name == "digits_cnn"))
    assert sorted(panels["gradients"].layers()) == ["n2", "n4", "n7", "n8"]


def test_switching_the_data_clears_what_the_old_data_drew_and_says_why(qtbot):
    from visnet.ui.commands import SetTraining

    doc = DocumentModel(visnet.load(template_path("spiral_mlp")))
    doc.push(SetTraining(doc.graph, doc.graph.training.updated(epochs=2)))
    window = make(qtbot, doc)
    window.training_bar.train_button.click()
    qtbot.waitUntil(lambda: window.controller.state == IDLE, timeout=120_000)
    panels = window.training_panels
    assert panels["boundary"].has_data() and panels["boundary"].note() == ""
    doc.push(SetTraining(doc.graph, dataset="digits"))
    assert not panels["boundary"].has_data() and not panels["confusion"].has_data()
    assert "data changed to digits" in panels["boundary"].note()
    window.training_bar.train_button.click()  # the spiral's net cannot take digits: a problem
    qtbot.waitUntil(lambda: window.controller.state == IDLE, timeout=120_000)
    assert not panels["boundary"].has_data()


def test_a_regression_says_why_it_has_no_confusion_matrix(qtbot):
    from visnet.ui.commands import SetTraining

    doc = DocumentModel(visnet.load(template_path("sine_lstm")))
    doc.push(SetTraining(doc.graph, doc.graph.training.updated(epochs=1)))
    window = make(qtbot, doc)
    window.training_bar.train_button.click()
    qtbot.waitUntil(lambda: window.controller.state == IDLE, timeout=120_000)
    panels = window.training_panels
    assert "regression" in panels["confusion"].note()
    assert "2 input features" in panels["boundary"].note()
    assert not panels["confusion"].has_data()


def trained_window(qtbot, name, **training):
    from visnet.ui.commands import SetTraining

    doc = DocumentModel(visnet.load(template_path(name)))
    doc.push(SetTraining(doc.graph, doc.graph.training.updated(**training)))
    window = make(qtbot, doc)
    window.training_bar.train_button.click()
    return window


def test_a_regression_shows_predicted_against_true_and_the_series(qtbot):
    window = trained_window(qtbot, "sine_lstm", epochs=3)
    gallery = window.training_panels["gallery"]
    qtbot.waitUntil(lambda: gallery.regression_points() is not None, timeout=120_000)
    true, predicted = gallery.regression_points()
    assert len(true) == len(predicted) > 10
    assert gallery.pages.currentIndex() == 1 and gallery._regression[2] is not None
    qtbot.waitUntil(lambda: window.controller.state == IDLE, timeout=120_000)
    header, rows = gallery.csv_table()
    assert header == ["index", "true", "predicted"] and len(rows) == len(true)


def test_a_text_model_writes_a_sample_from_the_prompt(qtbot):
    window = trained_window(qtbot, "char_rnn", epochs=1)
    gallery = window.training_panels["gallery"]
    gallery.prompt.setText("the fox ")
    qtbot.waitUntil(lambda: gallery.sample().startswith("the fox "), timeout=180_000)
    assert len(gallery.sample()) > len("the fox ") + 50
    assert gallery.pages.currentIndex() == 2
    window.controller.stop()
    qtbot.waitUntil(lambda: window.controller.state == IDLE, timeout=120_000)
