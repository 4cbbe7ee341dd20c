"""VisNet: draw neural networks, train them on a Numba core, watch every layer learn.

The public API (stable): Graph, save, load, the typed errors, and the layer catalogue.
"""

from .core.errors import CompileError, FileFormatError, GraphError, ParamError, ShapeError
from .core.fileformat import Document, load, save
from .core.graph import Edge, Graph, Node
from .core.layers import CATALOGUE as layer_types
from .core.settings import TrainingSettings

__version__ = "0.1.0"

__all__ = [
    "CompileError", "Document", "Edge", "FileFormatError", "Graph", "GraphError", "Node",
    "ParamError", "ShapeError", "TrainingSettings", "layer_types", "load", "save",
]
