"""The "Confusion matrix" dock: counts of true class (rows) against predicted class (columns)
as a heatmap with the numbers on it, and each class's precision and recall beside it."""

from __future__ import annotations

from typing import Sequence

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QHeaderView, QTableWidget,
                               QTableWidgetItem, QWidget)

import pyqtgraph as pg

from ....core.metrics import per_class
from ... import theme
from .base import PanelDock, make_plot, style_plot

MAX_LABELLED = 20  # beyond this many classes the cells carry no numbers and the axes no names
TABLE_COLUMNS = ("class", "precision", "recall")


def _mix(a: QColor, b: QColor, f: float) -> QColor:
    f = min(max(float(f), 0.0), 1.0)
    return QColor.fromRgbF(*(x + (y - x) * f for x, y in zip(a.getRgbF()[:3], b.getRgbF()[:3])))


def _readable_on(background: QColor) -> str:
    """Near-black text on a light cell, white on a dark one, in either theme."""
    r, g, b = background.getRgbF()[:3]
    return "#1f1f1f" if 0.299 * r + 0.587 * g + 0.114 * b > 0.55 else "#ffffff"


class ConfusionPanel(PanelDock):
    """``show(matrix, class_names, epoch)``: matrix[t, p] counts samples of true class t
    predicted as p (as core.metrics.confusion_matrix makes it)."""

    file_stem = "confusion_matrix"

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Confusion matrix", "ConfusionMatrixDock", parent)
        self.canvas = pg.GraphicsLayoutWidget()
        self.plot = make_plot(self.canvas, 0, 0, left="true", bottom="predicted")
        self.plot.invertY(True)
        self.plot.setAspectLocked(True)
        self.plot.setMouseEnabled(x=False, y=False)
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image_item)
        self._texts: list[pg.TextItem] = []

        self.table = QTableWidget(0, len(TABLE_COLUMNS))
        self.table.setHorizontalHeaderLabels(TABLE_COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)

        body = QWidget()
        row = QHBoxLayout(body)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.canvas, 3)
        row.addWidget(self.table, 1)
        self.set_content(body)

        self._matrix: np.ndarray | None = None
        self._names: list[str] = []
        self._epoch: int | None = None
        self._scores: dict[str, np.ndarray] = {}
        self.apply_theme()

    # -- data in ---------------------------------------------------------------------------

    def show_data(self, matrix: np.ndarray, class_names: Sequence[str] | None = None,
                  epoch: int | None = None) -> None:
        matrix = np.asarray(matrix)
        if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
            raise ValueError(f"a confusion matrix is square, not of shape {matrix.shape}")
        k = len(matrix)
        names = [str(n) for n in (class_names or [])][:k]
        names += [str(i) for i in range(len(names), k)]
        self._matrix, self._names, self._epoch = matrix.copy(), names, epoch
        self._scores = per_class(matrix)
        self.schedule_redraw()

    def redraw(self) -> None:
        self._draw()

    def clear(self) -> None:
        self._matrix, self._names, self._epoch, self._scores = None, [], None, {}
        self._dirty = False
        self.image_item.clear()
        for text in self._texts:
            text.setVisible(False)
        self.table.setRowCount(0)
        self.plot.setTitle(None)

    # -- accessors -------------------------------------------------------------------------

    def has_data(self) -> bool:
        return self._matrix is not None

    def matrix(self) -> np.ndarray | None:
        return None if self._matrix is None else self._matrix.copy()

    def class_names(self) -> list[str]:
        return list(self._names)

    def epoch(self) -> int | None:
        return self._epoch

    def precision(self) -> np.ndarray:
        """Per class: of the samples predicted as it, the share that are it (0 if none)."""
        return self._scores.get("precision", np.empty(0)).copy()

    def recall(self) -> np.ndarray:
        """Per class: of its samples, the share predicted as it (0 if none)."""
        return self._scores.get("recall", np.empty(0)).copy()

    def cell_texts(self) -> list[str]:
        """The numbers drawn on the cells, row by row (empty beyond MAX_LABELLED classes)."""
        self.flush()
        return [t.textItem.toPlainText() for t in self._texts if t.isVisible()]

    # -- drawing ---------------------------------------------------------------------------

    def _draw(self) -> None:
        if self._matrix is None:
            return
        t = theme.current()
        m = self._matrix.astype(np.float64)
        k = len(m)
        top = max(float(m.max()), 1.0) if m.size else 1.0
        cmap = pg.ColorMap([0.0, 1.0], [t.base, t.selection])
        self.image_item.setLookupTable(cmap.getLookupTable(nPts=256))
        self.image_item.setImage(m, autoLevels=False, levels=(0.0, top))
        self.image_item.setRect(0, 0, k, k)
        self.plot.setRange(xRange=(0, k), yRange=(0, k), padding=0.02)
        self.plot.setTitle(f"Epoch {self._epoch}" if self._epoch is not None else None)
        style_plot(self.plot)

        labelled = k <= MAX_LABELLED
        ticks = [[(i + 0.5, name) for i, name in enumerate(self._names)]] if labelled else None
        self.plot.getAxis("bottom").setTicks(ticks)
        self.plot.getAxis("left").setTicks(ticks)
        cells = k * k if labelled else 0
        while len(self._texts) < cells:
            text = pg.TextItem(anchor=(0.5, 0.5))
            self.plot.addItem(text)
            self._texts.append(text)
        low, high = QColor(t.base), QColor(t.selection)
        for n, text in enumerate(self._texts):
            if n >= cells:
                text.setVisible(False)
                continue
            i, j = divmod(n, k)
            value = self._matrix[i, j]
            text.setText(f"{value:g}" if np.issubdtype(self._matrix.dtype, np.floating)
                         else str(int(value)),
                         color=_readable_on(_mix(low, high, m[i, j] / top)))
            text.setPos(j + 0.5, i + 0.5)
            text.setVisible(True)
        self._fill_table()

    def _fill_table(self) -> None:
        k = len(self._names)
        self.table.setRowCount(k)
        precision, recall = self._scores["precision"], self._scores["recall"]
        for i in range(k):
            for j, text in enumerate((self._names[i], f"{precision[i]:.3f}",
                                      f"{recall[i]:.3f}")):
                item = self.table.item(i, j)
                if item is None:
                    item = QTableWidgetItem()
                    if j:
                        item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                              | Qt.AlignmentFlag.AlignVCenter)
                    self.table.setItem(i, j, item)
                item.setText(text)

    def apply_theme(self) -> None:
        self.canvas.setBackground(theme.current().base)
        style_plot(self.plot)
        self._draw()

    # -- export ----------------------------------------------------------------------------

    def csv_table(self):
        header = ["true", *self._names, "precision", "recall"]
        if self._matrix is None:
            return ["true", "precision", "recall"], []
        rows = [[name, *[f"{v:g}" for v in self._matrix[i].tolist()],
                 f"{self._scores['precision'][i]:.6g}", f"{self._scores['recall'][i]:.6g}"]
                for i, name in enumerate(self._names)]
        return header, rows
