"""The layer catalogue: every layer type is declared once, in a module of its own.

A declaration gives the type's parameters (kind, default, range, help), its input ports, its
shape rule, its parameter tensors with their initialisers, and its lowering (the workspaces and
instructions it needs in a compiled plan). The palette, the inspector, the file format, shape
inference, the compiler and docs/layers.md all read these declarations; a new type is a new
module here, listed in LAYER_TYPES (see docs/adding-a-layer.md).

Shapes leave out the batch axis. Images are (channels, height, width); sequences are
(time, features). Tensor layouts (documented in docs/file-format.md):

- Dense kernel (in_features, units); Conv2D kernel (filters, in_channels, kh, kw);
  Conv2DTranspose kernel (in_channels, filters, kh, kw), as PyTorch keeps it; Conv1D kernel
  (kernel_size, in_features, filters)
- recurrent kernels (in_features, gates * units) and (units, gates * units), gates side by side
  in the order i, f, c, o (LSTM) and z, r, h (GRU, with the reset gate applied after the
  recurrent product and two bias rows: input and recurrent), as Keras keeps them.
"""

from __future__ import annotations

import difflib

from ..errors import GraphError
from .activation import ACTIVATION
from .add import ADD
from .avg_pool1d import AVG_POOL1D
from .avg_pool2d import AVG_POOL2D
from .base import (ACTIVATIONS, CATEGORIES, ELEMENTWISE_ACTIVATIONS, LEAKY_RELU_SLOPE,
                   LOSS_KINDS, LayerType, Shape, WeightSpec, activation_code, fmt_shape, pair)
from .batch_norm import BATCH_NORM
from .concatenate import CONCATENATE, concat_axis
from .conv1d import CONV1D
from .conv2d import CONV2D
from .conv2d_transpose import CONV2D_TRANSPOSE
from .dense import DENSE
from .dropout import DROPOUT
from .flatten import FLATTEN
from .global_avg_pool1d import GLOBAL_AVG_POOL1D
from .global_avg_pool2d import GLOBAL_AVG_POOL2D
from .gru import GRU
from .input import INPUT
from .layer_norm import LAYER_NORM
from .loss import LOSS
from .lstm import LSTM
from .max_pool1d import MAX_POOL1D
from .max_pool2d import MAX_POOL2D
from .reshape import RESHAPE
from .simple_rnn import SIMPLE_RNN
from .up_sampling2d import UP_SAMPLING2D

__all__ = [
    "ACTIVATIONS", "CATALOGUE", "CATEGORIES", "ELEMENTWISE_ACTIVATIONS", "LAYER_TYPES",
    "LEAKY_RELU_SLOPE", "LOSS_KINDS", "LayerType", "Shape", "WeightSpec", "activation_code",
    "by_category", "concat_axis", "fmt_shape", "get", "pair",
]

LAYER_TYPES: tuple[LayerType, ...] = (
    INPUT, DENSE, CONV2D, CONV1D, UP_SAMPLING2D, CONV2D_TRANSPOSE, MAX_POOL2D, AVG_POOL2D,
    GLOBAL_AVG_POOL2D, MAX_POOL1D, AVG_POOL1D, GLOBAL_AVG_POOL1D, FLATTEN, RESHAPE, DROPOUT,
    BATCH_NORM, LAYER_NORM, ACTIVATION, SIMPLE_RNN, LSTM, GRU, ADD, CONCATENATE, LOSS,
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
