"""Add: sums two or more inputs of one shape (residual connections)."""

from ..backends.opcodes import Op, encode
from ..errors import LayerShapeError
from .base import LayerType, fmt_shape
from .lowering import Instructions, LayerContext, Lowering
from .export import Export


def _shape(p, inputs):
    if len(set(inputs)) > 1:
        got = ", ".join(f"input {i} gets {fmt_shape(s)}" for i, s in enumerate(inputs))
        raise LayerShapeError(f"needs inputs of one shape but {got}: make them match")
    return inputs[0]


def _forward(ctx: LayerContext) -> Instructions:
    n = ctx.out.size
    a, b, *rest = ctx.inputs
    return [encode(Op.ADD2, a=a.offset, b=b.offset, y=ctx.out.offset, n=n),
            *(encode(Op.COPY, src=r.offset, dst=ctx.out.offset, n=n, acc=1) for r in rest)]


def _backward(ctx: LayerContext) -> Instructions:
    return [encode(Op.COPY, src=ctx.dy.offset, dst=ctx.dx(i).offset, n=ctx.dy.size,
                   acc=ctx.acc(ctx.dx(i)))
            for i, wants in enumerate(ctx.wants_dx) if wants]


def _onnx(ctx) -> str:
    y = ctx.inputs[0]
    for x in ctx.inputs[1:]:
        y = ctx.op("Add", y, x)
    return y


ADD = LayerType(
    "Add", "Merge", "Sums two or more inputs of one shape (residual connections).",
    (), _shape, example=({}, ((3, 4), (3, 4))), min_inputs=2, max_inputs=None,
    card=lambda p: [],
    export=Export(onnx=_onnx, torch=lambda ctx: " + ".join(ctx.inputs)),
    lowering=Lowering(forward=_forward, backward=_backward))
