"""Dropout on the GPU with the CPU backend's counter-based random stream (cpu/dropout.py): the
mask of element i at step s depends only on (seed, s, i), so both backends drop the same
units."""

from __future__ import annotations

import numpy as np
from numba import cuda, float32, uint64

from ..opcodes import Op
from .ops import fields, grid, handles, view

STEP_MIX = 0xD1B54A32D192ED03  # as the CPU executor mixes the step into the seed
MASK64 = (1 << 64) - 1


@cuda.jit(device=True)
def uniform(seed, index):
    """A uniform number in [0, 1) from a 64-bit seed and an index (SplitMix64 finaliser)."""
    z = seed + uint64(index + 1) * uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> uint64(30))) * uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> uint64(27))) * uint64(0x94D049BB133111EB)
    z = z ^ (z >> uint64(31))
    return float32(z >> uint64(40)) * float32(1.0 / (1 << 24))


@cuda.jit
def _forward(x, y, mask, rate, seed, training):
    keep = float32(1) - rate[0]
    scale = float32(1) / keep
    for i in range(cuda.grid(1), x.shape[0], cuda.gridsize(1)):
        if training:
            m = scale if uniform(seed, i) < keep else float32(0)
            mask[i] = m
            y[i] = x[i] * m
        else:
            y[i] = x[i]


@cuda.jit
def _backward(dy, mask, dx, training, acc):
    for i in range(cuda.grid(1), dy.shape[0], cuda.gridsize(1)):
        g = dy[i] * mask[i] if training else dy[i]
        dx[i] = dx[i] + g if acc else g


@handles(Op.DROPOUT_FWD)
def run_dropout_forward(row, P, W, step):
    """Training: y = x * mask (0, or 1/(1 - rate)); inference: y = x."""
    f = fields(row, Op.DROPOUT_FWD)
    n = f["n"]
    seed = (f["seed"] + int(step) * STEP_MIX) & MASK64
    _forward[grid(n)](view(W, f["x"], n), view(W, f["y"], n), view(W, f["mask"], n),
                      view(P, f["rate_p"], 1), np.uint64(seed), f["training"])


@handles(Op.DROPOUT_BWD)
def run_dropout_backward(row, P, W, step):
    """dx (=, or += when acc) dy * mask (dy when not training)."""
    f = fields(row, Op.DROPOUT_BWD)
    n = f["n"]
    _backward[grid(n)](view(W, f["dy"], n), view(W, f["mask"], n), view(W, f["dx"], n),
                       f["training"], f["acc"])
