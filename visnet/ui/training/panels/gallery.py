"""The "Predictions" dock (image data): thumbnails of samples captioned "predicted / true",
mistakes framed in the theme's error colour; for a model that outputs images of its inputs'
shape (an autoencoder), each input beside the model's output, captioned with their error."""

from __future__ import annotations

from typing import Sequence

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListView, QListWidget, QListWidgetItem, QWidget

from ... import theme
from .base import PanelDock

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

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Predictions", "PredictionsDock", parent)
        self.list = QListWidget()
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setMovement(QListView.Movement.Static)
        self.list.setUniformItemSizes(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.set_content(self.list)
        self._images = np.empty((0, 1, 1, 1))
        self._true = np.empty(0, np.int64)
        self._pred = np.empty(0, np.int64)
        self._names: list[str] = []
        self._generation = 0
        # An autoencoder's view: (input beside output images, mean squared errors), or None.
        self._pairs: tuple[list[np.ndarray], np.ndarray] | None = None
        self._set_width(THUMB)

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
        self._fill()

    def clear(self) -> None:
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
        return len(self._true) > 0 or self._pairs is not None

    def items(self) -> list[tuple[int, int, bool]]:
        """(true, predicted, is_mistake) for each thumbnail shown."""
        return [(int(t), int(p), bool(t != p)) for t, p in zip(self._true, self._pred)]

    def captions(self) -> list[str]:
        self.flush()
        return [self.list.item(i).text() for i in range(self.list.count())]

    def apply_theme(self) -> None:
        self._fill()

    def reconstruction_errors(self) -> list[float]:
        """The mean squared error of each pair shown (an autoencoder's view), else []."""
        return [] if self._pairs is None else [float(e) for e in self._pairs[1]]

    def csv_table(self):
        if self._pairs is not None:
            return ["index", "mean_squared_error"], [[i, float(e)] for i, e in
                                                      enumerate(self._pairs[1])]
        rows = [[i, self._name(int(t)), self._name(int(p)), int(t == p)]
                for i, (t, p) in enumerate(zip(self._true, self._pred))]
        return ["index", "true", "predicted", "correct"], rows
