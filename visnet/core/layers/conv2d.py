"""Conv2D(filters, kernel_size, strides, padding, activation, use_bias): a 2-D convolution over
(channels, height, width) images, lowered to im2col and one product; the activation is a pass
of its own after it."""

from ..backends.opcodes import Op, encode
from ..errors import LayerShapeError
from ..params import ParamSpec, pair
from . import activation
from .base import (BIAS_INITIALIZER, KERNEL_INITIALIZER, USE_BIAS, LayerType, activation_param,
                   bias_spec, fmt_shape, image_or_hint, join_text, kernel_spec, size_text)
from .lowering import Instructions, LayerContext, Lowering, Region
from .padding import geometry, padding_param
from .export import Export, onnx_activation, torch_activation
from .padding import pads


def _shape(p, inputs):
    c, h, w = image_or_hint(inputs[0])
    kh, kw = pair(p["kernel_size"])
    sh, sw = pair(p["strides"])
    if p["padding"] == "same":
        return (p["filters"], -(-h // sh), -(-w // sw))
    if h < kh or w < kw:
        raise LayerShapeError(
            f"with kernel {kh}x{kw} and 'valid' padding needs an image of at least {kh}x{kw} "
            f"but gets {h}x{w} {fmt_shape(inputs[0])}: use padding 'same' or a smaller kernel_size")
    return (p["filters"], (h - kh) // sh + 1, (w - kw) // sw + 1)


def _kernel(p, x):
    return (p["filters"], x[0], *pair(p["kernel_size"]))


def _filters(p, x):
    return (p["filters"],)


def _fields(ctx: LayerContext) -> dict[str, int]:
    p = ctx.params
    ch, h, w = ctx.input_shapes[0]
    kh, kw = pair(p["kernel_size"])
    sh, sw = pair(p["strides"])
    oh, ow, top, left = geometry(h, w, kh, kw, sh, sw, p["padding"])
    return dict(batch=ctx.batch, channels=ch, height=h, width=w, filters=p["filters"], kh=kh,
                kw=kw, sh=sh, sw=sw, pad_top=top, pad_left=left, out_h=oh, out_w=ow,
                has_bias=int(p["use_bias"]))


def _buffers(ctx: LayerContext) -> dict[str, Region]:
    buf = activation.pre_activation_buffers(ctx)
    ch = ctx.input_shapes[0][0]
    f, oh, ow = ctx.shape
    kh, kw = pair(ctx.params["kernel_size"])
    buf["cols"] = ctx.take(ch * kh * kw, ctx.batch * oh * ow)  # kept from forward to backward
    buf["out_t"] = ctx.take(f, ctx.batch * oh * ow)
    return buf


def _forward(ctx: LayerContext) -> Instructions:
    f = _fields(ctx)
    op = encode(Op.CONV_FWD, x=ctx.inputs[0].offset, w_p=ctx.weight("kernel"),
                b_p=ctx.weight("bias") if f["has_bias"] else 0, cols=ctx.buf["cols"].offset,
                out_t=ctx.buf["out_t"].offset, z=ctx.buf["z"].offset, **f)
    return activation.then_activation(ctx, op)


def _backward(ctx: LayerContext) -> Instructions:
    f = _fields(ctx)
    need_dx = int(ctx.wants_dx[0])
    dx = ctx.dx(0)
    op = encode(Op.CONV_BWD, x=ctx.inputs[0].offset, w_p=ctx.weight("kernel"),
                dz=ctx.buf["dz"].offset, cols=ctx.buf["cols"].offset,
                dz_t=ctx.buf["out_t"].offset, dx=dx.offset, dw_p=ctx.grad("kernel"),
                db_p=ctx.grad("bias") if f["has_bias"] else 0, need_dx=need_dx,
                acc=ctx.acc(dx) if need_dx else 0, **f)
    return activation.after_activation(ctx, op)


def card(p):
    strides = "" if pair(p["strides"]) == (1, 1) else f"stride {size_text(p['strides'])}"
    return [f"{p['filters']} filters {size_text(p['kernel_size'])} {p['padding']}",
            join_text(strides, p["activation"], "" if p["use_bias"] else "no bias")]


def _onnx(ctx) -> str:
    p = ctx.params
    _, h, w = ctx.input_shapes[0]
    (kh, kw), (sh, sw) = pair(p["kernel_size"]), pair(p["strides"])
    (top, bottom), (left, right) = pads(h, kh, sh, p["padding"]), pads(w, kw, sw, p["padding"])
    ins = [ctx.inputs[0], ctx.tensor(ctx.weight("kernel"), "kernel")]
    if p["use_bias"]:
        ins.append(ctx.tensor(ctx.weight("bias"), "bias"))
    y = ctx.op("Conv", *ins, kernel_shape=[kh, kw], strides=[sh, sw],
               pads=[top, left, bottom, right])
    return onnx_activation(ctx, y, p["activation"], ctx.shape)


def _torch(ctx) -> str:
    p = ctx.params
    c, h, w = ctx.input_shapes[0]
    (kh, kw), (sh, sw) = pair(p["kernel_size"]), pair(p["strides"])
    (top, bottom), (left, right) = pads(h, kh, sh, p["padding"]), pads(w, kw, sw, p["padding"])
    bias = {"bias": ctx.weight("bias")} if p["use_bias"] else {}
    even = top == bottom and left == right
    padding = f"padding=({top}, {left}), " if even and (top or left) else ""
    m = ctx.module(f"nn.Conv2d({c}, {p['filters']}, ({kh}, {kw}), stride=({sh}, {sw}), "
                   f"{padding}bias={p['use_bias']})", weight=ctx.weight("kernel"), **bias)
    x = ctx.x
    if not even:  # Keras' 'same' with an odd total: the extra row or column goes after
        x = f"F.pad({x}, ({left}, {right}, {top}, {bottom}))"
    return torch_activation(p["activation"], f"{m}({x})", ctx.shape)


CONV2D = LayerType(
    "Conv2D", "Convolution", "2-D convolution over (channels, height, width) images.",
    (ParamSpec("filters", "int", 8, "number of output channels", low=1, high=4096),
     ParamSpec("kernel_size", "size2", 3, "kernel height and width", low=1, high=31),
     ParamSpec("strides", "size2", 1, "step between kernel positions", low=1, high=16),
     padding_param(),
     activation_param(), USE_BIAS, KERNEL_INITIALIZER, BIAS_INITIALIZER),
    _shape, example=({"filters": 4, "kernel_size": 3}, ((2, 7, 6),)),
    variants=({"padding": "same", "strides": 2},),
    weights=(kernel_spec(_kernel), bias_spec(_filters)),
    key_params=("filters", "kernel_size", "strides", "padding", "activation"), card=card,
    export=Export(onnx=_onnx, torch=_torch),
    lowering=Lowering(buffers=_buffers, forward=_forward, backward=_backward))
