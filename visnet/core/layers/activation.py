"""Activation(fn): an activation function on its own; softmax over the feature axis. Also the
activation pass that Conv2D appends to its convolution."""

from ..backends.opcodes import Op, encode
from ..params import ParamSpec
from .base import ACTIVATIONS, LayerType, activation_code, same_shape
from .lowering import Instructions, LayerContext, LossFusion, Lowering, Region
from .export import Export, onnx_activation, torch_activation


def forward_pass(ctx: LayerContext, z: Region, y: Region, fn: str) -> Instructions:
    outer, n, inner = ctx.feature_view(ctx.shape)
    return [encode(Op.ACT_FWD, z=z.offset, y=y.offset, outer=outer, n=n, inner=inner,
                   code=activation_code(fn))]


def backward_pass(ctx: LayerContext, z: Region, dz: Region, fn: str, acc: int) -> Instructions:
    outer, n, inner = ctx.feature_view(ctx.shape)
    return [encode(Op.ACT_BWD, z=z.offset, y=ctx.out.offset, dy=ctx.dy.offset, dz=dz.offset,
                   outer=outer, n=n, inner=inner, code=activation_code(fn), acc=acc)]


# A layer whose activation runs as a pass of its own after its op (Conv2D, Conv2DTranspose): its
# op writes z, the pre-activation (the output itself when the activation is linear), and its
# backward op reads dz, the gradient at z.

def pre_activation_buffers(ctx: LayerContext) -> dict[str, Region]:
    linear = ctx.params["activation"] == "linear"
    buf = {"z": ctx.out if linear else ctx.take(ctx.batch, *ctx.shape)}
    if ctx.has_grad():
        buf["dz"] = ctx.dy if linear or ctx.fused else ctx.take(ctx.batch, *ctx.shape)
    return buf


def then_activation(ctx: LayerContext, op) -> Instructions:
    """The layer's op, then its activation from z to the output."""
    fn = ctx.params["activation"]
    return [op, *(forward_pass(ctx, ctx.buf["z"], ctx.out, fn) if fn != "linear" else [])]


def after_activation(ctx: LayerContext, op) -> Instructions:
    """The activation's gradient from the output's to dz, then the layer's backward op."""
    fn = ctx.params["activation"]
    head = backward_pass(ctx, ctx.buf["z"], ctx.buf["dz"], fn, acc=0) if fn != "linear" else []
    return [*head, op]


def _forward(ctx: LayerContext) -> Instructions:
    return forward_pass(ctx, ctx.inputs[0], ctx.out, ctx.params["fn"])


def _backward(ctx: LayerContext) -> Instructions:
    if ctx.fused or not ctx.wants_dx[0]:  # a fused softmax's gradient is the loss's
        return []
    dx = ctx.dx(0)
    return backward_pass(ctx, ctx.inputs[0], dx, ctx.params["fn"], ctx.acc(dx))


def _onnx(ctx) -> str:
    return onnx_activation(ctx, ctx.inputs[0], ctx.params["fn"], ctx.shape)


def _torch(ctx) -> str:
    return torch_activation(ctx.params["fn"], ctx.x, ctx.shape)


ACTIVATION = LayerType(
    "Activation", "Activation", "Applies an activation function; softmax works over the "
    "last axis (over channels for images).",
    (ParamSpec("fn", "choice", "relu", "the function", choices=ACTIVATIONS),),
    same_shape, example=({"fn": "tanh"}, ((4, 3),)), key_params=("fn",), card=lambda p: [p["fn"]],
    export=Export(onnx=_onnx, torch=_torch),
    lowering=Lowering(forward=_forward, backward=_backward,
                      fusion=LossFusion("fn", logits=None, gradient=None)))
