"""What the 2-D pooling layers share: their parameters, shape rule and instruction fields.
With padding 'same' the windows at the edges reach past the image and take only the values
inside it, as Keras does: a max over those, a mean over those (padding is never counted)."""

from ..errors import LayerShapeError
from ..params import ParamSpec, pair
from .base import fmt_shape, image_or_hint, join_text, size_text
from .lowering import LayerContext
from .padding import geometry, padding_param, pads


def params():
    return (
        ParamSpec("pool_size", "size2", 2, "window height and width", low=1, high=64),
        ParamSpec("strides", "size2", None, "step between windows; null means pool_size",
                  low=1, high=64, nullable=True),
        padding_param(),
    )


def strides(p) -> tuple[int, int]:
    return pair(p["strides"] if p["strides"] is not None else p["pool_size"])


def shape(p, inputs):
    c, h, w = image_or_hint(inputs[0])
    ph, pw = pair(p["pool_size"])
    sh, sw = strides(p)
    if p["padding"] == "same":
        return (c, -(-h // sh), -(-w // sw))
    if h < ph or w < pw:
        raise LayerShapeError(
            f"with pool {ph}x{pw} needs an image of at least {ph}x{pw} but gets {h}x{w} "
            f"{fmt_shape(inputs[0])}: use padding 'same', a smaller pool_size or remove this "
            "layer")
    return (c, (h - ph) // sh + 1, (w - pw) // sw + 1)


def card(p) -> list[str]:
    step = "" if p["strides"] is None or pair(p["strides"]) == pair(p["pool_size"]) else \
        f"stride {size_text(p['strides'])}"
    same = "same" if p["padding"] == "same" else ""
    return [join_text(f"pool {size_text(p['pool_size'])}", step, same)]


def fields(ctx: LayerContext) -> dict[str, int]:
    ch, h, w = ctx.input_shapes[0]
    ph, pw = pair(ctx.params["pool_size"])
    sh, sw = strides(ctx.params)
    oh, ow, top, left = geometry(h, w, ph, pw, sh, sw, ctx.params["padding"])
    return dict(batch=ctx.batch, channels=ch, height=h, width=w, out_h=oh, out_w=ow, ph=ph,
                pw=pw, sh=sh, sw=sw, pad_top=top, pad_left=left)


def onnx(largest: bool):
    """The ONNX hook of a 2-D pool: MaxPool, or AveragePool not counting the padding."""
    def hook(ctx) -> str:
        p = ctx.params
        _, h, w = ctx.input_shapes[0]
        (ph, pw), (sh, sw) = pair(p["pool_size"]), strides(p)
        (top, bottom), (left, right) = pads(h, ph, sh, p["padding"]), pads(w, pw, sw, p["padding"])
        extra = {} if largest else {"count_include_pad": 0}
        return ctx.op("MaxPool" if largest else "AveragePool", ctx.inputs[0],
                      kernel_shape=[ph, pw], strides=[sh, sw], pads=[top, left, bottom, right],
                      **extra)
    return hook


def torch(largest: bool):
    """The PyTorch code of a 2-D pool; 'same' padding is -inf around a max pool and left out of
    an average's count."""
    def hook(ctx) -> str:
        p = ctx.params
        _, h, w = ctx.input_shapes[0]
        (ph, pw), (sh, sw) = pair(p["pool_size"]), strides(p)
        (top, bottom), (left, right) = pads(h, ph, sh, p["padding"]), pads(w, pw, sw, p["padding"])
        around = (left, right, top, bottom)
        x = ctx.x
        if not any(around):
            fn = "F.max_pool2d" if largest else "F.avg_pool2d"
            return f"{fn}({x}, ({ph}, {pw}), ({sh}, {sw}))"
        if largest:
            return f"F.max_pool2d(F.pad({x}, {around}, value=-float('inf')), ({ph}, {pw}), " \
                   f"({sh}, {sw}))"
        return f"{ctx.helper('avg_pool_same')}({x}, ({ph}, {pw}), ({sh}, {sw}), {around})"
    return hook
