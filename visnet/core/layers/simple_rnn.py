"""SimpleRNN(units, activation, return_sequences): h_t = act(x_t W + h_{t-1} U + b)."""

from ..backends.opcodes import Op
from . import recurrent
from .base import ELEMENTWISE_ACTIVATIONS, UNITS, LayerType, activation_param, units_shape


def workspaces(batch, steps, features, units):
    """Workspace shapes of the forward and backward kernels, by name."""
    return {
        "x_tm": (steps, batch, features),
        "z": (steps, batch, units),
        "h": (steps + 1, batch, units),
        "dh": (batch, units),
    }


SIMPLE_RNN = LayerType(
    "SimpleRNN", "Recurrent", "Fully connected recurrent layer over (time, features).",
    (UNITS, activation_param("tanh", ELEMENTWISE_ACTIVATIONS), recurrent.RETURN_SEQUENCES,
     *recurrent.initializer_params()),
    recurrent.shape, example=({"units": 4}, ((5, 3),)),
    weights=recurrent.weights(1, units_shape, "zeros"),
    key_params=("units", "return_sequences"), card=recurrent.card,
    export=recurrent.export("SimpleRNN"),
    lowering=recurrent.lowering(Op.RNN_FWD, Op.RNN_BWD, workspaces))
