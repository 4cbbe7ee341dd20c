"""Conv2DTranspose(filters, kernel_size, strides, padding, activation, use_bias): the transposed
2-D convolution, as Keras' Conv2DTranspose and torch.nn.ConvTranspose2d: each input value adds
its kernel, scaled, into the output at stride steps, so an image grows by the strides (the
learned way back up in a convolutional autoencoder).

It is the input gradient of a Conv2D run forwards: the Conv2D with this kernel that maps the
output image back to the input. Its kernel is (in_channels, filters, kh, kw), PyTorch's layout
(and ONNX's ConvTranspose's), which is exactly that Conv2D's (filters, channels, kh, kw), so
the lowering hands the convolution's geometry (image = this layer's output) to the kernels.

Output size, as Keras: 'valid' gives ``size*stride + max(kernel - stride, 0)``; 'same' gives
``size*stride``, the full result cropped by ``max(kernel - stride, 0) // 2`` at the start.
"""

from ..backends.opcodes import Op, encode
from ..params import ParamSpec, pair
from . import activation, conv2d
from .base import (BIAS_INITIALIZER, KERNEL_INITIALIZER, USE_BIAS, LayerType, activation_param,
                   bias_spec, image_or_hint, kernel_spec)
from .lowering import Instructions, LayerContext, Lowering, Region
from .padding import padding_param
from .export import Export, onnx_activation, torch_activation


def along(size: int, kernel: int, stride: int, padding: str) -> tuple[int, int]:
    """(output length, crop at the start) along one axis."""
    if padding == "valid":
        return size * stride + max(kernel - stride, 0), 0
    return size * stride, max(kernel - stride, 0) // 2


def _shape(p, inputs):
    c, h, w = image_or_hint(inputs[0])
    (kh, kw), (sh, sw) = pair(p["kernel_size"]), pair(p["strides"])
    return (p["filters"], along(h, kh, sh, p["padding"])[0], along(w, kw, sw, p["padding"])[0])


def _kernel(p, x):
    return (x[0], p["filters"], *pair(p["kernel_size"]))


def _filters(p, x):
    return (p["filters"],)


def _fields(ctx: LayerContext) -> dict[str, int]:
    p = ctx.params
    ch, h, w = ctx.input_shapes[0]
    (kh, kw), (sh, sw) = pair(p["kernel_size"]), pair(p["strides"])
    oh, top = along(h, kh, sh, p["padding"])
    ow, left = along(w, kw, sw, p["padding"])
    return dict(batch=ctx.batch, channels=ch, height=h, width=w, filters=p["filters"], kh=kh,
                kw=kw, sh=sh, sw=sw, pad_top=top, pad_left=left, out_h=oh, out_w=ow,
                has_bias=int(p["use_bias"]))


def _buffers(ctx: LayerContext) -> dict[str, Region]:
    buf = activation.pre_activation_buffers(ctx)
    ch, h, w = ctx.input_shapes[0]
    kh, kw = pair(ctx.params["kernel_size"])
    positions = ctx.batch * h * w
    buf["x_t"] = ctx.take(ch, positions)  # kept from forward to backward
    buf["cols"] = ctx.take(ctx.params["filters"] * kh * kw, positions)
    return buf


def _forward(ctx: LayerContext) -> Instructions:
    f = _fields(ctx)
    op = encode(Op.CONVT_FWD, x=ctx.inputs[0].offset, w_p=ctx.weight("kernel"),
                b_p=ctx.weight("bias") if f["has_bias"] else 0, x_t=ctx.buf["x_t"].offset,
                cols=ctx.buf["cols"].offset, z=ctx.buf["z"].offset, **f)
    return activation.then_activation(ctx, op)


def _backward(ctx: LayerContext) -> Instructions:
    f = _fields(ctx)
    need_dx = int(ctx.wants_dx[0])
    dx = ctx.dx(0)
    op = encode(Op.CONVT_BWD, w_p=ctx.weight("kernel"), dz=ctx.buf["dz"].offset,
                x_t=ctx.buf["x_t"].offset, cols=ctx.buf["cols"].offset, dx=dx.offset,
                dw_p=ctx.grad("kernel"), db_p=ctx.grad("bias") if f["has_bias"] else 0,
                need_dx=need_dx, acc=ctx.acc(dx) if need_dx else 0, **f)
    return activation.after_activation(ctx, op)


def crop(height: int, width: int, kernel: tuple[int, int], strides: tuple[int, int],
         padding: str) -> tuple[list[int], list[int], list[int]]:
    """(begin, end, extra) per axis (height, width): the full transposed convolution, cut by
    begin and end values, with extra zeros after it, is Keras' output (ONNX's pads and
    output_padding)."""
    begin, end, extra = [], [], []
    for size, k, s in ((height, kernel[0], strides[0]), (width, kernel[1], strides[1])):
        out, start = along(size, k, s, padding)
        cut = (size - 1) * s + k - start - out
        begin.append(start)
        end.append(max(cut, 0))
        extra.append(max(-cut, 0))
    return begin, end, extra


def _crop(ctx) -> tuple[list[int], list[int], list[int]]:
    _, h, w = ctx.input_shapes[0]
    p = ctx.params
    return crop(h, w, pair(p["kernel_size"]), pair(p["strides"]), p["padding"])


def _onnx(ctx) -> str:
    """ConvTranspose, its full result cropped (pads) or extended with zeros (output_padding) to
    Keras' size."""
    p = ctx.params
    (kh, kw), (sh, sw) = pair(p["kernel_size"]), pair(p["strides"])
    begin, end, extra = _crop(ctx)
    ins = [ctx.inputs[0], ctx.tensor(ctx.weight("kernel"), "kernel")]
    if p["use_bias"]:
        ins.append(ctx.tensor(ctx.weight("bias"), "bias"))
    y = ctx.op("ConvTranspose", *ins, kernel_shape=[kh, kw], strides=[sh, sw],
               pads=begin + end, output_padding=extra)
    return onnx_activation(ctx, y, p["activation"], ctx.shape)


def _torch(ctx) -> str:
    p = ctx.params
    (kh, kw), (sh, sw) = pair(p["kernel_size"]), pair(p["strides"])
    (top, left), (bottom, right), (more_h, more_w) = _crop(ctx)
    grow = f"output_padding=({more_h}, {more_w}), " if more_h or more_w else ""
    bias = {"bias": ctx.weight("bias")} if p["use_bias"] else {}
    m = ctx.module(f"nn.ConvTranspose2d({ctx.input_shapes[0][0]}, {p['filters']}, ({kh}, {kw}), "
                   f"stride=({sh}, {sw}), {grow}bias={p['use_bias']})",
                   weight=ctx.weight("kernel"), **bias)
    y = f"{m}({ctx.x})"
    if top or left or bottom or right:  # negative padding crops: Keras' output size
        y = f"F.pad({y}, ({-left}, {-right}, {-top}, {-bottom}))"
    return torch_activation(p["activation"], y, ctx.shape)


CONV2D_TRANSPOSE = LayerType(
    "Conv2DTranspose", "Convolution",
    "Transposed 2-D convolution: each value spreads its kernel over the output, which grows by "
    "the strides (the way back up in an autoencoder).",
    (ParamSpec("filters", "int", 8, "number of output channels", low=1, high=4096),
     ParamSpec("kernel_size", "size2", 3, "kernel height and width", low=1, high=31),
     ParamSpec("strides", "size2", 2, "how much the image grows: the step between the "
               "kernel's placements in the output", low=1, high=16),
     padding_param(),
     activation_param(), USE_BIAS, KERNEL_INITIALIZER, BIAS_INITIALIZER),
    _shape, example=({"filters": 3, "kernel_size": 3}, ((2, 3, 4),)),
    variants=({"padding": "same"}, {"padding": "same", "kernel_size": 4, "activation": "relu"},
              {"kernel_size": [2, 3], "strides": [3, 1]},
              {"padding": "same", "kernel_size": [2, 5], "strides": [3, 1]}),
    weights=(kernel_spec(_kernel), bias_spec(_filters)),
    key_params=("filters", "kernel_size", "strides", "padding", "activation"), card=conv2d.card,
    export=Export(onnx=_onnx, torch=_torch),
    lowering=Lowering(buffers=_buffers, forward=_forward, backward=_backward))
