"""The "Loss and accuracy" dock: the per-batch training curve (optionally smoothed, as in
TensorBoard) and per-epoch training and validation points, against the optimizer step."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from PySide6.QtWidgets import QCheckBox, QDoubleSpinBox, QLabel, QWidget
from scipy.signal import lfilter

import pyqtgraph as pg

from ... import theme
from .base import (Columns, GrowingXRange, PanelDock, as_column, make_plot, style_plot,
                   tidy_log_axis, with_alpha)

MAX_BATCH_POINTS = 200_000  # beyond this the batch curve keeps every other point (and so on)
DEFAULT_SMOOTHING = 0.6  # TensorBoard's default
METRIC_LABELS = {"accuracy": "accuracy", "mae": "MAE"}


class Ema:
    """TensorBoard's smoothing: an exponential moving average, debiased at the start, over the
    finite values (non-finite ones stay NaN). ``extend`` continues where the last call ended."""

    def __init__(self, weight: float):
        self.weight = weight
        self.reset()

    def reset(self) -> None:
        self._state = np.zeros(1)
        self._count = 0

    def extend(self, x: np.ndarray) -> np.ndarray:
        out = np.full(len(x), np.nan)
        finite = np.isfinite(x)
        values = x[finite]
        if len(values):
            w = self.weight
            y, self._state = lfilter([1.0 - w], [1.0, -w], values, zi=self._state)
            k = self._count + np.arange(1, len(values) + 1)
            out[finite] = y / (1.0 - w ** k)
            self._count += len(values)
        return out


def _cell(value: Any, integer: bool = False) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    return str(int(value)) if integer else f"{float(value):.9g}"


class CurvesPanel(PanelDock):
    """Loss (top) and accuracy or MAE (bottom) against the optimizer step.

    Feed it ``add_batches`` (arrays, as the controller drains them) and ``add_epoch`` (an
    EpochEnd's metrics), or ``set_history`` (a saved run). Redraws are coalesced."""

    file_stem = "curves"

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Loss and accuracy", "TrainingCurvesDock", parent)
        self._metric = "accuracy"
        self._batches = Columns(("step", "loss", "metric", "smooth_loss", "smooth_metric"))
        self._stride = 1  # keep every _stride-th point received (grows when thinning)
        self._received = 0
        self._epochs: list[dict[str, Any]] = []
        self._smoothing = DEFAULT_SMOOTHING
        self._ema_loss, self._ema_metric = Ema(self._smoothing), Ema(self._smoothing)

        self.log_check = QCheckBox("log scale")
        self.log_check.setToolTip("Logarithmic loss axis")
        self.log_check.toggled.connect(self._on_log)
        self.smoothing_spin = QDoubleSpinBox()
        self.smoothing_spin.setRange(0.0, 0.99)
        self.smoothing_spin.setSingleStep(0.05)
        self.smoothing_spin.setDecimals(2)
        self.smoothing_spin.setValue(self._smoothing)
        self.smoothing_spin.setToolTip("Exponential moving average of the batch curve "
                                       "(0: raw values)")
        self.smoothing_spin.valueChanged.connect(self.set_smoothing)
        self.key = QLabel()  # the legend, in the controls row: in the plot it hid points
        self.key.setToolTip("Lines: each batch (faint) and its moving average; dots: each "
                            "epoch's training metrics; squares: each epoch's validation metrics")
        self.add_control(self.log_check, QLabel("smoothing"), self.smoothing_spin, self.key)

        canvas = self.graphics()
        self.loss_plot = make_plot(canvas, 0, 0, left="loss")
        tidy_log_axis(self.loss_plot.getAxis("left"))
        self.metric_plot = make_plot(canvas, 1, 0, left="accuracy", bottom="step")
        self.metric_plot.setXLink(self.loss_plot)
        self._x_range = GrowingXRange(self.loss_plot)
        self.loss_raw, self.loss_smooth, self.loss_epoch, self.loss_val = \
            self._items(self.loss_plot)
        self.metric_raw, self.metric_smooth, self.metric_epoch, self.metric_val = \
            self._items(self.metric_plot)
        self.apply_theme()

    @staticmethod
    def _items(plot: pg.PlotItem) -> tuple[pg.PlotDataItem, ...]:
        raw = plot.plot([], [])
        smooth = plot.plot([], [])
        epoch = plot.plot([], [], symbol="o", symbolSize=6)
        val = plot.plot([], [], symbol="s", symbolSize=6)
        for z, item in enumerate((raw, smooth, epoch, val)):  # epoch points on top
            item.setZValue(z)
        return raw, smooth, epoch, val

    # -- data in ---------------------------------------------------------------------------

    def set_task(self, task: str) -> None:
        """The lower plot shows accuracy for "classes", mean absolute error for "regression"."""
        metric = "mae" if task == "regression" else "accuracy"
        if metric != self._metric:
            self._metric = metric
            self.metric_plot.setLabel("left", METRIC_LABELS[metric])
            self.schedule_redraw()

    def task(self) -> str:
        return "regression" if self._metric == "mae" else "classes"

    def add_batches(self, steps, loss, accuracy=None) -> None:
        """Per-batch points: equal-length arrays; accuracy (MAE for regression) may be None."""
        steps = as_column(steps)
        loss = as_column(loss)
        metric = as_column(accuracy, len(steps))
        if not len(steps) == len(loss) == len(metric):
            raise ValueError(f"add_batches: {len(steps)} steps, {len(loss)} losses and "
                             f"{len(metric)} accuracies differ in length")
        received, self._received = self._received, self._received + len(steps)
        if self._stride > 1:
            keep = (received + np.arange(len(steps))) % self._stride == 0
            steps, loss, metric = steps[keep], loss[keep], metric[keep]
        if not len(steps):
            return
        start = len(self._batches)
        self._batches.append(step=steps, loss=loss, metric=metric)
        if self._smoothing > 0:
            self._batches["smooth_loss"][start:] = self._ema_loss.extend(loss)
            self._batches["smooth_metric"][start:] = self._ema_metric.extend(metric)
        if len(self._batches) > MAX_BATCH_POINTS:
            self._batches.keep(np.arange(0, len(self._batches), 2))
            self._stride *= 2
            self._resmooth()
        self.schedule_redraw()

    def add_epoch(self, metrics: dict[str, Any]) -> None:
        """One epoch's metrics (EpochEnd.metrics): points at metrics["step"]."""
        if "mae" in metrics and "accuracy" not in metrics:
            self.set_task("regression")
        self._epochs.append({key: metrics.get(key) for key in (
            "epoch", "step", "loss", "accuracy", "mae", "val_loss", "val_accuracy", "val_mae")})
        self.schedule_redraw()

    def set_history(self, history: dict[str, Any]) -> None:
        """Show a saved run (the Trainer's history dict) in place of what is shown."""
        self.clear()
        epochs = history.get("epochs") or []
        if any("mae" in row for row in epochs):
            self.set_task("regression")
        elif any("accuracy" in row for row in epochs):
            self.set_task("classes")
        batches = history.get("batches") or {}
        steps = batches.get("step")
        if steps is not None and len(steps):
            self.add_batches(steps, batches.get("loss"), batches.get("accuracy"))
        for row in epochs:
            self.add_epoch(row)
        self._x_range.settle()
        self.flush()

    def clear(self) -> None:
        self._x_range.reset()
        self._batches.clear()
        self._stride, self._received = 1, 0
        self._epochs.clear()
        self._ema_loss.reset()
        self._ema_metric.reset()
        self.schedule_redraw()
        self.flush()

    # -- controls --------------------------------------------------------------------------

    def set_smoothing(self, weight: float) -> None:
        weight = min(max(float(weight), 0.0), 0.99)
        if abs(self.smoothing_spin.value() - weight) > 1e-9:
            self.smoothing_spin.blockSignals(True)
            self.smoothing_spin.setValue(weight)
            self.smoothing_spin.blockSignals(False)
        if weight == self._smoothing:
            return
        self._smoothing = weight
        self._resmooth()
        self._style_batch_curves()
        self.schedule_redraw()

    def smoothing(self) -> float:
        return self._smoothing

    def set_log_scale(self, on: bool) -> None:
        self.log_check.setChecked(on)

    def log_scale(self) -> bool:
        return self.loss_plot.getAxis("left").logMode

    def _on_log(self, on: bool) -> None:
        self.loss_plot.setLogMode(y=on)

    def _resmooth(self) -> None:
        b = self._batches
        for ema, raw, out in ((self._ema_loss, "loss", "smooth_loss"),
                              (self._ema_metric, "metric", "smooth_metric")):
            ema.weight = self._smoothing
            ema.reset()
            if self._smoothing > 0:
                b[out][:] = ema.extend(b[raw])

    # -- accessors -------------------------------------------------------------------------

    def has_data(self) -> bool:
        return len(self._batches) > 0 or bool(self._epochs)

    def batch_steps(self) -> np.ndarray:
        return self._batches["step"].copy()

    def batch_loss(self) -> np.ndarray:
        """The raw per-batch loss as received (smoothing never changes it)."""
        return self._batches["loss"].copy()

    def batch_accuracy(self) -> np.ndarray:
        return self._batches["metric"].copy()

    def displayed_batch_loss(self) -> np.ndarray:
        """The batch loss curve as drawn: smoothed when smoothing is on."""
        self.flush()
        item = self.loss_smooth if self._smoothing > 0 else self.loss_raw
        return np.array(item.yData if item.yData is not None else [])

    def epoch_rows(self) -> list[dict[str, Any]]:
        """One dict per epoch: epoch, step, loss, accuracy|mae, val_loss, val_accuracy|val_mae
        (None where not measured)."""
        m = self._metric
        keys = ("epoch", "step", "loss", m, "val_loss", f"val_{m}")
        return [{k: row.get(k) for k in keys} for row in self._epochs]

    # -- drawing ---------------------------------------------------------------------------

    def redraw(self) -> None:
        b = self._batches
        steps = b["step"]
        epoch_steps = [r["step"] for r in self._epochs if r.get("step") is not None]
        last = max(steps[-1] if len(steps) else 0, max(epoch_steps, default=0))
        self._x_range.fit(float(last))
        axis = self.metric_plot.getAxis("left")
        if self._metric == "accuracy":  # a fixed range and ticks: its axis never redraws
            self.metric_plot.setYRange(0, 1, padding=0.02)
            axis.setTicks([[(0.0, "0"), (0.5, "0.5"), (1.0, "1")]])
        else:
            axis.setTicks(None)
            self.metric_plot.enableAutoRange(y=True)
        smoothing = self._smoothing > 0
        self.loss_raw.setData(steps, b["loss"])
        self.metric_raw.setData(steps, b["metric"])
        self.loss_smooth.setData(steps if smoothing else [],
                                 b["smooth_loss"] if smoothing else [])
        self.metric_smooth.setData(steps if smoothing else [],
                                   b["smooth_metric"] if smoothing else [])
        m = self._metric
        rows = self._epochs
        x = as_column([r["step"] for r in rows])
        for item, key in ((self.loss_epoch, "loss"), (self.loss_val, "val_loss"),
                          (self.metric_epoch, m), (self.metric_val, f"val_{m}")):
            y = as_column([r.get(key) for r in rows])
            finite = np.isfinite(x) & np.isfinite(y)
            item.setData(x[finite], y[finite])

    def run_ended(self) -> None:
        self._x_range.settle()
        self.schedule_redraw()

    def apply_theme(self) -> None:
        super().apply_theme()
        t = theme.current()
        for plot, epoch, val in ((self.loss_plot, self.loss_epoch, self.loss_val),
                                 (self.metric_plot, self.metric_epoch, self.metric_val)):
            epoch.setPen(pg.mkPen(t.selection, width=1))
            epoch.setSymbolPen(pg.mkPen(t.base, width=1))
            epoch.setSymbolBrush(pg.mkBrush(t.selection))
            val.setPen(pg.mkPen(t.warning, width=1))
            val.setSymbolPen(pg.mkPen(t.base, width=1))
            val.setSymbolBrush(pg.mkBrush(t.warning))
            style_plot(plot)
        self.key.setText(f'<span style="color:{t.selection}">\u25cf train</span>&nbsp;&nbsp;'
                         f'<span style="color:{t.warning}">\u25a0 val</span>')
        self._style_batch_curves()

    def _style_batch_curves(self) -> None:
        t = theme.current()
        # With smoothing on, the raw curve stays visible as a faint shadow (as in TensorBoard).
        raw = pg.mkPen(with_alpha(t.selection, 0.25 if self._smoothing > 0 else 0.8),
                     width=1)
        smooth = pg.mkPen(t.selection, width=1)
        for item in (self.loss_raw, self.metric_raw):
            item.setPen(raw)
        for item in (self.loss_smooth, self.metric_smooth):
            item.setPen(smooth)

    # -- export ----------------------------------------------------------------------------

    def csv_table(self):
        m = self._metric
        header = ["kind", "step", "epoch", "loss", m, "val_loss", f"val_{m}"]
        b = self._batches
        rows = [["batch", _cell(s, True), "", _cell(loss), _cell(metric), "", ""]
                for s, loss, metric in zip(b["step"].tolist(), b["loss"].tolist(),
                                           b["metric"].tolist())]
        rows += [["epoch", _cell(r["step"], True), _cell(r["epoch"], True), _cell(r["loss"]),
                  _cell(r.get(m)), _cell(r.get("val_loss")), _cell(r.get(f"val_{m}"))]
                 for r in self._epochs]
        return header, rows
