"""How a layer type leaves VisNet: its ONNX nodes and its PyTorch code, declared next to its
lowering (the ``export`` of a LayerType). The hooks build on a context the exporters give them
(visnet/core/interop/onnx_export.py and torch_export.py), so the layer modules import neither
onnx nor torch.

ONNX hooks get an :class:`OnnxLayer`-like context and return the name of the layer's output:

- ``ctx.params``, ``ctx.input_shapes`` and ``ctx.shape`` (without the batch axis), ``ctx.inputs``
  (the names of the input tensors), ``ctx.id``;
- ``ctx.op(op_type, *inputs, outputs=1, **attributes)``: adds a node, returns its output's name
  (a list of names when ``outputs`` > 1; an input may be "" for an optional one left out);
- ``ctx.weight(name)``: the layer's trained tensor as a float32 array;
- ``ctx.tensor(array, hint)``: adds an initializer, returns its name (int64 arrays stay int64).

Shapes: VisNet's images are (channels, height, width), ONNX's NCHW after the batch axis; its
sequences (time, features) batch first, which ONNX's recurrent ops take time first.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

OnnxHook = Callable[[Any], str]
TorchHook = Callable[[Any], str]


@dataclass(frozen=True)
class Export:
    """``onnx(ctx) -> output name``; ``torch(ctx) -> the forward expression`` (see
    torch_export.py for its context)."""

    onnx: OnnxHook | None = None
    torch: TorchHook | None = None


def feature_axis(shape: tuple[int, ...]) -> int:
    """The axis (counted with the batch axis) a softmax or normalisation works over: the channels
    of an image, else the last axis."""
    return 1 if len(shape) == 3 else -1


def onnx_activation(ctx, x: str, fn: str, shape: tuple[int, ...]) -> str:
    """``fn`` applied to tensor x of the given shape (without the batch axis)."""
    if fn == "linear":
        return x
    if fn in ("relu", "sigmoid", "tanh"):
        return ctx.op({"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh"}[fn], x)
    if fn == "leaky_relu":
        from .base import LEAKY_RELU_SLOPE

        return ctx.op("LeakyRelu", x, alpha=LEAKY_RELU_SLOPE)
    if fn == "softmax":
        return ctx.op("Softmax", x, axis=feature_axis(shape))
    if fn == "gelu":  # x/2 (1 + erf(x/sqrt(2))), as VisNet computes it (Gelu is opset 20)
        half = ctx.tensor(np.float32(0.5), "half")
        one = ctx.tensor(np.float32(1.0), "one")
        scale = ctx.tensor(np.float32(1 / math.sqrt(2)), "inv_sqrt2")
        erf = ctx.op("Erf", ctx.op("Mul", x, scale))
        return ctx.op("Mul", ctx.op("Mul", x, half), ctx.op("Add", erf, one))
    raise ValueError(f"no ONNX form for activation {fn!r}")


def time_first(ctx, x: str) -> str:
    """(batch, time, features) <-> (time, batch, features)."""
    return ctx.op("Transpose", x, perm=[1, 0, 2])


def channels_first(ctx, x: str) -> str:
    """(batch, time, features) <-> (batch, features, time): a sequence as ONNX's 1-D images."""
    return ctx.op("Transpose", x, perm=[0, 2, 1])


def torch_activation(fn: str, expr: str, shape: tuple[int, ...]) -> str:
    """The PyTorch expression of ``fn`` applied to ``expr`` (a tensor of that sample shape)."""
    from .base import LEAKY_RELU_SLOPE

    return {
        "linear": "{}",
        "relu": "torch.relu({})",
        "leaky_relu": f"F.leaky_relu({{}}, {LEAKY_RELU_SLOPE})",
        "sigmoid": "torch.sigmoid({})",
        "tanh": "torch.tanh({})",
        "gelu": "F.gelu({})",
        "softmax": f"torch.softmax({{}}, dim={feature_axis(shape)})",
    }[fn].format(expr)
