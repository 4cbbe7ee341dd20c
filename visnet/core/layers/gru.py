"""GRU(units, return_sequences): gates z, r, h side by side, the reset gate applied after the
recurrent product (Keras' and PyTorch's default), with two bias rows: input and recurrent."""

from ..backends.opcodes import Op
from . import recurrent
from .base import UNITS, LayerType


def workspaces(batch, steps, features, units):
    """Workspace shapes of the forward and backward kernels, by name."""
    return {
        "x_tm": (steps, batch, features),
        "gates": (steps, batch, 3 * units),
        "rec": (batch, 3 * units),
        "rh": (steps, batch, units),
        "h": (steps + 1, batch, units),
        "da_rec": (steps, batch, 3 * units),
        "dh": (batch, units),
        "dh_rec": (batch, units),
    }


GRU = LayerType(
    "GRU", "Recurrent", "Gated recurrent unit over (time, features), reset gate after the "
    "recurrent product (Keras' and PyTorch's default).",
    (UNITS, recurrent.RETURN_SEQUENCES, *recurrent.initializer_params()),
    recurrent.shape, example=({"units": 4}, ((5, 3),)),
    weights=recurrent.weights(3, lambda p, x: (2, 3 * p["units"]), "zeros"),
    key_params=("units", "return_sequences"), card=recurrent.card,
    export=recurrent.export("GRU"),
    lowering=recurrent.lowering(Op.GRU_FWD, Op.GRU_BWD, workspaces))
