"""MaxPool2D(pool_size, strides): the largest value of each window, per channel."""

from ..backends.opcodes import Op, encode
from . import pooling
from .base import LayerType
from .export import Export
from .lowering import Instructions, LayerContext, Lowering


def _forward(ctx: LayerContext) -> Instructions:
    return [encode(Op.MAXPOOL_FWD, x=ctx.inputs[0].offset, y=ctx.out.offset,
                   **pooling.fields(ctx))]


def _backward(ctx: LayerContext) -> Instructions:
    dx = ctx.dx(0)
    return [encode(Op.MAXPOOL_BWD, x=ctx.inputs[0].offset, y=ctx.out.offset, dy=ctx.dy.offset,
                   dx=dx.offset, acc=ctx.acc(dx), **pooling.fields(ctx))]


MAX_POOL2D = LayerType(
    "MaxPool2D", "Pooling", "Largest value of each window, per channel.",
    pooling.params(), pooling.shape, example=({"pool_size": 2}, ((3, 6, 7),)),
    variants=({"padding": "same"}, {"pool_size": 3, "strides": 2, "padding": "same"}),
    key_params=("pool_size", "strides", "padding"), card=pooling.card,
    export=Export(onnx=pooling.onnx(largest=True), torch=pooling.torch(largest=True)),
    lowering=Lowering(forward=_forward, backward=_backward))
