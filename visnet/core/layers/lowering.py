"""How a layer type turns into instructions: the part of its declaration the compiler calls.

The compiler keeps what every layer shares (the order, the two arenas, the gradient buffers,
aliasing, fusing a softmax into the loss, skipping gradients nothing needs, overwrite-then-add)
and asks each layer's Lowering for the rest: the workspaces it needs, the constants it reads,
and the instructions of its forward and backward passes. The hooks receive a LayerContext, the
compiler's view of one node in one batch plan; nothing here knows a backend.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

Instructions = list[np.ndarray]


class Region(Protocol):
    offset: int
    shape: tuple[int, ...]

    @property
    def size(self) -> int: ...


class LayerContext(Protocol):
    """One node of the drawing as the compiler lowers it for one batch size.

    Offsets of the layer's own tensors in P come from ``weight``, ``grad`` and ``constant``;
    regions of W from ``inputs``, ``out``, ``dy``, ``dx`` and ``buf`` (what ``buffers``
    returned). ``acc(region)`` is the accumulate flag of a gradient written into ``region``:
    0 the first time in a pass, 1 after, so no buffer is ever cleared."""

    node_id: str
    params: Mapping[str, Any]
    shape: tuple[int, ...]  # the output, without the batch axis
    input_shapes: Sequence[tuple[int, ...]]
    batch: int
    training: int  # 1 in a training pass (dropout drops, BatchNorm uses batch statistics)
    fused: bool  # the loss after this layer has taken over its softmax or sigmoid
    seed: int  # a stable number for this node, for random streams
    inputs: Sequence[Region]
    out: Region
    buf: Mapping[str, Region]
    wants_dx: Sequence[bool]  # does input i need a gradient?

    @property
    def dy(self) -> Region: ...

    def dx(self, i: int = 0) -> Region: ...

    def take(self, *shape: int) -> Region: ...

    def acc(self, region: Region) -> int: ...

    def weight(self, name: str) -> int: ...

    def grad(self, name: str) -> int: ...

    def constant(self, name: str) -> int: ...

    def has_grad(self) -> bool: ...

    def rows_of(self, shape: tuple[int, ...]) -> int: ...

    def feature_view(self, shape: tuple[int, ...]) -> tuple[int, int, int]: ...


@dataclass(frozen=True)
class LossFusion:
    """A layer whose softmax (or sigmoid) a following cross-entropy loss can take over: the
    loss then reads the logits, from the buffer ``logits`` of the layer ("z", its pre-activation)
    or, when ``logits`` is None, from the layer's input."""

    param: str  # the parameter naming the activation
    logits: str | None = "z"
    gradient: str | None = "dz"  # the buffer the loss writes the logits' gradient into


@dataclass(frozen=True)
class Lowering:
    """The hooks of one layer type; a type with none (Input) emits no instruction.

    view: the output is the input's memory seen in another shape (Flatten, Reshape): no
        buffer, no instruction.
    constants(params): values the kernels read from P, by name ({"rate": [0.5]}).
    buffers(ctx): workspaces by name (``ctx.take(...)``), made once per batch size.
    forward(ctx), backward(ctx): the instructions of each pass. backward runs only when the
        layer has parameters or one of its inputs needs a gradient.
    loss(ctx, logits, dlogits, targets, stats): the instructions of a loss layer.
    """

    view: bool = False
    constants: Callable[[Mapping[str, Any]], dict[str, list[float]]] | None = None
    buffers: Callable[[LayerContext], dict[str, Region]] | None = None
    forward: Callable[[LayerContext], Instructions] | None = None
    backward: Callable[[LayerContext], Instructions] | None = None
    loss: Callable[..., Instructions] | None = None
    fusion: LossFusion | None = None
