"""The "Decision boundary" dock (for 2-D inputs): the network's output over a grid, drawn as an
image under the data points, in TensorFlow Playground's orange and blue."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QWidget

import pyqtgraph as pg

from ... import theme
from .base import PanelDock, make_plot, palette_colour, style_plot

ORANGE, NEUTRAL, BLUE = "#f59322", "#e8eaeb", "#0877bd"  # Playground's class -1, 0, +1
DIVERGING = pg.ColorMap([0.0, 0.5, 1.0], [ORANGE, NEUTRAL, BLUE])


def class_colours(n: int) -> list[str]:
    """Two classes: Playground's orange and blue; more: the qualitative palette."""
    return [ORANGE, BLUE] if n <= 2 else [palette_colour(i) for i in range(n)]


def _lighter(colour: str, amount: float = 0.55) -> tuple[int, int, int, int]:
    c = QColor(colour)
    mix = [round(v + (255 - v) * amount) for v in (c.red(), c.green(), c.blue())]
    return mix[0], mix[1], mix[2], 255


def _extent(centres: np.ndarray) -> tuple[float, float]:
    """(start, size) of the band whose pixels are centred on ``centres`` (ascending)."""
    step = (centres[-1] - centres[0]) / (len(centres) - 1) if len(centres) > 1 else 1.0
    return float(centres[0] - step / 2), float(step * len(centres))


class BoundaryPanel(PanelDock):
    """``set_points(x, y)`` once per data set, then ``show_grid(xs, ys, values)`` as training
    goes. Float values (a probability) use the diverging map; integer values (a predicted
    class) the class colours."""

    file_stem = "decision_boundary"

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Decision boundary", "DecisionBoundaryDock", parent)
        canvas = self.graphics()
        self.plot = make_plot(canvas, 0, 0, left="x2", bottom="x1")
        self.plot.setAspectLocked(True)
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.image_item.setZValue(-10)
        self.scatter = pg.ScatterPlotItem(size=6, symbol="o")
        self.scatter.setZValue(10)
        self.plot.addItem(self.image_item)
        self.plot.addItem(self.scatter)
        self._points: tuple[np.ndarray, np.ndarray] | None = None
        self._grid: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._levels: tuple[float, float] | None = None
        self._points_stale = False
        self.apply_theme()

    # -- data in ---------------------------------------------------------------------------

    def set_points(self, x: np.ndarray, y: np.ndarray) -> None:
        x = np.asarray(x, np.float64)
        labels = np.asarray(y).reshape(-1).astype(np.int64)
        if x.ndim != 2 or x.shape[1] != 2 or len(x) != len(labels):
            raise ValueError(f"set_points wants x of shape (N, 2) and N labels, not "
                             f"{x.shape} and {labels.shape}")
        self._points = (x.copy(), labels)
        self._points_stale = True
        self.schedule_redraw()

    def show_grid(self, xs: np.ndarray, ys: np.ndarray, values: np.ndarray,
                  levels: tuple[float, float] | None = None) -> None:
        """values[i, j] is the output at (xs[j], ys[i]): a probability of class 1 (levels
        default to 0..1, or the values' range if they leave it) or a class index."""
        xs, ys = np.asarray(xs, np.float64), np.asarray(ys, np.float64)
        values = np.asarray(values)
        if values.shape != (len(ys), len(xs)):
            raise ValueError(f"grid values of shape {values.shape} do not match "
                             f"{len(ys)} ys x {len(xs)} xs")
        if len(xs) > 1 and xs[0] > xs[-1]:
            xs, values = xs[::-1], values[:, ::-1]
        if len(ys) > 1 and ys[0] > ys[-1]:
            ys, values = ys[::-1], values[::-1]
        self._grid = (xs.copy(), ys.copy(), values.copy())
        self._levels = levels
        self.schedule_redraw()

    def redraw(self) -> None:
        if self._points_stale:
            self._points_stale = False
            self._draw_points()
        if self._grid is not None:
            self._draw_grid()  # class colours depend on how many classes there are

    def clear(self) -> None:
        self._points = self._grid = None
        self._dirty = self._points_stale = False
        self.scatter.clear()
        self.image_item.clear()

    # -- accessors -------------------------------------------------------------------------

    def has_data(self) -> bool:
        return self._points is not None or self._grid is not None

    def grid(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """(xs, ys, values) as drawn (axes ascending)."""
        return None if self._grid is None else tuple(a.copy() for a in self._grid)

    def points(self) -> tuple[np.ndarray, np.ndarray] | None:
        return None if self._points is None else tuple(a.copy() for a in self._points)

    # -- drawing ---------------------------------------------------------------------------

    def _n_classes(self) -> int:
        n = 2
        if self._points is not None and len(self._points[1]):
            n = max(n, int(self._points[1].max()) + 1)
        if self._grid is not None and self._grid[2].dtype.kind in "iub" and self._grid[2].size:
            n = max(n, int(self._grid[2].max()) + 1)
        return n

    def _draw_points(self) -> None:
        if self._points is None:
            return
        x, labels = self._points
        brushes = [pg.mkBrush(c) for c in class_colours(self._n_classes())]
        self.scatter.setData(x[:, 0], x[:, 1], brush=[brushes[k] for k in labels.tolist()],
                             pen=pg.mkPen(theme.current().base, width=1))

    def _draw_grid(self) -> None:
        xs, ys, values = self._grid
        if values.dtype.kind in "iub":
            lut = np.array([_lighter(c) for c in class_colours(self._n_classes())], np.uint8)
            self.image_item.setLookupTable(None)
            self.image_item.setImage(lut[np.clip(values, 0, len(lut) - 1)], autoLevels=False,
                                     levels=(0, 255))
        else:
            levels = self._levels
            if levels is None:
                finite = values[np.isfinite(values)]
                lo = min(0.0, float(finite.min())) if finite.size else 0.0
                hi = max(1.0, float(finite.max())) if finite.size else 1.0
                levels = (lo, hi)
            self.image_item.setLookupTable(DIVERGING.getLookupTable(nPts=256))
            self.image_item.setImage(values.astype(np.float64), autoLevels=False,
                                     levels=levels)
        x0, width = _extent(xs)
        y0, height = _extent(ys)
        self.image_item.setRect(QRectF(x0, y0, width, height))

    def apply_theme(self) -> None:
        super().apply_theme()
        style_plot(self.plot)
        self._draw_points()

    # -- export ----------------------------------------------------------------------------

    def csv_table(self):
        rows = []
        if self._grid is not None:
            xs, ys, values = self._grid
            for i, y in enumerate(ys.tolist()):
                rows += [["grid", f"{x:.9g}", f"{y:.9g}", f"{v:.9g}"]
                         for x, v in zip(xs.tolist(), values[i].tolist())]
        if self._points is not None:
            x, labels = self._points
            rows += [["point", f"{a:.9g}", f"{b:.9g}", k]
                     for (a, b), k in zip(x.tolist(), labels.tolist())]
        return ["kind", "x", "y", "value"], rows
