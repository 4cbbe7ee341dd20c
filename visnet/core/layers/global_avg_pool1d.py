"""GlobalAvgPool1D: the mean of each feature over every time step, (time, features) ->
(features,). One average-pooling window as long as the sequence."""

from . import pooling1d
from .base import LayerType, sequence_or_hint
from .export import Export
from .lowering import LayerContext


def _shape(p, inputs):
    _, features = sequence_or_hint(inputs[0])
    return (features,)


def _whole_sequence(ctx: LayerContext) -> tuple[int, int, str]:
    steps = ctx.input_shapes[0][0]
    return steps, steps, "valid"


GLOBAL_AVG_POOL1D = LayerType(
    "GlobalAvgPool1D", "Pooling", "Mean of each feature over the whole sequence.",
    (), _shape, example=({}, ((5, 4),)), card=lambda p: [],
    export=Export(onnx=lambda ctx: ctx.op("ReduceMean", ctx.inputs[0], axes=[1], keepdims=0),
                  torch=lambda ctx: f"{ctx.x}.mean(dim=1)"),
    lowering=pooling1d.lowering(largest=False, window=_whole_sequence))
