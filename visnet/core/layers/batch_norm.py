"""BatchNorm(momentum, epsilon): normalises each channel (images) or feature with the batch's
statistics while training, and with running statistics after."""

import numpy as np

from ..backends.opcodes import Op, encode
from ..params import ParamSpec
from .base import LayerType, WeightSpec, same_shape
from .lowering import Instructions, LayerContext, Lowering, Region
from .export import Export, channels_first


def _features(p, x):
    # Images normalise per channel (axis 1 of NCHW); flat and sequence inputs per feature.
    return (x[0],) if len(x) == 3 else (x[-1],)


def _constants(p) -> dict[str, list[float]]:
    return {"bn": [p["momentum"], p["epsilon"]]}


def _buffers(ctx: LayerContext) -> dict[str, Region]:
    _, ch, _ = ctx.feature_view(ctx.shape)
    buf = {"mean": ctx.take(ch), "invstd": ctx.take(ch)}
    if ctx.has_grad() and not ctx.wants_dx[0]:
        # Its parameters need gradients even when nothing upstream does: dx goes here.
        buf["dx_scratch"] = ctx.take(ctx.batch, *ctx.shape)
    return buf


def _forward(ctx: LayerContext) -> Instructions:
    rows, ch, s = ctx.feature_view(ctx.shape)
    return [encode(Op.BN_FWD, x=ctx.inputs[0].offset, y=ctx.out.offset,
                   gamma_p=ctx.weight("gamma"), beta_p=ctx.weight("beta"),
                   mean_p=ctx.weight("moving_mean"), var_p=ctx.weight("moving_variance"),
                   mean=ctx.buf["mean"].offset, invstd=ctx.buf["invstd"].offset, n=rows, c=ch,
                   s=s, hyper_p=ctx.constant("bn"), training=ctx.training)]


def _backward(ctx: LayerContext) -> Instructions:
    rows, ch, s = ctx.feature_view(ctx.shape)
    target = ctx.dx(0) if ctx.wants_dx[0] else ctx.buf["dx_scratch"]
    return [encode(Op.BN_BWD, x=ctx.inputs[0].offset, dy=ctx.dy.offset,
                   gamma_p=ctx.weight("gamma"), mean=ctx.buf["mean"].offset,
                   invstd=ctx.buf["invstd"].offset, dx=target.offset,
                   dgamma_p=ctx.grad("gamma"), dbeta_p=ctx.grad("beta"), n=rows, c=ch, s=s,
                   training=ctx.training, acc=ctx.acc(target) if ctx.wants_dx[0] else 0)]


def _onnx(ctx) -> str:
    """BatchNormalization with the running statistics; a sequence's features are its last
    axis, ONNX's the second, so a sequence is transposed around it."""
    sequence = len(ctx.input_shapes[0]) == 2
    x = channels_first(ctx, ctx.inputs[0]) if sequence else ctx.inputs[0]
    stats = [ctx.tensor(ctx.weight(n), n) for n in ("gamma", "beta", "moving_mean",
                                                      "moving_variance")]
    y = ctx.op("BatchNormalization", x, *stats, epsilon=ctx.params["epsilon"])
    return channels_first(ctx, y) if sequence else y


def _torch(ctx) -> str:
    """nn.BatchNorm1d/2d; PyTorch's momentum is the weight of the new batch (1 - Keras')."""
    shape = ctx.input_shapes[0]
    p = ctx.params
    kind, n = ("BatchNorm2d", shape[0]) if len(shape) == 3 else ("BatchNorm1d", shape[-1])
    m = ctx.module(f"nn.{kind}({n}, eps={p['epsilon']}, momentum={round(1 - p['momentum'], 9)})",
                   weight=ctx.weight("gamma"), bias=ctx.weight("beta"),
                   running_mean=ctx.weight("moving_mean"),
                   running_var=ctx.weight("moving_variance"),
                   num_batches_tracked=np.array(0, np.int64))
    if len(shape) == 2:  # a sequence: PyTorch normalises the second axis
        return f"{m}({ctx.x}.transpose(1, 2)).transpose(1, 2)"
    return f"{m}({ctx.x})"


BATCH_NORM = LayerType(
    "BatchNorm", "Normalisation", "Normalises each channel (images) or feature with batch "
    "statistics while training and running statistics after.",
    (ParamSpec("momentum", "float", 0.99, "weight of the old running statistics",
               low=0.0, high=1.0, high_open=True),
     ParamSpec("epsilon", "float", 0.001, "added to the variance", low=0.0, high=1.0,
               low_open=True)),
    same_shape, example=({}, ((3, 4, 4),)),
    weights=(WeightSpec("gamma", _features, "ones"),
             WeightSpec("beta", _features, "zeros"),
             WeightSpec("moving_mean", _features, "zeros", trainable=False),
             WeightSpec("moving_variance", _features, "ones", trainable=False)),
    key_params=("momentum",),
    card=lambda p: [f"momentum {p['momentum']:g}", f"epsilon {p['epsilon']:g}"],
    export=Export(onnx=_onnx, torch=_torch),
    lowering=Lowering(constants=_constants, buffers=_buffers, forward=_forward,
                      backward=_backward))
