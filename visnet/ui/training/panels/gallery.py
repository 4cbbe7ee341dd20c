"""The "Predictions" dock: what the network predicts for validation samples, in the form that
fits the data.

- image classes: thumbnails captioned "predicted / true", mistakes framed in the error colour;
- images out of images (an autoencoder): each input beside the model's output, with their error;
- numbers (regression): predicted against true, and for a sequence the series it saw with the
  true and the predicted next value;
- text: what the model writes after a prompt, at a temperature the user sets.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QIcon, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QDoubleSpinBox, QHBoxLayout, QLabel,
                               QLineEdit, QListView, QListWidget, QListWidgetItem,
                               QPlainTextEdit, QStackedWidget, QVBoxLayout, QWidget)

from ... import theme
from .base import PanelDock, make_plot, palette_colour, style_plot

MAX_ITEMS = 32
THUMB = 64  # thumbnail side in pixels, scaled up with nearest neighbour
FRAME = 3  # mistake frame width


def to_qimage(image: np.ndarray) -> QImage:
    """(C, H, W) or (H, W) floats in [0, 1], C 1 or 3, as a QImage (a copy)."""
    a = np.asarray(image, np.float64)
    if a.ndim == 3 and a.shape[0] == 1:
        a = a[0]
    u8 = np.ascontiguousarray((np.clip(np.nan_to_num(a), 0.0, 1.0) * 255 + 0.5)
                              .astype(np.uint8))
    if u8.ndim == 2:
        h, w = u8.shape
        return QImage(u8.data, w, h, w, QImage.Format.Format_Grayscale8).copy()
    if u8.ndim == 3 and u8.shape[0] == 3:
        rgb = np.ascontiguousarray(u8.transpose(1, 2, 0))
        h, w = rgb.shape[:2]
        return QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
    raise ValueError(f"an image of shape {np.shape(image)} is neither (1|3, H, W) nor (H, W)")


def thumbnail(image: np.ndarray, frame: str, frame_width: int, width: int = THUMB) -> QPixmap:
    """The image scaled up (nearest neighbour) to fit width x THUMB, inside a frame of that
    colour."""
    side = THUMB + 2 * FRAME
    across = width + 2 * FRAME
    scaled = QPixmap.fromImage(to_qimage(image)).scaled(
        width, THUMB, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation)
    pixmap = QPixmap(across, side)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.drawPixmap((across - scaled.width()) // 2, (side - scaled.height()) // 2, scaled)
    pen = QPen(QColor(frame), frame_width)
    pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    half = frame_width / 2
    painter.drawRect(QRect(0, 0, across, side).adjusted(int(half), int(half), -int(half + 0.5),
                                                      -int(half + 0.5)))
    painter.end()
    return pixmap


class GalleryPanel(PanelDock):
    """``show(images, true, predicted, class_names)``: the first MAX_ITEMS samples."""

    file_stem = "predictions"
    text_settings_changed = Signal()  # the prompt or the temperature of the text sample

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Predictions", "PredictionsDock", parent)
        self.list = QListWidget()
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setMovement(QListView.Movement.Static)
        self.list.setUniformItemSizes(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.list)
        self.pages.addWidget(self._regression_page())
        self.pages.addWidget(self._text_page())
        self.set_content(self.pages)
        self._regression: tuple[np.ndarray, np.ndarray, tuple | None] | None = None
        self._text = ""
        self._images = np.empty((0, 1, 1, 1))
        self._true = np.empty(0, np.int64)
        self._pred = np.empty(0, np.int64)
        self._names: list[str] = []
        self._generation = 0
        # An autoencoder's view: (input beside output images, mean squared errors), or None.
        self._pairs: tuple[list[np.ndarray], np.ndarray] | None = None
        self._set_width(THUMB)

    # -- the regression and text pages ----------------------------------------------------

    def _regression_page(self) -> QWidget:
        self.regression_view = pg.GraphicsLayoutWidget()
        self.regression_view.setBackground(theme.current().base)
        self.scatter_plot = make_plot(self.regression_view, 0, 0, left="predicted",
                                      bottom="true")
        self.scatter = pg.ScatterPlotItem(size=5)
        self.diagonal = pg.PlotCurveItem()
        self.scatter_plot.addItem(self.diagonal)
        self.scatter_plot.addItem(self.scatter)
        self.series_plot = make_plot(self.regression_view, 1, 0, left="value", bottom="step")
        self.series_line = pg.PlotDataItem()
        self.true_next = pg.ScatterPlotItem(size=9, symbol="o")
        self.pred_next = pg.ScatterPlotItem(size=11, symbol="x")
        for item in (self.series_line, self.true_next, self.pred_next):
            self.series_plot.addItem(item)
        return self.regression_view

    def _text_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(4, 4, 4, 4)
        row = QHBoxLayout()
        self.prompt = QLineEdit("the ")
        self.prompt.setToolTip("The text the model continues")
        self.temperature = QDoubleSpinBox()
        self.temperature.setRange(0.0, 2.0)
        self.temperature.setSingleStep(0.1)
        self.temperature.setValue(0.8)
        self.temperature.setToolTip("Below 1: safer choices; above 1: more adventurous; 0: "
                                    "always the most likely character")
        row.addWidget(QLabel("Prompt"))
        row.addWidget(self.prompt, 1)
        row.addWidget(QLabel("Temperature"))
        row.addWidget(self.temperature)
        layout.addLayout(row)
        self.text_view = QPlainTextEdit()
        self.text_view.setReadOnly(True)
        self.text_view.setFont(QFont("monospace"))
        layout.addWidget(self.text_view, 1)
        self.prompt.editingFinished.connect(self.text_settings_changed.emit)
        self.temperature.valueChanged.connect(lambda _v: self.text_settings_changed.emit())
        return page

    def text_request(self) -> tuple[str, float]:
        """(prompt, temperature) of the text sample the panel asks for."""
        return self.prompt.text(), float(self.temperature.value())

    def show_regression(self, true: np.ndarray, predicted: np.ndarray,
                        series: tuple[np.ndarray, float, float] | None = None) -> None:
        """Predicted against true for validation samples (every output value a point), and
        for a sequence the input series with its true and predicted next value."""
        true = np.asarray(true, np.float64).reshape(-1)
        predicted = np.nan_to_num(np.asarray(predicted, np.float64).reshape(-1))
        if len(true) != len(predicted):
            raise ValueError(f"{len(true)} true values and {len(predicted)} predictions")
        self._regression = (true, predicted, series)
        self._pairs = None
        self._true = self._pred = np.empty(0, np.int64)
        self.pages.setCurrentIndex(1)
        self.schedule_redraw()

    def show_text(self, text: str) -> None:
        self._text = str(text)
        self.pages.setCurrentIndex(2)
        self.schedule_redraw()

    def regression_points(self) -> tuple[np.ndarray, np.ndarray] | None:
        return None if self._regression is None else (self._regression[0].copy(),
                                                      self._regression[1].copy())

    def sample(self) -> str:
        return self._text

    def _draw_regression(self) -> None:
        true, pred, series = self._regression
        t = theme.current()
        self.scatter.setData(true, pred, pen=None, brush=pg.mkBrush(palette_colour(0)))
        if len(true):
            lo = float(min(true.min(), pred.min()))
            hi = float(max(true.max(), pred.max()))
            self.diagonal.setData([lo, hi], [lo, hi], pen=pg.mkPen(t.node_subtext,
                                                                    style=Qt.PenStyle.DashLine))
        self.series_plot.setVisible(series is not None)
        if series is not None:
            values, true_next, pred_next = series
            steps = np.arange(len(values))
            self.series_line.setData(steps, values, pen=pg.mkPen(palette_colour(0), width=2))
            self.true_next.setData([len(values)], [true_next], brush=pg.mkBrush(t.text),
                                   pen=None)
            self.pred_next.setData([len(values)], [pred_next],
                                   pen=pg.mkPen(palette_colour(1), width=2))

    def _set_width(self, width: int) -> None:
        self.list.setIconSize(QSize(width + 2 * FRAME, THUMB + 2 * FRAME))
        self.list.setGridSize(QSize(width + 2 * FRAME + 16, THUMB + 2 * FRAME + 24))

    def show_reconstructions(self, targets: np.ndarray, outputs: np.ndarray) -> None:
        """Each target (the input, for an autoencoder) beside the model's output for it,
        captioned with their mean squared error: the first MAX_ITEMS samples."""
        targets = np.asarray(targets, np.float64)
        outputs = np.nan_to_num(np.asarray(outputs, np.float64))
        if targets.shape != outputs.shape or targets.ndim != 4:
            raise ValueError(f"targets {targets.shape} and outputs {outputs.shape} are not "
                             f"images of one shape")
        n = min(len(targets), MAX_ITEMS)
        errors = ((outputs[:n] - targets[:n]) ** 2).reshape(n, -1).mean(axis=1)
        gap = np.ones((*targets.shape[1:-1], 1))
        pairs = [np.concatenate([np.clip(targets[i], 0, 1), gap, np.clip(outputs[i], 0, 1)],
                                axis=-1) for i in range(n)]
        self._pairs = (pairs, errors)
        self.pages.setCurrentIndex(0)
        self._true = self._pred = np.empty(0, np.int64)
        self._generation += 1
        self.schedule_redraw()

    def show_data(self, images: np.ndarray, true: np.ndarray, predicted: np.ndarray,
                  class_names: Sequence[str] | None = None) -> None:
        images = np.asarray(images)
        true = np.asarray(true).reshape(-1).astype(np.int64)
        predicted = np.asarray(predicted).reshape(-1).astype(np.int64)
        if not len(images) == len(true) == len(predicted):
            raise ValueError(f"{len(images)} images, {len(true)} labels and "
                             f"{len(predicted)} predictions differ in number")
        n = min(len(images), MAX_ITEMS)
        self.pages.setCurrentIndex(0)
        if self._pairs is not None:
            self._pairs = None
            self._images = np.empty((0, 1, 1, 1))
        if not (self._images.shape == images[:n].shape and np.array_equal(self._images,
                                                                          images[:n])):
            self._images = images[:n].copy()
            self._generation += 1  # new pictures: every thumbnail is redrawn
        self._true, self._pred = true[:n], predicted[:n]
        self._names = [str(c) for c in class_names] if class_names is not None else []
        self.schedule_redraw()

    def redraw(self) -> None:
        if self.pages.currentIndex() == 1 and self._regression is not None:
            self._draw_regression()
        elif self.pages.currentIndex() == 2:
            if self.text_view.toPlainText() != self._text:
                self.text_view.setPlainText(self._text)
        else:
            self._fill()

    def clear(self) -> None:
        self._regression = None
        self._text = ""
        self.text_view.clear()
        self.scatter.clear()
        self.diagonal.clear()
        self.series_line.clear()
        self.true_next.clear()
        self.pred_next.clear()
        self.pages.setCurrentIndex(0)
        self._pairs = None
        self._images = np.empty((0, 1, 1, 1))
        self._generation += 1
        self._true = self._pred = np.empty(0, np.int64)
        self._dirty = False
        self._fill()

    def _name(self, k: int) -> str:
        return self._names[k] if 0 <= k < len(self._names) else str(k)

    def _fill(self) -> None:
        if self._pairs is not None:
            self._fill_pairs()
            return
        self._set_width(THUMB)
        n = len(self._true)
        while self.list.count() > n:
            self.list.takeItem(self.list.count() - 1)
        while self.list.count() < n:
            self.list.addItem(QListWidgetItem())
        t = theme.current()
        for i in range(n):
            true, pred = int(self._true[i]), int(self._pred[i])
            wrong = true != pred
            item = self.list.item(i)
            key = (self._generation, t.name, self._name(true), self._name(pred), wrong)
            if item.data(Qt.ItemDataRole.UserRole) == key:
                continue  # the same image with the same prediction: nothing to redraw
            item.setData(Qt.ItemDataRole.UserRole, key)
            item.setIcon(QIcon(thumbnail(self._images[i], t.error if wrong else t.node_border,
                                         FRAME if wrong else 1)))
            item.setText(f"{self._name(pred)} / {self._name(true)}")
            item.setToolTip(f"predicted {self._name(pred)}, true {self._name(true)}"
                            + (" (mistake)" if wrong else ""))
            item.setForeground(QBrush(QColor(t.error if wrong else t.text)))

    def _fill_pairs(self) -> None:
        pairs, errors = self._pairs
        self._set_width(2 * THUMB)
        self.list.clear()
        t = theme.current()
        for image, error in zip(pairs, errors):
            item = QListWidgetItem(QIcon(thumbnail(image, t.node_border, 1, 2 * THUMB)),
                                   f"MSE {error:.4f}")
            item.setToolTip(f"input (left) and the model's output (right); mean squared error "
                            f"{error:.5g}")
            self.list.addItem(item)

    # -- accessors -------------------------------------------------------------------------

    def has_data(self) -> bool:
        return len(self._true) > 0 or self._pairs is not None or \
            self._regression is not None or bool(self._text)

    def items(self) -> list[tuple[int, int, bool]]:
        """(true, predicted, is_mistake) for each thumbnail shown."""
        return [(int(t), int(p), bool(t != p)) for t, p in zip(self._true, self._pred)]

    def captions(self) -> list[str]:
        self.flush()
        return [self.list.item(i).text() for i in range(self.list.count())]

    def apply_theme(self) -> None:
        self.regression_view.setBackground(theme.current().base)
        for plot in (self.scatter_plot, self.series_plot):
            style_plot(plot)
        self.redraw()

    def reconstruction_errors(self) -> list[float]:
        """The mean squared error of each pair shown (an autoencoder's view), else []."""
        return [] if self._pairs is None else [float(e) for e in self._pairs[1]]

    def csv_table(self):
        if self.pages.currentIndex() == 1 and self._regression is not None:
            true, pred, _ = self._regression
            return ["index", "true", "predicted"], [[i, float(a), float(b)] for i, (a, b) in
                                                     enumerate(zip(true, pred))]
        if self.pages.currentIndex() == 2:
            prompt, temperature = self.text_request()
            return ["prompt", "temperature", "text"], [[prompt, temperature, self._text]]
        if self._pairs is not None:
            return ["index", "mean_squared_error"], [[i, float(e)] for i, e in
                                                      enumerate(self._pairs[1])]
        rows = [[i, self._name(int(t)), self._name(int(p)), int(t == p)]
                for i, (t, p) in enumerate(zip(self._true, self._pred))]
        return ["index", "true", "predicted", "correct"], rows
