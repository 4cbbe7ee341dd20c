"""UpSampling2D(size): repeats each value of an image over a size x size block (nearest
neighbour), as Keras' UpSampling2D: the way back up in a convolutional autoencoder."""

import numpy as np

from ..backends.opcodes import Op, encode
from ..params import ParamSpec, pair
from .base import LayerType, image_or_hint, size_text
from .lowering import Instructions, LayerContext, Lowering
from .export import Export


def _shape(p, inputs):
    c, h, w = image_or_hint(inputs[0])
    sh, sw = pair(p["size"])
    return (c, h * sh, w * sw)


def _fields(ctx: LayerContext) -> dict[str, int]:
    c, h, w = ctx.input_shapes[0]
    sh, sw = pair(ctx.params["size"])
    return dict(batch=ctx.batch, channels=c, height=h, width=w, sh=sh, sw=sw)


def _forward(ctx: LayerContext) -> Instructions:
    return [encode(Op.UPSAMPLE2D_FWD, x=ctx.inputs[0].offset, y=ctx.out.offset, **_fields(ctx))]


def _backward(ctx: LayerContext) -> Instructions:
    dx = ctx.dx(0)
    return [encode(Op.UPSAMPLE2D_BWD, dy=ctx.dy.offset, dx=dx.offset, acc=ctx.acc(dx),
                   **_fields(ctx))]


def _onnx(ctx) -> str:
    sh, sw = pair(ctx.params["size"])
    scales = ctx.tensor(np.array([1, 1, sh, sw], np.float32), "scales")
    return ctx.op("Resize", ctx.inputs[0], "", scales, mode="nearest",
                  coordinate_transformation_mode="asymmetric", nearest_mode="floor")


def _torch(ctx) -> str:
    sh, sw = pair(ctx.params["size"])
    return f"F.interpolate({ctx.x}, scale_factor=({sh}, {sw}), mode='nearest')"


UP_SAMPLING2D = LayerType(
    "UpSampling2D", "Convolution", "Repeats each value over a size x size block (nearest "
    "neighbour): an image grows by that factor.",
    (ParamSpec("size", "size2", 2, "the factor for height and width", low=1, high=16),),
    _shape, example=({"size": [2, 3]}, ((2, 3, 2),)), key_params=("size",),
    card=lambda p: [f"x {size_text(p['size'])}"],
    export=Export(onnx=_onnx, torch=_torch),
    lowering=Lowering(forward=_forward, backward=_backward))
