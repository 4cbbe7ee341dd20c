"""The transposed 2-D convolution in NCHW layout, from the convolution's own pieces.

A transposed convolution of ``x : T[batch, channels, height, width]`` by ``w : T[channels,
filters, kh, kw]`` into ``z : T[batch, filters, out_h, out_w]`` is the input gradient of the
convolution from z's image to x (kernel w, strides and padding as the instruction gives them;
see visnet/core/backends/cpu/conv.py for im2col and col2im):

- forward: ``x_t = x as T[channels, batch*height*width]``, ``cols = w2^T @ x_t`` with ``w2 = w
  as T[channels, filters*kh*kw]``, ``z = col2im(cols)`` (+ bias);
- backward for dz: ``cols = im2col(dz)``, ``dw2 = x_t @ cols^T``, ``db = sums of dz's planes``
  and, when the input needs it, ``dx = (w2 @ cols) laid out as x``.

``x_t`` is written by the forward and read by the backward of the same step (which then
overwrites it with the input gradient's columns); ``cols`` is scratch of each.
"""

import numpy as np
from numba import njit, prange

from ..opcodes import BACKEND_SLOT as PAR
from ..opcodes import Op, slots
from .config import JIT, JIT_PARALLEL
from .conv import _col2im, _gather_grad_row, _im2col
from .executor import handles
from .gemm import matmul_nt, matmul_wide
from .views import _v1, _v2, _v4

F = np.float32


@njit(**JIT)
def _add_bias_plane(z, bias, k):
    filters = z.shape[1]
    plane = z[k // filters, k % filters]
    v = bias[k % filters]
    for i in range(plane.shape[0]):
        for j in range(plane.shape[1]):
            plane[i, j] += v


@njit(**JIT)
def _plane_sum(dz, f):
    total = F(0)
    for b in range(dz.shape[0]):
        plane = dz[b, f]
        for i in range(plane.shape[0]):
            for j in range(plane.shape[1]):
                total += plane[i, j]
    return total


@njit(**JIT)
def _scatter_plane(src_t, dx, k, acc):
    """dx[b, c] (=, or += when acc) src_t[c, sample b's positions] for plane k = b*channels + c."""
    channels = dx.shape[1]
    b, c = k // channels, k % channels
    size = dx.shape[2] * dx.shape[3]
    src = src_t[c][b * size:(b + 1) * size]
    dst = dx[b, c].reshape(size)
    if acc:
        for q in range(size):
            dst[q] += src[q]
    else:
        for q in range(size):
            dst[q] = src[q]


@njit(**JIT_PARALLEL)
def conv2d_transpose_forward(x, w, b, x_t, cols, z, kh, kw, sh, sw, pad_top, pad_left,
                             has_bias, par):
    """z = conv2d_transpose(x, w) (+ b).

    Parameters
    ----------
    x : T[batch, channels, height, width]
    w : T[channels, filters, kh, kw]
        Kernel, C-contiguous.
    b : T[filters]
        Bias; read only when ``has_bias``.
    x_t : T[channels, batch*height*width]
        Workspace, left holding x by position for :func:`conv2d_transpose_backward`.
    cols : T[filters*kh*kw, batch*height*width]
        Scratch workspace.
    z : T[batch, filters, out_h, out_w]
        Output, overwritten.
    kh, kw, sh, sw, pad_top, pad_left : int
        Kernel size, strides, and the rows and columns of the full result cropped at the start.
    has_bias, par : int
        Nonzero adds the bias / runs the loops in parallel.
    """
    channels, height, width = x.shape[1], x.shape[2], x.shape[3]
    if par:
        for c in prange(channels):
            _gather_grad_row(x, x_t, b, np.int64(c), 0)
    else:
        for c in range(channels):
            _gather_grad_row(x, x_t, b, c, 0)
    w2 = w.reshape(channels, cols.shape[0])
    matmul_wide(w2.T, x_t, cols, par)
    _col2im(cols, z, kh, kw, sh, sw, pad_top, pad_left, height, width, 0, par)
    if has_bias:
        planes = z.shape[0] * z.shape[1]
        if par:
            for k in prange(planes):
                _add_bias_plane(z, b, np.int64(k))
        else:
            for k in range(planes):
                _add_bias_plane(z, b, k)


@njit(**JIT_PARALLEL)
def conv2d_transpose_backward(w, dz, x_t, cols, dx, dw, db, kh, kw, sh, sw, pad_top, pad_left,
                              has_bias, need_dx, acc, par):
    """Gradients of :func:`conv2d_transpose_forward` for the upstream gradient dz.

    Parameters
    ----------
    w : T[channels, filters, kh, kw]
    dz : T[batch, filters, out_h, out_w]
    x_t : T[channels, batch*height*width]
        Must hold x by position from the forward of the same step; overwritten with the input
        gradient's columns when ``need_dx``.
    cols : T[filters*kh*kw, batch*height*width]
        Scratch workspace.
    dx : T[batch, channels, height, width]
        Input gradient: overwritten (``acc == 0``) or added to (``acc == 1``); untouched when
        ``need_dx == 0``.
    dw : T[channels, filters, kh, kw]
        Kernel gradient, overwritten.
    db : T[filters]
        Bias gradient, overwritten when ``has_bias``.
    """
    channels, filters = w.shape[0], w.shape[1]
    height, width = dx.shape[2], dx.shape[3]
    _im2col(dz, cols, kh, kw, sh, sw, pad_top, pad_left, height, width, par)
    matmul_nt(x_t, cols, dw.reshape(channels, cols.shape[0]), par)
    if has_bias:
        if par:
            for f in prange(filters):
                db[f] = _plane_sum(dz, np.int64(f))
        else:
            for f in range(filters):
                db[f] = _plane_sum(dz, f)
    if need_dx:
        matmul_wide(w.reshape(channels, cols.shape[0]), cols, x_t, par)
        planes = dx.shape[0] * channels
        if par:
            for k in prange(planes):
                _scatter_plane(x_t, dx, np.int64(k), acc)
        else:
            for k in range(planes):
                _scatter_plane(x_t, dx, k, acc)


# ---------------------------------------------------------------------------------------------
# The executor's handlers (see executor.py): an instruction row -> the kernel on views of the
# two arenas, its fields read by name.

def _work(f):
    return (f["batch"] * f["height"] * f["width"] * f["channels"] * f["kh"] * f["kw"]
            * f["filters"])


_CONVT_FWD = slots(Op.CONVT_FWD)
_CONVT_BWD = slots(Op.CONVT_BWD)


@handles(Op.CONVT_FWD, work=_work)
@njit(**JIT)
def run_conv2d_transpose_forward(p, P, W, step):
    s = _CONVT_FWD
    b, c, h, w = p[s.batch], p[s.channels], p[s.height], p[s.width]
    f, kh, kw, oh, ow = p[s.filters], p[s.kh], p[s.kw], p[s.out_h], p[s.out_w]
    conv2d_transpose_forward(_v4(W, p[s.x], b, c, h, w), _v4(P, p[s.w_p], c, f, kh, kw),
                             _v1(P, p[s.b_p], f), _v2(W, p[s.x_t], c, b * h * w),
                             _v2(W, p[s.cols], f * kh * kw, b * h * w),
                             _v4(W, p[s.z], b, f, oh, ow), kh, kw, p[s.sh], p[s.sw],
                             p[s.pad_top], p[s.pad_left], p[s.has_bias], p[PAR])


@handles(Op.CONVT_BWD, work=_work)
@njit(**JIT)
def run_conv2d_transpose_backward(p, P, W, step):
    s = _CONVT_BWD
    b, c, h, w = p[s.batch], p[s.channels], p[s.height], p[s.width]
    f, kh, kw, oh, ow = p[s.filters], p[s.kh], p[s.kw], p[s.out_h], p[s.out_w]
    conv2d_transpose_backward(_v4(P, p[s.w_p], c, f, kh, kw), _v4(W, p[s.dz], b, f, oh, ow),
                              _v2(W, p[s.x_t], c, b * h * w),
                              _v2(W, p[s.cols], f * kh * kw, b * h * w),
                              _v4(W, p[s.dx], b, c, h, w), _v4(P, p[s.dw_p], c, f, kh, kw),
                              _v1(P, p[s.db_p], f), kh, kw, p[s.sh], p[s.sw], p[s.pad_top],
                              p[s.pad_left], p[s.has_bias], p[s.need_dx], p[s.acc], p[PAR])
