"""The training bar: what to train on and how (dataset, optimizer, learning rate, batch size,
epochs, backend), the run's controls (Train, Pause/Resume, Step, Stop, Reset weights) and its
progress (epoch, step, samples per second, time left).

Settings are part of the drawing: each change is an undoable SetTraining command. While a run
is paused, a new learning rate or optimizer setting also goes to the running trainer.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QHBoxLayout,
                               QLabel, QMenu, QProgressBar, QSpinBox, QToolBar, QToolButton,
                               QToolTip, QWidget)

from ...core.backends import unavailable_reason
from ...core.data import BUILTINS
from ...core.optim import DEFAULTS
from ..commands import SetTraining
from .controller import IDLE, LOADING, COMPILING, PAUSED, RUNNING, STOPPING

BACKENDS = (("cpu", "CPU (parallel)"), ("serial", "CPU (serial)"), ("cuda", "CUDA"))
OPEN_DATA = "Open data..."
PROGRESS_EVERY_S = 0.2
FILE_KINDS = (("mnist", "MNIST folder (IDX files)...", True),
              ("csv", "CSV file...", False),
              ("npz", "NumPy .npz file...", False),
              ("images", "Image folder (a subfolder per class)...", True))



class LearningRateBox(QDoubleSpinBox):
    """The LR box: a number out of range is refused with a word (``refused``), never turned
    into another number (typing 50 into a box that ends at 10 would otherwise give 5)."""

    refused = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        # The value changes when editing is finished: a half-typed "5" of "50" is not a value
        # to fall back to.
        self.setKeyboardTracking(False)

    def validate(self, text: str, pos: int):
        state, text, pos = super().validate(text, pos)
        if state == QValidator.State.Invalid:
            try:
                float(text.strip().replace(",", "."))
            except ValueError:
                return state, text, pos
            return QValidator.State.Intermediate, text, pos
        return state, text, pos

    def fixup(self, text: str) -> str:
        try:
            value = float(text.strip().replace(",", "."))
        except ValueError:
            return super().fixup(text)
        if not self.minimum() <= value <= self.maximum():
            self.refused.emit(f"A learning rate of {text.strip()} is out of range: use "
                              f"{self.minimum():g} to {self.maximum():g}. It stays "
                              f"{self.value():g}.")
        return super().fixup(text)

class TrainingBar(QToolBar):
    """Settings, controls and progress of training, for a document and its controller."""

    def __init__(self, document, controller, parent: QWidget | None = None):
        super().__init__("Training", parent)
        self._progress_at = 0.0
        self.setObjectName("TrainingBar")
        self.document = document
        self.controller = controller
        self._syncing = False

        self.dataset = QComboBox()
        self.dataset.setEditable(True)
        self.dataset.setMinimumContentsLength(10)
        self.dataset.setToolTip("The data to train on: a built-in dataset, or your own (Open "
                                "data...). Options go after '?', e.g. spiral?noise=0.2")
        self.optimizer = QComboBox()
        self.optimizer.addItems(list(DEFAULTS))
        self.lr = LearningRateBox()
        self.lr.setDecimals(5)
        self.lr.setRange(1e-5, 10.0)
        self.lr.setSingleStep(0.001)
        self.lr.setToolTip("Learning rate (applies at once, also to a paused run)")
        self.batch = QSpinBox()
        self.batch.setRange(1, 65536)
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 1_000_000)
        self.backend = QComboBox()
        for name, label in BACKENDS:
            self.backend.addItem(label, name)
            reason = unavailable_reason(name)
            if reason:
                item = self.backend.model().item(self.backend.count() - 1)
                item.setEnabled(False)
                item.setToolTip(reason)
                self.backend.setItemData(self.backend.count() - 1, reason,
                                         Qt.ItemDataRole.ToolTipRole)

        self.train_button = _button("Train")
        self.train_button.setToolTip("Train the drawing on its dataset")
        self.train_button.setStyleSheet("font-weight: bold")
        self.pause_button = _button("Pause")
        self.step_button = _button("Step")
        self.step_button.setToolTip("One batch, while paused")
        self.stop_button = _button("Stop")
        self.reset_button = _button("Reset weights")
        self.reset_button.setToolTip("Forget the trained weights and curves: the next run starts "
                                     "from new weights")
        self.keep = QCheckBox("Keep weights")
        self.keep.setChecked(controller.keep_weights)
        self.keep.setToolTip("Train again from the trained weights of every layer whose shapes "
                             "did not change (off: new weights for all)")
        self.keep.toggled.connect(self._keep_toggled)
        self.progress = QProgressBar()
        self.progress.setFixedWidth(160)
        self.progress.setTextVisible(False)
        self.progress_label = QLabel("")

        for label, widget in (("Data", self.dataset), ("Optimizer", self.optimizer),
                              ("LR", self.lr), ("Batch", self.batch), ("Epochs", self.epochs),
                              ("Backend", self.backend)):
            self.addWidget(_labelled(label, widget))
        self.addSeparator()
        for w in (self.train_button, self.pause_button, self.step_button, self.stop_button,
                  self.reset_button, self.keep):
            self.addWidget(w)
        # The progress bar and its label are not on the bar: the window puts them in its
        # status bar, where they have room.

        self.dataset.activated.connect(self._dataset_chosen)
        self.dataset.lineEdit().editingFinished.connect(self._dataset_typed)
        self.optimizer.activated.connect(self._optimizer_chosen)
        self.lr.editingFinished.connect(self._lr_changed)
        self.lr.refused.connect(self._lr_refused)
        self.batch.editingFinished.connect(self._batch_changed)
        self.epochs.editingFinished.connect(self._epochs_changed)
        self.backend.activated.connect(self._backend_chosen)
        self.train_button.clicked.connect(self.train)
        self.pause_button.clicked.connect(self._pause_or_resume)
        self.step_button.clicked.connect(controller.step)
        self.stop_button.clicked.connect(controller.stop)
        self.reset_button.clicked.connect(self.reset_weights)
        controller.state_changed.connect(self._on_state)
        controller.batches.connect(self._on_batches)
        controller.status.connect(self._on_status)
        document.checked.connect(self.sync_from_document)
        document.graph_replaced.connect(self.sync_from_document)
        self.sync_from_document()
        self._on_state(controller.state)

    # -- settings <-> document ---------------------------------------------------------------

    def sync_from_document(self) -> None:
        """Show the drawing's training settings (after an edit, an undo or a new file)."""
        self._syncing = True
        try:
            graph = self.document.graph
            s = graph.training
            self.dataset.clear()
            self.dataset.addItems(list(BUILTINS))
            if graph.dataset and graph.dataset not in BUILTINS:
                self.dataset.insertItem(0, graph.dataset)
            self.dataset.addItem(OPEN_DATA)
            self.dataset.setCurrentText(graph.dataset or "")
            self.optimizer.setCurrentText(s.optimizer.get("type", "adam"))
            self.lr.setValue(float(s.optimizer.get("lr", DEFAULTS[s.optimizer.get(
                "type", "adam")]["lr"])))
            self.batch.setValue(s.batch_size)
            self.epochs.setValue(s.epochs)
            index = self.backend.findData(s.backend)
            self.backend.setCurrentIndex(max(index, 0))
        finally:
            self._syncing = False

    def _push_settings(self, **changes) -> None:
        """One undoable change of the training settings; a value the core refuses is shown
        with the reason and the old one stays."""
        if self._syncing:
            return
        graph = self.document.graph
        try:
            settings = graph.training.updated(**changes)
        except ValueError as exc:
            self._refused(exc)
            return
        if settings != graph.training:
            self.document.push(SetTraining(graph, settings))

    def _push_dataset(self, spec: str) -> None:
        graph = self.document.graph
        if not self._syncing and spec != graph.dataset:
            self.document.push(SetTraining(graph, dataset=spec))

    def _refused(self, exc: Exception) -> None:
        self.progress_label.setText(str(exc))
        self.sync_from_document()

    def _dataset_chosen(self, index: int) -> None:
        text = self.dataset.itemText(index)
        if text == OPEN_DATA:
            spec = self.choose_data()
            if spec is None:
                self.sync_from_document()
                return
            text = spec
        self._push_dataset(text)

    def _dataset_typed(self) -> None:
        text = self.dataset.currentText().strip()
        if text and text != OPEN_DATA:
            self._push_dataset(text)

    def choose_data(self) -> str | None:
        """Ask which kind of data and where; the spec, or None if cancelled."""
        menu = QMenu(self)
        actions = {menu.addAction(label): (kind, folder) for kind, label, folder in FILE_KINDS}
        chosen = menu.exec(self.dataset.mapToGlobal(self.dataset.rect().bottomLeft()))
        if chosen is None:
            return None
        kind, folder = actions[chosen]
        start = str(self.document.path.parent) if self.document.path else ""
        if folder:
            path = QFileDialog.getExistingDirectory(self, chosen.text(), start)
        else:
            path, _ = QFileDialog.getOpenFileName(self, chosen.text(), start)
        if not path:
            return None
        if self.document.path is not None:  # relative to the drawing when it is beside it
            try:
                path = str(Path(path).relative_to(self.document.path.parent))
            except ValueError:
                pass
        return f"{kind}:{path}"

    def _optimizer_config(self, **changes) -> dict:
        opt = dict(self.document.graph.training.optimizer)
        opt.update(changes)
        return opt

    def _optimizer_chosen(self, _index: int) -> None:
        kind = self.optimizer.currentText()
        if kind == self.document.graph.training.optimizer.get("type"):
            return
        config = {"type": kind, "lr": self.lr.value()}
        self._push_settings(optimizer=config)
        self.controller.set_optimizer(config)

    def _lr_refused(self, message: str) -> None:
        QToolTip.showText(self.lr.mapToGlobal(self.lr.rect().bottomLeft()), message, self.lr)
        window = self.window()
        if hasattr(window, "show_status"):
            window.show_status(message)

    def reset_weights(self) -> None:
        """Forget the run: the panels empty at once and the status bar says what happened."""
        had_run = self.document.weights is not None or self.document.history is not None
        self.document.reset_weights()
        window = self.window()
        if hasattr(window, "live"):
            window.live.show_saved_run()
        if hasattr(window, "show_status"):
            window.show_status("Weights reset: the curves are cleared and the next Train "
                               "starts from new random weights" if had_run else
                               "Nothing to reset: the drawing has no trained weights yet")

    def _lr_changed(self) -> None:
        lr = float(self.lr.value())
        if math.isclose(lr, float(self.document.graph.training.optimizer.get("lr", -1))):
            return
        self._push_settings(optimizer=self._optimizer_config(lr=lr))
        self.controller.set_optimizer({"lr": lr})

    def _batch_changed(self) -> None:
        self._push_settings(batch_size=self.batch.value())

    def _epochs_changed(self) -> None:
        self._push_settings(epochs=self.epochs.value())

    def _backend_chosen(self, _index: int) -> None:
        self._push_settings(backend=self.backend.currentData())

    # -- controls ----------------------------------------------------------------------------

    def train(self) -> None:
        self.controller.train()

    def _keep_toggled(self, on: bool) -> None:
        self.controller.keep_weights = on

    def _pause_or_resume(self) -> None:
        if self.controller.state == PAUSED:
            self.controller.resume()
        else:
            self.controller.pause()

    def _on_state(self, state: str) -> None:
        busy = state != IDLE
        running = state in (RUNNING, PAUSED)
        self.train_button.setEnabled(not busy)
        self.pause_button.setEnabled(running)
        self.pause_button.setText("Resume" if state == PAUSED else "Pause")
        self.step_button.setEnabled(state == PAUSED)
        self.stop_button.setEnabled(running)
        self.reset_button.setEnabled(not busy)
        for w in (self.dataset, self.batch, self.epochs, self.backend):
            w.setEnabled(not busy)
        if state in (LOADING, COMPILING):
            self.progress.setRange(0, 0)  # busy indicator
        elif state == IDLE:
            self.progress.setRange(0, 1)
            self.progress.setValue(1 if self.progress_label.text() else 0)
        elif state == STOPPING:
            self.progress_label.setText("Stopping...")

    def _on_status(self, text: str) -> None:
        self.progress_label.setText(text.splitlines()[0] if text else "")

    def _on_batches(self, block: dict) -> None:
        info = self.controller.info
        now = time.perf_counter()
        if info is None or (now - self._progress_at < PROGRESS_EVERY_S
                            and self.controller.state == RUNNING
                            and block["batch"] != block["batches"]):
            return  # a few times a second is enough to read (an epoch's end always shows)
        self._progress_at = now
        total = info.epochs * block["batches"]
        done = (block["epoch"] - 1) * block["batches"] + block["batch"]
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(min(done, total))
        rate = block["samples_per_second"]
        left = ""
        run_done = done - (info.first_epoch - 1) * block["batches"]
        run_total = total - (info.first_epoch - 1) * block["batches"]
        if run_done > 0 and block["seconds"] > 0:
            remaining = block["seconds"] / run_done * (run_total - run_done)
            left = f" · {_duration(remaining)} left"
        self.progress_label.setText(
            f"epoch {block['epoch']}/{info.epochs} · step {int(block['step'][-1]):,} · "
            f"{rate:,.0f} samples/s{left}")


def _button(text: str) -> QToolButton:
    button = QToolButton()
    button.setText(text)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    return button


def _labelled(text: str, widget: QWidget) -> QWidget:
    box = QWidget()
    layout = QHBoxLayout(box)
    layout.setContentsMargins(4, 0, 4, 0)
    layout.setSpacing(4)
    layout.addWidget(QLabel(text))
    layout.addWidget(widget)
    return box


def _duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    minutes, s = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}:{s:02d}"
    hours, m = divmod(minutes, 60)
    return f"{hours}:{m:02d}:{s:02d}"
