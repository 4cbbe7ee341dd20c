"""The live training panels: docks that draw what the training controller gives them.

Each is a QDockWidget with an objectName (window state saves), PNG and CSV export, a
``clear()`` and a ``has_data()``. They never touch the model: the controller calls their plain
methods with numpy data on the GUI thread."""

from __future__ import annotations

from PySide6.QtWidgets import QDockWidget, QWidget

from .activations import ActivationsPanel, mosaic
from .base import PanelDock
from .boundary import BoundaryPanel
from .confusion import ConfusionPanel
from .curves import CurvesPanel
from .gallery import GalleryPanel
from .gradients import GradientFlowPanel
from .histograms import HistogramPanel

PANEL_CLASSES: dict[str, type[PanelDock]] = {
    "curves": CurvesPanel,
    "gradients": GradientFlowPanel,
    "histograms": HistogramPanel,
    "activations": ActivationsPanel,
    "boundary": BoundaryPanel,
    "confusion": ConfusionPanel,
    "gallery": GalleryPanel,
}


def all_panels(parent: QWidget | None = None) -> dict[str, QDockWidget]:
    """One of each panel, keyed "curves", "gradients", "histograms", "activations",
    "boundary", "confusion", "gallery"."""
    return {key: cls(parent) for key, cls in PANEL_CLASSES.items()}


__all__ = ["ActivationsPanel", "BoundaryPanel", "ConfusionPanel", "CurvesPanel",
           "GalleryPanel", "GradientFlowPanel", "HistogramPanel", "PANEL_CLASSES", "PanelDock",
           "all_panels", "mosaic"]
