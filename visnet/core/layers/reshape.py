"""Reshape(target_shape): the same values in a new shape; the output is the input's memory."""

import math

import numpy as np

from ..errors import LayerShapeError
from ..params import ParamSpec
from .base import LayerType, fmt_shape
from .lowering import Lowering
from .export import Export


def _shape(p, inputs):
    (x,) = inputs
    target = list(p["target_shape"])
    total = math.prod(x)
    known = math.prod(d for d in target if d != -1)
    if -1 in target:
        if total % known:
            raise LayerShapeError(
                f"cannot fill {fmt_shape(tuple(target))} from {fmt_shape(x)} ({total} values): "
                f"{total} is not a multiple of {known}; change target_shape")
        target[target.index(-1)] = total // known
    elif known != total:
        raise LayerShapeError(
            f"cannot turn {fmt_shape(x)} ({total} values) into {fmt_shape(tuple(target))} "
            f"({known} values): make target_shape hold {total} values, or use -1 for one axis")
    return tuple(target)


def _onnx(ctx) -> str:
    target = np.array([0, *ctx.params["target_shape"]], np.int64)  # 0: keep the batch axis
    return ctx.op("Reshape", ctx.inputs[0], ctx.tensor(target, "shape"))


def _torch(ctx) -> str:
    target = ", ".join(str(d) for d in ctx.params["target_shape"])
    return f"{ctx.x}.reshape({ctx.x}.shape[0], {target})"


RESHAPE = LayerType(
    "Reshape", "Core", "Gives a sample a new shape holding the same values.",
    (ParamSpec("target_shape", "shape", [-1], "new shape; one axis may be -1 (inferred)",
               min_len=1, max_len=3, allow_infer=True),),
    _shape, example=({"target_shape": [3, -1]}, ((12,),)), key_params=("target_shape",),
    card=lambda p: [f"to {fmt_shape(p['target_shape'])}"],
    export=Export(onnx=_onnx, torch=_torch),
    lowering=Lowering(view=True))
