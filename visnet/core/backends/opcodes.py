"""The instructions of a compiled plan.

A plan is a few int64 arrays of instructions, one row each: the op code, then the fields listed
in FIELDS for that op, in that order. Tensors are offsets into one of two flat arenas of one
dtype: P (parameters, their gradients, optimizer state, constants, statistics; independent of
the batch size) and W (the batch: inputs, targets, activations, their gradients, workspaces).
Field names say which: a name ending in "_p" is an offset into P, other tensor names into W.
Every backend executes the same instructions, so a drawing compiles once for all of them.

Backends read a field by name, never by position: ``slots(op)`` gives each field's column, so a
field added to an op cannot shift another backend's reads. How a backend runs an instruction
(on how many threads, in how many blocks) is its own business, decided from the sizes in the
fields; the last column is free for a backend to keep such a decision in (``BACKEND_SLOT``).
"""

from __future__ import annotations

from collections import namedtuple
from enum import IntEnum
from functools import cache

import numpy as np

from ..optim import HYPER_SIZE  # noqa: F401  (the size of a "hyper_p" operand, re-exported)

WIDTH = 32
OP_SLOT = 0  # the op code; the fields follow from column 1
BACKEND_SLOT = WIDTH - 1
STATS_SIZE = 4  # a "stats_p" operand: loss, correct, count, sum of absolute errors


class Op(IntEnum):
    DENSE_FWD = 1
    DENSE_BWD = 2
    ACT_FWD = 3
    ACT_BWD = 4
    COPY = 5
    ADD2 = 6
    CONCAT_FWD = 7
    CONCAT_BWD = 8
    DROPOUT_FWD = 9
    DROPOUT_BWD = 10
    CONV_FWD = 11
    CONV_BWD = 12
    MAXPOOL_FWD = 13
    MAXPOOL_BWD = 14
    AVGPOOL_FWD = 15
    AVGPOOL_BWD = 16
    GAP_FWD = 17
    GAP_BWD = 18
    BN_FWD = 19
    BN_BWD = 20
    RNN_FWD = 21
    RNN_BWD = 22
    LSTM_FWD = 23
    LSTM_BWD = 24
    GRU_FWD = 25
    GRU_BWD = 26
    LOSS_CE = 27
    LOSS_BCE = 28
    LOSS_MSE = 29
    CLIP = 30
    SGD = 31
    ADAM = 32
    RMSPROP = 33
    LAYER_NORM_FWD = 34
    LAYER_NORM_BWD = 35
    WINDOWS1D_FWD = 36
    WINDOWS1D_BWD = 37
    UPSAMPLE2D_FWD = 38
    UPSAMPLE2D_BWD = 39
    CONVT_FWD = 40
    CONVT_BWD = 41


# A pool window (ph, pw) every (sh, sw) over (batch, channels, height, width), starting pad_top
# rows above and pad_left columns left of the image; a window takes only the values inside it.
_POOL = ("batch", "channels", "height", "width", "out_h", "out_w", "ph", "pw", "sh", "sw",
         "pad_top", "pad_left")

FIELDS: dict[Op, tuple[str, ...]] = {
    Op.DENSE_FWD: ("x", "w_p", "b_p", "z", "y", "rows", "n_in", "n_out", "act", "has_bias"),
    Op.DENSE_BWD: ("x", "w_p", "z", "y", "dy", "dz", "dx", "dx_tmp", "dw_p", "db_p", "rows",
                   "n_in", "n_out", "act", "has_bias", "need_dx", "acc"),
    Op.ACT_FWD: ("z", "y", "outer", "n", "inner", "code"),
    Op.ACT_BWD: ("z", "y", "dy", "dz", "outer", "n", "inner", "code", "acc"),
    Op.COPY: ("src", "dst", "n", "acc"),
    Op.ADD2: ("a", "b", "y", "n"),
    Op.CONCAT_FWD: ("x", "y", "rows", "width", "total", "offset"),
    Op.CONCAT_BWD: ("dy", "dx", "rows", "width", "total", "offset", "acc"),
    Op.DROPOUT_FWD: ("x", "y", "mask", "n", "rate_p", "seed", "training"),
    Op.DROPOUT_BWD: ("dy", "mask", "dx", "n", "training", "acc"),
    Op.CONV_FWD: ("x", "w_p", "b_p", "cols", "out_t", "z", "batch", "channels", "height",
                  "width", "filters", "kh", "kw", "sh", "sw", "pad_top", "pad_left", "out_h",
                  "out_w", "has_bias"),
    Op.CONV_BWD: ("x", "w_p", "dz", "cols", "dz_t", "dx", "dw_p", "db_p", "batch", "channels",
                  "height", "width", "filters", "kh", "kw", "sh", "sw", "pad_top", "pad_left",
                  "out_h", "out_w", "has_bias", "need_dx", "acc"),
    Op.MAXPOOL_FWD: ("x", "y", *_POOL),
    Op.MAXPOOL_BWD: ("x", "y", "dy", "dx", *_POOL, "acc"),
    Op.AVGPOOL_FWD: ("x", "y", *_POOL),
    Op.AVGPOOL_BWD: ("dy", "dx", *_POOL, "acc"),
    Op.GAP_FWD: ("x", "y", "batch", "channels", "height", "width"),
    Op.GAP_BWD: ("dy", "dx", "batch", "channels", "height", "width", "acc"),
    Op.BN_FWD: ("x", "y", "gamma_p", "beta_p", "mean_p", "var_p", "mean", "invstd", "n", "c",
                "s", "hyper_p", "training"),
    Op.BN_BWD: ("x", "dy", "gamma_p", "mean", "invstd", "dx", "dgamma_p", "dbeta_p", "n", "c",
                "s", "training", "acc"),
    Op.LOSS_CE: ("logits", "targets", "dlogits", "rows", "classes", "stats_p", "acc"),
    Op.LOSS_BCE: ("logits", "targets", "dlogits", "n", "stats_p", "acc"),
    Op.LOSS_MSE: ("pred", "targets", "dpred", "n", "stats_p", "acc"),
    Op.CLIP: ("g_p", "n", "hyper_p", "stats_p"),
    Op.SGD: ("w_p", "g_p", "s1_p", "n", "hyper_p"),
    Op.ADAM: ("w_p", "g_p", "s1_p", "s2_p", "n", "hyper_p"),
    Op.RMSPROP: ("w_p", "g_p", "s1_p", "s2_p", "n", "hyper_p"),
}

FIELDS[Op.LAYER_NORM_FWD] = ("x", "y", "gamma_p", "beta_p", "mean", "invstd", "rows", "n",
                             "eps_p")
FIELDS[Op.LAYER_NORM_BWD] = ("x", "dy", "gamma_p", "mean", "invstd", "dx", "dgamma_p",
                             "dbeta_p", "rows", "n", "need_dx", "acc")

# The windows of a 1-D convolution over (batch, steps, features), one row of cols per output
# step: cols[b * out_steps + o, k * features + f] = x[b, o * stride + k - pad_left, f].
_WINDOWS = ("batch", "steps", "features", "kernel", "stride", "pad_left", "out_steps")
FIELDS[Op.WINDOWS1D_FWD] = ("x", "cols", *_WINDOWS)
FIELDS[Op.WINDOWS1D_BWD] = ("dcols", "dx", *_WINDOWS, "acc")

# Nearest-neighbour upsampling of (batch, channels, height, width) by (sh, sw).
_UPSAMPLE = ("batch", "channels", "height", "width", "sh", "sw")
FIELDS[Op.UPSAMPLE2D_FWD] = ("x", "y", *_UPSAMPLE)
FIELDS[Op.UPSAMPLE2D_BWD] = ("dy", "dx", *_UPSAMPLE, "acc")

# The transposed convolution of x (batch, channels, height, width) by a (channels, filters, kh,
# kw) kernel into z (batch, filters, out_h, out_w): the input gradient of the Conv2D from z's
# image back to x, whose geometry (stride, pad, kernel) the sizes give. x_t is x as (channels,
# batch*height*width), kept from the forward; cols is (filters*kh*kw, batch*height*width).
_CONVT = ("batch", "channels", "height", "width", "filters", "kh", "kw", "sh", "sw", "pad_top",
          "pad_left", "out_h", "out_w", "has_bias")
FIELDS[Op.CONVT_FWD] = ("x", "w_p", "b_p", "x_t", "cols", "z", *_CONVT)
FIELDS[Op.CONVT_BWD] = ("w_p", "dz", "x_t", "cols", "dx", "dw_p", "db_p", *_CONVT, "need_dx",
                        "acc")

# Recurrent layers: the workspaces are those of visnet.core.backends.cpu.recurrent, by name.
_SIZES = ("batch", "steps", "features", "units")
FIELDS[Op.RNN_FWD] = ("x", "w_p", "u_p", "b_p", "x_tm", "z", "h", "y", *_SIZES, "act",
                      "return_sequences")
FIELDS[Op.RNN_BWD] = ("w_p", "u_p", "x_tm", "z", "h", "dy", "dh", "dx", "dw_p", "du_p", "db_p",
                      *_SIZES, "act", "return_sequences", "need_dx", "acc")
FIELDS[Op.LSTM_FWD] = ("x", "w_p", "u_p", "b_p", "x_tm", "gates", "rec", "c", "h", "y", *_SIZES,
                       "return_sequences")
FIELDS[Op.LSTM_BWD] = ("w_p", "u_p", "x_tm", "gates", "c", "h", "dy", "dh", "dc", "dx", "dw_p",
                       "du_p", "db_p", *_SIZES, "return_sequences", "need_dx", "acc")
FIELDS[Op.GRU_FWD] = ("x", "w_p", "u_p", "b_p", "x_tm", "gates", "rec", "rh", "h", "y",
                      *_SIZES, "return_sequences")
FIELDS[Op.GRU_BWD] = ("w_p", "u_p", "x_tm", "gates", "rh", "h", "dy", "da_rec", "dh", "dh_rec",
                      "dx", "dw_p", "du_p", "db_p", *_SIZES, "return_sequences", "need_dx", "acc")

assert all(len(f) < BACKEND_SLOT for f in FIELDS.values())


@cache
def slots(op: Op):
    """The column of each field of ``op``, as a named tuple (``slots(Op.DENSE_FWD).x == 1``).
    Numba treats a module-level named tuple as constants, so kernels index rows with it at no
    cost."""
    names = FIELDS[op]
    return namedtuple(op.name, names)(*range(1, len(names) + 1))


def encode(op: Op, **fields: int) -> np.ndarray:
    """One instruction row; every field of the op must be given."""
    names = FIELDS[op]
    missing = set(names) - set(fields)
    extra = set(fields) - set(names)
    if missing or extra:
        raise ValueError(f"{op.name}: missing fields {sorted(missing)}, unknown {sorted(extra)}")
    row = np.zeros(WIDTH, np.int64)
    row[OP_SLOT] = int(op)
    for i, name in enumerate(names, start=1):
        row[i] = int(fields[name])
    return row
