"""What the 1-D pooling layers share. A (time, features) sequence is laid out as a one-channel
image of height time and width features, so pooling a window of p steps with stride s is the
2-D pooling kernels' (p, 1) window with stride (s, 1): no kernel of their own. Padding 'same'
pads the time axis as Keras does (see padding.py)."""

from collections.abc import Callable

from ..backends.opcodes import Op, encode
from ..errors import LayerShapeError
from ..params import ParamSpec
from .base import fmt_shape, join_text, sequence_or_hint
from .lowering import Instructions, LayerContext, Lowering
from .export import channels_first
from .padding import along, padding_param, pads


def params():
    return (
        ParamSpec("pool_size", "int", 2, "window length in time steps", low=1, high=255),
        ParamSpec("strides", "int", None, "step between windows; null means pool_size",
                  low=1, high=255, nullable=True),
        padding_param("length"),
    )


def stride(p) -> int:
    return p["strides"] if p["strides"] is not None else p["pool_size"]


def shape(p, inputs):
    steps, features = sequence_or_hint(inputs[0])
    size = p["pool_size"]
    if p["padding"] == "valid" and steps < size:
        raise LayerShapeError(
            f"with pool {size} needs at least {size} time steps but gets {steps} "
            f"{fmt_shape(inputs[0])}: use padding 'same', a smaller pool_size or remove this "
            "layer")
    return (along(steps, size, stride(p), p["padding"])[0], features)


def card(p) -> list[str]:
    step = "" if p["strides"] is None or p["strides"] == p["pool_size"] else \
        f"stride {p['strides']}"
    same = "same" if p["padding"] == "same" else ""
    return [join_text(f"pool {p['pool_size']}", step, same)]


def image_fields(ctx: LayerContext, size: int, step: int, padding: str) -> dict[str, int]:
    """The 2-D pooling fields that pool ``size`` steps with stride ``step``."""
    steps, features = ctx.input_shapes[0]
    out_steps, pad = along(steps, size, step, padding)
    return dict(batch=ctx.batch, channels=1, height=steps, width=features, out_h=out_steps,
                out_w=features, ph=size, pw=1, sh=step, sw=1, pad_top=pad, pad_left=0)


def lowering(largest: bool, window: Callable[[LayerContext], tuple[int, int, str]]) -> Lowering:
    """The lowering of a 1-D pool: the largest value (else the mean) of windows of
    ``window(ctx)`` = (size, stride, padding) steps, by the 2-D pooling ops."""
    forward_op = Op.MAXPOOL_FWD if largest else Op.AVGPOOL_FWD

    def forward(ctx: LayerContext) -> Instructions:
        return [encode(forward_op, x=ctx.inputs[0].offset, y=ctx.out.offset,
                       **image_fields(ctx, *window(ctx)))]

    def backward(ctx: LayerContext) -> Instructions:
        dx = ctx.dx(0)
        fields = dict(dy=ctx.dy.offset, dx=dx.offset, acc=ctx.acc(dx),
                      **image_fields(ctx, *window(ctx)))
        if largest:  # the gradient goes to where each window's largest value was
            return [encode(Op.MAXPOOL_BWD, x=ctx.inputs[0].offset, y=ctx.out.offset, **fields)]
        return [encode(Op.AVGPOOL_BWD, **fields)]

    return Lowering(forward=forward, backward=backward)


def declared_window(ctx: LayerContext) -> tuple[int, int, str]:
    return ctx.params["pool_size"], stride(ctx.params), ctx.params["padding"]


def onnx(largest: bool):
    """The ONNX hook of a 1-D pool: the 1-D pool of the (batch, features, time) sequence."""
    def hook(ctx) -> str:
        size, step, padding = declared_window(ctx)
        before, after = pads(ctx.input_shapes[0][0], size, step, padding)
        extra = {} if largest else {"count_include_pad": 0}
        y = ctx.op("MaxPool" if largest else "AveragePool", channels_first(ctx, ctx.inputs[0]),
                   kernel_shape=[size], strides=[step], pads=[before, after], **extra)
        return channels_first(ctx, y)
    return hook


def torch(largest: bool):
    """The PyTorch code of a 1-D pool, over the (batch, features, time) sequence."""
    def hook(ctx) -> str:
        size, step, padding = declared_window(ctx)
        before, after = pads(ctx.input_shapes[0][0], size, step, padding)
        x = f"{ctx.x}.transpose(1, 2)"
        if not (before or after):
            y = f"F.{'max' if largest else 'avg'}_pool1d({x}, {size}, {step})"
        elif largest:
            y = f"F.max_pool1d(F.pad({x}, ({before}, {after}), value=-float('inf')), {size}, " \
                f"{step})"
        else:
            y = f"{ctx.helper('avg_pool_same')}({x}.unsqueeze(3), ({size}, 1), ({step}, 1), " \
                f"(0, 0, {before}, {after})).squeeze(3)"
        return f"{y}.transpose(1, 2)"
    return hook
