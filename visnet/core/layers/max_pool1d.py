"""MaxPool1D(pool_size, strides): the largest value of each window of time steps, per feature."""

from ..backends.opcodes import Op, encode
from . import pooling1d
from .base import LayerType
from .lowering import Instructions, LayerContext, Lowering


def _fields(ctx: LayerContext) -> dict[str, int]:
    return pooling1d.image_fields(ctx, ctx.params["pool_size"], pooling1d.stride(ctx.params))


def _forward(ctx: LayerContext) -> Instructions:
    return [encode(Op.MAXPOOL_FWD, x=ctx.inputs[0].offset, y=ctx.out.offset, **_fields(ctx))]


def _backward(ctx: LayerContext) -> Instructions:
    dx = ctx.dx(0)
    return [encode(Op.MAXPOOL_BWD, x=ctx.inputs[0].offset, y=ctx.out.offset, dy=ctx.dy.offset,
                   dx=dx.offset, acc=ctx.acc(dx), **_fields(ctx))]


MAX_POOL1D = LayerType(
    "MaxPool1D", "Pooling", "Largest value of each window of time steps, per feature.",
    pooling1d.params(), pooling1d.shape, example=({"pool_size": 2}, ((7, 3),)),
    key_params=("pool_size", "strides"), card=pooling1d.card,
    lowering=Lowering(forward=_forward, backward=_backward))
