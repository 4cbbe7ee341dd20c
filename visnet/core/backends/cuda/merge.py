"""Copies, sums and concatenations on the GPU: Add, Concatenate and gradient routing."""

from __future__ import annotations

from numba import cuda

from ..opcodes import Op
from .ops import fields, grid, handles, view


@cuda.jit
def _copy_or_add(src, dst, acc):
    for i in range(cuda.grid(1), src.shape[0], cuda.gridsize(1)):
        dst[i] = dst[i] + src[i] if acc else src[i]


@cuda.jit
def _add2(a, b, y):
    for i in range(cuda.grid(1), y.shape[0], cuda.gridsize(1)):
        y[i] = a[i] + b[i]


@cuda.jit
def _concat_forward(x, y, offset):
    rows, width = x.shape
    for i in range(cuda.grid(1), rows * width, cuda.gridsize(1)):
        r = i // width
        j = i - r * width
        y[r, offset + j] = x[r, j]


@cuda.jit
def _concat_backward(dy, dx, offset, acc):
    rows, width = dx.shape
    for i in range(cuda.grid(1), rows * width, cuda.gridsize(1)):
        r = i // width
        j = i - r * width
        g = dy[r, offset + j]
        dx[r, j] = dx[r, j] + g if acc else g


@handles(Op.COPY)
def run_copy(row, P, W, step):
    """dst = src, or dst += src when acc."""
    f = fields(row, Op.COPY)
    n = f["n"]
    _copy_or_add[grid(n)](view(W, f["src"], n), view(W, f["dst"], n), f["acc"])


@handles(Op.ADD2)
def run_add2(row, P, W, step):
    """y = a + b."""
    f = fields(row, Op.ADD2)
    n = f["n"]
    _add2[grid(n)](view(W, f["a"], n), view(W, f["b"], n), view(W, f["y"], n))


@handles(Op.CONCAT_FWD)
def run_concat_forward(row, P, W, step):
    """Place x [rows, width] at columns offset.. of y [rows, total]."""
    f = fields(row, Op.CONCAT_FWD)
    rows, width, total = f["rows"], f["width"], f["total"]
    _concat_forward[grid(rows * width)](view(W, f["x"], rows, width),
                                        view(W, f["y"], rows, total), f["offset"])


@handles(Op.CONCAT_BWD)
def run_concat_backward(row, P, W, step):
    """dx (=, or += when acc) the columns offset.. of dy."""
    f = fields(row, Op.CONCAT_BWD)
    rows, width, total = f["rows"], f["width"], f["total"]
    _concat_backward[grid(rows * width)](view(W, f["dy"], rows, total),
                                         view(W, f["dx"], rows, width), f["offset"], f["acc"])
