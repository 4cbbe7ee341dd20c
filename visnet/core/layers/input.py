"""Input: where samples enter. It emits no instruction: the batch is written into its output."""

from ..params import ParamSpec
from .base import LayerType, fmt_shape


def _shape(p, inputs):
    return tuple(p["shape"])


INPUT = LayerType(
    "Input", "Input", "Where samples enter; shape without the batch axis.",
    (ParamSpec("shape", "shape", [2], "sample shape: (features,), (time, features) or "
               "(channels, height, width)", min_len=1, max_len=3),),
    _shape, example=({"shape": [1, 8, 8]}, ()),
    min_inputs=0, max_inputs=0, key_params=("shape",),
    card=lambda p: [f"shape {fmt_shape(p['shape'])}"])
