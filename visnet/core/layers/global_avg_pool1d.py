"""GlobalAvgPool1D: the mean of each feature over every time step, (time, features) ->
(features,). One average-pooling window as long as the sequence."""

from ..backends.opcodes import Op, encode
from . import pooling1d
from .base import LayerType, sequence_or_hint
from .lowering import Instructions, LayerContext, Lowering


def _shape(p, inputs):
    _, features = sequence_or_hint(inputs[0])
    return (features,)


def _fields(ctx: LayerContext) -> dict[str, int]:
    steps = ctx.input_shapes[0][0]
    return pooling1d.image_fields(ctx, steps, steps)


def _forward(ctx: LayerContext) -> Instructions:
    return [encode(Op.AVGPOOL_FWD, x=ctx.inputs[0].offset, y=ctx.out.offset, **_fields(ctx))]


def _backward(ctx: LayerContext) -> Instructions:
    dx = ctx.dx(0)
    return [encode(Op.AVGPOOL_BWD, dy=ctx.dy.offset, dx=dx.offset, acc=ctx.acc(dx),
                   **_fields(ctx))]


GLOBAL_AVG_POOL1D = LayerType(
    "GlobalAvgPool1D", "Pooling", "Mean of each feature over the whole sequence.",
    (), _shape, example=({}, ((5, 4),)), card=lambda p: [],
    lowering=Lowering(forward=_forward, backward=_backward))
