"""Dropout with a counter-based random stream: the mask of element i at step s depends only on
(seed, s, i), so the parallel, serial and CUDA backends draw the same masks."""

import numpy as np
from numba import njit, prange, uint64

from ..opcodes import BACKEND_SLOT as PAR
from ..opcodes import Op, slots
from .config import JIT, JIT_PARALLEL
from .executor import handles
from .views import _v1

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


# ---------------------------------------------------------------------------------------------
# The executor's handlers (see executor.py): an instruction row -> the kernel on views of the
# two arenas, its fields read by name.

def _dropout_work(f):
    return f["n"] * 4


_DROPOUT_FWD = slots(Op.DROPOUT_FWD)
_DROPOUT_BWD = slots(Op.DROPOUT_BWD)


@handles(Op.DROPOUT_FWD, work=_dropout_work)
@njit(**JIT)
def run_dropout_forward(p, P, W, step):
    par = p[PAR]
    s = _DROPOUT_FWD
    n = p[s.n]
    seed = uint64(p[s.seed]) + uint64(step) * uint64(0xD1B54A32D192ED03)
    dropout_forward(_v1(W, p[s.x], n), _v1(W, p[s.y], n), _v1(W, p[s.mask], n),
                            P[p[s.rate_p]], seed, p[s.training], par)


@handles(Op.DROPOUT_BWD, work=_dropout_work)
@njit(**JIT)
def run_dropout_backward(p, P, W, step):
    par = p[PAR]
    s = _DROPOUT_BWD
    n = p[s.n]
    dropout_backward(_v1(W, p[s.dy], n), _v1(W, p[s.mask], n),
                             _v1(W, p[s.dx], n), p[s.training], p[s.acc], par)
