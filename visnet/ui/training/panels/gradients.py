"""The "Gradient flow" dock: each layer's gradient norm over time on a log axis, so vanishing
and exploding gradients show at a glance."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtWidgets import QWidget

import pyqtgraph as pg

from .base import (Columns, GrowingXRange, PanelDock, make_plot, palette_colour, side_legend,
                   style_plot, tidy_log_axis)

NORM_FLOOR = 1e-12  # zeros and NaN are drawn here: the log axis cannot show them
NORM_CEILING = 1e30  # an infinite norm is drawn here
MAX_POINTS = 50_000  # per layer; beyond, every other point is dropped (older parts get sparser)


def clamp_norm(value: float) -> float:
    value = float(value)
    if math.isnan(value):
        return NORM_FLOOR
    return min(max(value, NORM_FLOOR), NORM_CEILING)


class GradientFlowPanel(PanelDock):
    """One line per layer, labelled with the layer's name, against the optimizer step."""

    file_stem = "gradient_flow"

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Gradient flow", "GradientFlowDock", parent)
        canvas = self.graphics()
        self.plot = make_plot(canvas, 0, 0, left="gradient norm", bottom="step")
        self.plot.setLogMode(y=True)
        tidy_log_axis(self.plot.getAxis("left"))
        self._x_range = GrowingXRange(self.plot)
        self.legend = side_legend(canvas, 0, 1)
        self._labels: dict[str, str] = {}
        self._series: dict[str, Columns] = {}
        self._curves: dict[str, pg.PlotDataItem] = {}
        self.apply_theme()

    # -- data in ---------------------------------------------------------------------------

    def set_layers(self, labels: dict[str, str]) -> None:
        """The layers to draw, node id -> label ("Dense n2"), in legend order. Layers not
        named here are dropped; the data of those kept stay."""
        for node_id in [n for n in self._curves if n not in labels]:
            self.plot.removeItem(self._curves.pop(node_id))
            self._series.pop(node_id, None)
        self._labels = dict(labels)
        for node_id in self._labels:
            self._curve(node_id)
        self._relabel()
        self.schedule_redraw()

    def add(self, step: int, norms: dict[str, float]) -> None:
        """One snapshot: each layer's gradient norm at this step (clamped for the log axis)."""
        new = False
        for node_id, value in norms.items():
            if node_id not in self._curves:
                self._labels.setdefault(node_id, node_id)
                self._curve(node_id)
                new = True
            columns = self._series[node_id]
            columns.append(step=[float(step)], norm=[clamp_norm(value)])
            if len(columns) > MAX_POINTS:
                columns.keep(np.arange(0, len(columns), 2))
        if new:
            self._relabel()
        self.schedule_redraw()

    def clear(self) -> None:
        """Forget the data; the layers (and their legend) stay."""
        for columns in self._series.values():
            columns.clear()
        self._x_range.reset()
        self.schedule_redraw()
        self.flush()

    # -- accessors -------------------------------------------------------------------------

    def has_data(self) -> bool:
        return any(len(c) for c in self._series.values())

    def layers(self) -> dict[str, str]:
        return dict(self._labels)

    def series(self, node_id: str) -> tuple[np.ndarray, np.ndarray]:
        columns = self._series.get(node_id)
        if columns is None:
            return np.empty(0), np.empty(0)
        return columns["step"].copy(), columns["norm"].copy()

    # -- drawing ---------------------------------------------------------------------------

    def _curve(self, node_id: str) -> pg.PlotDataItem:
        curve = self._curves.get(node_id)
        if curve is None:
            curve = self._curves[node_id] = self.plot.plot([], [])
            self._series[node_id] = Columns(("step", "norm"), capacity=256)
        return curve

    def _relabel(self) -> None:
        self.legend.clear()
        for i, (node_id, label) in enumerate(self._labels.items()):
            curve = self._curves[node_id]
            curve.setPen(pg.mkPen(palette_colour(i), width=1))
            curve.opts["name"] = label
            self.legend.addItem(curve, label)

    def redraw(self) -> None:
        last = 0.0
        for node_id, curve in self._curves.items():
            columns = self._series[node_id]
            curve.setData(columns["step"], columns["norm"])
            if len(columns["step"]):
                last = max(last, float(columns["step"][-1]))
        self._x_range.fit(last)

    def run_ended(self) -> None:
        self._x_range.settle()
        self.schedule_redraw()

    def apply_theme(self) -> None:
        super().apply_theme()
        style_plot(self.plot)

    # -- export ----------------------------------------------------------------------------

    def csv_table(self):
        rows = []
        for node_id, columns in self._series.items():
            label = self._labels.get(node_id, node_id)
            rows += [[int(s), node_id, label, f"{v:.9g}"]
                     for s, v in zip(columns["step"].tolist(), columns["norm"].tolist())]
        rows.sort(key=lambda r: r[0])
        return ["step", "layer", "label", "norm"], rows
