"""AvgPool2D(pool_size, strides): the mean of each window, per channel."""

from ..backends.opcodes import Op, encode
from . import pooling
from .base import LayerType
from .export import Export
from .lowering import Instructions, LayerContext, Lowering


def _forward(ctx: LayerContext) -> Instructions:
    return [encode(Op.AVGPOOL_FWD, x=ctx.inputs[0].offset, y=ctx.out.offset,
                   **pooling.fields(ctx))]


def _backward(ctx: LayerContext) -> Instructions:
    dx = ctx.dx(0)
    return [encode(Op.AVGPOOL_BWD, dy=ctx.dy.offset, dx=dx.offset, acc=ctx.acc(dx),
                   **pooling.fields(ctx))]


AVG_POOL2D = LayerType(
    "AvgPool2D", "Pooling", "Mean of each window, per channel.",
    pooling.params(), pooling.shape, example=({"pool_size": 2}, ((3, 6, 7),)),
    variants=({"padding": "same"}, {"pool_size": 3, "strides": 2, "padding": "same"}),
    key_params=("pool_size", "strides", "padding"), card=pooling.card,
    export=Export(onnx=pooling.onnx(largest=False), torch=pooling.torch(largest=False)),
    lowering=Lowering(forward=_forward, backward=_backward))
