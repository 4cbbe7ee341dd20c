"""The windows of a 1-D convolution on the GPU (im2col along time over channels-last
sequences) and their gradient, with the semantics of visnet.core.backends.cpu.windows: one
thread per value of cols (forward) and per value of dx (backward, a gather). Every element is
written by one thread; no atomics."""

from __future__ import annotations

from numba import cuda, float32

from ..opcodes import Op
from .ops import fields, grid, handles, view


@cuda.jit
def _forward(x, cols, kernel, stride, pad_left, out_steps):
    batch, steps, features = x.shape
    width = kernel * features
    for i in range(cuda.grid(1), cols.shape[0] * width, cuda.gridsize(1)):
        row, col = i // width, i % width
        b, o = row // out_steps, row % out_steps
        k, f = col // features, col % features
        t = o * stride + k - pad_left
        cols[row, col] = x[b, t, f] if 0 <= t < steps else float32(0)


@cuda.jit
def _backward(dcols, dx, kernel, stride, pad_left, out_steps, acc):
    batch, steps, features = dx.shape
    for i in range(cuda.grid(1), batch * steps * features, cuda.gridsize(1)):
        b, rest = i // (steps * features), i % (steps * features)
        t, f = rest // features, rest % features
        total = float32(0)
        for k in range(kernel):
            shifted = t + pad_left - k
            if shifted >= 0 and shifted % stride == 0:
                o = shifted // stride
                if o < out_steps:
                    total += dcols[b * out_steps + o, k * features + f]
        dx[b, t, f] = dx[b, t, f] + total if acc else total


@handles(Op.WINDOWS1D_FWD)
def run_windows1d_forward(row, P, W, step):
    """cols = the windows of x, one row per output step."""
    f = fields(row, Op.WINDOWS1D_FWD)
    b, t, n, k, o = f["batch"], f["steps"], f["features"], f["kernel"], f["out_steps"]
    _forward[grid(b * o * k * n)](view(W, f["x"], b, t, n), view(W, f["cols"], b * o, k * n), k,
                                  f["stride"], f["pad_left"], o)


@handles(Op.WINDOWS1D_BWD)
def run_windows1d_backward(row, P, W, step):
    """dx (=, or += when acc) the sum of the window values each element of x went to."""
    f = fields(row, Op.WINDOWS1D_BWD)
    b, t, n, k, o = f["batch"], f["steps"], f["features"], f["kernel"], f["out_steps"]
    _backward[grid(b * t * n)](view(W, f["dcols"], b * o, k * n), view(W, f["dx"], b, t, n), k,
                               f["stride"], f["pad_left"], o, f["acc"])
