"""CUDA kernels: 2-D convolution in NCHW layout, the same im2col + GEMM scheme as the CPU
backend (visnet/core/backends/cpu/conv.py), with the same workspaces:

- ``cols : [channels*kh*kw, batch*out_h*out_w]``: row ``(c*kh + i)*kw + j``, column
  ``(b*out_h + oy)*out_w + ox`` holds ``x[b, c, oy*sh + i - pad_top, ox*sw + j - pad_left]``
  (zero outside the image). Written by the forward, read by the backward for ``dw`` and then
  overwritten with the column gradient when ``need_dx``.
- ``out_t`` (forward) / ``dz_t`` (backward): ``[filters, batch*out_h*out_w]`` scratch.

Every kernel gives each thread one output element (grid-stride loops); col2im gathers, for each
input element, the column entries that read it, so no atomics are needed.
"""

from __future__ import annotations

from numba import cuda, float32

from ..opcodes import Op
from .gemm import gemm
from .ops import fields, grid, handles, view
from .reduce import row_sums


@cuda.jit
def _im2col(x, cols, kh, kw, sh, sw, pad_top, pad_left, out_h, out_w):
    """cols = im2col(x), one thread per element of cols."""
    height = x.shape[2]
    width = x.shape[3]
    positions = cols.shape[1]
    n = cols.shape[0] * positions
    for k in range(cuda.grid(1), n, cuda.gridsize(1)):
        r = k // positions
        p = k % positions
        c = r // (kh * kw)
        i = (r // kw) % kh
        j = r % kw
        b = p // (out_h * out_w)
        oy = (p // out_w) % out_h
        ox = p % out_w
        iy = oy * sh + i - pad_top
        ix = ox * sw + j - pad_left
        if iy >= 0 and iy < height and ix >= 0 and ix < width:
            cols[r, p] = x[b, c, iy, ix]
        else:
            cols[r, p] = float32(0)


@cuda.jit
def _scatter_output(out_t, bias, z, has_bias):
    """z[b, f, oy, ox] = out_t[f, (b*out_h + oy)*out_w + ox] (+ bias[f]), one thread each."""
    filters = z.shape[1]
    size = z.shape[2] * z.shape[3]
    out_w = z.shape[3]
    n = z.shape[0] * filters * size
    for k in range(cuda.grid(1), n, cuda.gridsize(1)):
        q = k % size
        f = (k // size) % filters
        b = k // (size * filters)
        v = out_t[f, b * size + q]
        if has_bias:
            v += bias[f]
        z[b, f, q // out_w, q % out_w] = v


@cuda.jit
def _gather_grad(dz, dz_t):
    """dz_t[f, (b*out_h + oy)*out_w + ox] = dz[b, f, oy, ox], one thread per element."""
    filters = dz.shape[1]
    size = dz.shape[2] * dz.shape[3]
    out_w = dz.shape[3]
    positions = dz_t.shape[1]
    n = filters * positions
    for k in range(cuda.grid(1), n, cuda.gridsize(1)):
        f = k // positions
        p = k % positions
        q = p % size
        dz_t[f, p] = dz[p // size, f, q // out_w, q % out_w]


@cuda.jit
def _col2im(cols, dx, kh, kw, sh, sw, pad_top, pad_left, out_h, out_w, acc):
    """dx (=, or += when acc) col2im(cols): each thread owns one input element and sums the
    column entries, over every kernel offset (i, j), of the output positions that read it."""
    channels = dx.shape[1]
    height = dx.shape[2]
    width = dx.shape[3]
    n = dx.shape[0] * channels * height * width
    for k in range(cuda.grid(1), n, cuda.gridsize(1)):
        ix = k % width
        iy = (k // width) % height
        c = (k // (width * height)) % channels
        b = k // (width * height * channels)
        total = float32(0)
        for i in range(kh):
            ty = iy + pad_top - i  # = oy * sh for the output row that reads iy with offset i
            if ty < 0 or ty % sh != 0 or ty // sh >= out_h:
                continue
            base = (b * out_h + ty // sh) * out_w
            for j in range(kw):
                tx = ix + pad_left - j
                if tx < 0 or tx % sw != 0 or tx // sw >= out_w:
                    continue
                total += cols[(c * kh + i) * kw + j, base + tx // sw]
        if acc:
            dx[b, c, iy, ix] += total
        else:
            dx[b, c, iy, ix] = total


@handles(Op.CONV_FWD)
def run_conv2d_forward(row, P, W, step):
    """z = conv2d(x, w) (+ b): cols = im2col(x), out_t = w2 @ cols with w2 = w as
    [filters, channels*kh*kw], then z[b, f] = out_t[f, sample b's positions] (+ b[f])."""
    g = fields(row, Op.CONV_FWD)
    b, c, h, w_, f = g["batch"], g["channels"], g["height"], g["width"], g["filters"]
    kh, kw, oh, ow = g["kh"], g["kw"], g["out_h"], g["out_w"]
    ckk, positions = c * kh * kw, b * oh * ow
    x = view(W, g["x"], b, c, h, w_)
    w2 = view(P, g["w_p"], f, ckk)
    bias = view(P, g["b_p"], f)
    cols = view(W, g["cols"], ckk, positions)
    out_t = view(W, g["out_t"], f, positions)
    z = view(W, g["z"], b, f, oh, ow)
    _im2col[grid(ckk * positions)](x, cols, kh, kw, g["sh"], g["sw"], g["pad_top"],
                                   g["pad_left"], oh, ow)
    gemm(w2, cols, out_t)
    _scatter_output[grid(b * f * oh * ow)](out_t, bias, z, g["has_bias"])


@handles(Op.CONV_BWD)
def run_conv2d_backward(row, P, W, step):
    """Gradients of the convolution for the upstream gradient dz: dz_t = dz as
    [filters, positions], db = its row sums (overwritten, when has_bias), dw = dz_t @ cols^T
    (overwritten); when need_dx, cols = w2^T @ dz_t and dx (=, or += when acc) col2im(cols).
    cols must hold im2col(x) from the forward of the same step."""
    g = fields(row, Op.CONV_BWD)
    b, c, h, w_, f = g["batch"], g["channels"], g["height"], g["width"], g["filters"]
    kh, kw, oh, ow = g["kh"], g["kw"], g["out_h"], g["out_w"]
    ckk, positions = c * kh * kw, b * oh * ow
    w2 = view(P, g["w_p"], f, ckk)
    dz = view(W, g["dz"], b, f, oh, ow)
    cols = view(W, g["cols"], ckk, positions)
    dz_t = view(W, g["dz_t"], f, positions)
    dw2 = view(P, g["dw_p"], f, ckk)
    _gather_grad[grid(f * positions)](dz, dz_t)
    if g["has_bias"]:
        row_sums(dz_t, view(P, g["db_p"], f))
    gemm(dz_t, cols, dw2, tb=True)
    if g["need_dx"]:
        dx = view(W, g["dx"], b, c, h, w_)
        gemm(w2, dz_t, cols, ta=True)  # cols now holds the column gradient
        _col2im[grid(b * c * h * w_)](cols, dx, kh, kw, g["sh"], g["sw"], g["pad_top"],
                                      g["pad_left"], oh, ow, g["acc"])
