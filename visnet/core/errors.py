"""The typed errors of VisNet. Each names what is wrong and where, in words a user can act on."""

from __future__ import annotations

from dataclasses import dataclass


class VisNetError(Exception):
    """Base class of every error VisNet raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a drawing, attached to a node where there is one.

    ``severity`` is "error" (the network cannot train) or "warning" (it can, but something is
    probably not what the user meant, such as a layer whose output goes nowhere). ``kind`` is
    "shape" when a layer's shape rule refused its inputs, "structure" for the wiring.
    """

    node_id: str | None
    message: str
    severity: str = "error"
    kind: str = "structure"

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


class GraphError(VisNetError):
    """The drawing is invalid. ``node_id`` names the first node at fault (or None for the
    network as a whole); ``problems`` lists every problem found, so the canvas can mark them all."""

    def __init__(self, node_id: str | None, message: str, problems: tuple[Problem, ...] = ()):
        self.node_id = node_id
        self.message = message
        self.problems = tuple(problems) or (Problem(node_id, message),)
        super().__init__(message)


class ParamError(GraphError):
    """A layer parameter has a value its declaration does not allow."""

    def __init__(self, node_id: str | None, param: str, message: str):
        self.param = param
        super().__init__(node_id, message)


class ShapeError(GraphError):
    """Shapes do not fit together somewhere in the drawing."""


class LayerShapeError(ValueError):
    """Raised by a layer's shape rule; shape inference turns it into a Problem naming the node."""


class FileFormatError(VisNetError):
    """A .visnet or .json file cannot be read: the message names the file part and the fault."""


class CompileError(VisNetError):
    """A valid drawing cannot be compiled for the chosen backend."""


class InteropError(VisNetError):
    """A model cannot be exported to, or imported from, another format (ONNX, PyTorch): the
    message names every layer or operator at fault."""


def cycle_message(cycle: list[str]) -> str:
    """What a GraphError or a Problem says about the nodes of a cycle."""
    return f"{', '.join(cycle)} form a cycle: remove one of their connections"
