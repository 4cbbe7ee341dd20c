"""LayerNorm(epsilon): normalises each sample's values over the last axis with their own mean
and variance, then scales and shifts them per feature, as torch.nn.LayerNorm and Keras'
LayerNormalization(axis=-1). Unlike BatchNorm it works the same in training and inference and
for any batch size, which is why transformers use it."""

from ..backends.opcodes import Op, encode
from ..params import ParamSpec
from .base import LayerType, WeightSpec, same_shape
from .lowering import Instructions, LayerContext, Lowering, Region
from .export import Export


def _features(p, x):
    return (x[-1],)


def _constants(p) -> dict[str, list[float]]:
    return {"epsilon": [p["epsilon"]]}


def _rows(ctx: LayerContext) -> dict[str, int]:
    return dict(rows=ctx.rows_of(ctx.shape), n=ctx.shape[-1])


def _buffers(ctx: LayerContext) -> dict[str, Region]:
    rows = ctx.rows_of(ctx.shape)
    buf = {"mean": ctx.take(rows), "invstd": ctx.take(rows)}
    if ctx.has_grad() and not ctx.wants_dx[0]:
        # Its parameters need gradients even when nothing upstream does: dx goes nowhere.
        buf["dx_scratch"] = ctx.take(ctx.batch, *ctx.shape)
    return buf


def _forward(ctx: LayerContext) -> Instructions:
    return [encode(Op.LAYER_NORM_FWD, x=ctx.inputs[0].offset, y=ctx.out.offset,
                   gamma_p=ctx.weight("gamma"), beta_p=ctx.weight("beta"),
                   mean=ctx.buf["mean"].offset, invstd=ctx.buf["invstd"].offset,
                   eps_p=ctx.constant("epsilon"), **_rows(ctx))]


def _backward(ctx: LayerContext) -> Instructions:
    need_dx = int(ctx.wants_dx[0])
    dx = ctx.dx(0) if need_dx else ctx.buf["dx_scratch"]
    return [encode(Op.LAYER_NORM_BWD, x=ctx.inputs[0].offset, dy=ctx.dy.offset,
                   gamma_p=ctx.weight("gamma"), mean=ctx.buf["mean"].offset,
                   invstd=ctx.buf["invstd"].offset, dx=dx.offset,
                   dgamma_p=ctx.grad("gamma"), dbeta_p=ctx.grad("beta"), need_dx=need_dx,
                   acc=ctx.acc(dx) if need_dx else 0, **_rows(ctx))]


def _onnx(ctx) -> str:
    return ctx.op("LayerNormalization", ctx.inputs[0], ctx.tensor(ctx.weight("gamma"), "gamma"),
                  ctx.tensor(ctx.weight("beta"), "beta"), axis=-1,
                  epsilon=ctx.params["epsilon"])


def _torch(ctx) -> str:
    m = ctx.module(f"nn.LayerNorm({ctx.input_shapes[0][-1]}, eps={ctx.params['epsilon']})",
                   weight=ctx.weight("gamma"), bias=ctx.weight("beta"))
    return f"{m}({ctx.x})"


LAYER_NORM = LayerType(
    "LayerNorm", "Normalisation", "Normalises each sample over its last axis (its own mean and "
    "variance), then scales and shifts each feature; the same in training and inference.",
    (ParamSpec("epsilon", "float", 0.001, "added to the variance", low=0.0, high=1.0,
               low_open=True),),
    same_shape, example=({}, ((3, 5),)),
    weights=(WeightSpec("gamma", _features, "ones"),
             WeightSpec("beta", _features, "zeros")),
    key_params=("epsilon",), card=lambda p: [f"epsilon {p['epsilon']:g}"],
    export=Export(onnx=_onnx, torch=_torch),
    lowering=Lowering(constants=_constants, buffers=_buffers, forward=_forward,
                      backward=_backward))
