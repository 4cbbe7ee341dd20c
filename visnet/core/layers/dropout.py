"""Dropout(rate): zeroes a random fraction of values while training and scales the rest; the
mask comes from a counter-based stream of the node's seed and the step, the same on every
backend."""

from ..backends.opcodes import Op, encode
from ..params import ParamSpec
from .base import LayerType, same_shape
from .lowering import Instructions, LayerContext, Lowering, Region
from .export import Export


def _constants(p) -> dict[str, list[float]]:
    return {"rate": [p["rate"]]}


def _buffers(ctx: LayerContext) -> dict[str, Region]:
    return {"mask": ctx.take(ctx.batch, *ctx.shape)}


def _forward(ctx: LayerContext) -> Instructions:
    return [encode(Op.DROPOUT_FWD, x=ctx.inputs[0].offset, y=ctx.out.offset,
                   mask=ctx.buf["mask"].offset, n=ctx.out.size, rate_p=ctx.constant("rate"),
                   seed=ctx.seed, training=ctx.training)]


def _backward(ctx: LayerContext) -> Instructions:
    dx = ctx.dx(0)
    return [encode(Op.DROPOUT_BWD, dy=ctx.dy.offset, mask=ctx.buf["mask"].offset, dx=dx.offset,
                   n=ctx.dy.size, training=ctx.training, acc=ctx.acc(dx))]



def _torch(ctx) -> str:
    module = ctx.module(f"nn.Dropout({ctx.params['rate']})")  # only while training
    return f"{module}({ctx.x})"

DROPOUT = LayerType(
    "Dropout", "Core", "Zeroes a random fraction of values while training, scaling the "
    "rest; passes values through at inference.",
    (ParamSpec("rate", "float", 0.5, "fraction of values dropped", low=0.0, high=1.0,
               high_open=True),),
    same_shape, example=({"rate": 0.25}, ((6,),)), key_params=("rate",),
    card=lambda p: [f"rate {p['rate']:g}"],
    export=Export(onnx=lambda ctx: ctx.op("Identity", ctx.inputs[0]), torch=_torch),
    lowering=Lowering(constants=_constants, buffers=_buffers, forward=_forward,
                      backward=_backward))
