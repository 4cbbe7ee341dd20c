"""The "Activations" dock: what one layer outputs for one sample, as a single image: a feature
map's channels tiled in a mosaic, a vector as a strip, a sequence as time x units."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QLabel, QSpinBox, QWidget

import pyqtgraph as pg

from ... import theme
from .base import PanelDock

STRIP_WIDTH = 64  # a vector longer than this wraps into rows of this many units
COLORMAPS = ("viridis", "grey")


def _normalised(a: np.ndarray) -> np.ndarray:
    """Scaled to [0, 1] by its own finite min and max (0 where constant; NaN stays NaN)."""
    a = np.asarray(a, np.float64)
    finite = a[np.isfinite(a)]
    if not finite.size:
        return np.full(a.shape, np.nan)
    lo, hi = finite.min(), finite.max()
    out = np.where(np.isfinite(a), a - lo, np.nan)
    return out / (hi - lo) if hi > lo else np.where(np.isfinite(out), 0.0, np.nan)


def mosaic(activation: np.ndarray) -> np.ndarray:
    """The 2-D image (rows, columns) that shows one sample's activation, values in [0, 1] and
    NaN where nothing is (separators, unused tiles: drawn transparent).

    (C, H, W): channels tiled row by row in a grid of ceil(sqrt(C)) columns, 1-pixel gaps
    between tiles, each channel scaled to its own range. (units,): one row, or rows of
    STRIP_WIDTH. (T, U): T rows of U units. A leading batch axis of 1 is dropped."""
    a = np.asarray(activation)
    if a.ndim == 4 and a.shape[0] == 1:
        a = a[0]
    if a.ndim == 1:
        if len(a) <= STRIP_WIDTH:
            return _normalised(a)[None, :]
        rows = math.ceil(len(a) / STRIP_WIDTH)
        out = np.full(rows * STRIP_WIDTH, np.nan)
        out[:len(a)] = _normalised(a)
        return out.reshape(rows, STRIP_WIDTH)
    if a.ndim == 2:
        return _normalised(a)
    if a.ndim == 3:
        c, h, w = a.shape
        cols = math.ceil(math.sqrt(c))
        rows = math.ceil(c / cols)
        out = np.full((rows * (h + 1) - 1, cols * (w + 1) - 1), np.nan)
        for k in range(c):
            r, q = divmod(k, cols)
            out[r * (h + 1):r * (h + 1) + h, q * (w + 1):q * (w + 1) + w] = _normalised(a[k])
        return out
    raise ValueError(f"activations of shape {a.shape} cannot be shown: expected (units,), "
                     f"(time, units) or (channels, height, width)")


class ActivationsPanel(PanelDock):
    """``show(title, activation)`` for one sample. The "sample" spin box emits
    ``sample_changed(index)``: the controller answers with that sample's activations."""

    sample_changed = Signal(int)
    file_stem = "activations"

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Activations", "ActivationsDock", parent)
        self.sample_spin = QSpinBox()
        self.sample_spin.setRange(0, 0)
        self.sample_spin.setToolTip("Which sample of the data set to look at")
        self.sample_spin.valueChanged.connect(self.sample_changed)
        self.colormap_combo = QComboBox()
        self.colormap_combo.addItems(COLORMAPS)
        self.colormap_combo.setToolTip("Colour map")
        self.colormap_combo.currentTextChanged.connect(self.set_colormap)
        self.add_control(QLabel("sample"), self.sample_spin, self.colormap_combo)

        canvas = self.graphics()
        self.title_label = canvas.addLabel("", row=0, col=0)
        self.view = canvas.addViewBox(row=1, col=0, lockAspect=True, invertY=True,
                                      enableMenu=False)
        self.image_item = pg.ImageItem(axisOrder="row-major")
        self.view.addItem(self.image_item)
        self._title = ""
        self._activation: np.ndarray | None = None
        self._image: np.ndarray | None = None
        self._shown_sample = 0
        self._reshaped = False
        self.set_colormap(COLORMAPS[0])
        self.apply_theme()

    # -- data in ---------------------------------------------------------------------------

    def set_sample_count(self, n: int) -> None:
        """Samples to choose from (0..n-1); emits sample_changed only if the choice moved."""
        before = self.sample_spin.value()
        self.sample_spin.blockSignals(True)
        self.sample_spin.setRange(0, max(int(n) - 1, 0))
        self.sample_spin.blockSignals(False)
        if self.sample_spin.value() != before:
            self.sample_changed.emit(self.sample_spin.value())

    def sample(self) -> int:
        return self.sample_spin.value()

    def show_data(self, title: str, activation: np.ndarray) -> None:
        image = mosaic(activation)
        self._reshaped |= self._image is None or self._image.shape != image.shape
        self._title, self._activation, self._image = title, np.array(activation), image
        self._shown_sample = self.sample()
        self.schedule_redraw()

    def redraw(self) -> None:
        if self._image is None:
            return
        self.image_item.setImage(self._image, autoLevels=False, levels=(0.0, 1.0))
        self._set_title()
        if self._reshaped:
            self._reshaped = False
            self.view.autoRange(padding=0.02)

    def set_colormap(self, name: str) -> None:
        cmap = pg.colormap.get(name) if name != "grey" else \
            pg.ColorMap([0.0, 1.0], [(0, 0, 0), (255, 255, 255)])
        self.image_item.setLookupTable(cmap.getLookupTable(nPts=256))
        if self.colormap_combo.currentText() != name:
            self.colormap_combo.setCurrentText(name)

    def clear(self) -> None:
        self._title, self._activation, self._image = "", None, None
        self._dirty = False
        self.image_item.clear()
        self._set_title()

    # -- accessors -------------------------------------------------------------------------

    def has_data(self) -> bool:
        return self._image is not None

    def image(self) -> np.ndarray | None:
        """The 2-D image shown (values in [0, 1], NaN where transparent)."""
        return None if self._image is None else self._image.copy()

    def activation(self) -> np.ndarray | None:
        return None if self._activation is None else self._activation.copy()

    def title(self) -> str:
        return self._title

    # -- theme and export ------------------------------------------------------------------

    def _set_title(self) -> None:
        text = f"{self._title} (sample {self._shown_sample})" if self._title else ""
        self.title_label.setText(text, color=theme.current().text)

    def apply_theme(self) -> None:
        super().apply_theme()
        self._set_title()

    def csv_table(self):
        """The raw values (not the normalised image): channel,row,col,value; a vector is
        channel 0, row 0, and a sequence channel 0 with time as the row."""
        header = ["channel", "row", "col", "value"]
        if self._activation is None:
            return header, []
        a = self._activation
        if a.ndim == 4 and a.shape[0] == 1:
            a = a[0]
        a = a.reshape((1,) * (3 - a.ndim) + a.shape)
        index = np.indices(a.shape).reshape(3, -1).T.tolist()
        return header, [[c, r, q, f"{v:.9g}"] for (c, r, q), v in zip(index,
                                                                       a.reshape(-1).tolist())]
