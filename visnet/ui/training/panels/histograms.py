"""The "Weights and gradients" dock: stepped histograms of one layer's parameter tensors
(left) and of their last gradients (right), as Model.histograms(node_id) gives them."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QWidget

import pyqtgraph as pg

from .base import (PanelDock, make_plot, palette_colour, small_legend, style_plot,
                   with_alpha)

GRAD_SUFFIX = ".grad"


class HistogramPanel(PanelDock):
    """``show(title, {name: (counts, edges)})``: "kernel", "bias", ... on the left and
    "kernel.grad", ... on the right. Items are kept per name and updated in place."""

    file_stem = "histograms"

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Weights and gradients", "WeightHistogramDock", parent)
        canvas = self.graphics()
        self.weight_plot = make_plot(canvas, 0, 0, title="weights", left="count",
                                     bottom="value", long_curves=False, grid=True)
        self.grad_plot = make_plot(canvas, 0, 1, title="gradients", bottom="value",
                                   long_curves=False, grid=True)
        self.weight_legend = small_legend(self.weight_plot)
        self.grad_legend = small_legend(self.grad_plot)
        self._title = ""
        self._hists: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._items: dict[str, pg.PlotDataItem] = {}
        self.apply_theme()

    def show_data(self, title: str, hists: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
        hists = {name: (np.asarray(counts, np.float64), np.asarray(edges, np.float64))
                 for name, (counts, edges) in hists.items()}
        for name, (counts, edges) in hists.items():
            if len(edges) != len(counts) + 1:
                raise ValueError(f"histogram {name!r}: {len(counts)} counts need "
                                 f"{len(counts) + 1} bin edges, not {len(edges)}")
        self._title, self._hists = title, hists
        self.schedule_redraw()

    def redraw(self) -> None:
        title, hists = self._title, self._hists
        for name in [n for n in self._items if n not in hists]:
            self._side(name)[0].removeItem(self._items.pop(name))
        bases = list(dict.fromkeys(n.removesuffix(GRAD_SUFFIX) for n in hists))
        for name, (counts, edges) in hists.items():
            item = self._items.get(name)
            if item is None:
                item = self._items[name] = pg.PlotDataItem(stepMode="center", fillLevel=0)
                self._side(name)[0].addItem(item)
            colour = palette_colour(bases.index(name.removesuffix(GRAD_SUFFIX)))
            item.setPen(pg.mkPen(colour, width=1))
            item.setBrush(pg.mkBrush(with_alpha(colour, 0.35)))
            item.setData(edges, counts)
        self._relabel()
        self.weight_plot.setTitle(f"{title}: weights" if title else "weights")
        self.grad_plot.setTitle(f"{title}: gradients" if title else "gradients")
        self.weight_plot.autoRange()
        self.grad_plot.autoRange()

    def _side(self, name: str) -> tuple[pg.PlotItem, pg.LegendItem]:
        if name.endswith(GRAD_SUFFIX):
            return self.grad_plot, self.grad_legend
        return self.weight_plot, self.weight_legend

    def _relabel(self) -> None:
        self.weight_legend.clear()
        self.grad_legend.clear()
        for name, item in self._items.items():
            self._side(name)[1].addItem(item, name)

    def clear(self) -> None:
        for name in list(self._items):
            self._side(name)[0].removeItem(self._items.pop(name))
        self._relabel()
        self._title, self._hists = "", {}
        self._dirty = False
        self.weight_plot.setTitle("weights")
        self.grad_plot.setTitle("gradients")

    def has_data(self) -> bool:
        return bool(self._hists)

    def current(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        return dict(self._hists)

    def title(self) -> str:
        return self._title

    def plotted(self) -> dict[str, str]:
        """Each histogram drawn, and on which side: "weights" or "gradients"."""
        self.flush()
        return {name: "gradients" if self._side(name)[0] is self.grad_plot else "weights"
                for name in self._items}

    def apply_theme(self) -> None:
        super().apply_theme()
        style_plot(self.weight_plot)
        style_plot(self.grad_plot)

    def csv_table(self):
        rows = []
        for name, (counts, edges) in self._hists.items():
            rows += [[name, f"{lo:.9g}", f"{hi:.9g}", f"{c:.9g}"]
                     for lo, hi, c in zip(edges[:-1].tolist(), edges[1:].tolist(),
                                          counts.tolist())]
        return ["tensor", "bin_start", "bin_end", "count"], rows
