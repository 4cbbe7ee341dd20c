"""GlobalAvgPool2D: the mean of each channel over the whole image."""

from ..backends.opcodes import Op, encode
from .base import LayerType, image_or_hint
from .lowering import Instructions, LayerContext, Lowering
from .export import Export


def _shape(p, inputs):
    c, _, _ = image_or_hint(inputs[0])
    return (c,)


def _sizes(ctx: LayerContext) -> dict[str, int]:
    ch, h, w = ctx.input_shapes[0]
    return dict(batch=ctx.batch, channels=ch, height=h, width=w)


def _forward(ctx: LayerContext) -> Instructions:
    return [encode(Op.GAP_FWD, x=ctx.inputs[0].offset, y=ctx.out.offset, **_sizes(ctx))]


def _backward(ctx: LayerContext) -> Instructions:
    dx = ctx.dx(0)
    return [encode(Op.GAP_BWD, dy=ctx.dy.offset, dx=dx.offset, acc=ctx.acc(dx), **_sizes(ctx))]


def _onnx(ctx) -> str:
    return ctx.op("Flatten", ctx.op("GlobalAveragePool", ctx.inputs[0]), axis=1)


GLOBAL_AVG_POOL2D = LayerType(
    "GlobalAvgPool2D", "Pooling", "Mean of each channel over the whole image.",
    (), _shape, example=({}, ((3, 5, 4),)), card=lambda p: [],
    export=Export(onnx=_onnx, torch=lambda ctx: f"{ctx.x}.mean(dim=(2, 3))"),
    lowering=Lowering(forward=_forward, backward=_backward))
