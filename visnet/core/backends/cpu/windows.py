"""The windows of a 1-D convolution over channels-last sequences (im2col along time), and their
gradient. A Conv1D is these windows times its kernel: one product by the dense kernels.

``cols[b * out_steps + o, k * features + f] = x[b, o * stride + k - pad_left, f]`` (zero where
the window hangs over either end). The backward gathers, for each element of dx, every window
value that came from it, so parallel iterations never write the same element.
"""

import numpy as np
from numba import njit, prange

from ..opcodes import BACKEND_SLOT as PAR
from ..opcodes import Op, slots
from .config import JIT, JIT_PARALLEL
from .executor import handles
from .views import _v2, _v3


@njit(**JIT)
def _windows_of(x, cols, kernel, stride, pad_left, b):
    steps, features = x.shape[1], x.shape[2]
    out_steps = cols.shape[0] // x.shape[0]
    zero = cols.dtype.type(0)
    for o in range(out_steps):
        row = b * out_steps + o
        for k in range(kernel):
            t = o * stride + k - pad_left
            base = k * features
            if 0 <= t < steps:
                for f in range(features):
                    cols[row, base + f] = x[b, t, f]
            else:
                for f in range(features):
                    cols[row, base + f] = zero


@njit(**JIT_PARALLEL)
def windows1d_forward(x, cols, kernel, stride, pad_left, par):
    """Write the windows of x into cols.

    x : T[batch, steps, features]; cols : T[batch * out_steps, kernel * features]
    par : nonzero runs the samples in parallel.
    """
    if par:
        for b in prange(x.shape[0]):
            _windows_of(x, cols, kernel, stride, pad_left, np.int64(b))
    else:
        for b in range(x.shape[0]):
            _windows_of(x, cols, kernel, stride, pad_left, b)


@njit(**JIT)
def _gather_sample(dcols, dx, kernel, stride, pad_left, acc, b):
    steps, features = dx.shape[1], dx.shape[2]
    out_steps = dcols.shape[0] // dx.shape[0]
    for t in range(steps):
        for f in range(features):
            total = dx.dtype.type(0)
            for k in range(kernel):
                shifted = t + pad_left - k  # = o * stride for the window o that saw x[b, t]
                if shifted >= 0 and shifted % stride == 0:
                    o = shifted // stride
                    if o < out_steps:
                        total += dcols[b * out_steps + o, k * features + f]
            if acc:
                dx[b, t, f] += total
            else:
                dx[b, t, f] = total


@njit(**JIT_PARALLEL)
def windows1d_backward(dcols, dx, kernel, stride, pad_left, acc, par):
    """dx (=, or += when acc) the sum of every window value each element of x went to.

    dcols : T[batch * out_steps, kernel * features]; dx : T[batch, steps, features]
    """
    if par:
        for b in prange(dx.shape[0]):
            _gather_sample(dcols, dx, kernel, stride, pad_left, acc, np.int64(b))
    else:
        for b in range(dx.shape[0]):
            _gather_sample(dcols, dx, kernel, stride, pad_left, acc, b)


# ---------------------------------------------------------------------------------------------
# The executor's handlers (see executor.py).


def _work(f):
    return f["batch"] * f["out_steps"] * f["kernel"] * f["features"]


_WINDOWS1D_FWD = slots(Op.WINDOWS1D_FWD)
_WINDOWS1D_BWD = slots(Op.WINDOWS1D_BWD)


@handles(Op.WINDOWS1D_FWD, work=_work)
@njit(**JIT)
def run_windows1d_forward(p, P, W, step):
    s = _WINDOWS1D_FWD
    b, t, f, k = p[s.batch], p[s.steps], p[s.features], p[s.kernel]
    windows1d_forward(_v3(W, p[s.x], b, t, f), _v2(W, p[s.cols], b * p[s.out_steps], k * f),
                      k, p[s.stride], p[s.pad_left], p[PAR])


@handles(Op.WINDOWS1D_BWD, work=_work)
@njit(**JIT)
def run_windows1d_backward(p, P, W, step):
    s = _WINDOWS1D_BWD
    b, t, f, k = p[s.batch], p[s.steps], p[s.features], p[s.kernel]
    windows1d_backward(_v2(W, p[s.dcols], b * p[s.out_steps], k * f), _v3(W, p[s.dx], b, t, f),
                       k, p[s.stride], p[s.pad_left], p[s.acc], p[PAR])
