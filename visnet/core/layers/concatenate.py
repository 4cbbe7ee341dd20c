"""Concatenate(axis): joins two or more inputs along one axis, Keras' axis numbering."""

import math

from ..backends.opcodes import Op, encode
from ..errors import LayerShapeError
from ..params import ParamSpec
from .base import LayerType, fmt_shape
from .lowering import Instructions, LayerContext, Lowering
from .export import Export


def concat_axis(axis: int, ndim: int) -> int:
    """Keras' axis (counted with the batch axis) as an index into a shape without it."""
    full = axis if axis > 0 else ndim + 1 + axis
    if not 1 <= full <= ndim:
        raise LayerShapeError(
            f"axis {axis} does not exist for inputs with {ndim} axes besides the batch: "
            f"use 1 to {ndim} or -1")
    return full - 1


def _shape(p, inputs):
    ndims = {len(s) for s in inputs}
    if len(ndims) > 1:
        got = ", ".join(fmt_shape(s) for s in inputs)
        raise LayerShapeError(f"needs inputs with the same number of axes but gets {got}")
    ax = concat_axis(p["axis"], ndims.pop())
    rest = {s[:ax] + s[ax + 1:] for s in inputs}
    if len(rest) > 1:
        got = ", ".join(fmt_shape(s) for s in inputs)
        raise LayerShapeError(
            f"joins along axis {p['axis']} and needs every other axis to agree, but gets {got}")
    out = list(inputs[0])
    out[ax] = sum(s[ax] for s in inputs)
    return tuple(out)


def _pieces(ctx: LayerContext):
    """(input index, rows, width, total, offset) of each input's block in the output."""
    ax = concat_axis(ctx.params["axis"], len(ctx.shape))
    rows = ctx.batch * math.prod(ctx.shape[:ax])
    total = math.prod(ctx.shape[ax:])
    offset = 0
    for i, in_shape in enumerate(ctx.input_shapes):
        width = math.prod(in_shape[ax:])
        yield i, dict(rows=rows, width=width, total=total, offset=offset)
        offset += width


def _forward(ctx: LayerContext) -> Instructions:
    return [encode(Op.CONCAT_FWD, x=ctx.inputs[i].offset, y=ctx.out.offset, **f)
            for i, f in _pieces(ctx)]


def _backward(ctx: LayerContext) -> Instructions:
    return [encode(Op.CONCAT_BWD, dy=ctx.dy.offset, dx=ctx.dx(i).offset,
                   acc=ctx.acc(ctx.dx(i)), **f)
            for i, f in _pieces(ctx) if ctx.wants_dx[i]]


def _onnx(ctx) -> str:
    axis = concat_axis(ctx.params["axis"], len(ctx.input_shapes[0])) + 1
    return ctx.op("Concat", *ctx.inputs, axis=axis)


def _torch(ctx) -> str:
    axis = concat_axis(ctx.params["axis"], len(ctx.input_shapes[0])) + 1
    return f"torch.cat([{', '.join(ctx.inputs)}], dim={axis})"


CONCATENATE = LayerType(
    "Concatenate", "Merge", "Joins two or more inputs along one axis.",
    (ParamSpec("axis", "axis", -1, "axis to join along, counted with the batch axis as in "
               "Keras: -1 is the last, 1 the channels of an image"),),
    _shape, example=({"axis": 1}, ((2, 4, 4), (3, 4, 4))),
    min_inputs=2, max_inputs=None, key_params=("axis",), card=lambda p: [f"axis {p['axis']}"],
    export=Export(onnx=_onnx, torch=_torch),
    lowering=Lowering(forward=_forward, backward=_backward))
