"""The "Predictions" dock (image data): thumbnails of samples captioned "predicted / true",
mistakes framed in the theme's error colour."""

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


def thumbnail(image: np.ndarray, frame: str, frame_width: int) -> QPixmap:
    """The image scaled up (nearest neighbour) to THUMB, inside a frame of that colour."""
    side = THUMB + 2 * FRAME
    scaled = QPixmap.fromImage(to_qimage(image)).scaled(
        THUMB, THUMB, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation)
    pixmap = QPixmap(side, side)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.drawPixmap((side - scaled.width()) // 2, (side - scaled.height()) // 2, scaled)
    pen = QPen(QColor(frame), frame_width)
    pen.setJoinStyle(Qt.PenJoinStyle.MiterJoin)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    half = frame_width / 2
    painter.drawRect(QRect(0, 0, side, side).adjusted(int(half), int(half), -int(half + 0.5),
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
        self.list.setIconSize(QSize(THUMB + 2 * FRAME, THUMB + 2 * FRAME))
        self.list.setGridSize(QSize(THUMB + 2 * FRAME + 16, THUMB + 2 * FRAME + 24))
        self.list.setUniformItemSizes(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.set_content(self.list)
        self._images = np.empty((0, 1, 1, 1))
        self._true = np.empty(0, np.int64)
        self._pred = np.empty(0, np.int64)
        self._names: list[str] = []
        self._generation = 0

    def show_data(self, images: np.ndarray, true: np.ndarray, predicted: np.ndarray,
                  class_names: Sequence[str] | None = None) -> None:
        images = np.asarray(images)
        true = np.asarray(true).reshape(-1).astype(np.int64)
        predicted = np.asarray(predicted).reshape(-1).astype(np.int64)
        if not len(images) == len(true) == len(predicted):
            raise ValueError(f"{len(images)} images, {len(true)} labels and "
                             f"{len(predicted)} predictions differ in number")
        n = min(len(images), MAX_ITEMS)
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
        self._images = np.empty((0, 1, 1, 1))
        self._generation += 1
        self._true = self._pred = np.empty(0, np.int64)
        self._dirty = False
        self._fill()

    def _name(self, k: int) -> str:
        return self._names[k] if 0 <= k < len(self._names) else str(k)

    def _fill(self) -> None:
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

    # -- accessors -------------------------------------------------------------------------

    def has_data(self) -> bool:
        return len(self._true) > 0

    def items(self) -> list[tuple[int, int, bool]]:
        """(true, predicted, is_mistake) for each thumbnail shown."""
        return [(int(t), int(p), bool(t != p)) for t, p in zip(self._true, self._pred)]

    def captions(self) -> list[str]:
        self.flush()
        return [self.list.item(i).text() for i in range(self.list.count())]

    def apply_theme(self) -> None:
        self._fill()

    def csv_table(self):
        rows = [[i, self._name(int(t)), self._name(int(p)), int(t == p)]
                for i, (t, p) in enumerate(zip(self._true, self._pred))]
        return ["index", "true", "predicted", "correct"], rows
