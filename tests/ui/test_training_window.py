"""Training from the window: the bar's buttons, the live panels and the canvas during a run,
errors as problems, and a trained drawing saved and opened again."""

import numpy as np
import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

import visnet
from visnet.resources import template_path
from visnet.ui.commands import SetTraining
from visnet.ui.document import DocumentModel
from visnet.ui.main_window import MainWindow
from visnet.ui.training.controller import IDLE, PAUSED, RUNNING


@pytest.fixture(autouse=True)
def settings_in_tmp(tmp_path):
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))


def window_with(qtbot, name, **training):
    doc = DocumentModel(visnet.load(template_path(name)))
    if training:
        doc.push(SetTraining(doc.graph, doc.graph.training.updated(**training)))
    window = MainWindow(doc, remember=False)
    window.ask = lambda *args: QMessageBox.StandardButton.Discard  # closing after a run
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def wait_idle(qtbot, window, timeout=120_000):
    qtbot.waitUntil(lambda: window.controller.state == IDLE, timeout=timeout)


def test_train_spiral_from_the_window_to_the_end(qtbot):
    window = window_with(qtbot, "spiral_mlp", epochs=150)
    panels = window.training_panels
    window.scene.select_nodes(["n2"])
    window.training_bar.train_button.click()
    qtbot.waitUntil(lambda: panels["histograms"].has_data() and panels["activations"].has_data()
                    and panels["boundary"].has_data(), timeout=120_000)
    wait_idle(qtbot, window)
    history = window.document.history
    curves = panels["curves"]
    assert list(curves.batch_steps()) == history["batches"]["step"]
    assert len(curves.epoch_rows()) == 150
    assert history["epochs"][-1]["val_accuracy"] > 0.9
    xs, ys, values = panels["boundary"].grid()
    assert values.shape == (len(ys), len(xs))
    for node in ("n2", "n3", "n4"):
        steps, norms = panels["gradients"].series(node)
        assert len(steps) > 0 and np.all(norms > 0)
    assert set(panels["histograms"].current()) >= {"kernel", "kernel.grad"}
    assert panels["activations"].activation().shape == (32,)
    assert panels["confusion"].matrix().shape == (2, 2)
    assert window.scene.node_items["n2"].live_norm is not None
    last = history["batches"]["step"][-1]
    assert all(panels["gradients"].series(n)[0][-1] == last for n in ("n2", "n3", "n4"))
    assert window.isWindowModified()
    assert window.training_bar.train_button.isEnabled()


def test_an_edit_and_a_train_click_check_the_drawing_once(qtbot, monkeypatch):
    from visnet.core import shapes

    window = window_with(qtbot, "spiral_mlp")
    checked = []

    def counted(graph):
        checked.append(window.controller.state)
        return check_afresh(graph)

    check_afresh = shapes.check_afresh
    monkeypatch.setattr(shapes, "check_afresh", counted)
    doc = window.document
    doc.push(SetTraining(doc.graph, doc.graph.training.updated(epochs=1)))
    window.training_bar.train_button.click()
    wait_idle(qtbot, window)
    assert len(window.document.history["epochs"]) == 1  # the run went through to the end
    # Once, for the edit: the run's data fit, compile, initial weights and trainer reuse it.
    assert checked == [IDLE]


def test_snapshots_reach_the_canvas_at_most_four_times_a_second_and_the_last_always(
        qtbot, monkeypatch):
    from visnet.core.training import Snapshot

    window = window_with(qtbot, "spiral_mlp")
    shown = []
    monkeypatch.setattr(window.scene, "show_training", lambda norms, badges: shown.append(norms))
    live = window.live
    for step in range(1, 11):  # a burst, as a short run sends them
        live._on_snapshot(Snapshot(1, step, {"n2": float(step)}, {}, {}))
    assert shown == [{"n2": 1.0}]
    assert len(window.training_panels["gradients"].series("n2")[0]) == 10  # every point
    live._on_state(PAUSED)
    assert shown[-1] == {"n2": 10.0}


def test_pause_step_resume_stop_with_the_buttons(qtbot):
    window = window_with(qtbot, "digits_cnn", epochs=500)
    bar, ctl = window.training_bar, window.controller
    bar.train_button.click()
    # the worker's state reaches the window through its queue: wait for both
    qtbot.waitUntil(lambda: ctl.model is not None and ctl.model.optimizer.step > 3
                    and ctl.state == RUNNING, timeout=120_000)
    bar.pause_button.click()
    assert ctl.state == PAUSED and bar.pause_button.text() == "Resume"
    assert bar.step_button.isEnabled()
    qtbot.wait(200)
    n = ctl.model.optimizer.step
    qtbot.wait(200)
    assert ctl.model.optimizer.step == n
    bar.step_button.click()
    qtbot.waitUntil(lambda: ctl.model.optimizer.step == n + 1, timeout=5_000)
    bar.pause_button.click()  # resume
    qtbot.waitUntil(lambda: ctl.model.optimizer.step > n + 3, timeout=10_000)
    bar.stop_button.click()
    wait_idle(qtbot, window, 20_000)
    assert window.document.weights is not None
    out = ctl.model.predict(np.zeros((1, 1, 8, 8), np.float32))
    assert out.shape == (1, 10)
    qtbot.keyClick(window.view, "l")  # the window still answers
    assert bar.train_button.isEnabled()


def test_a_drawing_that_cannot_train_shows_its_error_as_a_problem(qtbot):
    window = window_with(qtbot, "mnist_mlp")
    window.document.push(SetTraining(window.document.graph, dataset="digits"))
    window.training_bar.train_button.click()
    wait_idle(qtbot, window)
    rows = window.problems_dock.row_texts()
    assert any("set the Input's shape to [1, 8, 8]" in r for r in rows)
    assert window.problems_dock.isVisible()


def test_a_diverging_run_shows_the_guard_message_and_the_layer(qtbot):
    window = window_with(qtbot, "sine_lstm",
                         optimizer={"type": "sgd", "lr": 10, "momentum": 0.9})
    window.training_bar.train_button.click()
    wait_idle(qtbot, window)
    rows = window.problems_dock.row_texts()
    assert any("diverged" in r for r in rows)
    assert len(window.scene.selected_node_ids()) == 1


def test_save_after_training_and_open_again_brings_the_curves_back(qtbot, tmp_path):
    window = window_with(qtbot, "spiral_mlp", epochs=5)
    window.training_bar.train_button.click()
    wait_idle(qtbot, window)
    path = tmp_path / "trained.visnet"
    assert window._save_to(path)
    steps = list(window.training_panels["curves"].batch_steps())
    other = window_with(qtbot, "digits_cnn")
    assert other.open_path(path)
    curves = other.training_panels["curves"]
    assert list(curves.batch_steps()) == steps and len(curves.epoch_rows()) == 5
    qtbot.waitUntil(lambda: other.training_panels["boundary"].has_data(), timeout=60_000)


def test_keep_weights_is_the_users_choice(qtbot):
    window = window_with(qtbot, "spiral_mlp", epochs=2)
    bar = window.training_bar
    assert bar.keep.isChecked() and window.controller.keep_weights
    bar.keep.setChecked(False)
    assert not window.controller.keep_weights


def test_a_problem_is_listed_once_and_goes_with_its_layer(qtbot):
    from visnet.ui.commands import AddNode, Connect, RemoveItems

    window = window_with(qtbot, "spiral_mlp", epochs=1)
    doc = window.document
    add = AddNode(doc.graph, "Conv2D", (400.0, 40.0), {})
    doc.push(add)
    doc.push(Connect(doc.graph, "n1", add.node_id))  # a 2-feature input into a Conv2D
    window.training_bar.train_button.click()
    wait_idle(qtbot, window)
    rows = window.problems_dock.row_texts()
    errors = [r for r in rows if r.startswith("Error") and add.node_id in r]
    assert len(errors) == 1, rows  # the check and the refused run say it once
    doc.push(RemoveItems(doc.graph, [add.node_id], []))
    qtbot.waitUntil(lambda: not any(add.node_id in r for r in
                                    window.problems_dock.row_texts()), timeout=5_000)
