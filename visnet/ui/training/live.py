"""What the window shows while a drawing trains: the controller's signals go to the panels and
the canvas, and a timer asks the worker, a few times a second, for the data of the panels that
are visible (the selected layer's histograms and activations, the decision boundary, the
predictions gallery)."""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtCore import QObject, QTimer

from ...core.health import HealthTracker
from ...core.probes import (Probe, RunInfo, layers_with_weights, measure,
                            reconstructs_images, sample_pool)
from .controller import TrainingController

PROBE_MS = 500  # panel data twice a second: each probe costs the GUI thread ~30 ms
GALLERY_SIZE = 32
CONFUSION_EVERY_S = 1.0
CANVAS_EVERY_S = 0.25  # the canvas's gradient colours and badges: a repaint of every card
REGRESSION_POINTS = 256
TEXT_EVERY_S = 2.0  # a text sample costs a prediction per character: every 2 s at most


class LiveTraining(QObject):
    def __init__(self, controller: TrainingController, scene, panels: dict, parent=None):
        super().__init__(parent)
        self.controller = controller
        self.scene = scene
        self.panels = panels
        self.health = HealthTracker()
        self.selected: str | None = None
        self.info: RunInfo | None = None
        self._dataset_shown: str | None = None  # the data the panels show
        self._confusion_at = 0.0
        self._text_at = 0.0
        self._canvas_at = 0.0
        self._canvas_pending: tuple | None = None  # (norms, badges) not yet on the canvas
        self._timer = QTimer(self)
        self._timer.setInterval(PROBE_MS)
        self._timer.timeout.connect(self.probe)

        controller.started.connect(self._on_started)
        controller.batches.connect(self._on_batches)
        controller.epoch_ended.connect(self._on_epoch)
        controller.snapshot.connect(self._on_snapshot)
        controller.probed.connect(self._on_probed)
        controller.finished.connect(self._on_finished)
        controller.failed.connect(self._on_failed)
        controller.state_changed.connect(self._on_state)
        controller.document.graph_replaced.connect(self.show_saved_run)
        controller.document.changed.connect(self._on_document_changed)
        controller.loaded.connect(self._on_loaded)
        panels["activations"].sample_changed.connect(lambda _i: self.probe())
        panels["gallery"].text_settings_changed.connect(self._new_text_settings)

    # -- requests ----------------------------------------------------------------------------

    def select(self, node_id: str | None) -> None:
        """The layer whose histograms and activations the panels show."""
        self.selected = node_id
        if self.info is not None:
            self._explain_selection()
        self.probe()

    def probe(self) -> None:
        info = self.info
        if info is None:
            return
        visible = {k for k, p in self.panels.items() if p.isVisible()}
        now = time.perf_counter()
        text = None
        if "gallery" in visible and info.dataset.extras.get("alphabet") and \
                now - self._text_at >= TEXT_EVERY_S:
            self._text_at = now
            text = self.panels["gallery"].text_request()
        probe = Probe(node_id=self.selected if {"histograms", "activations"} & visible
                      else None,
                      sample=self.panels["activations"].sample(),
                      boundary="boundary" in visible and info.dataset.input_shape == (2,),
                      gallery=GALLERY_SIZE if "gallery" in visible else 0,
                      regression=REGRESSION_POINTS if "gallery" in visible else 0,
                      text=text)
        self.controller.request_probe(probe)

    def _new_text_settings(self) -> None:
        self._text_at = 0.0
        self.probe()

    def show_saved_run(self) -> None:
        """A drawing was opened (or replaced): the panels forget the last one, and its saved
        curves, gradient flow and confusion matrix come back."""
        document = self.controller.document
        history = document.history
        self.info = None
        curves = self.panels["curves"]
        curves.clear()
        for key in ("gradients", "histograms", "activations", "boundary", "confusion",
                    "gallery"):
            self.panels[key].clear()
        self.panels["gradients"].set_layers(layers_with_weights(document.graph))
        self.scene.clear_training()
        if history and history.get("epochs"):
            curves.set_history(history)
            self._show_saved_gradients(history.get("gradients"))
            last = history["epochs"][-1]
            matrix = last.get("val_confusion", last.get("confusion"))
            if matrix is not None:
                names = history.get("class_names")
                self.panels["confusion"].show(np.asarray(matrix), list(names) if names else None,
                                              last.get("epoch"))
        self._dataset_shown = document.graph.dataset
        self._explain_empty()
        if document.weights:
            self.controller.load_model()

    def _on_document_changed(self, change) -> None:
        """The data changed: what the panels drew from the old data goes, and they say so."""
        dataset = self.controller.document.graph.dataset
        if change.kind != "settings_changed" or dataset == self._dataset_shown:
            return
        self._dataset_shown = dataset
        self.info = None
        for key in ("histograms", "activations", "boundary", "confusion", "gallery"):
            self.panels[key].clear()
        self._explain_empty(f"The data changed to {dataset or 'none'}: ")

    def _explain_empty(self, why: str = "", keys=None) -> None:
        """A note on each panel (of ``keys``, else all) that has nothing to show, saying what
        brings it."""
        wants = {"curves": "train to see the loss and accuracy",
                 "gradients": "train to see how large each layer's gradients are",
                 "histograms": "select a layer and train to see its weights and gradients",
                 "activations": "select a layer and train to see its outputs",
                 "boundary": "train to see how the network divides the plane",
                 "confusion": "train to see which classes it confuses",
                 "gallery": "train to see its predictions on validation samples"}
        if self.controller.document.graph.dataset is None:
            why = "No data yet: choose a dataset in the Data box, then "
        for key, what in wants.items():
            if keys is not None and key not in keys:
                continue
            panel = self.panels[key]
            if not panel.has_data():
                text = why + what if why else what[0].upper() + what[1:]
                panel.set_note(text + ".")
            else:
                panel.set_note("")

    def _explain_for(self, ds) -> None:
        """Notes for what this data cannot show; the other panels' notes go."""
        for panel in self.panels.values():
            panel.set_note("")
        if ds.input_shape != (2,):
            shape = " x ".join(str(d) for d in ds.input_shape)
            self.panels["boundary"].set_note(
                f"The decision boundary is drawn for data with 2 input features; this data "
                f"has {shape}.")
        if ds.is_classes and len(ds.input_shape) != 3 and not ds.extras.get("alphabet"):
            self.panels["gallery"].set_note(
                "Predictions are drawn for images, regressions and text; for these classes "
                "see the confusion matrix.")
        if not ds.is_classes:
            self.panels["confusion"].set_note(
                "No confusion matrix: the targets are numbers (regression), not classes.")
        self._explain_selection()

    def _explain_selection(self) -> None:
        for key, what in (("histograms", "its weights and gradients"),
                          ("activations", "its outputs")):
            if self.selected is None and not self.panels[key].has_data():
                self.panels[key].set_note(f"Select a layer on the canvas to see {what}.")
            elif self.selected is not None:
                self.panels[key].set_note("")

    def _show_saved_gradients(self, gradients) -> None:
        if not isinstance(gradients, dict):
            return
        panel = self.panels["gradients"]
        norms = gradients.get("norms") or {}
        for i, step in enumerate(gradients.get("step", [])):
            point = {node: column[i] for node, column in norms.items()
                     if node in panel.layers() and i < len(column) and column[i] is not None}
            if point:
                panel.add(step, point)

    def _on_loaded(self, payload) -> None:
        info, grid = payload
        self.info = info
        self._explain_for(info.dataset)
        self._explain_empty(keys=("curves", "gradients"))
        if grid is not None:
            self.panels["boundary"].set_points(info.dataset.x_train, info.dataset.y_train)
            self.panels["boundary"].show_grid(*grid)

    # -- the run -----------------------------------------------------------------------------

    def _on_started(self, info: RunInfo) -> None:
        self.info = info
        self._dataset_shown = self.controller.document.graph.dataset
        ds = info.dataset
        self._explain_for(ds)
        curves = self.panels["curves"]
        curves.clear()
        curves.set_task(ds.task)
        grads = self.panels["gradients"]
        grads.set_layers(info.layer_labels)
        grads.clear()
        acts = self.panels["activations"]
        acts.set_sample_count(len(sample_pool(ds)))
        if ds.input_shape == (2,):
            self.panels["boundary"].set_points(ds.x_train, ds.y_train)
            self.panels["boundary"].raise_()
        elif len(ds.input_shape) == 3 and (ds.is_classes or reconstructs_images(ds)):
            self.panels["gallery"].raise_()  # no boundary to draw: show the predictions
        elif ds.extras.get("alphabet") or not ds.is_classes:
            self.panels["gallery"].raise_()  # the text it writes, or predicted against true
        elif ds.is_classes:
            self.panels["confusion"].raise_()
        self.health.reset()
        self.scene.clear_training()
        self._canvas_pending, self._canvas_at = None, 0.0
        self._timer.start()

    def _on_batches(self, block: dict) -> None:
        self.panels["curves"].add_batches(block["step"], block["loss"], block["accuracy"])

    def _on_epoch(self, event) -> None:
        m = event.metrics
        self.panels["curves"].add_epoch(m)
        now = time.perf_counter()
        last = event.epoch == (self.info.epochs if self.info else -1)
        if not last and now - self._confusion_at < CONFUSION_EVERY_S:
            return  # short epochs: the matrix at most once a second (and the last one)
        self._confusion_at = now
        if "val_confusion" in m or "confusion" in m:
            names = list(self.info.dataset.class_names) if self.info else None
            self.panels["confusion"].show(np.asarray(m.get("val_confusion", m.get("confusion"))),
                                          names, event.epoch)

    def _on_snapshot(self, snap) -> None:
        """Every snapshot is a point of the gradient flow; the canvas shows the latest at most
        every CANVAS_EVERY_S (a short run sends up to 50 a second)."""
        self.panels["gradients"].add(snap.step, snap.gradient_norms)
        badges = self.health.update(snap.gradient_norms, snap.dead_relu, snap.saturated)
        self._canvas_pending = (snap.gradient_norms, badges)
        now = time.perf_counter()
        if now - self._canvas_at >= CANVAS_EVERY_S:
            self._canvas_at = now
            self._show_on_canvas()

    def _show_on_canvas(self) -> None:
        if self._canvas_pending is not None:
            self.scene.show_training(*self._canvas_pending)
            self._canvas_pending = None

    def _on_probed(self, data: dict) -> None:
        node = data.get("node_id")
        if node is not None and node in self.controller.document.graph.nodes:
            label = self.controller.document.graph.nodes[node].label
            if "histograms" in data:
                self.panels["histograms"].show(label, data["histograms"])
            if "activation" in data:
                self.panels["activations"].show(label, data["activation"])
        if "boundary" in data:
            self.panels["boundary"].show_grid(*data["boundary"])
        if "gallery" in data and self.info is not None:
            x, true, pred = data["gallery"]
            self.panels["gallery"].show(np.clip(x, 0, 1), true, pred,
                                        list(self.info.dataset.class_names))
        if "reconstructions" in data:
            _, target, output = data["reconstructions"]
            self.panels["gallery"].show_reconstructions(target, output)
        if "regression" in data:
            self.panels["gallery"].show_regression(*data["regression"])
        if "text" in data:
            self.panels["gallery"].show_text(data["text"])

    def _on_finished(self, event) -> None:
        self._timer.stop()
        self._final_predictions()
        self._final_views()

    def _final_predictions(self) -> None:
        """A run too short for a probe still leaves its predictions (regression, text) on the
        Predictions panel; the model is idle now, so the window may ask it directly."""
        model, info = self.controller.model, self.info
        if model is None or info is None or not self.panels["gallery"].isVisible():
            return
        ds = info.dataset
        probe = Probe(regression=REGRESSION_POINTS,
                      text=self.panels["gallery"].text_request()
                      if ds.extras.get("alphabet") else None)
        try:
            data = measure(model, info, probe)
        except Exception:  # a panel must never turn a finished run into an error
            return
        self._on_probed({k: data[k] for k in ("regression", "text") if k in data})

    def _on_failed(self, message: str, node_id) -> None:
        self._timer.stop()  # the canvas keeps showing which layer blew up
        self._show_on_canvas()

    def _on_state(self, state: str) -> None:
        if state == "idle":
            self._timer.stop()
        if state in ("idle", "paused"):
            self._show_on_canvas()

    def _final_views(self) -> None:
        """The run is over: the canvas and the panels on screen show its last data at once."""
        self._show_on_canvas()
        for panel in self.panels.values():
            panel.run_ended()
            panel.flush(force=False)  # a hidden one draws when it is shown
