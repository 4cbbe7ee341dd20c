"""Flatten: every value of a sample in one axis. The output is the input's memory, reshaped."""

import math

from .base import LayerType
from .lowering import Lowering
from .export import Export


def _shape(p, inputs):
    return (math.prod(inputs[0]),)


FLATTEN = LayerType(
    "Flatten", "Core", "Lays every value of a sample out in one axis.",
    (), _shape, example=({}, ((3, 4, 5),)), card=lambda p: [], lowering=Lowering(view=True),
    export=Export(onnx=lambda ctx: ctx.op("Flatten", ctx.inputs[0], axis=1),
                  torch=lambda ctx: f"{ctx.x}.flatten(1)"))
