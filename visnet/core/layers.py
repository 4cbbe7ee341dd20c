"""The layer catalogue: every layer type is declared here once.

A declaration gives the type's parameters (kind, default, range, help), its input ports, its
shape rule and its parameter tensors with their initialisers. The palette, the inspector, the
file format, shape inference, the compiler and docs/layers.md all read these declarations.

Shapes leave out the batch axis. Images are (channels, height, width); sequences are
(time, features). Tensor layouts (documented in docs/file-format.md):

- Dense kernel (in_features, units); Conv2D kernel (filters, in_channels, kh, kw)
- recurrent kernels (in_features, gates * units) and (units, gates * units), gates side by side
  in the order i, f, c, o (LSTM) and z, r, h (GRU, with the reset gate applied after the
  recurrent product and two bias rows: input and recurrent), as Keras keeps them.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import GraphError, LayerShapeError, ParamError
from .params import ParamSpec, pair

Shape = tuple[int, ...]

ACTIVATIONS = ("linear", "relu", "leaky_relu", "sigmoid", "tanh", "gelu", "softmax")
ELEMENTWISE_ACTIVATIONS = ACTIVATIONS[:-1]
LEAKY_RELU_SLOPE = 0.01
LOSS_KINDS = ("cross_entropy", "binary_cross_entropy", "mse")

CATEGORIES = (
    "Input", "Core", "Convolution", "Pooling", "Recurrent",
    "Normalisation", "Activation", "Merge", "Loss",
)


@dataclass(frozen=True)
class WeightSpec:
    """A parameter tensor of a layer: its shape from (params, input shape) and its initialiser.

    ``init`` names a function of visnet.core.initializers. ``when`` names a bool param that must
    be true for the tensor to exist (as ``use_bias``). Non-trainable tensors (BatchNorm's running
    statistics) are saved and loaded but get no gradient.
    """

    name: str
    shape: Callable[[Mapping[str, Any], Shape], Shape]
    init: str
    trainable: bool = True
    when: str | None = None


@dataclass(frozen=True)
class LayerType:
    """Everything VisNet knows about one layer type."""

    name: str
    category: str
    summary: str
    params: tuple[ParamSpec, ...]
    shape_rule: Callable[[Mapping[str, Any], list[Shape]], Shape]
    example: tuple[dict[str, Any], tuple[Shape, ...]]
    weights: tuple[WeightSpec, ...] = ()
    min_inputs: int = 1
    max_inputs: int | None = 1
    has_output: bool = True
    key_params: tuple[str, ...] = ()
    param_index: dict[str, ParamSpec] = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "param_index", {p.name: p for p in self.params})

    @property
    def variadic(self) -> bool:
        return self.max_inputs is None

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def check_param(self, name: str, value: Any, node_id: str | None = None) -> Any:
        """Validate one parameter; returns its canonical value or raises ParamError."""
        spec = self.param_index.get(name)
        where = f"{self.name} {node_id}" if node_id else self.name
        if spec is None:
            known = ", ".join(self.param_index) or "none"
            hint = difflib.get_close_matches(name, list(self.param_index), n=1)
            did_you_mean = f" (did you mean {hint[0]!r}?)" if hint else ""
            raise ParamError(node_id, name, f"{where} has no parameter {name!r}{did_you_mean}; "
                                            f"its parameters are: {known}")
        try:
            return spec.validate(value)
        except ValueError as exc:
            raise ParamError(node_id, name, f"{where}: {exc}") from None

    def check_params(self, given: Mapping[str, Any], node_id: str | None = None) -> dict[str, Any]:
        """Validate the given parameters (not the defaults) and return them canonical."""
        return {name: self.check_param(name, value, node_id) for name, value in given.items()}

    def resolve(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """Defaults overlaid with the given (already validated) parameters."""
        return {**self.defaults(), **given}

    def output_shape(self, params: Mapping[str, Any], inputs: list[Shape]) -> Shape:
        """Apply the shape rule to resolved params; raises LayerShapeError."""
        return tuple(self.shape_rule(params, [tuple(s) for s in inputs]))

    def weight_specs(self, params: Mapping[str, Any]) -> list[WeightSpec]:
        return [w for w in self.weights if w.when is None or params[w.when]]

    def weight_shapes(self, params: Mapping[str, Any], inputs: list[Shape]) -> dict[str, Shape]:
        """Shapes of the parameter tensors for resolved params and input shapes."""
        if not self.weights:
            return {}
        x = tuple(inputs[0])
        return {w.name: tuple(int(d) for d in w.shape(params, x))
                for w in self.weight_specs(params)}

    def param_count(self, params: Mapping[str, Any], inputs: list[Shape]) -> tuple[int, int]:
        """(trainable, non-trainable) numbers of parameters."""
        shapes = self.weight_shapes(params, inputs)
        trainable = non_trainable = 0
        for w in self.weight_specs(params):
            n = math.prod(shapes[w.name])
            if w.trainable:
                trainable += n
            else:
                non_trainable += n
        return trainable, non_trainable


def fmt_shape(shape: Shape) -> str:
    """(8, 6, 6) as a user reads it; a 1-tuple keeps its comma, as Python and Keras print it."""
    return str(tuple(int(d) for d in shape))


# ---------------------------------------------------------------------------------------------
# Shape rules. Each gets resolved params and input shapes (batch axis left out) and returns the
# output shape, or raises LayerShapeError with what is wrong and how to fix it. Shape inference
# puts the layer's type and id in front of the message.


def _input_shape(p, inputs):
    return tuple(p["shape"])


def _dense_shape(p, inputs):
    (x,) = inputs
    if len(x) not in (1, 2):
        raise LayerShapeError(
            f"needs a flat input (features,) or a sequence (time, features) but gets "
            f"{fmt_shape(x)}: insert a Flatten before it")
    return (*x[:-1], p["units"])


def _image_or_hint(x: Shape, what: str) -> Shape:
    if len(x) == 3:
        return x
    if len(x) == 1:
        side = math.isqrt(x[0])
        fix = (f"insert a Reshape to (1, {side}, {side}) before it" if side * side == x[0]
               else "insert a Reshape to (channels, height, width) before it")
    else:
        fix = f"insert a Reshape to (1, {x[0]}, {x[1]}) before it"
    raise LayerShapeError(f"needs an image (channels, height, width) {what}but gets "
                          f"{fmt_shape(x)}: {fix}")


def _conv2d_shape(p, inputs):
    c, h, w = _image_or_hint(inputs[0], "")
    kh, kw = pair(p["kernel_size"])
    sh, sw = pair(p["strides"])
    if p["padding"] == "same":
        return (p["filters"], -(-h // sh), -(-w // sw))
    if h < kh or w < kw:
        raise LayerShapeError(
            f"with kernel {kh}x{kw} and 'valid' padding needs an image of at least {kh}x{kw} "
            f"but gets {h}x{w} {fmt_shape(inputs[0])}: use padding 'same' or a smaller kernel_size")
    return (p["filters"], (h - kh) // sh + 1, (w - kw) // sw + 1)


def _pool2d_shape(p, inputs):
    c, h, w = _image_or_hint(inputs[0], "")
    ph, pw = pair(p["pool_size"])
    sh, sw = pair(p["strides"] if p["strides"] is not None else p["pool_size"])
    if h < ph or w < pw:
        raise LayerShapeError(
            f"with pool {ph}x{pw} needs an image of at least {ph}x{pw} but gets {h}x{w} "
            f"{fmt_shape(inputs[0])}: use a smaller pool_size or remove this layer")
    return (c, (h - ph) // sh + 1, (w - pw) // sw + 1)


def _global_pool_shape(p, inputs):
    c, _, _ = _image_or_hint(inputs[0], "")
    return (c,)


def _flatten_shape(p, inputs):
    return (math.prod(inputs[0]),)


def _reshape_shape(p, inputs):
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


def _same_shape(p, inputs):
    return inputs[0]


def _sequence_or_hint(x: Shape) -> Shape:
    if len(x) == 2:
        return x
    if len(x) == 3:
        fix = f"insert a Reshape to ({x[0] * x[1]}, {x[2]}) before it"
    else:
        fix = "insert a Reshape to (time, features) before it"
    raise LayerShapeError(f"needs a sequence (time, features) but gets {fmt_shape(x)}: {fix}")


def _recurrent_shape(p, inputs):
    t, _ = _sequence_or_hint(inputs[0])
    return (t, p["units"]) if p["return_sequences"] else (p["units"],)


def _add_shape(p, inputs):
    if len(set(inputs)) > 1:
        got = ", ".join(f"input {i} gets {fmt_shape(s)}" for i, s in enumerate(inputs))
        raise LayerShapeError(f"needs inputs of one shape but {got}: make them match")
    return inputs[0]


def _concat_axis(axis: int, ndim: int) -> int:
    """Keras' axis (counted with the batch axis) as an index into a shape without it."""
    full = axis if axis > 0 else ndim + 1 + axis
    if not 1 <= full <= ndim:
        raise LayerShapeError(
            f"axis {axis} does not exist for inputs with {ndim} axes besides the batch: "
            f"use 1 to {ndim} or -1")
    return full - 1


def _concatenate_shape(p, inputs):
    ndims = {len(s) for s in inputs}
    if len(ndims) > 1:
        got = ", ".join(fmt_shape(s) for s in inputs)
        raise LayerShapeError(f"needs inputs with the same number of axes but gets {got}")
    ax = _concat_axis(p["axis"], ndims.pop())
    rest = {s[:ax] + s[ax + 1:] for s in inputs}
    if len(rest) > 1:
        got = ", ".join(fmt_shape(s) for s in inputs)
        raise LayerShapeError(
            f"joins along axis {p['axis']} and needs every other axis to agree, but gets {got}")
    out = list(inputs[0])
    out[ax] = sum(s[ax] for s in inputs)
    return tuple(out)


def _loss_shape(p, inputs):
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


# ---------------------------------------------------------------------------------------------
# Parameter tensors.


def _dense_kernel(p, x):
    return (x[-1], p["units"])


def _units(p, x):
    return (p["units"],)


def _filters(p, x):
    return (p["filters"],)


def _conv_kernel(p, x):
    return (p["filters"], x[0], *pair(p["kernel_size"]))


def _norm_features(p, x):
    # Images normalise per channel (axis 1 of NCHW); flat and sequence inputs per feature.
    return (x[0],) if len(x) == 3 else (x[-1],)


def _gated(gates):
    def kernel(p, x):
        return (x[-1], gates * p["units"])

    def recurrent(p, x):
        return (p["units"], gates * p["units"])

    return kernel, recurrent


_rnn_kernel, _rnn_recurrent = _gated(1)
_lstm_kernel, _lstm_recurrent = _gated(4)
_gru_kernel, _gru_recurrent = _gated(3)


def _lstm_bias(p, x):
    return (4 * p["units"],)


def _gru_bias(p, x):
    return (2, 3 * p["units"])


# ---------------------------------------------------------------------------------------------
# Shared parameter declarations.

def _activation(default="linear", choices=ACTIVATIONS):
    return ParamSpec("activation", "choice", default, "applied to the output", choices=choices)


_UNITS = ParamSpec("units", "int", 32, "number of output features", low=1, high=65536)
_USE_BIAS = ParamSpec("use_bias", "bool", True, "add a learned bias")
_RETURN_SEQ = ParamSpec("return_sequences", "bool", False,
                        "output every time step (time, units) instead of the last (units,)")


def _pool_params():
    return (
        ParamSpec("pool_size", "size2", 2, "window height and width", low=1, high=64),
        ParamSpec("strides", "size2", None, "step between windows; null means pool_size",
                  low=1, high=64, nullable=True),
    )


_KERNEL_BIAS = (
    WeightSpec("kernel", _dense_kernel, "glorot_uniform"),
    WeightSpec("bias", _units, "zeros", when="use_bias"),
)

LAYER_TYPES: tuple[LayerType, ...] = (
    LayerType(
        "Input", "Input", "Where samples enter; shape without the batch axis.",
        (ParamSpec("shape", "shape", [2], "sample shape: (features,), (time, features) or "
                   "(channels, height, width)", min_len=1, max_len=3),),
        _input_shape, example=({"shape": [1, 8, 8]}, ()),
        min_inputs=0, max_inputs=0, key_params=("shape",)),
    LayerType(
        "Dense", "Core", "Fully connected layer; on a sequence it applies at every time step.",
        (_UNITS, _activation(), _USE_BIAS),
        _dense_shape, example=({"units": 5}, ((7,),)), weights=_KERNEL_BIAS,
        key_params=("units", "activation")),
    LayerType(
        "Conv2D", "Convolution", "2-D convolution over (channels, height, width) images.",
        (ParamSpec("filters", "int", 8, "number of output channels", low=1, high=4096),
         ParamSpec("kernel_size", "size2", 3, "kernel height and width", low=1, high=31),
         ParamSpec("strides", "size2", 1, "step between kernel positions", low=1, high=16),
         ParamSpec("padding", "choice", "valid",
                   "'valid': no padding; 'same': pad so output size is input size / strides",
                   choices=("valid", "same")),
         _activation(), _USE_BIAS),
        _conv2d_shape, example=({"filters": 4, "kernel_size": 3}, ((2, 7, 6),)),
        weights=(WeightSpec("kernel", _conv_kernel, "glorot_uniform"),
                 WeightSpec("bias", _filters, "zeros", when="use_bias")),
        key_params=("filters", "kernel_size", "strides", "padding", "activation")),
    LayerType(
        "MaxPool2D", "Pooling", "Largest value of each window, per channel.",
        _pool_params(), _pool2d_shape, example=({"pool_size": 2}, ((3, 6, 7),)),
        key_params=("pool_size", "strides")),
    LayerType(
        "AvgPool2D", "Pooling", "Mean of each window, per channel.",
        _pool_params(), _pool2d_shape, example=({"pool_size": 2}, ((3, 6, 7),)),
        key_params=("pool_size", "strides")),
    LayerType(
        "GlobalAvgPool2D", "Pooling", "Mean of each channel over the whole image.",
        (), _global_pool_shape, example=({}, ((3, 5, 4),))),
    LayerType(
        "Flatten", "Core", "Lays every value of a sample out in one axis.",
        (), _flatten_shape, example=({}, ((3, 4, 5),))),
    LayerType(
        "Reshape", "Core", "Gives a sample a new shape holding the same values.",
        (ParamSpec("target_shape", "shape", [-1], "new shape; one axis may be -1 (inferred)",
                   min_len=1, max_len=3, allow_infer=True),),
        _reshape_shape, example=({"target_shape": [3, -1]}, ((12,),)),
        key_params=("target_shape",)),
    LayerType(
        "Dropout", "Core", "Zeroes a random fraction of values while training, scaling the "
        "rest; passes values through at inference.",
        (ParamSpec("rate", "float", 0.5, "fraction of values dropped", low=0.0, high=1.0,
                   high_open=True),),
        _same_shape, example=({"rate": 0.25}, ((6,),)), key_params=("rate",)),
    LayerType(
        "BatchNorm", "Normalisation", "Normalises each channel (images) or feature with batch "
        "statistics while training and running statistics after.",
        (ParamSpec("momentum", "float", 0.99, "weight of the old running statistics",
                   low=0.0, high=1.0, high_open=True),
         ParamSpec("epsilon", "float", 0.001, "added to the variance", low=0.0, high=1.0,
                   low_open=True)),
        _same_shape, example=({}, ((3, 4, 4),)),
        weights=(WeightSpec("gamma", _norm_features, "ones"),
                 WeightSpec("beta", _norm_features, "zeros"),
                 WeightSpec("moving_mean", _norm_features, "zeros", trainable=False),
                 WeightSpec("moving_variance", _norm_features, "ones", trainable=False)),
        key_params=("momentum",)),
    LayerType(
        "Activation", "Activation", "Applies an activation function; softmax works over the "
        "last axis (over channels for images).",
        (ParamSpec("fn", "choice", "relu", "the function", choices=ACTIVATIONS),),
        _same_shape, example=({"fn": "tanh"}, ((4, 3),)), key_params=("fn",)),
    LayerType(
        "SimpleRNN", "Recurrent", "Fully connected recurrent layer over (time, features).",
        (_UNITS, _activation("tanh", ELEMENTWISE_ACTIVATIONS), _RETURN_SEQ),
        _recurrent_shape, example=({"units": 4}, ((5, 3),)),
        weights=(WeightSpec("kernel", _rnn_kernel, "glorot_uniform"),
                 WeightSpec("recurrent_kernel", _rnn_recurrent, "orthogonal"),
                 WeightSpec("bias", _units, "zeros")),
        key_params=("units", "return_sequences")),
    LayerType(
        "LSTM", "Recurrent", "Long short-term memory over (time, features).",
        (_UNITS, _RETURN_SEQ),
        _recurrent_shape, example=({"units": 4, "return_sequences": True}, ((5, 3),)),
        weights=(WeightSpec("kernel", _lstm_kernel, "glorot_uniform"),
                 WeightSpec("recurrent_kernel", _lstm_recurrent, "orthogonal"),
                 WeightSpec("bias", _lstm_bias, "lstm_bias")),
        key_params=("units", "return_sequences")),
    LayerType(
        "GRU", "Recurrent", "Gated recurrent unit over (time, features), reset gate after the "
        "recurrent product (Keras' and PyTorch's default).",
        (_UNITS, _RETURN_SEQ),
        _recurrent_shape, example=({"units": 4}, ((5, 3),)),
        weights=(WeightSpec("kernel", _gru_kernel, "glorot_uniform"),
                 WeightSpec("recurrent_kernel", _gru_recurrent, "orthogonal"),
                 WeightSpec("bias", _gru_bias, "zeros")),
        key_params=("units", "return_sequences")),
    LayerType(
        "Add", "Merge", "Sums two or more inputs of one shape (residual connections).",
        (), _add_shape, example=({}, ((3, 4), (3, 4))), min_inputs=2, max_inputs=None),
    LayerType(
        "Concatenate", "Merge", "Joins two or more inputs along one axis.",
        (ParamSpec("axis", "axis", -1, "axis to join along, counted with the batch axis as in "
                   "Keras: -1 is the last, 1 the channels of an image"),),
        _concatenate_shape, example=({"axis": 1}, ((2, 4, 4), (3, 4, 4))),
        min_inputs=2, max_inputs=None, key_params=("axis",)),
    LayerType(
        "Loss", "Loss", "What training minimises (the mean over the batch), against the "
        "dataset's targets. cross_entropy takes class scores and binary_cross_entropy one "
        "score per output, both as logits: a softmax (or sigmoid) right before them is fused "
        "into the loss.",
        (ParamSpec("kind", "choice", "cross_entropy", "the loss function", choices=LOSS_KINDS),),
        _loss_shape, example=({"kind": "cross_entropy"}, ((10,),)),
        has_output=False, key_params=("kind",)),
)

CATALOGUE: dict[str, LayerType] = {t.name: t for t in LAYER_TYPES}


def get(type_name: str) -> LayerType:
    """The declaration of a layer type; GraphError naming close matches for unknown names."""
    try:
        return CATALOGUE[type_name]
    except (KeyError, TypeError):
        hint = difflib.get_close_matches(str(type_name), list(CATALOGUE), n=1)
        did_you_mean = f" (did you mean {hint[0]!r}?)" if hint else ""
        raise GraphError(None, f"unknown layer type {type_name!r}{did_you_mean}") from None


def by_category() -> dict[str, list[LayerType]]:
    """The catalogue grouped for the palette, in the palette's order."""
    groups: dict[str, list[LayerType]] = {c: [] for c in CATEGORIES}
    for t in LAYER_TYPES:
        groups[t.category].append(t)
    return groups
