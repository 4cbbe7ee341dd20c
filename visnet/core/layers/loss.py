"""Loss(kind): what training minimises, the mean over the batch, against the dataset's targets.
cross_entropy and binary_cross_entropy take logits: the compiler folds a softmax (or sigmoid)
right before them into the loss."""

import math

from ..backends.opcodes import Op, encode
from ..errors import LayerShapeError
from ..params import ParamSpec
from .base import LOSS_KINDS, LayerType, fmt_shape
from .lowering import Instructions, LayerContext, Lowering, Region


def _shape(p, inputs):
    (x,) = inputs
    if p["kind"] == "cross_entropy":
        if len(x) not in (1, 2):
            raise LayerShapeError(
                f"cross_entropy needs class scores (classes,) or (time, classes) but gets "
                f"{fmt_shape(x)}: add a Flatten and a Dense with one unit per class")
        if x[-1] < 2:
            raise LayerShapeError(
                f"cross_entropy needs at least 2 class scores but gets {fmt_shape(x)}: give the "
                f"Dense one unit per class, or use binary_cross_entropy for a single output")
    return ()


def _loss(ctx: LayerContext, logits: Region, dlogits: Region, targets: Region,
          stats: int) -> Instructions:
    kind = ctx.params["kind"]
    scores = ctx.input_shapes[0]
    n = ctx.batch * math.prod(scores)
    acc = 0  # the loss writes the first gradient of the backward pass
    if kind == "cross_entropy":
        return [encode(Op.LOSS_CE, logits=logits.offset, targets=targets.offset,
                       dlogits=dlogits.offset, rows=n // scores[-1], classes=scores[-1],
                       stats_p=stats, acc=acc)]
    if kind == "binary_cross_entropy":
        return [encode(Op.LOSS_BCE, logits=logits.offset, dlogits=dlogits.offset,
                       targets=targets.offset, n=n, stats_p=stats, acc=acc)]
    return [encode(Op.LOSS_MSE, pred=logits.offset, dpred=dlogits.offset,
                   targets=targets.offset, n=n, stats_p=stats, acc=acc)]


LOSS = LayerType(
    "Loss", "Loss", "What training minimises (the mean over the batch), against the "
    "dataset's targets. cross_entropy takes class scores and binary_cross_entropy one "
    "score per output, both as logits: a softmax (or sigmoid) right before them is fused "
    "into the loss.",
    (ParamSpec("kind", "choice", "cross_entropy", "the loss function", choices=LOSS_KINDS),),
    _shape, example=({"kind": "cross_entropy"}, ((10,),)),
    has_output=False, key_params=("kind",), card=lambda p: [p["kind"]],
    lowering=Lowering(loss=_loss))
