"""Training from the app: one worker thread loads the data, compiles the drawing and runs the
Trainer; every kernel call happens there. The worker puts messages on a queue; a QTimer on the
GUI thread drains it about 30 times a second and turns them into signals, so a fast loop never
floods the event loop (DESIGN.md, "Threads").

The panels' requests (feature maps of a sample, the decision-boundary grid, histograms) are
answered by the worker between batches, at most one at a time: ``request_probe`` asks, the
worker measures (``visnet.core.probes``), the ``probed`` signal answers.

Qt signals here are emitted on the GUI thread only (from the drain timer); the worker thread
never touches a QObject.
"""

from __future__ import annotations

import queue
import threading
import time
import traceback
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal

from ...core.errors import VisNetError
from ...core.probes import Probe, RunInfo, boundary_grid, measure, run_info

DRAIN_MS = 33  # about 30 Hz
BATCH_FLUSH_S = 0.03  # the worker sends batch points in blocks at most this often
MAX_MESSAGES_PER_DRAIN = 200

IDLE, LOADING, COMPILING, RUNNING, PAUSED, STOPPING = (
    "idle", "loading", "compiling", "running", "paused", "stopping")


class TrainingController(QObject):
    """Runs training for a DocumentModel. Signals carry plain Python/numpy data."""

    state_changed = Signal(str)
    status = Signal(str)  # "Loading digits...", "Compiling...", errors
    started = Signal(object)  # RunInfo
    batches = Signal(object)  # dict: step, loss, accuracy arrays; epoch, batch, batches, ...
    epoch_ended = Signal(object)  # EpochEnd
    snapshot = Signal(object)  # Snapshot
    probed = Signal(object)  # dict of what a Probe asked
    finished = Signal(object)  # Finished
    failed = Signal(str, object)  # message, node id or None
    loaded = Signal(object)  # (RunInfo, boundary grid or None): a saved network predicts

    def __init__(self, document, parent: QObject | None = None):
        super().__init__(parent)
        self.document = document
        self.state = IDLE
        self.model = None
        self.trainer = None
        self.info: RunInfo | None = None
        self.backend = None
        self.keep_weights = True
        self._queue: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._probe_pending = False
        self._timer = QTimer(self)
        self._timer.setInterval(DRAIN_MS)
        self._timer.timeout.connect(self.drain)
        self.click_time: float | None = None
        self.first_point_seconds: float | None = None

    # -- commands (GUI thread) ---------------------------------------------------------------

    @property
    def busy(self) -> bool:
        return self.state not in (IDLE,)

    def train(self, settings_override: dict[str, Any] | None = None) -> None:
        """Start a run with the drawing as it is now (a copy: editing during the run is safe)."""
        if self.busy:
            return
        self.click_time = time.perf_counter()
        self.first_point_seconds = None
        if self.document.run_problem is not None:
            self.document.set_run_problem(None)
        graph = self.document.graph.copy()
        weights = self.document.fitting_weights() if self.keep_weights else None
        history = None  # a new run has its own curves; the weights may carry on
        base_dir = self.document.path.parent if self.document.path else None
        self._set_state(LOADING)
        self._probe_pending = False
        self._thread = threading.Thread(
            target=self._work, name="visnet-training", daemon=True,
            args=(graph, weights, history, base_dir, dict(settings_override or {})))
        self._thread.start()
        self._timer.start()

    def pause(self) -> None:
        if self.trainer is not None and self.state == RUNNING:
            self.trainer.pause()
            self._set_state(PAUSED)

    def resume(self) -> None:
        if self.trainer is not None and self.state == PAUSED:
            self.trainer.resume()
            self._set_state(RUNNING)

    def step(self) -> None:
        """One batch while paused."""
        if self.trainer is not None and self.state == PAUSED:
            self.trainer.step()

    def stop(self) -> None:
        if self.trainer is not None and self.state in (RUNNING, PAUSED):
            self._set_state(STOPPING)
            self.trainer.stop()

    def set_optimizer(self, config: dict[str, Any]) -> None:
        """New optimizer settings (the learning rate, say), for the run going on too."""
        if self.trainer is not None and self.state in (RUNNING, PAUSED):
            self.trainer.set_optimizer(config)

    def request_probe(self, probe: Probe) -> bool:
        """Ask the worker for panel data; False while an earlier request is unanswered."""
        if self.trainer is None or self._probe_pending or self.state not in (RUNNING, PAUSED):
            return False
        self._probe_pending = True
        model, info, q = self.model, self.info, self._queue

        def answer() -> None:  # on the worker; a panel's request must never end the run
            try:
                q.put(("probe", measure(model, info, probe)))
            except Exception as exc:
                q.put(("probe", {"error": f"{type(exc).__name__}: {exc}"}))

        self.trainer.call_soon(answer)
        return True

    def wait(self, timeout: float = 10.0) -> bool:
        """Block until the worker has ended (tests, closing the window)."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        self.drain()
        return not self._thread.is_alive()

    def shutdown(self) -> None:
        """Stop a run and wait for the worker (the window is closing)."""
        if self.trainer is not None:
            self.trainer.stop()
        if self._thread is not None:
            self._thread.join(10.0)
        self._timer.stop()

    # -- the worker thread -------------------------------------------------------------------

    def _work(self, graph, weights, history, base_dir, override) -> None:
        q = self._queue
        try:
            from ...core.training import BatchEnd, EpochEnd, Finished, Snapshot, Trainer

            if override:
                graph.set_training(graph.training.updated(**override))
            if not graph.dataset:
                raise VisNetError("choose a dataset before training")
            dataset, model = self._prepare(graph, weights, base_dir, announce=True)
            trainer = Trainer(model, dataset, snapshot_every=0.25, history=history)
            self.model, self.trainer = model, trainer
            info = run_info(graph, model, dataset, trainer.batch_size, trainer.epochs,
                            trainer.epoch + 1)
            self.info = info
            q.put(("started", info))
            q.put(("state", RUNNING))
            block = _BatchBlock()
            for event in trainer.run():
                if isinstance(event, BatchEnd):
                    block.add(event)
                    if block.age() >= BATCH_FLUSH_S:
                        q.put(("batches", block.take()))
                    continue
                if block:
                    q.put(("batches", block.take()))
                if isinstance(event, EpochEnd):
                    q.put(("epoch", event))
                elif isinstance(event, Snapshot):
                    q.put(("snapshot", event))
                elif isinstance(event, Finished):
                    if dataset.input_shape == (2,):  # the boundary of the final weights
                        q.put(("probe", {"boundary": boundary_grid(model, info)}))
                    q.put(("finished", (event, trainer.checkpoint())))
                else:  # Failed
                    q.put(("failed", (event.message, event.node_id, trainer.checkpoint())))
        except VisNetError as exc:
            q.put(("error", str(exc)))
        except Exception as exc:  # never a crash or a frozen window: say what happened
            q.put(("error", f"training stopped on an unexpected error: {exc!r}\n"
                            f"{traceback.format_exc(limit=3)}"))
        finally:
            q.put(("done", None))

    def load_model(self) -> bool:
        """Compile the document's trained drawing on the worker so that it predicts at once
        (a file was opened); ``loaded`` says when. False when there is nothing to load."""
        if self.busy or not self.document.weights or not self.document.graph.dataset:
            return False
        graph = self.document.graph.copy()
        weights = self.document.fitting_weights()
        base_dir = self.document.path.parent if self.document.path else None
        self._set_state(LOADING)
        self._thread = threading.Thread(target=self._load, name="visnet-load", daemon=True,
                                        args=(graph, weights, base_dir))
        self._thread.start()
        self._timer.start()
        return True

    def _load(self, graph, weights, base_dir) -> None:
        q = self._queue
        try:
            settings = graph.training
            dataset, model = self._prepare(graph, weights, base_dir)
            info = run_info(graph, model, dataset, settings.batch_size, settings.epochs, 1)
            self.model, self.info = model, info
            grid = boundary_grid(model, info) if dataset.input_shape == (2,) else None
            q.put(("loaded", (info, grid)))
        except VisNetError as exc:
            q.put(("status", f"The trained network cannot predict yet: {exc}"))
        except Exception as exc:
            q.put(("status", f"Loading the trained network failed: {exc!r}"))
        finally:
            q.put(("done", None))

    def _prepare(self, graph, weights, base_dir, announce: bool = False):
        """On the worker: the dataset (checked against the drawing) and the compiled model
        with the weights that fit. ``announce`` tells the window what is going on."""
        from ...core.prepare import load_and_compile  # Numba loads here, not at app start

        if announce:
            self._queue.put(("status", f"Loading {graph.dataset}..."))
        return load_and_compile(graph, graph.dataset, base_dir, weights,
                                on_compiling=self._announce_compiling if announce else None)

    def _announce_compiling(self) -> None:
        self._queue.put(("state", COMPILING))
        self._queue.put(("status", "Compiling..."))

    # -- the GUI side ------------------------------------------------------------------------

    def drain(self) -> None:
        """Turn queued worker messages into signals (GUI thread, ~30 times a second)."""
        for _ in range(MAX_MESSAGES_PER_DRAIN):
            try:
                kind, payload = self._queue.get_nowait()
            except queue.Empty:
                return
            self._dispatch(kind, payload)

    def _dispatch(self, kind: str, payload: Any) -> None:
        if kind == "status":
            self.status.emit(payload)
        elif kind == "state":
            self._set_state(payload)
        elif kind == "started":
            self.started.emit(payload)
        elif kind == "batches":
            if self.first_point_seconds is None and self.click_time is not None:
                self.first_point_seconds = time.perf_counter() - self.click_time
            self.batches.emit(payload)
        elif kind == "epoch":
            self.epoch_ended.emit(payload)
        elif kind == "snapshot":
            self.snapshot.emit(payload)
        elif kind == "loaded":
            self.loaded.emit(payload)
        elif kind == "probe":
            self._probe_pending = False
            self.probed.emit(payload)
        elif kind == "finished":
            event, checkpoint = payload
            self.document.set_run(checkpoint.weights, checkpoint.history,
                                  (checkpoint.state(), checkpoint.arrays()))
            self.status.emit({"completed": "Training finished",
                              "stopped": "Training stopped",
                              "early_stopping": "Stopped early: the validation loss stopped "
                                                "improving"}[event.reason])
            self.finished.emit(event)
        elif kind == "failed":
            message, node_id, checkpoint = payload
            self.document.set_run(checkpoint.weights, checkpoint.history,
                                  (checkpoint.state(), checkpoint.arrays()))
            self.status.emit(message)
            self.failed.emit(message, node_id)
        elif kind == "error":
            self.status.emit(payload.splitlines()[0])
            self.failed.emit(payload, None)
        elif kind == "done":
            self.trainer = None
            self._timer.stop()
            self._set_state(IDLE)

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.state_changed.emit(state)


class _BatchBlock:
    """Batch results gathered on the worker between two sends."""

    def __init__(self):
        self._reset()

    def _reset(self):
        self.steps: list[int] = []
        self.loss: list[float] = []
        self.accuracy: list[float] = []
        self.last = None
        self.since = time.perf_counter()

    def __bool__(self) -> bool:
        return bool(self.steps)

    def add(self, ev) -> None:
        self.steps.append(ev.step)
        self.loss.append(ev.loss)
        self.accuracy.append(ev.accuracy if ev.accuracy is not None else
                             (ev.mae if ev.mae is not None else np.nan))
        self.last = ev

    def age(self) -> float:
        return time.perf_counter() - self.since

    def take(self) -> dict[str, Any]:
        ev = self.last
        out = {"step": np.asarray(self.steps), "loss": np.asarray(self.loss, np.float64),
               "accuracy": np.asarray(self.accuracy, np.float64), "epoch": ev.epoch,
               "batch": ev.batch, "batches": ev.batches, "samples_per_second":
               ev.samples_per_second, "seconds": ev.seconds}
        self._reset()
        return out
