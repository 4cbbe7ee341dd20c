"""Conv1D(filters, kernel_size, strides, padding, activation, use_bias): a 1-D convolution over
(time, features) sequences, channels last as Keras keeps them. It is lowered to the windows of
the sequence (one row per output step) times its kernel, a product the dense kernels already
run with the bias and activation fused; the kernel (kernel_size, features, filters) is Keras'
layout, which read as a (kernel_size * features, filters) matrix is exactly that product's."""

from ..backends.opcodes import Op, encode
from ..errors import LayerShapeError
from ..params import ParamSpec
from .base import (BIAS_INITIALIZER, KERNEL_INITIALIZER, USE_BIAS, LayerType, activation_code,
                   activation_param, bias_spec, fmt_shape, join_text, kernel_spec,
                   sequence_or_hint)
from .lowering import Instructions, LayerContext, Lowering, Region
from .padding import along, padding_param
from .export import Export, channels_first, onnx_activation, torch_activation
from .padding import pads


def _shape(p, inputs):
    steps, _ = sequence_or_hint(inputs[0])
    k, s = p["kernel_size"], p["strides"]
    if p["padding"] == "valid" and steps < k:
        raise LayerShapeError(
            f"with kernel {k} and 'valid' padding needs at least {k} time steps but gets "
            f"{steps} {fmt_shape(inputs[0])}: use padding 'same' or a smaller kernel_size")
    return (along(steps, k, s, p["padding"])[0], p["filters"])


def _kernel(p, x):
    return (p["kernel_size"], x[-1], p["filters"])


def _filters(p, x):
    return (p["filters"],)


def _sizes(ctx: LayerContext) -> dict[str, int]:
    steps, features = ctx.input_shapes[0]
    p = ctx.params
    out_steps, pad_left = along(steps, p["kernel_size"], p["strides"], p["padding"])
    return dict(batch=ctx.batch, steps=steps, features=features, kernel=p["kernel_size"],
                stride=p["strides"], pad_left=pad_left, out_steps=out_steps)


def _product(ctx: LayerContext) -> dict[str, int]:
    w = _sizes(ctx)
    return dict(rows=ctx.batch * w["out_steps"], n_in=w["kernel"] * w["features"],
                n_out=ctx.params["filters"])


def _buffers(ctx: LayerContext) -> dict[str, Region]:
    m = _product(ctx)
    linear = ctx.params["activation"] == "linear"
    buf = {"cols": ctx.take(m["rows"], m["n_in"]),
           "z": ctx.out if linear else ctx.take(ctx.batch, *ctx.shape)}
    if ctx.has_grad():
        buf["dz"] = ctx.dy if linear else ctx.take(ctx.batch, *ctx.shape)
        buf["dcols"] = ctx.take(m["rows"], m["n_in"])
        buf["dx_tmp"] = ctx.take(m["rows"], m["n_in"])
    return buf


def _forward(ctx: LayerContext) -> Instructions:
    has_bias = int(ctx.params["use_bias"])
    cols = ctx.buf["cols"].offset
    return [encode(Op.WINDOWS1D_FWD, x=ctx.inputs[0].offset, cols=cols, **_sizes(ctx)),
            encode(Op.DENSE_FWD, x=cols, w_p=ctx.weight("kernel"),
                   b_p=ctx.weight("bias") if has_bias else 0, z=ctx.buf["z"].offset,
                   y=ctx.out.offset, act=activation_code(ctx.params["activation"]),
                   has_bias=has_bias, **_product(ctx))]


def _backward(ctx: LayerContext) -> Instructions:
    has_bias = int(ctx.params["use_bias"])
    need_dx = int(ctx.wants_dx[0])
    ops = [encode(Op.DENSE_BWD, x=ctx.buf["cols"].offset, w_p=ctx.weight("kernel"),
                  z=ctx.buf["z"].offset, y=ctx.out.offset, dy=ctx.dy.offset,
                  dz=ctx.buf["dz"].offset, dx=ctx.buf["dcols"].offset,
                  dx_tmp=ctx.buf["dx_tmp"].offset, dw_p=ctx.grad("kernel"),
                  db_p=ctx.grad("bias") if has_bias else 0,
                  act=activation_code(ctx.params["activation"]), has_bias=has_bias,
                  need_dx=need_dx, acc=0, **_product(ctx))]
    if need_dx:
        dx = ctx.dx(0)
        ops.append(encode(Op.WINDOWS1D_BWD, dcols=ctx.buf["dcols"].offset, dx=dx.offset,
                          acc=ctx.acc(dx), **_sizes(ctx)))
    return ops


def _card(p):
    stride = "" if p["strides"] == 1 else f"stride {p['strides']}"
    return [f"{p['filters']} filters {p['kernel_size']} {p['padding']}",
            join_text(stride, p["activation"], "" if p["use_bias"] else "no bias")]


def _onnx(ctx) -> str:
    """Conv over the sequence as a (batch, features, time) 1-D image."""
    p = ctx.params
    steps = ctx.input_shapes[0][0]
    before, after = pads(steps, p["kernel_size"], p["strides"], p["padding"])
    ins = [channels_first(ctx, ctx.inputs[0]),
           ctx.tensor(ctx.weight("kernel").transpose(2, 1, 0), "kernel")]  # (filters, in, k)
    if p["use_bias"]:
        ins.append(ctx.tensor(ctx.weight("bias"), "bias"))
    y = ctx.op("Conv", *ins, kernel_shape=[p["kernel_size"]], strides=[p["strides"]],
               pads=[before, after])
    return onnx_activation(ctx, channels_first(ctx, y), p["activation"], ctx.shape)


def _torch(ctx) -> str:
    p = ctx.params
    steps, features = ctx.input_shapes[0]
    before, after = pads(steps, p["kernel_size"], p["strides"], p["padding"])
    bias = {"bias": ctx.weight("bias")} if p["use_bias"] else {}
    m = ctx.module(f"nn.Conv1d({features}, {p['filters']}, {p['kernel_size']}, "
                   f"stride={p['strides']}, bias={p['use_bias']})",
                   weight=ctx.weight("kernel").transpose(2, 1, 0), **bias)
    x = f"{ctx.x}.transpose(1, 2)"  # (batch, features, time), as PyTorch convolves
    if before or after:
        x = f"F.pad({x}, ({before}, {after}))"
    return torch_activation(p["activation"], f"{m}({x}).transpose(1, 2)", ctx.shape)


CONV1D = LayerType(
    "Conv1D", "Convolution", "1-D convolution over (time, features) sequences, features as "
    "channels (Keras' Conv1D).",
    (ParamSpec("filters", "int", 8, "number of output features", low=1, high=4096),
     ParamSpec("kernel_size", "int", 3, "window length in time steps", low=1, high=255),
     ParamSpec("strides", "int", 1, "step between windows", low=1, high=64),
     padding_param("length"),
     activation_param(), USE_BIAS, KERNEL_INITIALIZER, BIAS_INITIALIZER),
    _shape, example=({"filters": 4, "kernel_size": 3, "padding": "same", "strides": 2},
                     ((7, 3),)),
    weights=(kernel_spec(_kernel), bias_spec(_filters)),
    key_params=("filters", "kernel_size", "strides", "padding", "activation"), card=_card,
    export=Export(onnx=_onnx, torch=_torch),
    lowering=Lowering(buffers=_buffers, forward=_forward, backward=_backward))
