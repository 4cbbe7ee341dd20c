"""CUDA kernels: the transposed 2-D convolution, with the scheme and workspaces of
visnet.core.backends.cpu.conv_transpose (the input gradient of a convolution, from the
convolution's im2col, col2im and GEMM):

- forward: ``x_t = x by position``, ``cols = w2^T @ x_t``, ``z = col2im(cols)`` (+ bias);
- backward: ``cols = im2col(dz)``, ``dw2 = x_t @ cols^T``, ``db = the sums of dz's planes``
  and, when needed, ``dx = (w2 @ cols) laid out as x``.
"""

from __future__ import annotations

from numba import cuda, float32

from ..opcodes import Op
from .config import MAX_BLOCKS, THREADS
from .conv import _col2im, _gather_grad, _im2col
from .gemm import gemm
from .ops import fields, grid, handles, view
from .reduce import block_sum


@cuda.jit
def _add_bias(z, bias):
    filters = z.shape[1]
    size = z.shape[2] * z.shape[3]
    out_w = z.shape[3]
    for k in range(cuda.grid(1), z.shape[0] * filters * size, cuda.gridsize(1)):
        q = k % size
        f = (k // size) % filters
        z[k // (size * filters), f, q // out_w, q % out_w] += bias[f]


@cuda.jit
def _plane_sums(dz, out):
    """out[f] = the sum of dz[:, f] (overwritten): one block per filter."""
    batch, filters, h, w = dz.shape
    n = batch * h * w
    for f in range(cuda.blockIdx.x, filters, cuda.gridDim.x):
        part = float32(0)
        for k in range(cuda.threadIdx.x, n, THREADS):
            q = k % (h * w)
            part += dz[k // (h * w), f, q // w, q % w]
        total = block_sum(part)
        if cuda.threadIdx.x == 0:
            out[f] = total


@cuda.jit
def _scatter(src_t, dx, acc):
    """dx[b, c, y, x] (=, or += when acc) src_t[c, (b*height + y)*width + x]."""
    channels = dx.shape[1]
    size = dx.shape[2] * dx.shape[3]
    width = dx.shape[3]
    for k in range(cuda.grid(1), dx.shape[0] * channels * size, cuda.gridsize(1)):
        q = k % size
        c = (k // size) % channels
        b = k // (size * channels)
        v = src_t[c, b * size + q]
        if acc:
            v += dx[b, c, q // width, q % width]
        dx[b, c, q // width, q % width] = v


def _sizes(g):
    return (g["batch"], g["channels"], g["height"], g["width"], g["filters"], g["kh"], g["kw"],
            g["out_h"], g["out_w"])


@handles(Op.CONVT_FWD)
def run_conv2d_transpose_forward(row, P, W, step):
    """z = conv2d_transpose(x, w) (+ b); x_t is left holding x by position for the backward."""
    g = fields(row, Op.CONVT_FWD)
    b, c, h, w_, f, kh, kw, oh, ow = _sizes(g)
    positions = b * h * w_
    x = view(W, g["x"], b, c, h, w_)
    x_t = view(W, g["x_t"], c, positions)
    cols = view(W, g["cols"], f * kh * kw, positions)
    z = view(W, g["z"], b, f, oh, ow)
    _gather_grad[grid(c * positions)](x, x_t)
    gemm(view(P, g["w_p"], c, f * kh * kw), x_t, cols, ta=True)
    _col2im[grid(z.size)](cols, z, kh, kw, g["sh"], g["sw"], g["pad_top"], g["pad_left"], h, w_,
                          0)
    if g["has_bias"]:
        _add_bias[grid(z.size)](z, view(P, g["b_p"], f))


@handles(Op.CONVT_BWD)
def run_conv2d_transpose_backward(row, P, W, step):
    """Gradients for dz: dw and db overwritten; when need_dx, dx (=, or += when acc)."""
    g = fields(row, Op.CONVT_BWD)
    b, c, h, w_, f, kh, kw, oh, ow = _sizes(g)
    positions = b * h * w_
    w2 = view(P, g["w_p"], c, f * kh * kw)
    dz = view(W, g["dz"], b, f, oh, ow)
    x_t = view(W, g["x_t"], c, positions)
    cols = view(W, g["cols"], f * kh * kw, positions)
    _im2col[grid(cols.size)](dz, cols, kh, kw, g["sh"], g["sw"], g["pad_top"], g["pad_left"],
                             h, w_)
    gemm(x_t, cols, view(P, g["dw_p"], c, f * kh * kw), tb=True)
    if g["has_bias"]:
        _plane_sums[max(1, min(MAX_BLOCKS, f)), THREADS](dz, view(P, g["db_p"], f))
    if g["need_dx"]:
        gemm(w2, cols, x_t)
        _scatter[grid(b * c * h * w_)](x_t, view(W, g["dx"], b, c, h, w_), g["acc"])
