"""The training loop: batches, epochs, validation and metrics, early stopping, a guard against
NaN, checkpoints, and controls (pause, resume, single step, stop) that are safe from another
thread.

``Trainer.run()`` is a generator of immutable events; the thread that iterates it is the one
that calls the model (the worker thread in the app, the main thread of ``visnet train``). The
controls only set flags under a lock; the loop reads them before every batch, so each takes
effect within one batch.

Determinism: the order of epoch e's batches is a permutation drawn from (seed, e) alone and
dropout's masks depend on the step count, so a run resumed from a checkpoint, at an epoch's end
or in the middle of one, takes exactly the steps the unbroken run takes.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import numpy as np

from .data.dataset import Dataset
from .data.fit import check_fit
from .errors import VisNetError
from .metrics import class_metrics, predicted_classes, regression_metrics

TRAIN_METRIC_SAMPLES = 10_000  # training metrics beyond loss are measured on at most this many
GUARD_SECONDS = 1.0  # the NaN guard's copy of the weights is at most this old
MAX_BATCH_POINTS = 20_000  # per-batch curve points kept in the history (thinned beyond)
MAX_GRADIENT_POINTS = 1_000  # gradient-flow snapshots kept in the history (thinned beyond)
SNAPSHOT_POINTS = 200  # a short run is snapshotted more often, to about this many points...
MIN_SNAPSHOT_SECONDS = 0.02  # ...but at most this often


class TrainingError(VisNetError):
    """Training cannot start or go on: the message says why."""


# ---------------------------------------------------------------------------------------------
# Events


@dataclass(frozen=True)
class BatchEnd:
    epoch: int  # 1-based
    batch: int  # 1-based within the epoch
    batches: int  # per epoch
    step: int  # optimizer steps taken so far, over every epoch
    loss: float
    accuracy: float | None  # for classes; None for regression
    mae: float | None  # for regression; None for classes
    samples_per_second: float
    seconds: float  # since run() started


@dataclass(frozen=True)
class EpochEnd:
    epoch: int
    epochs: int
    metrics: dict[str, Any]  # loss, accuracy|mae, val_loss, val_accuracy|val_mae, ... (a copy)
    seconds: float  # this epoch's wall time
    improved: bool  # the monitored metric reached a new best


@dataclass(frozen=True)
class Snapshot:
    """What the live panels draw besides the curves, taken between batches."""

    epoch: int
    step: int
    gradient_norms: dict[str, float]  # per layer
    dead_relu: dict[str, float]  # per ReLU layer: fraction of units dead in the last batch
    saturated: dict[str, float]  # per sigmoid/tanh layer: fraction of outputs near the limits


@dataclass(frozen=True)
class Finished:
    reason: str  # "completed", "stopped" or "early_stopping"
    epochs_done: int
    history: dict[str, Any]
    best_epoch: int | None


@dataclass(frozen=True)
class Failed:
    message: str
    node_id: str | None  # the first layer where non-finite values appeared, if that was it
    epoch: int
    step: int
    history: dict[str, Any]


Event = BatchEnd | EpochEnd | Snapshot | Finished | Failed


# ---------------------------------------------------------------------------------------------
# Checkpoints


@dataclass
class Checkpoint:
    """Everything needed to continue a run exactly: weights, optimizer state, history and the
    position in the data (the batch order is a function of seed and epoch)."""

    weights: dict[str, np.ndarray]
    optimizer: dict[str, Any]  # Model.get_optimizer_state(): config, step, slots
    history: dict[str, Any]
    epoch: int  # epochs completed
    batch: int  # batches of the next epoch already taken
    seed: int
    epoch_sums: dict[str, float] = field(default_factory=dict)  # running sums of that epoch
    best: dict[str, Any] | None = None  # early stopping: epoch, value, weights
    dataset: str | None = None
    finished: bool = False

    def state(self) -> dict[str, Any]:
        """The JSON part (no arrays)."""
        best = None if self.best is None else {
            "epoch": self.best["epoch"], "value": self.best["value"], "wait": self.best["wait"]}
        return {"epoch": self.epoch, "batch": self.batch, "seed": self.seed,
                "epoch_sums": dict(self.epoch_sums), "best": best, "dataset": self.dataset,
                "finished": self.finished,
                "optimizer": {"config": self.optimizer["config"],
                              "step": int(self.optimizer["step"])}}

    def arrays(self) -> dict[str, np.ndarray]:
        """The array part: optimizer slots and the best weights kept by early stopping."""
        out = {f"slot{i}": np.asarray(s, np.float32)
               for i, s in enumerate(self.optimizer["slots"])}
        if self.best is not None and self.best.get("weights") is not None:
            out.update({f"best/{k}": v for k, v in self.best["weights"].items()})
        return out

    @staticmethod
    def from_parts(state: dict[str, Any], arrays: dict[str, np.ndarray],
                   weights: dict[str, np.ndarray], history: dict[str, Any] | None) -> Checkpoint:
        slots = [arrays[f"slot{i}"] for i in range(2) if f"slot{i}" in arrays]
        best = state.get("best")
        if best is not None:
            best = dict(best, weights={k[5:]: v for k, v in arrays.items()
                                       if k.startswith("best/")} or None)
        opt = state["optimizer"]
        return Checkpoint(dict(weights), {"config": dict(opt["config"]), "step": int(opt["step"]),
                                          "slots": slots},
                          history or new_history(), int(state["epoch"]), int(state["batch"]),
                          int(state["seed"]), dict(state.get("epoch_sums") or {}), best,
                          state.get("dataset"), bool(state.get("finished", False)))


def new_history() -> dict[str, Any]:
    """The history of a run as .visnet files keep it: one row per epoch, and the per-batch curve
    as columns (thinned to every other point whenever it grows past MAX_BATCH_POINTS)."""
    return {"epochs": [], "batches": {"step": [], "loss": [], "accuracy": []}, "batch_every": 1}


# ---------------------------------------------------------------------------------------------
# The trainer


class Trainer:
    """Trains a compiled Model on a Dataset.

    Parameters default to the drawing's training settings. ``early_stopping`` is a patience in
    epochs (None: off) on ``monitor`` ("val_loss", or "loss" without validation data); the best
    weights are restored when it stops the run, and at the end of a run it did not stop.
    ``snapshot_every`` is in seconds (None: no Snapshot events). ``resume`` continues from a
    Checkpoint; ``history`` (ignored with resume) is prepended, so a file's earlier runs stay.
    """

    def __init__(self, model, dataset: Dataset, optimizer: dict[str, Any] | None = None,
                 batch_size: int | None = None, epochs: int | None = None, *,
                 seed: int | None = None, early_stopping: int | None = None,
                 monitor: str | None = None, snapshot_every: float | None = 1.0,
                 resume: Checkpoint | None = None, history: dict[str, Any] | None = None):
        settings = model.graph.training
        self.model = model
        self.dataset = dataset
        self.batch_size = int(batch_size or settings.batch_size)
        self.epochs = int(epochs or settings.epochs)
        self.seed = int(settings.seed if seed is None else seed)
        if self.batch_size < 1 or self.epochs < 1:
            raise TrainingError("batch size and epochs must be at least 1")
        self.early_stopping = early_stopping
        has_val = len(dataset.x_val) > 0
        self.monitor = monitor or ("val_loss" if has_val else "loss")
        if self.monitor.startswith("val_") and not has_val:
            raise TrainingError(f"early stopping monitors {self.monitor} but {dataset.spec} has "
                                f"no validation data")
        self.snapshot_every = snapshot_every
        self._lock = threading.Condition()
        self._paused = False
        self._stop = False
        self._steps = 0  # single steps granted while paused
        self._calls: deque[Callable[[], None]] = deque()
        self._running = False

        self.epoch = 0  # completed
        self.batch = 0  # taken of the current epoch
        self.history = new_history() if history is None else _copy_history(history)
        if dataset.class_names:  # the confusion matrix of a reopened run keeps its labels
            self.history["class_names"] = list(dataset.class_names)
        self._sums: dict[str, float] = {}
        self._best: dict[str, Any] | None = None
        if resume is not None:
            self._restore(resume)
        elif optimizer is not None:
            model.set_optimizer(optimizer)
        self._finished = False

    # -- controls (any thread) ---------------------------------------------------------------

    def pause(self) -> None:
        with self._lock:
            self._paused = True
            self._lock.notify_all()

    def resume(self) -> None:
        with self._lock:
            self._paused = False
            self._lock.notify_all()

    def step(self) -> None:
        """While paused, take one more batch."""
        with self._lock:
            if self._paused:
                self._steps += 1
                self._lock.notify_all()

    def stop(self) -> None:
        with self._lock:
            self._stop = True
            self._lock.notify_all()

    @property
    def paused(self) -> bool:
        return self._paused

    def call_soon(self, fn: Callable[[], None]) -> None:
        """Run fn on the training thread between batches (also while paused): the way another
        thread reads the model during a run."""
        with self._lock:
            self._calls.append(fn)
            self._lock.notify_all()

    def set_optimizer(self, config: dict[str, Any]) -> None:
        """Change optimizer settings (the learning rate, say) from any thread; they apply from
        the next batch, and the optimizer's state carries on."""
        self.call_soon(lambda: self.model.set_optimizer(config))

    # -- the loop ----------------------------------------------------------------------------

    def run(self) -> Iterator[Event]:
        ds, model = self.dataset, self.model
        check_fit(model.graph, ds)
        n = len(ds.x_train)
        if n == 0:
            raise TrainingError(f"{ds.spec} has no training samples")
        batches = math.ceil(n / self.batch_size)
        kept = model.keep_data(ds.x_train, ds.y_train)  # on a GPU: uploaded once, not per batch
        start = time.perf_counter()
        good = self._good_copy()
        good_time = start
        samples = 0
        last_snapshot = start
        taken, snapshot_step = 0, None  # batches taken by this call; the last snapshot's step
        reason = "completed"
        self._running = True
        try:
            while self.epoch < self.epochs:
                epoch = self.epoch + 1
                order = epoch_order(n, self.seed, epoch)
                epoch_start = time.perf_counter()
                while self.batch < batches:
                    if not self._gate():
                        reason = "stopped"
                        break
                    idx = order[self.batch * self.batch_size:(self.batch + 1) * self.batch_size]
                    stats = model.train_rows(idx) if kept else \
                        model.train_step(ds.x_train[idx], ds.y_train[idx])
                    self.batch += 1
                    taken += 1
                    samples += len(idx)
                    if not math.isfinite(stats["loss"]):
                        yield self._diverged(good, epoch)
                        return
                    self._add_batch(stats, len(idx), model.optimizer.step)
                    now = time.perf_counter()
                    if now - good_time >= GUARD_SECONDS:
                        good, good_time = self._good_copy(), now
                    yield BatchEnd(epoch, self.batch, batches, model.optimizer.step,
                                   stats["loss"], stats.get("accuracy"), stats.get("mae"),
                                   samples / max(now - start, 1e-9), now - start)
                    if self.snapshot_every is not None and now - last_snapshot >= \
                            self._snapshot_interval(now - start, taken, batches):
                        last_snapshot, snapshot_step = now, model.optimizer.step
                        yield self._snapshot(epoch)
                if reason == "stopped":
                    break
                metrics = self._epoch_metrics(epoch, time.perf_counter() - epoch_start)
                if not math.isfinite(metrics["loss"]) or not math.isfinite(
                        metrics.get("val_loss", 0.0)):
                    yield self._diverged(good, epoch)
                    return
                self.history["epochs"].append(metrics)
                self.epoch, self.batch, self._sums = epoch, 0, {}
                improved = self._track_best(metrics)
                good, good_time = self._good_copy(), time.perf_counter()
                yield EpochEnd(epoch, self.epochs, dict(metrics), metrics["seconds"], improved)
                if self._best is not None and self.early_stopping is not None and \
                        self._best["wait"] >= self.early_stopping:
                    reason = "early_stopping"
                    break
            if self._best is not None and reason != "stopped" and self._best.get("weights"):
                model.set_weights(self._best["weights"])
            if self.snapshot_every is not None and taken and \
                    snapshot_step != model.optimizer.step:
                yield self._snapshot(self.epoch)  # the gradients the run ended with
            self._finished = reason != "stopped"
            yield Finished(reason, self.epoch, _copy_history(self.history),
                           None if self._best is None else self._best["epoch"])
        finally:
            self._running = False

    # -- checkpoints -------------------------------------------------------------------------

    def checkpoint(self) -> Checkpoint:
        """The run's state now (call it from the training thread, or when run() is not
        running)."""
        best = None if self._best is None else dict(self._best)
        return Checkpoint(self.model.get_weights(), self.model.get_optimizer_state(),
                          _copy_history(self.history), self.epoch, self.batch, self.seed,
                          dict(self._sums), best, self.dataset.spec, self._finished)

    def _restore(self, cp: Checkpoint) -> None:
        try:
            self.model.set_weights(cp.weights)
            self.model.set_optimizer_state(cp.optimizer)
        except (ValueError, KeyError) as exc:
            raise TrainingError(f"the checkpoint does not fit this network ({exc}); train "
                                f"from the start with --fresh") from None
        self.history = _copy_history(cp.history)
        self.epoch, self.batch, self.seed = cp.epoch, cp.batch, cp.seed
        self._sums = dict(cp.epoch_sums)
        self._best = None if cp.best is None else dict(cp.best)

    # -- internals ---------------------------------------------------------------------------

    def _gate(self) -> bool:
        """Before a batch: run queued calls, wait while paused (unless a step was granted).
        False when the run must stop."""
        with self._lock:
            while True:
                while self._calls:
                    fn = self._calls.popleft()
                    self._lock.release()
                    try:
                        fn()
                    finally:
                        self._lock.acquire()
                if self._stop:
                    return False
                if not self._paused:
                    return True
                if self._steps > 0:
                    self._steps -= 1
                    return True
                self._lock.wait()

    def _good_copy(self) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
        return self.model.get_weights(), self.model.get_optimizer_state()

    def _diverged(self, good, epoch: int) -> Failed:
        model = self.model
        node = model.first_nonfinite()
        if node is not None:
            where = f"; non-finite values first appeared in {model.graph.nodes[node].label}"
        else:  # every value finite, but the loss overflowed float32: name what fed it
            node = model.compiled.loss.node
            out = model.activations(nodes=[node]).get(node)
            size = f" grew to {float(np.abs(out).max()):.3g}" if out is not None else " grew"
            where = f"; the outputs of {model.graph.nodes[node].label}{size}"
        step = model.optimizer.step
        weights, opt = good
        model.set_weights(weights)
        model.set_optimizer_state(opt)
        msg = (f"training diverged at epoch {epoch}, step {step}: the loss became NaN or "
               f"infinite{where}. The weights are back to those of step {opt['step']}; try a "
               f"lower learning rate, gradient clipping (clipnorm) or a normalisation layer")
        self.batch, self._sums = 0, {}  # the epoch starts again from the restored weights
        curve = self.history["batches"]
        keep = sum(1 for s in curve["step"] if s <= opt["step"])
        for key in curve:
            del curve[key][keep:]
        return Failed(msg, node, epoch, step, _copy_history(self.history))

    def _add_batch(self, stats: dict[str, float], n: int, step: int) -> None:
        s = self._sums
        s["n"] = s.get("n", 0.0) + n
        for key, value in stats.items():
            s[key] = s.get(key, 0.0) + value * n
        h = self.history["batches"]
        every = self.history["batch_every"]
        if step % every == 0:
            h["step"].append(step)
            h["loss"].append(stats["loss"])
            h["accuracy"].append(stats.get("accuracy", stats.get("mae")))
            if len(h["step"]) > MAX_BATCH_POINTS:
                for key in h:
                    h[key] = h[key][1::2]
                self.history["batch_every"] = every * 2

    def _epoch_metrics(self, epoch: int, seconds: float) -> dict[str, Any]:
        ds, s = self.dataset, self._sums
        count = max(s.get("n", 0.0), 1.0)
        m: dict[str, Any] = {"epoch": epoch, "step": self.model.optimizer.step,
                             "loss": s.get("loss", math.nan) / count}
        if ds.is_classes:
            m["accuracy"] = s.get("accuracy", 0.0) / count
        else:
            m["mae"] = s.get("mae", 0.0) / count
        pick = epoch_order(len(ds.x_train), self.seed, 0)[:TRAIN_METRIC_SAMPLES]
        m.update(self._measure(ds.x_train[np.sort(pick)], ds.y_train[np.sort(pick)], ""))
        if len(ds.x_val):
            ev = self.model.evaluate(ds.x_val, ds.y_val)
            m["val_loss"] = ev["loss"]
            m.update(self._measure(ds.x_val, ds.y_val, "val_"))
        m["lr"] = self.model.optimizer.learning_rate()
        m["seconds"] = seconds
        return m

    def _measure(self, x: np.ndarray, y: np.ndarray, prefix: str) -> dict[str, Any]:
        out = self.model.predict(x)
        if self.dataset.is_classes:
            kind = self.model.compiled.loss.kind
            pred = predicted_classes(out, kind, probabilities=self.model.outputs_probabilities)
            cm = class_metrics(y.reshape(pred.shape), pred, self.dataset.n_classes)
            if not prefix:
                cm.pop("accuracy")  # the running accuracy of the epoch stands for training
            return {prefix + k: v for k, v in cm.items()}
        rm = regression_metrics(y, out)
        if not prefix:
            rm.pop("mae")
        return {prefix + k: v for k, v in rm.items()}

    def _track_best(self, metrics: dict[str, Any]) -> bool:
        if self.early_stopping is None:
            return False
        value = metrics.get(self.monitor)
        if value is None:
            raise TrainingError(f"early stopping monitors {self.monitor!r}, which this run does "
                                f"not measure")
        lower = not self.monitor.endswith(("accuracy", "precision", "recall", "f1"))
        best = self._best
        if best is None or (value < best["value"] if lower else value > best["value"]):
            self._best = {"epoch": metrics["epoch"], "value": value, "wait": 0,
                          "weights": self.model.get_weights()}
            return True
        best["wait"] += 1
        return False

    def _snapshot_interval(self, elapsed: float, taken: int, batches: int) -> float:
        """snapshot_every, or less in a run expected to end sooner than SNAPSHOT_POINTS of
        them (judged from its pace so far: taken batches in elapsed seconds), down to
        MIN_SNAPSHOT_SECONDS."""
        if not taken:
            return self.snapshot_every
        left = (self.epochs - self.epoch) * batches - self.batch
        expected = elapsed / taken * (taken + left)
        return min(self.snapshot_every, max(MIN_SNAPSHOT_SECONDS, expected / SNAPSHOT_POINTS))

    def _snapshot(self, epoch: int) -> Snapshot:
        snap = Snapshot(epoch, self.model.optimizer.step, self.model.layer_gradient_norms(),
                        self.model.dead_relu_fractions(), self.model.saturated_fractions())
        self._add_gradients(snap.step, snap.gradient_norms)
        return snap

    def _add_gradients(self, step: int, norms: dict[str, float]) -> None:
        """The gradient flow as the file keeps it: {"step": [...], "norms": {node: [...]}},
        thinned to every other point beyond MAX_GRADIENT_POINTS."""
        g = self.history.setdefault("gradients", {"step": [], "norms": {}})
        if g["step"] and g["step"][-1] == step:
            return  # the run ended on the step of the last snapshot
        g["step"].append(step)
        for node, value in norms.items():
            column = g["norms"].setdefault(node, [])
            column.extend([None] * (len(g["step"]) - 1 - len(column)))  # a layer added later
            column.append(float(value))
        if len(g["step"]) > MAX_GRADIENT_POINTS:
            g["step"] = g["step"][1::2]
            g["norms"] = {k: v[1::2] for k, v in g["norms"].items()}


def epoch_order(n: int, seed: int, epoch: int) -> np.ndarray:
    """The order of the training samples in an epoch: a function of (seed, epoch) only."""
    return np.random.default_rng([seed, epoch]).permutation(n)


def _copy_history(history: dict[str, Any]) -> dict[str, Any]:
    base = new_history()
    base["epochs"] = [dict(e) for e in history.get("epochs", [])]
    batches = history.get("batches") or {}
    base["batches"] = {k: list(batches.get(k, [])) for k in ("step", "loss", "accuracy")}
    base["batch_every"] = int(history.get("batch_every", 1))
    gradients = history.get("gradients")
    if isinstance(gradients, dict):
        base["gradients"] = {"step": list(gradients.get("step", [])),
                             "norms": {k: list(v) for k, v in
                                       (gradients.get("norms") or {}).items()}}
    for key, value in history.items():  # anything else a file keeps (earlier runs' notes)
        base.setdefault(key, value)
    return base
