"""Dense(units, activation, use_bias): a fully connected layer, applied at every time step of a
sequence. Its bias and activation run in the same kernel as the product."""

from ..backends.opcodes import Op, encode
from ..errors import LayerShapeError
from .base import (BIAS_INITIALIZER, KERNEL_INITIALIZER, UNITS, USE_BIAS, LayerType, bias_spec,
                   activation_code, activation_param, fmt_shape, kernel_spec, units_shape)
from .lowering import Instructions, LayerContext, LossFusion, Lowering, Region
from .export import Export, onnx_activation, torch_activation


def _shape(p, inputs):
    (x,) = inputs
    if len(x) not in (1, 2):
        raise LayerShapeError(
            f"needs a flat input (features,) or a sequence (time, features) but gets "
            f"{fmt_shape(x)}: insert a Flatten before it")
    return (*x[:-1], p["units"])


def _kernel(p, x):
    return (x[-1], p["units"])


def _buffers(ctx: LayerContext) -> dict[str, Region]:
    linear = ctx.params["activation"] == "linear"
    buf = {"z": ctx.out if linear else ctx.take(ctx.batch, *ctx.shape)}
    if ctx.has_grad():
        buf["dz"] = ctx.dy if linear or ctx.fused else ctx.take(ctx.batch, *ctx.shape)
    x = ctx.input_shapes[0]
    buf["dx_tmp"] = ctx.take(ctx.rows_of(x), x[-1])
    return buf


def _sizes(ctx: LayerContext) -> dict[str, int]:
    x = ctx.input_shapes[0]
    return dict(rows=ctx.rows_of(x), n_in=x[-1], n_out=ctx.params["units"])


def _forward(ctx: LayerContext) -> Instructions:
    has_bias = int(ctx.params["use_bias"])
    return [encode(Op.DENSE_FWD, x=ctx.inputs[0].offset, w_p=ctx.weight("kernel"),
                   b_p=ctx.weight("bias") if has_bias else 0, z=ctx.buf["z"].offset,
                   y=ctx.out.offset, act=activation_code(ctx.params["activation"]),
                   has_bias=has_bias, **_sizes(ctx))]


def _backward(ctx: LayerContext) -> Instructions:
    has_bias = int(ctx.params["use_bias"])
    need_dx = int(ctx.wants_dx[0])
    dx = ctx.dx(0)
    # With the loss fused, the loss wrote the pre-activation's gradient: the activation is
    # linear from here.
    act = activation_code("linear" if ctx.fused else ctx.params["activation"])
    grad_in = ctx.buf["dz"] if ctx.fused else ctx.dy
    return [encode(Op.DENSE_BWD, x=ctx.inputs[0].offset, w_p=ctx.weight("kernel"),
                   z=ctx.buf["z"].offset, y=ctx.out.offset, dy=grad_in.offset,
                   dz=ctx.buf["dz"].offset, dx=dx.offset, dx_tmp=ctx.buf["dx_tmp"].offset,
                   dw_p=ctx.grad("kernel"), db_p=ctx.grad("bias") if has_bias else 0, act=act,
                   has_bias=has_bias, need_dx=need_dx, acc=ctx.acc(dx) if need_dx else 0,
                   **_sizes(ctx))]


def _onnx(ctx) -> str:
    x, kernel = ctx.inputs[0], ctx.tensor(ctx.weight("kernel"), "kernel")
    bias = ctx.tensor(ctx.weight("bias"), "bias") if ctx.params["use_bias"] else None
    if len(ctx.input_shapes[0]) == 1 and bias:
        y = ctx.op("Gemm", x, kernel, bias)
    else:  # a sequence: the same product at every step
        y = ctx.op("MatMul", x, kernel)
        y = ctx.op("Add", y, bias) if bias else y
    return onnx_activation(ctx, y, ctx.params["activation"], ctx.shape)


def _torch(ctx) -> str:
    p = ctx.params
    bias = {"bias": ctx.weight("bias")} if p["use_bias"] else {}
    m = ctx.module(f"nn.Linear({ctx.input_shapes[0][-1]}, {p['units']}, bias={p['use_bias']})",
                   weight=ctx.weight("kernel").T, **bias)
    return torch_activation(p["activation"], f"{m}({ctx.x})", ctx.shape)


DENSE = LayerType(
    "Dense", "Core", "Fully connected layer; on a sequence it applies at every time step.",
    (UNITS, activation_param(), USE_BIAS, KERNEL_INITIALIZER, BIAS_INITIALIZER),
    _shape, example=({"units": 5}, ((7,),)),
    weights=(kernel_spec(_kernel), bias_spec(units_shape)),
    key_params=("units", "activation"),
    card=lambda p: [f"units {p['units']} · {p['activation']}", "" if p["use_bias"] else "no bias"],
    export=Export(onnx=_onnx, torch=_torch),
    lowering=Lowering(buffers=_buffers, forward=_forward, backward=_backward,
                      fusion=LossFusion("activation")))
