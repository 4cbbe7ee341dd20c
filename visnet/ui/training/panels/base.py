"""What every live training panel shares: a dock with a row of controls and PNG/CSV export,
theme-following plot styling, growing numpy buffers and a redraw that is coalesced to at most
20 frames a second.

Panels only draw what they are given; the controller feeds them on the GUI thread."""

from __future__ import annotations

import csv
import time
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (QApplication, QDockWidget, QFileDialog, QHBoxLayout, QLabel,
                               QToolButton, QVBoxLayout, QSizePolicy, QWidget)

import pyqtgraph as pg

from ... import theme

REDRAW_MS = 33  # streams redraw at most 30 times a second, however often data arrive
EXPORT_SIZE = QSize(640, 420)  # a panel never shown is laid out at this size for export

# A calm qualitative palette (Tableau 10): distinct on light and dark backgrounds.
PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1",
           "#ff9da7", "#9c755f", "#bab0ac")


def palette_colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def with_alpha(colour: str, alpha: float) -> QColor:
    c = QColor(colour)
    c.setAlphaF(alpha)
    return c


def style_plot(plot: pg.PlotItem) -> None:
    """Axis, title and legend colours of one plot from the current theme."""
    t = theme.current()
    for name in ("left", "bottom", "right", "top"):
        axis = plot.getAxis(name)
        axis.setPen(pg.mkPen(t.node_subtext, width=1))
        axis.setTextPen(pg.mkPen(t.text))
    plot.titleLabel.setAttr("color", t.text)
    plot.titleLabel.setText(plot.titleLabel.text)  # re-render with the new colour
    legend = plot.legend
    if legend is not None:
        legend.setLabelTextColor(t.text)
        for _, label in legend.items:  # setLabelTextColor leaves drawn labels as they were
            label.setText(label.text)
        legend.setBrush(pg.mkBrush(with_alpha(t.base, 0.6)))
        legend.setPen(pg.mkPen(t.node_border, width=1))


class GrowingXRange:
    """An x range that only grows, in steps of about a third: a range that changes with every
    point makes pyqtgraph rebuild and repaint the axes each frame, which was half the cost of
    drawing a live curve."""

    def __init__(self, plot: pg.PlotItem):
        self.plot = plot
        self.limit = 0.0
        self._tight = False
        plot.enableAutoRange(x=False)

    def fit(self, last: float) -> None:
        if self._tight:  # a finished run (or a saved one): the data end at the right edge
            self._tight = False
            self.limit = max(last, 1.0)
            self.plot.setXRange(0, self.limit, padding=0.02)
        elif last > self.limit or self.limit == 0.0:
            self.limit = nice_number(max(last, 1.0) * 1.33)
            self.plot.setXRange(0, self.limit, padding=0.02)

    def settle(self) -> None:
        """The data stop growing: the next fit ends the range at the last point (new points
        after that grow it again)."""
        self._tight = True

    def reset(self) -> None:
        self.limit = 0.0
        self._tight = False


def nice_number(x: float) -> float:
    """The smallest of 1, 2, 2.5, 5 or 10 times a power of ten that is at least x."""
    power = 10.0 ** np.floor(np.log10(x))
    for m in (1.0, 2.0, 2.5, 5.0, 10.0):
        if m * power >= x:
            return m * power
    return 10.0 * power


def small_legend(plot: pg.PlotItem) -> pg.LegendItem:
    """A compact legend in the plot's top-right corner."""
    return plot.addLegend(offset=(-4, 4), labelTextSize="7pt", verSpacing=-6)


def side_legend(layout: pg.GraphicsLayoutWidget, row: int, col: int) -> pg.LegendItem:
    """A compact legend in a cell of the canvas beside a plot, where it hides none of the
    plot's lines (a plot of many lines fills every corner)."""
    legend = pg.LegendItem(offset=None, labelTextSize="7pt", verSpacing=-6)
    legend.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Maximum)
    legend.layout.setContentsMargins(0, 0, 0, 0)
    legend.layout.setHorizontalSpacing(2)
    layout.addItem(legend, row=row, col=col)
    layout.ci.layout.setAlignment(legend, Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
    return legend


def tidy_log_axis(axis: pg.AxisItem) -> None:
    """On a log axis, label only 1, 2 and 5 times a power of ten: pyqtgraph labels every
    minor tick when the range spans little more than a decade, and they overlap."""
    original = axis.logTickStrings

    def strings(values, scale, spacing):
        out = original(values, scale, spacing)
        keep = []
        for v, text in zip(values, out):
            mantissa = 10 ** (v - np.floor(v))
            near = round(mantissa)
            keep.append(text if near in (1, 2, 5, 10) and abs(mantissa - near) < 0.05 else "")
        return keep

    axis.logTickStrings = strings


def make_plot(layout: pg.GraphicsLayoutWidget, row: int, col: int, *, title: str = "",
              left: str = "", bottom: str = "", long_curves: bool = True,
              grid: bool = False) -> pg.PlotItem:
    """A plot. With ``long_curves`` it stays cheap however long its curves grow: peak
    downsampling and clipping to the view, set on the PlotItem (addItem would override a
    curve's own settings). Short step-mode histograms must go without: pyqtgraph's clipping
    breaks their len(x) == len(y) + 1. A grid costs a live plot ~10 ms a frame (measured), so
    streaming plots go without."""
    plot = layout.addPlot(row=row, col=col, title=title or None)
    if long_curves:
        plot.setDownsampling(auto=True, mode="peak")
        plot.setClipToView(True)
    if grid:
        plot.showGrid(x=True, y=True, alpha=0.15)
    if left:
        plot.setLabel("left", left)
    if bottom:
        plot.setLabel("bottom", bottom)
    return plot


class Columns:
    """Named float64 columns that grow by doubling; ``self[name]`` is a view of the filled
    part. Appending costs O(block), not O(everything so far)."""

    def __init__(self, names: Sequence[str], capacity: int = 1024):
        self.names = tuple(names)
        self._data = {n: np.empty(capacity, np.float64) for n in self.names}
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, name: str) -> np.ndarray:
        return self._data[name][:self._n]

    def append(self, **columns: np.ndarray) -> None:
        k = len(next(iter(columns.values())))
        need = self._n + k
        capacity = len(self._data[self.names[0]])
        if need > capacity:
            capacity = max(need, 2 * capacity)
            for name, old in self._data.items():
                new = np.empty(capacity, np.float64)
                new[:self._n] = old[:self._n]
                self._data[name] = new
        for name in self.names:
            value = columns.get(name)
            self._data[name][self._n:need] = np.nan if value is None else value
        self._n = need

    def keep(self, index: np.ndarray) -> None:
        """Keep only the rows at ``index`` (thinning a curve that grew too long)."""
        for name in self.names:
            kept = self[name][index]
            self._data[name][:len(kept)] = kept
        self._n = len(index)

    def clear(self) -> None:
        self._n = 0


def as_column(values, n: int | None = None) -> np.ndarray:
    """A float64 1-D array from a list/array that may hold None (None becomes NaN)."""
    if values is None:
        return np.full(n or 0, np.nan)
    try:
        return np.asarray(values, np.float64).reshape(-1)
    except TypeError:  # a list with None in it
        return np.array([np.nan if v is None else v for v in values], np.float64)


class PanelDock(QDockWidget):
    """A dock with a row of controls (subclasses add theirs on the left), "PNG" and "CSV"
    buttons on the right, and the panel's content below.

    Subclasses implement ``clear``, ``has_data``, ``csv_table`` (header and rows) and
    ``apply_theme``; streaming panels call ``schedule_redraw`` and implement ``redraw``."""

    file_stem = "panel"

    def __init__(self, title: str, object_name: str, parent: QWidget | None = None):
        super().__init__(title, parent)
        self.setObjectName(object_name)
        body = QWidget()
        self._layout = QVBoxLayout(body)
        self._layout.setContentsMargins(2, 2, 2, 2)
        self._layout.setSpacing(2)
        self.controls = QHBoxLayout()
        self.controls.setContentsMargins(2, 0, 2, 0)
        self.controls.addStretch(1)
        self.png_button = self._button("PNG", "Save this panel as a PNG picture", self._ask_png)
        self.csv_button = self._button("CSV", "Save this panel's data as a CSV file",
                                       self._ask_csv)
        self._layout.addLayout(self.controls)
        # A panel may be squeezed narrower than its controls: on a small screen the window
        # must still fit (the controls are then clipped, the plot stays).
        body.setMinimumSize(90, 90)
        self.setWidget(body)
        self.content: QWidget | None = None
        self._dirty = False
        self._drawn_at = 0.0
        self._redraw_timer = QTimer(self)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.setInterval(REDRAW_MS)
        self._redraw_timer.timeout.connect(self._scheduled_flush)
        theme.notifier.changed.connect(self.apply_theme)

    # -- building --------------------------------------------------------------------------

    def _button(self, text: str, tip: str, slot) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setToolTip(tip)
        button.setAutoRaise(True)
        button.clicked.connect(slot)
        self.controls.addWidget(button)
        return button

    def add_control(self, *widgets: QWidget) -> None:
        """Put widgets in the control row, left of the stretch before the export buttons."""
        at = self.controls.indexOf(self.png_button) - 1
        for w in widgets:
            self.controls.insertWidget(at, w)
            at += 1

    def set_content(self, widget: QWidget) -> None:
        self.content = widget
        self._layout.addWidget(widget, 1)
        self._note = QLabel(widget)
        self._note.setObjectName("panel_note")
        self._note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._note.setWordWrap(True)
        self._note.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self._note.hide()
        widget.installEventFilter(self)

    def set_note(self, text: str) -> None:
        """Say, over the panel, why it has nothing to show ("" hides the note)."""
        note = getattr(self, "_note", None)
        if note is None:
            return
        note.setText(text)
        note.setVisible(bool(text))
        self._place_note()

    def note(self) -> str:
        note = getattr(self, "_note", None)
        return note.text() if note is not None and not note.isHidden() else ""

    def _place_note(self) -> None:
        """A box in the middle of the content, over the empty plot."""
        note = getattr(self, "_note", None)
        if self.content is None or note is None or note.isHidden():
            return
        t = theme.current()
        back = QColor(t.base)
        note.setStyleSheet(
            f"QLabel {{ color: {t.text}; background: rgba({back.red()}, {back.green()}, "
            f"{back.blue()}, 235); border: 1px solid {t.node_border}; border-radius: 6px; "
            "padding: 6px 10px; }")
        r = self.content.rect()
        width = max(60, min(r.width() - 16, 300))
        height = min(note.heightForWidth(width), max(r.height() - 16, 20))
        note.setGeometry((r.width() - width) // 2, (r.height() - height) // 2, width, height)
        note.raise_()

    def eventFilter(self, watched, event) -> bool:
        if watched is self.content and event.type() == event.Type.Resize:
            self._place_note()
        return super().eventFilter(watched, event)

    def graphics(self) -> pg.GraphicsLayoutWidget:
        """A plot canvas as the panel's content, with the theme's background."""
        layout = pg.GraphicsLayoutWidget()
        layout.setBackground(theme.current().base)
        self.set_content(layout)
        return layout

    def show(self, *args, **kwargs) -> None:
        """With arguments, display data (``show_data``); without, QWidget.show() as usual."""
        if args or kwargs:
            self.show_data(*args, **kwargs)
        else:
            super().show()

    def show_data(self, *args, **kwargs) -> None:
        raise TypeError(f"{type(self).__name__} has no show(...) for data")

    # -- coalesced redraw ------------------------------------------------------------------

    def schedule_redraw(self) -> None:
        """Mark the plots stale. They redraw at once if the last redraw is REDRAW_MS old, else
        when it will be (at most 30 times a second, however often data arrive), and not
        before the panel is on screen (a panel hidden behind another tab costs nothing until
        it is raised)."""
        self._dirty = True
        if self._redraw_timer.isActive():
            return
        wait_ms = REDRAW_MS - (time.perf_counter() - self._drawn_at) * 1000
        if wait_ms <= 0:
            self._scheduled_flush()
        else:
            self._redraw_timer.start(int(wait_ms) + 1)

    def flush(self, force: bool = True) -> None:
        """Redraw now if anything changed since the last redraw; with force=False only if
        the panel is on screen (it stays stale until shown)."""
        self._redraw_timer.stop()
        if self._dirty and (force or self.isVisible()):
            self._dirty = False
            self._drawn_at = time.perf_counter()
            self.redraw()

    def _scheduled_flush(self) -> None:
        self.flush(force=False)

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._dirty:
            self._redraw_timer.start()

    def redraw(self) -> None:
        """Push the latest data into the plot items."""

    def run_ended(self) -> None:
        """The run stopped adding data (plots that grew ahead of it close up here)."""

    # -- subclass contract -----------------------------------------------------------------

    def clear(self) -> None:
        raise NotImplementedError

    def has_data(self) -> bool:
        raise NotImplementedError

    def csv_table(self) -> tuple[list[str], Iterable[Sequence]]:
        raise NotImplementedError

    def apply_theme(self) -> None:
        if isinstance(self.content, pg.GraphicsView):
            self.content.setBackground(theme.current().base)

    # -- export ----------------------------------------------------------------------------

    def export_png(self, path: str) -> bool:
        """Save the panel's content (plots, and tables beside them) as a PNG file, laid out at
        EXPORT_SIZE at least: a dock squeezed small on screen still exports readable axes."""
        self.flush()
        widget = self.content or self.widget()
        if not widget.isVisible():
            # Never shown: lay it out at a readable size instead of a child's default 100x30.
            body = self.widget()
            body.resize(body.size().expandedTo(EXPORT_SIZE))
            body.layout().activate()
            return widget.grab().save(str(path), "PNG")
        size = widget.size().expandedTo(EXPORT_SIZE)
        if size == widget.size() or widget is not self.content:
            return widget.grab().save(str(path), "PNG")
        # Lay the content out off screen at the larger size, grab it, and put it back.
        index = self._layout.indexOf(widget)
        note = self.note()
        self.set_note("")
        widget.setParent(None)
        widget.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, True)
        widget.show()
        widget.resize(size)
        QApplication.sendPostedEvents()
        pixmap = widget.grab()
        widget.hide()
        widget.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen, False)
        self._layout.insertWidget(index, widget, 1)
        widget.show()
        self.set_note(note)
        return pixmap.save(str(path), "PNG")

    def export_csv(self, path: str) -> None:
        self.flush()
        header, rows = self.csv_table()
        with open(path, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(header)
            writer.writerows(rows)

    def _ask_png(self) -> None:
        path = self._ask("PNG", "PNG image (*.png)", ".png")
        if path:
            self.export_png(path)

    def _ask_csv(self) -> None:
        path = self._ask("CSV", "CSV file (*.csv)", ".csv")
        if path:
            self.export_csv(path)

    def _ask(self, kind: str, filters: str, suffix: str) -> str:
        window = self.window()
        folder = Path(window._dialog_dir()) if hasattr(window, "_dialog_dir") else Path.home()
        path, _ = QFileDialog.getSaveFileName(self, f"Export {self.windowTitle()} as {kind}",
                                              str(folder / (self.file_stem + suffix)), filters)
        if path and not path.lower().endswith(suffix):
            path += suffix
        return path
