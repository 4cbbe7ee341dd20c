"""The canvas: the drawing of a document (CanvasScene) and the widget that shows it
(CanvasView). Palette drags carry LAYER_MIME with a layer type name as their data."""

from .items import EdgeItem, NodeItem, PortItem
from .scene import CanvasScene
from .view import LAYER_MIME, CanvasView

__all__ = ["LAYER_MIME", "CanvasScene", "CanvasView", "EdgeItem", "NodeItem", "PortItem"]
