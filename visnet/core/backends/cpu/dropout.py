"""Dropout with a counter-based random stream: the mask of element i at step s depends only on
(seed, s, i), so the parallel, serial and CUDA backends draw the same masks."""

import numpy as np
from numba import njit, prange, uint64

from .config import JIT, JIT_PARALLEL

F = np.float32


@njit(**JIT)
def uniform(seed, index):
    """A uniform number in [0, 1) from a 64-bit seed and an index (SplitMix64 finaliser)."""
    z = uint64(seed) + uint64(index + 1) * uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> uint64(30))) * uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> uint64(27))) * uint64(0x94D049BB133111EB)
    z = z ^ (z >> uint64(31))
    return F(z >> uint64(40)) * F(1.0 / (1 << 24))


@njit(**JIT_PARALLEL)
def dropout_forward(x, y, mask, rate, seed, training, par):
    """Training: y = x * mask with mask 0 (probability rate) or 1/(1-rate); otherwise y = x.
    x, y, mask : T[n]."""
    n = x.shape[0]
    keep = F(1) - rate
    scale = F(1) / keep
    if not training:
        for i in range(n):
            y[i] = x[i]
        return
    if par:
        for i in prange(n):
            m = scale if uniform(seed, i) < keep else F(0)
            mask[i] = m
            y[i] = x[i] * m
    else:
        for i in range(n):
            m = scale if uniform(seed, i) < keep else F(0)
            mask[i] = m
            y[i] = x[i] * m


@njit(**JIT_PARALLEL)
def dropout_backward(dy, mask, dx, training, acc, par):
    """dx (=, or += when acc) dy * mask (dy when not training); all T[n]."""
    n = dy.shape[0]
    if par:
        for i in prange(n):
            g = dy[i] * mask[i] if training else dy[i]
            dx[i] = dx[i] + g if acc else g
    else:
        for i in range(n):
            g = dy[i] * mask[i] if training else dy[i]
            dx[i] = dx[i] + g if acc else g
