"""LSTM(units, return_sequences): gates i, f, c, o side by side, as Keras keeps them; the
forget gate's bias starts at one."""

from ..backends.opcodes import Op
from . import recurrent
from .base import UNITS, LayerType


def workspaces(batch, steps, features, units):
    """Workspace shapes of the forward and backward kernels, by name."""
    return {
        "x_tm": (steps, batch, features),
        "gates": (steps, batch, 4 * units),
        "rec": (batch, 4 * units),
        "c": (steps + 1, batch, units),
        "h": (steps + 1, batch, units),
        "dh": (batch, units),
        "dc": (batch, units),
    }


LSTM = LayerType(
    "LSTM", "Recurrent", "Long short-term memory over (time, features).",
    (UNITS, recurrent.RETURN_SEQUENCES,
     *recurrent.initializer_params("unit_forget", extra=("unit_forget",))),
    recurrent.shape, example=({"units": 4, "return_sequences": True}, ((5, 3),)),
    weights=recurrent.weights(4, lambda p, x: (4 * p["units"],), "unit_forget"),
    key_params=("units", "return_sequences"), card=recurrent.card,
    export=recurrent.export("LSTM"),
    lowering=recurrent.lowering(Op.LSTM_FWD, Op.LSTM_BWD, workspaces))
