"""Activation(fn): an activation function on its own; softmax over the feature axis. Also the
activation pass that Conv2D appends to its convolution."""

from ..backends.opcodes import Op, encode
from ..params import ParamSpec
from .base import ACTIVATIONS, LayerType, activation_code, same_shape
from .lowering import Instructions, LayerContext, LossFusion, Lowering, Region


def forward_pass(ctx: LayerContext, z: Region, y: Region, fn: str) -> Instructions:
    outer, n, inner = ctx.feature_view(ctx.shape)
    return [encode(Op.ACT_FWD, z=z.offset, y=y.offset, outer=outer, n=n, inner=inner,
                   code=activation_code(fn))]


def backward_pass(ctx: LayerContext, z: Region, dz: Region, fn: str, acc: int) -> Instructions:
    outer, n, inner = ctx.feature_view(ctx.shape)
    return [encode(Op.ACT_BWD, z=z.offset, y=ctx.out.offset, dy=ctx.dy.offset, dz=dz.offset,
                   outer=outer, n=n, inner=inner, code=activation_code(fn), acc=acc)]


def _forward(ctx: LayerContext) -> Instructions:
    return forward_pass(ctx, ctx.inputs[0], ctx.out, ctx.params["fn"])


def _backward(ctx: LayerContext) -> Instructions:
    if ctx.fused or not ctx.wants_dx[0]:  # a fused softmax's gradient is the loss's
        return []
    dx = ctx.dx(0)
    return backward_pass(ctx, ctx.inputs[0], dx, ctx.params["fn"], ctx.acc(dx))


ACTIVATION = LayerType(
    "Activation", "Activation", "Applies an activation function; softmax works over the "
    "last axis (over channels for images).",
    (ParamSpec("fn", "choice", "relu", "the function", choices=ACTIVATIONS),),
    same_shape, example=({"fn": "tanh"}, ((4, 3),)), key_params=("fn",), card=lambda p: [p["fn"]],
    lowering=Lowering(forward=_forward, backward=_backward,
                      fusion=LossFusion("fn", logits=None, gradient=None)))
