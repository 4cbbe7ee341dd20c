"""Nearest-neighbour upsampling on the GPU, with the semantics of
visnet.core.backends.cpu.upsample: one thread per output value (forward) and per input value
(backward, a sum over its block). Every element is written by one thread; no atomics."""

from __future__ import annotations

from numba import cuda, float32

from ..opcodes import Op
from .ops import fields, grid, handles, view


@cuda.jit
def _forward(x, y, sh, sw):
    batch, channels, out_h, out_w = y.shape
    for i in range(cuda.grid(1), batch * channels * out_h * out_w, cuda.gridsize(1)):
        j = i % out_w
        r = (i // out_w) % out_h
        c = (i // (out_w * out_h)) % channels
        b = i // (out_w * out_h * channels)
        y[b, c, r, j] = x[b, c, r // sh, j // sw]


@cuda.jit
def _backward(dy, dx, sh, sw, acc):
    batch, channels, height, width = dx.shape
    for i in range(cuda.grid(1), batch * channels * height * width, cuda.gridsize(1)):
        j = i % width
        r = (i // width) % height
        c = (i // (width * height)) % channels
        b = i // (width * height * channels)
        total = float32(0)
        for di in range(sh):
            for dj in range(sw):
                total += dy[b, c, r * sh + di, j * sw + dj]
        dx[b, c, r, j] = dx[b, c, r, j] + total if acc else total


@handles(Op.UPSAMPLE2D_FWD)
def run_upsample2d_forward(row, P, W, step):
    """Each value repeated over its sh x sw block."""
    f = fields(row, Op.UPSAMPLE2D_FWD)
    b, c, h, w, sh, sw = f["batch"], f["channels"], f["height"], f["width"], f["sh"], f["sw"]
    _forward[grid(b * c * h * sh * w * sw)](view(W, f["x"], b, c, h, w),
                                            view(W, f["y"], b, c, h * sh, w * sw), sh, sw)


@handles(Op.UPSAMPLE2D_BWD)
def run_upsample2d_backward(row, P, W, step):
    """dx (=, or += when acc) the sum of each value's block of dy."""
    f = fields(row, Op.UPSAMPLE2D_BWD)
    b, c, h, w, sh, sw = f["batch"], f["channels"], f["height"], f["width"], f["sh"], f["sw"]
    _backward[grid(b * c * h * w)](view(W, f["dy"], b, c, h * sh, w * sw),
                                   view(W, f["dx"], b, c, h, w), sh, sw, f["acc"])
