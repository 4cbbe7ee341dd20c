"""The training controller: a run on a worker thread, events drained into signals on the GUI
thread, the controls, errors as messages, and the run kept in the document."""

import numpy as np
import pytest

import visnet
from visnet.core.probes import Probe
from visnet.resources import template_path
from visnet.ui.commands import SetTraining
from visnet.ui.document import DocumentModel
from visnet.ui.training.controller import IDLE, PAUSED, RUNNING, TrainingController


def document(name, **training):
    doc = DocumentModel(visnet.load(template_path(name)))
    if training:
        doc.push(SetTraining(doc.graph, doc.graph.training.updated(**training)))
    return doc


class Recorder:
    def __init__(self, controller):
        self.batches, self.epochs, self.probes, self.failures, self.finished = [], [], [], [], []
        self.states, self.status = [], []
        controller.batches.connect(self.batches.append)
        controller.epoch_ended.connect(self.epochs.append)
        controller.probed.connect(self.probes.append)
        controller.failed.connect(lambda msg, node: self.failures.append((msg, node)))
        controller.finished.connect(self.finished.append)
        controller.state_changed.connect(self.states.append)
        controller.status.connect(self.status.append)

    def steps(self):
        return np.concatenate([b["step"] for b in self.batches]) if self.batches else []


def test_a_run_to_the_end_fills_the_document(qtbot):
    doc = document("spiral_mlp", epochs=30)
    ctl = TrainingController(doc)
    rec = Recorder(ctl)
    ctl.train()
    qtbot.waitUntil(lambda: bool(ctl.state == IDLE and rec.finished), timeout=60_000)
    steps = rec.steps()
    assert list(steps) == list(range(1, 30 * 50 + 1))  # every batch, in order, once
    assert [e.epoch for e in rec.epochs] == list(range(1, 31))
    assert rec.epochs[-1].metrics["val_accuracy"] > 0.9
    assert rec.finished[0].reason == "completed"
    assert doc.modified and doc.weights is not None and len(doc.history["epochs"]) == 30
    assert ctl.first_point_seconds is not None
    assert "Compiling..." in rec.status and rec.states[0] == "loading"


def test_pause_step_resume_and_stop(qtbot):
    doc = document("digits_cnn", epochs=200)
    ctl = TrainingController(doc)
    rec = Recorder(ctl)
    ctl.train()
    qtbot.waitUntil(lambda: bool(len(rec.batches) > 0), timeout=60_000)
    ctl.pause()
    assert ctl.state == PAUSED
    qtbot.wait(300)
    ctl.drain()
    n = ctl.model.optimizer.step
    qtbot.wait(300)
    assert ctl.model.optimizer.step == n  # the step counter stopped within one batch
    ctl.step()
    qtbot.waitUntil(lambda: bool(ctl.model.optimizer.step == n + 1), timeout=5_000)
    qtbot.wait(200)
    assert ctl.model.optimizer.step == n + 1  # exactly one batch
    # a probe is answered while paused
    assert ctl.request_probe(Probe(node_id="n2", sample=3, gallery=8))
    qtbot.waitUntil(lambda: bool(rec.probes), timeout=5_000)
    probe = rec.probes[0]
    assert probe["activation"].shape == (16, 8, 8)
    assert set(probe["histograms"]) >= {"kernel", "kernel.grad"}
    images, true, pred = probe["gallery"]
    assert images.shape == (8, 1, 8, 8) and true.shape == pred.shape == (8,)
    ctl.set_optimizer({"lr": 0.0005})
    ctl.resume()
    assert ctl.state == RUNNING
    qtbot.waitUntil(lambda: bool(ctl.model.optimizer.step > n + 5), timeout=10_000)
    assert ctl.model.optimizer.settings["lr"] == 0.0005
    ctl.stop()
    qtbot.waitUntil(lambda: bool(ctl.state == IDLE), timeout=10_000)
    assert rec.finished[0].reason == "stopped"
    x = doc.graph  # the model still predicts after the run
    out = ctl.model.predict(np.zeros((2, 1, 8, 8), np.float32))
    assert out.shape == (2, 10) and x is doc.graph


def test_the_boundary_probe_covers_the_data(qtbot):
    doc = document("spiral_mlp", epochs=500)
    ctl = TrainingController(doc)
    rec = Recorder(ctl)
    ctl.train()
    qtbot.waitUntil(lambda: bool(ctl.state == RUNNING and ctl.trainer is not None), timeout=60_000)
    assert ctl.request_probe(Probe(boundary=True))
    qtbot.waitUntil(lambda: bool(rec.probes), timeout=5_000)
    xs, ys, values = rec.probes[0]["boundary"]
    assert values.shape == (len(ys), len(xs)) and 0 <= values.min() and values.max() <= 1
    x = ctl.info.dataset.x_train
    assert xs[0] < x[:, 0].min() and xs[-1] > x[:, 0].max()
    ctl.stop()
    qtbot.waitUntil(lambda: bool(ctl.state == IDLE), timeout=10_000)


def test_a_drawing_that_does_not_fit_its_data_shows_the_error(qtbot):
    doc = document("mnist_mlp")
    doc.push(SetTraining(doc.graph, dataset="digits"))
    ctl = TrainingController(doc)
    rec = Recorder(ctl)
    ctl.train()
    qtbot.waitUntil(lambda: bool(ctl.state == IDLE and rec.failures), timeout=60_000)
    assert "set the Input's shape to [1, 8, 8]" in rec.failures[0][0]
    assert not doc.weights


def test_a_drawing_set_to_cuda_without_a_gpu_says_why(qtbot, monkeypatch):
    from visnet.core.backends.cuda import backend

    monkeypatch.setattr(backend, "unavailable_reason",
                        lambda: "no NVIDIA GPU with a working CUDA driver was found")
    doc = document("spiral_mlp", backend="cuda")
    ctl = TrainingController(doc)
    rec = Recorder(ctl)
    ctl.train()
    qtbot.waitUntil(lambda: bool(ctl.state == IDLE and rec.failures), timeout=60_000)
    assert "cuda backend cannot run here: no NVIDIA GPU" in rec.failures[0][0]
    assert not doc.weights and not rec.batches


def test_a_run_that_diverges_shows_the_guard_message(qtbot):
    doc = document("sine_lstm", optimizer={"type": "sgd", "lr": 10, "momentum": 0.9},
                   epochs=20)
    ctl = TrainingController(doc)
    rec = Recorder(ctl)
    ctl.train()
    qtbot.waitUntil(lambda: bool(ctl.state == IDLE and rec.failures), timeout=60_000)
    message, node = rec.failures[0]
    assert "diverged" in message and node in doc.graph.nodes
    assert all(np.isfinite(w).all() for w in doc.weights.values())


def test_save_after_training_and_reopen(qtbot, tmp_path):
    doc = document("spiral_mlp", epochs=5)
    ctl = TrainingController(doc)
    rec = Recorder(ctl)
    ctl.train()
    qtbot.waitUntil(lambda: bool(ctl.state == IDLE and rec.finished), timeout=60_000)
    path = tmp_path / "trained.visnet"
    doc.save(path)
    assert not doc.modified
    again = DocumentModel()
    again.open(path)
    assert len(again.history["epochs"]) == 5
    model = visnet.compile(again.graph)
    model.set_weights(again.weights)
    x = ctl.info.dataset.x_val[:16]
    np.testing.assert_allclose(model.predict(x), ctl.model.predict(x), rtol=1e-6)
    state, _ = again.checkpoint
    assert state["finished"] and state["epoch"] == 5


@pytest.mark.parametrize("keep", [True, False])
def test_training_again_keeps_the_weights_only_when_asked(qtbot, keep):
    doc = document("spiral_mlp", epochs=3)
    ctl = TrainingController(doc)
    rec = Recorder(ctl)
    ctl.train()
    qtbot.waitUntil(lambda: bool(ctl.state == IDLE and rec.finished), timeout=60_000)
    trained = {k: v.copy() for k, v in doc.weights.items()}
    ctl.keep_weights = keep
    ctl.train({"epochs": 1})
    qtbot.waitUntil(lambda: bool(ctl.state == IDLE and len(rec.finished) == 2), timeout=60_000)
    first_loss = rec.epochs[3].metrics["loss"]
    assert (first_loss < rec.epochs[0].metrics["loss"]) == keep
    assert len(doc.history["epochs"]) == 1  # a new run, with its own curves
    assert trained.keys() == doc.weights.keys()


def test_a_failing_probe_does_not_end_the_run(qtbot, monkeypatch):
    from visnet.ui.training import controller as module

    def broken(*args):
        raise RuntimeError("a panel asked for something impossible")

    doc = document("spiral_mlp", epochs=300)
    ctl = TrainingController(doc)
    rec = Recorder(ctl)
    monkeypatch.setattr(module, "measure", broken)
    ctl.train()
    qtbot.waitUntil(lambda: bool(ctl.state == RUNNING and ctl.trainer is not None),
                    timeout=60_000)
    assert ctl.request_probe(Probe(boundary=True))
    qtbot.waitUntil(lambda: bool(rec.probes), timeout=5_000)
    assert "impossible" in rec.probes[0]["error"]
    assert ctl.state == RUNNING and not rec.failures
    ctl.stop()
    qtbot.waitUntil(lambda: ctl.state == IDLE, timeout=10_000)
    assert rec.finished[0].reason == "stopped"


@pytest.mark.parametrize("reason", [None, "no NVIDIA GPU with a working CUDA driver was found"])
def test_the_cuda_choice_is_greyed_out_with_the_reason_without_a_gpu(qtbot, monkeypatch, reason):
    from PySide6.QtCore import Qt

    from visnet.core.backends.cuda import backend
    from visnet.ui.training.toolbar import TrainingBar

    monkeypatch.setattr(backend, "unavailable_reason", lambda: reason)
    doc = document("spiral_mlp")
    bar = TrainingBar(doc, TrainingController(doc))
    qtbot.addWidget(bar)
    row = bar.backend.findData("cuda")
    assert bar.backend.model().item(row).isEnabled() == (reason is None)
    assert bar.backend.itemData(row, Qt.ItemDataRole.ToolTipRole) == reason
    assert bar.backend.model().item(bar.backend.findData("cpu")).isEnabled()
