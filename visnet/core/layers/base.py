"""What every layer type declares (LayerType, WeightSpec), and the pieces several types share:
activation names, parameter declarations, initialiser choices, shape helpers (shapes and tensor
layouts: see the package's docstring).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import LayerShapeError, ParamError
from ..params import ParamSpec, pair
from .export import Export
from .lowering import Lowering

__all__ = ["pair"]

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

    ``init`` names a function of visnet.core.initializers; ``init_param`` names the layer
    parameter that chooses it instead, when the user may (``kernel_initializer``), and ``init``
    is then that parameter's default. ``when`` names a bool param that must be true for the
    tensor to exist (as ``use_bias``). Non-trainable tensors (BatchNorm's running statistics)
    are saved and loaded but get no gradient.
    """

    name: str
    shape: Callable[[Mapping[str, Any], Shape], Shape]
    init: str
    trainable: bool = True
    when: str | None = None
    init_param: str | None = None

    def initializer(self, params: Mapping[str, Any]) -> str:
        return params[self.init_param] if self.init_param else self.init


@dataclass(frozen=True)
class LayerType:
    """Everything VisNet knows about one layer type."""

    name: str
    category: str
    summary: str
    params: tuple[ParamSpec, ...]
    shape_rule: Callable[[Mapping[str, Any], list[Shape]], Shape]
    example: tuple[dict[str, Any], tuple[Shape, ...]]
    # further parameter sets, each laid over the example's, that the tests check as well
    variants: tuple[dict[str, Any], ...] = ()
    weights: tuple[WeightSpec, ...] = ()
    min_inputs: int = 1
    max_inputs: int | None = 1
    has_output: bool = True
    key_params: tuple[str, ...] = ()
    card: Callable[[Mapping[str, Any]], list[str]] | None = None  # its lines on a canvas card
    lowering: Lowering = field(default_factory=Lowering)
    export: Export = field(default_factory=Export)  # its ONNX nodes and PyTorch code
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

    def card_lines(self, params: Mapping[str, Any]) -> list[str]:
        """Up to two short lines with the params a reader wants to see on the layer's card:
        the type's own ``card``, else its key params as they are."""
        if self.card is not None:
            lines = self.card(params)
        else:
            parts = [f"{name} {params[name]}" for name in self.key_params]
            lines = [join_text(*parts[:2]), join_text(*parts[2:])]
        return [line for line in lines if line][:2]

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


def size_text(value: Any) -> str:
    """A size2 parameter as a card shows it: 3x3."""
    h, w = pair(value)
    return f"{h}x{w}"


def join_text(*parts: str) -> str:
    return " · ".join(p for p in parts if p)


def fmt_shape(shape: Shape) -> str:
    """(8, 6, 6) as a user reads it; a 1-tuple keeps its comma, as Python and Keras print it."""
    return str(tuple(int(d) for d in shape))


def image_or_hint(x: Shape, what: str = "") -> Shape:
    """x when it is an image (channels, height, width); else LayerShapeError saying how to make
    one."""
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


def sequence_or_hint(x: Shape) -> Shape:
    """x when it is a sequence (time, features); else LayerShapeError saying how to make one."""
    if len(x) == 2:
        return x
    if len(x) == 3:
        fix = f"insert a Reshape to ({x[0] * x[1]}, {x[2]}) before it"
    else:
        fix = "insert a Reshape to (time, features) before it"
    raise LayerShapeError(f"needs a sequence (time, features) but gets {fmt_shape(x)}: {fix}")


def same_shape(p, inputs):
    return inputs[0]


def units_shape(p, x):
    """A bias of one value per unit."""
    return (p["units"],)


def activation_param(default="linear", choices=ACTIVATIONS):
    return ParamSpec("activation", "choice", default, "applied to the output", choices=choices)


def activation_code(name: str) -> int:
    """The number instructions carry for an activation: its place in ACTIVATIONS."""
    return ACTIVATIONS.index(name)


# Initialisers a user can choose for a kernel or a bias: Keras' names, and "torch" for PyTorch's
# nn.Linear / nn.Conv / nn.RNN default (uniform within 1/sqrt(fan_in) of the layer).
INITIALIZER_NAMES = ("glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_normal",
                     "random_normal", "zeros", "ones", "torch")


def initializer_param(name: str, default: str, extra: tuple[str, ...] = ()) -> ParamSpec:
    what = name.removesuffix("_initializer")
    return ParamSpec(name, "choice", default, f"how the {what} starts: Keras' initialisers, or "
                     f"'torch' for PyTorch's default", choices=INITIALIZER_NAMES + extra)


# How Dense and convolution layers start, measured (training accuracy, seeds 0-2 or 0-4):
#                         Playground net (2-32-32-2 tanh)    spiral_mlp template (relu)
#   glorot + zeros (Keras)      0.59-0.63                        0.985-0.99
#   glorot + torch biases       0.985-0.99                       0.90-0.975
#   torch + torch (PyTorch)     0.565-0.988                      0.965-0.99
#   he_uniform + torch biases   0.985-0.988                      0.985-0.99
# A glorot kernel of a 2-input layer is too small for zero biases to place its units anywhere
# but through the origin; He's scale with PyTorch's biases learns both as well as or better
# than PyTorch. Keras' start is glorot_uniform + zeros.
KERNEL_INITIALIZER = initializer_param("kernel_initializer", "he_uniform")
BIAS_INITIALIZER = initializer_param("bias_initializer", "torch")


def kernel_spec(shape: Callable, default: str = "he_uniform") -> WeightSpec:
    return WeightSpec("kernel", shape, default, init_param="kernel_initializer")


def bias_spec(shape: Callable, default: str = "torch", when: str | None = "use_bias"
              ) -> WeightSpec:
    return WeightSpec("bias", shape, default, when=when, init_param="bias_initializer")


UNITS = ParamSpec("units", "int", 32, "number of output features", low=1, high=65536)
USE_BIAS = ParamSpec("use_bias", "bool", True, "add a learned bias")
