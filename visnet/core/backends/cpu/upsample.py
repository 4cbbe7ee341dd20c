"""Nearest-neighbour upsampling of ``T[batch, channels, height, width]`` images: each value is
repeated over an ``sh`` x ``sw`` block. The backward sums each block back into its value, one
(sample, channel) plane per loop iteration, so parallel iterations never write one element."""

import numpy as np
from numba import njit, prange

from ..opcodes import BACKEND_SLOT as PAR
from ..opcodes import Op, slots
from .config import JIT, JIT_PARALLEL
from .executor import handles
from .views import _v4


@njit(**JIT)
def _up_plane(x, y, sh, sw, k):
    channels, height, width = x.shape[1], x.shape[2], x.shape[3]
    b, c = k // channels, k % channels
    for i in range(height):
        for j in range(width):
            v = x[b, c, i, j]
            for di in range(sh):
                for dj in range(sw):
                    y[b, c, i * sh + di, j * sw + dj] = v


@njit(**JIT_PARALLEL)
def upsample2d_forward(x, y, sh, sw, par):
    """y[b, c, i*sh + di, j*sw + dj] = x[b, c, i, j].

    x : T[batch, channels, height, width]; y : T[batch, channels, height*sh, width*sw]
    par : nonzero runs the (sample, channel) planes in parallel.
    """
    planes = x.shape[0] * x.shape[1]
    if par:
        for k in prange(planes):
            _up_plane(x, y, sh, sw, np.int64(k))
    else:
        for k in range(planes):
            _up_plane(x, y, sh, sw, k)


@njit(**JIT)
def _down_plane(dy, dx, sh, sw, acc, k):
    channels, height, width = dx.shape[1], dx.shape[2], dx.shape[3]
    b, c = k // channels, k % channels
    for i in range(height):
        for j in range(width):
            total = dx.dtype.type(0)
            for di in range(sh):
                for dj in range(sw):
                    total += dy[b, c, i * sh + di, j * sw + dj]
            if acc:
                dx[b, c, i, j] += total
            else:
                dx[b, c, i, j] = total


@njit(**JIT_PARALLEL)
def upsample2d_backward(dy, dx, sh, sw, acc, par):
    """dx (=, or += when acc) the sum of each value's block of dy."""
    planes = dx.shape[0] * dx.shape[1]
    if par:
        for k in prange(planes):
            _down_plane(dy, dx, sh, sw, acc, np.int64(k))
    else:
        for k in range(planes):
            _down_plane(dy, dx, sh, sw, acc, k)


# ---------------------------------------------------------------------------------------------
# The executor's handlers (see executor.py).


def _work(f):
    return f["batch"] * f["channels"] * f["height"] * f["width"] * f["sh"] * f["sw"]


_UPSAMPLE2D_FWD = slots(Op.UPSAMPLE2D_FWD)
_UPSAMPLE2D_BWD = slots(Op.UPSAMPLE2D_BWD)


@handles(Op.UPSAMPLE2D_FWD, work=_work)
@njit(**JIT)
def run_upsample2d_forward(p, P, W, step):
    s = _UPSAMPLE2D_FWD
    b, c, h, w, sh, sw = (p[s.batch], p[s.channels], p[s.height], p[s.width], p[s.sh],
                          p[s.sw])
    upsample2d_forward(_v4(W, p[s.x], b, c, h, w), _v4(W, p[s.y], b, c, h * sh, w * sw), sh,
                       sw, p[PAR])


@handles(Op.UPSAMPLE2D_BWD, work=_work)
@njit(**JIT)
def run_upsample2d_backward(p, P, W, step):
    s = _UPSAMPLE2D_BWD
    b, c, h, w, sh, sw = (p[s.batch], p[s.channels], p[s.height], p[s.width], p[s.sh],
                          p[s.sw])
    upsample2d_backward(_v4(W, p[s.dy], b, c, h * sh, w * sw), _v4(W, p[s.dx], b, c, h, w), sh,
                        sw, p[s.acc], p[PAR])
