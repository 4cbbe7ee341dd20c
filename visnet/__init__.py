"""VisNet: draw neural networks, train them on a Numba core, watch every layer learn.

The public API (stable): Graph, save, load, compile (to a Model), datasets.load, Trainer and its
events, the typed errors, the layer catalogue, and models in and out: export_onnx, export_pytorch,
import_onnx.
"""

import os

# One thread pool: OpenBLAS's threads fight Numba's on small machines (8 ms steps instead of
# 0.5 ms). This only takes effect if numpy has not been imported yet.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from .core.errors import (CompileError, FileFormatError, GraphError, InteropError, ParamError,
                          ShapeError)
from .core.fileformat import Document, load, save
from .core.graph import Edge, Graph, Node
from .core.layers import CATALOGUE as layer_types
from .core.settings import TrainingSettings

__version__ = "0.1.0"

__all__ = [
    "BatchEnd", "Checkpoint", "CompileError", "Document", "Edge", "EpochEnd", "Failed",
    "FileFormatError", "Finished", "Graph", "GraphError", "InteropError", "Model", "Node",
    "ParamError", "ShapeError", "Snapshot", "Trainer", "TrainingSettings", "compile", "datasets",
    "export_onnx", "export_pytorch", "import_onnx", "layer_types", "load", "save",
]


def __getattr__(name: str):
    # The training core (and Numba with it) loads on first use, so `visnet info` and the editor
    # start fast.
    if name in ("compile", "Model"):
        from .core import model

        return getattr(model, name)
    if name in ("Trainer", "Checkpoint", "BatchEnd", "EpochEnd", "Snapshot", "Finished",
                "Failed"):
        from .core import training

        return getattr(training, name)
    if name == "export_onnx":
        from .core.interop.onnx_export import export_onnx

        return export_onnx
    if name == "export_pytorch":
        from .core.interop.torch_export import export_torch

        return export_torch
    if name == "import_onnx":
        from .core.interop.onnx_import import import_onnx

        return import_onnx
    if name == "datasets":
        from .core import data

        return data
    raise AttributeError(f"module 'visnet' has no attribute {name!r}")
