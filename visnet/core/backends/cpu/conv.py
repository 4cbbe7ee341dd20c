"""2-D convolution in NCHW layout: im2col followed by one matrix product.

Layouts (T is float32 when training, float64 in gradient checks; the same kernel serves both):

- image ``x : T[batch, channels, height, width]``, output ``z : T[batch, filters, out_h, out_w]``
- kernel ``w : T[filters, channels, kh, kw]`` (read as ``T[filters, channels*kh*kw]``)
- ``cols : T[channels*kh*kw, batch*out_h*out_w]``: row ``(c*kh + i)*kw + j``, column
  ``(b*out_h + oy)*out_w + ox`` holds ``x[b, c, oy*sh + i - pad_top, ox*sw + j - pad_left]``,
  zero where that falls outside the image.

Padding: ``pad_top``/``pad_left`` zeros go before the image and every position past the bottom or
right edge reads as zero, so Keras' 'same' padding (any odd extra pad at the bottom/right) is
``pad_top = pad_total // 2`` with ``pad_total = max((out_h - 1)*sh + kh - height, 0)``; see
:func:`conv2d_geometry`.

Workspaces (:func:`conv2d_workspaces`): ``cols`` is written by the forward and must survive until
the backward of the same step, which reads it for ``dw`` and then overwrites it with the column
gradient. ``out_t`` is scratch of the forward only and ``dz_t`` scratch of the backward only, so
the two may share memory.

Loop indices from ``prange`` are unsigned; helpers get ``np.int64(index)`` so that each compiles
once for the serial and the parallel loop.
"""

import numpy as np
from numba import njit, prange

from ...layers.padding import geometry as conv2d_geometry  # noqa: F401  (re-exported)
from ..opcodes import BACKEND_SLOT as PAR
from ..opcodes import Op, slots
from .config import JIT, JIT_PARALLEL
from .executor import handles
from .views import _v1, _v2, _v4
from .gemm import matmul_nt, matmul_wide

F = np.float32


def conv2d_workspaces(batch, channels, height, width, filters, kh, kw, out_h, out_w):
    """Workspaces of :func:`conv2d_forward` and :func:`conv2d_backward`: name -> shape.

    ``cols`` must persist from the forward to the backward of the same step; ``out_t`` (forward
    scratch) and ``dz_t`` (backward scratch) are dead outside their kernel.
    """
    positions = batch * out_h * out_w
    return {
        "cols": (channels * kh * kw, positions),
        "out_t": (filters, positions),
        "dz_t": (filters, positions),
    }


@njit(**JIT)
def _im2col_row(x, cols, r, kh, kw, sh, sw, pad_top, pad_left, out_h, out_w):
    """Fill row ``r = (c*kh + i)*kw + j`` of cols for every sample.

    Inner loops index zero-based views (see config): computed indices like col + ox would get
    a wrap-around check on every access and stop vectorisation."""
    height, width = x.shape[2], x.shape[3]
    c = r // (kh * kw)
    i = (r // kw) % kh
    j = r % kw
    # Output columns whose input column ox*sw + j - pad_left lies inside the image.
    lo = min(max(0, -(-(pad_left - j) // sw)), out_w)
    hi = max(min(out_w, (width - 1 - j + pad_left) // sw + 1), lo)
    row = cols[r]
    for b in range(x.shape[0]):
        plane = x[b, c]
        for oy in range(out_h):
            start = (b * out_h + oy) * out_w
            dst = row[start:start + out_w]
            iy = oy * sh + i - pad_top
            if iy < 0 or iy >= height:
                for q in range(out_w):
                    dst[q] = F(0)
                continue
            for q in range(lo):
                dst[q] = F(0)
            src = plane[iy][lo * sw + j - pad_left::sw]
            inside = dst[lo:hi]
            for q in range(inside.shape[0]):
                inside[q] = src[q]
            tail = dst[hi:]
            for q in range(tail.shape[0]):
                tail[q] = F(0)


@njit(**JIT)
def _im2col_row_s1(x, cols, r, kh, kw, sh, pad_top, pad_left, out_h, out_w):
    """:func:`_im2col_row` for horizontal stride 1, where every source run is contiguous and
    the copies vectorise (2.5-3x faster on LeNet's layers)."""
    height, width = x.shape[2], x.shape[3]
    c = r // (kh * kw)
    i = (r // kw) % kh
    j = r % kw
    lo = min(max(0, pad_left - j), out_w)
    hi = max(min(out_w, width - j + pad_left), lo)
    n = hi - lo
    first = lo + j - pad_left
    row = cols[r]
    for b in range(x.shape[0]):
        plane = x[b, c]
        for oy in range(out_h):
            start = (b * out_h + oy) * out_w
            dst = row[start:start + out_w]
            iy = oy * sh + i - pad_top
            if iy < 0 or iy >= height:
                for q in range(out_w):
                    dst[q] = F(0)
                continue
            src = plane[iy, first:first + n]
            inside = dst[lo:hi]
            for q in range(n):
                inside[q] = src[q]
            for q in range(lo):
                dst[q] = F(0)
            for q in range(hi, out_w):
                dst[q] = F(0)


@njit(**JIT_PARALLEL)
def _im2col(x, cols, kh, kw, sh, sw, pad_top, pad_left, out_h, out_w, par):
    """cols = im2col(x); each row is owned by one iteration."""
    rows = cols.shape[0]
    if sw == 1:
        if par:
            for r in prange(rows):
                _im2col_row_s1(x, cols, np.int64(r), kh, kw, sh, pad_top, pad_left, out_h, out_w)
        else:
            for r in range(rows):
                _im2col_row_s1(x, cols, r, kh, kw, sh, pad_top, pad_left, out_h, out_w)
    elif par:
        for r in prange(rows):
            _im2col_row(x, cols, np.int64(r), kh, kw, sh, sw, pad_top, pad_left, out_h, out_w)
    else:
        for r in range(rows):
            _im2col_row(x, cols, r, kh, kw, sh, sw, pad_top, pad_left, out_h, out_w)


@njit(**JIT)
def _col2im_add(cols, plane, b, c, kh, kw, sh, sw, pad_top, pad_left, out_h, out_w):
    """plane += the entries of cols that im2col took from image plane (b, c)."""
    height, width = plane.shape[0], plane.shape[1]
    base = b * out_h * out_w
    for i in range(kh):
        for j in range(kw):
            row = cols[(c * kh + i) * kw + j]
            lo = min(max(0, -(-(pad_left - j) // sw)), out_w)
            hi = max(min(out_w, (width - 1 - j + pad_left) // sw + 1), lo)
            for oy in range(out_h):
                iy = oy * sh + i - pad_top
                if iy < 0 or iy >= height:
                    continue
                start = base + oy * out_w
                src = row[start + lo:start + hi]
                dst = plane[iy][lo * sw + j - pad_left::sw]
                for q in range(src.shape[0]):
                    dst[q] += src[q]


@njit(**JIT)
def _col2im_add_s1(cols, plane, b, c, kh, kw, sh, pad_top, pad_left, out_h, out_w):
    """:func:`_col2im_add` for horizontal stride 1: contiguous runs, so the sums vectorise."""
    height, width = plane.shape[0], plane.shape[1]
    base = b * out_h * out_w
    for i in range(kh):
        for j in range(kw):
            row = cols[(c * kh + i) * kw + j]
            lo = min(max(0, pad_left - j), out_w)
            n = max(min(out_w, width - j + pad_left), lo) - lo
            first = lo + j - pad_left
            for oy in range(out_h):
                iy = oy * sh + i - pad_top
                if iy < 0 or iy >= height:
                    continue
                start = base + oy * out_w + lo
                src = row[start:start + n]
                dst = plane[iy, first:first + n]
                for q in range(n):
                    dst[q] += src[q]


@njit(**JIT)
def _col2im_one(cols, dx, k, kh, kw, sh, sw, pad_top, pad_left, out_h, out_w, acc):
    """col2im into image plane k = b*channels + c (overwritten unless acc)."""
    channels = dx.shape[1]
    b = k // channels
    c = k % channels
    plane = dx[b, c]
    if not acc:
        for y in range(plane.shape[0]):
            for x in range(plane.shape[1]):
                plane[y, x] = F(0)
    if sw == 1:
        _col2im_add_s1(cols, plane, b, c, kh, kw, sh, pad_top, pad_left, out_h, out_w)
    else:
        _col2im_add(cols, plane, b, c, kh, kw, sh, sw, pad_top, pad_left, out_h, out_w)


@njit(**JIT_PARALLEL)
def _col2im(cols, dx, kh, kw, sh, sw, pad_top, pad_left, out_h, out_w, acc, par):
    """dx (=, or += when acc) col2im(cols); each (sample, channel) plane owned by one iteration."""
    planes = dx.shape[0] * dx.shape[1]
    if par:
        for k in prange(planes):
            _col2im_one(cols, dx, np.int64(k), kh, kw, sh, sw, pad_top, pad_left, out_h, out_w,
                        acc)
    else:
        for k in range(planes):
            _col2im_one(cols, dx, k, kh, kw, sh, sw, pad_top, pad_left, out_h, out_w, acc)


@njit(**JIT)
def _scatter_output_plane(out_t, b, z, k, has_bias):
    """z[b, f] = out_t[f, this sample's positions] (+ b[f]) for plane k = sample*filters + f."""
    filters = z.shape[1]
    s = k // filters
    f = k % filters
    size = z.shape[2] * z.shape[3]
    src = out_t[f][s * size:(s + 1) * size]
    dst = z[s, f].reshape(size)
    bias = b[f] if has_bias else F(0)
    for q in range(size):
        dst[q] = src[q] + bias


@njit(**JIT_PARALLEL)
def conv2d_forward(x, w, b, cols, out_t, z, kh, kw, sh, sw, pad_top, pad_left, has_bias, par):
    """z = conv2d(x, w) + b, by im2col and one GEMM (the activation is applied elsewhere).

    Parameters
    ----------
    x : T[batch, channels, height, width]
        Input images, C-contiguous.
    w : T[filters, channels, kh, kw]
        Kernel, C-contiguous (used as T[filters, channels*kh*kw]).
    b : T[filters]
        Bias; read only when ``has_bias``.
    cols : T[channels*kh*kw, batch*out_h*out_w]
        Workspace; left holding im2col(x) for :func:`conv2d_backward`.
    out_t : T[filters, batch*out_h*out_w]
        Scratch workspace.
    z : T[batch, filters, out_h, out_w]
        Output, overwritten; its shape gives out_h and out_w.
    kh, kw, sh, sw : int
        Kernel size and strides.
    pad_top, pad_left : int
        Zeros before the image; rows/columns past the bottom/right edge read as zero.
    has_bias, par : int
        Nonzero adds the bias / runs the sample, row and plane loops in parallel.
    """
    out_h, out_w = z.shape[2], z.shape[3]
    filters = w.shape[0]
    _im2col(x, cols, kh, kw, sh, sw, pad_top, pad_left, out_h, out_w, par)
    w2 = w.reshape(filters, cols.shape[0])
    matmul_wide(w2, cols, out_t, par)
    planes = z.shape[0] * filters
    if par:
        for k in prange(planes):
            _scatter_output_plane(out_t, b, z, np.int64(k), has_bias)
    else:
        for k in range(planes):
            _scatter_output_plane(out_t, b, z, k, has_bias)


@njit(**JIT)
def _gather_grad_row(dz, dz_t, db, f, has_bias):
    """dz_t[f] = dz[:, f] laid out by position; db[f] = its sum when has_bias."""
    size = dz.shape[2] * dz.shape[3]
    row = dz_t[f]
    total = F(0)
    for s in range(dz.shape[0]):
        src = dz[s, f].reshape(size)
        dst = row[s * size:(s + 1) * size]
        for q in range(size):
            v = src[q]
            dst[q] = v
            total += v
    if has_bias:
        db[f] = total


@njit(**JIT_PARALLEL)
def conv2d_backward(x, w, dz, cols, dz_t, dx, dw, db, kh, kw, sh, sw, pad_top, pad_left,
                    has_bias, need_dx, acc, par):
    """Gradients of :func:`conv2d_forward` for the upstream gradient dz.

    Parameters
    ----------
    x : T[batch, channels, height, width]
        Input images of the forward (gives the image shape; its values are read through cols).
    w : T[filters, channels, kh, kw]
        Kernel, C-contiguous.
    dz : T[batch, filters, out_h, out_w]
        Gradient of the loss with respect to the forward's z.
    cols : T[channels*kh*kw, batch*out_h*out_w]
        Must hold im2col(x) from the forward of the same step; overwritten with the column
        gradient when ``need_dx``.
    dz_t : T[filters, batch*out_h*out_w]
        Scratch workspace.
    dx : T[batch, channels, height, width]
        Input gradient: overwritten (``acc == 0``) or added to (``acc == 1``); untouched when
        ``need_dx == 0``.
    dw : T[filters, channels, kh, kw]
        Kernel gradient, overwritten; C-contiguous.
    db : T[filters]
        Bias gradient, overwritten when ``has_bias``.
    kh, kw, sh, sw, pad_top, pad_left : int
        As in the forward.
    has_bias, need_dx, acc, par : int
        Flags as described above; ``par`` nonzero runs row and plane loops in parallel.
    """
    out_h, out_w = dz.shape[2], dz.shape[3]
    filters = w.shape[0]
    if par:
        for f in prange(filters):
            _gather_grad_row(dz, dz_t, db, np.int64(f), has_bias)
    else:
        for f in range(filters):
            _gather_grad_row(dz, dz_t, db, f, has_bias)
    w2 = w.reshape(filters, cols.shape[0])
    dw2 = dw.reshape(filters, cols.shape[0])
    matmul_nt(dz_t, cols, dw2, par)
    if need_dx:
        matmul_wide(w2.T, dz_t, cols, par)  # cols now holds the column gradient
        _col2im(cols, dx, kh, kw, sh, sw, pad_top, pad_left, out_h, out_w, acc, par)


# ---------------------------------------------------------------------------------------------
# The executor's handlers (see executor.py): an instruction row -> the kernel on views of the
# two arenas, its fields read by name.

def _conv_work(f):
    return (f["batch"] * f["out_h"] * f["out_w"] * f["channels"] * f["kh"] * f["kw"]
            * f["filters"])


_CONV_FWD = slots(Op.CONV_FWD)
_CONV_BWD = slots(Op.CONV_BWD)


@handles(Op.CONV_FWD, work=_conv_work)
@njit(**JIT)
def run_conv2d_forward(p, P, W, step):
    par = p[PAR]
    s = _CONV_FWD
    b, c, h, w = p[s.batch], p[s.channels], p[s.height], p[s.width]
    f, kh, kw, oh, ow = p[s.filters], p[s.kh], p[s.kw], p[s.out_h], p[s.out_w]
    conv2d_forward(_v4(W, p[s.x], b, c, h, w), _v4(P, p[s.w_p], f, c, kh, kw),
                        _v1(P, p[s.b_p], f), _v2(W, p[s.cols], c * kh * kw, b * oh * ow),
                        _v2(W, p[s.out_t], f, b * oh * ow), _v4(W, p[s.z], b, f, oh, ow),
                        kh, kw, p[s.sh], p[s.sw], p[s.pad_top], p[s.pad_left],
                        p[s.has_bias], par)


@handles(Op.CONV_BWD, work=_conv_work)
@njit(**JIT)
def run_conv2d_backward(p, P, W, step):
    par = p[PAR]
    s = _CONV_BWD
    b, c, h, w = p[s.batch], p[s.channels], p[s.height], p[s.width]
    f, kh, kw, oh, ow = p[s.filters], p[s.kh], p[s.kw], p[s.out_h], p[s.out_w]
    conv2d_backward(_v4(W, p[s.x], b, c, h, w), _v4(P, p[s.w_p], f, c, kh, kw),
                         _v4(W, p[s.dz], b, f, oh, ow),
                         _v2(W, p[s.cols], c * kh * kw, b * oh * ow),
                         _v2(W, p[s.dz_t], f, b * oh * ow), _v4(W, p[s.dx], b, c, h, w),
                         _v4(P, p[s.dw_p], f, c, kh, kw), _v1(P, p[s.db_p], f), kh, kw,
                         p[s.sh], p[s.sw], p[s.pad_top], p[s.pad_left], p[s.has_bias],
                         p[s.need_dx], p[s.acc], par)
