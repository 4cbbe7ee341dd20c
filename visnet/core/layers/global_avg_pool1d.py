"""GlobalAvgPool1D: the mean of each feature over every time step, (time, features) ->
(features,). One average-pooling window as long as the sequence."""

from . import pooling1d
from .base import LayerType, sequence_or_hint
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
    lowering=pooling1d.lowering(largest=False, window=_whole_sequence))
