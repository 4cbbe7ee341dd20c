"""2-D pooling in NCHW layout: max, average and global average.

Window (oy, ox) covers rows ``oy*sh - pad_top`` to ``oy*sh - pad_top + ph - 1`` and the columns
likewise; with Keras' 'same' padding (see visnet/core/layers/padding.py) the windows at the edges
reach past the image and take only the values inside it: the max of those, the mean of those
(the padding is never counted). Windows may overlap (strides smaller than the pool). Every
kernel works plane by plane, one (sample, channel) plane per loop iteration, so parallel
iterations never write the same element.
T is float32 when training and float64 in gradient checks; the same kernel serves both.
"""

import numpy as np
from numba import njit, prange

from ..opcodes import BACKEND_SLOT as PAR
from ..opcodes import Op, slots
from .config import JIT, JIT_PARALLEL
from .executor import handles
from .views import _v2, _v4
from .fill import zero2d

F = np.float32


# --- max pooling ---------------------------------------------------------------------------------

@njit(**JIT)
def _window(o, stride, pad, pool, size):
    """(first, offsets lo..hi) of window o along an axis: the window starts at first and its
    offsets lo <= i < hi fall inside the axis of the given size."""
    first = o * stride - pad
    return first, max(0, -first), min(pool, size - first)


@njit(**JIT)
def _unpadded_2x2(xp, yp, ph, pw, sh, sw, pad_top, pad_left):
    """Pool 2 stride 2 with every window inside the image: the unrolled kernels apply."""
    return (ph == 2 and pw == 2 and sh == 2 and sw == 2 and pad_top == 0 and pad_left == 0
            and 2 * yp.shape[0] <= xp.shape[0] and 2 * yp.shape[1] <= xp.shape[1])


@njit(**JIT)
def _maxpool_plane(xp, yp, ph, pw, sh, sw, pad_top, pad_left):
    """yp[oy, ox] = max of the window; a NaN in the window gives NaN (as PyTorch does)."""
    if _unpadded_2x2(xp, yp, ph, pw, sh, sw, pad_top, pad_left):
        _maxpool_plane_2x2(xp, yp)
        return
    for oy in range(yp.shape[0]):
        y0, i0, i1 = _window(oy, sh, pad_top, ph, xp.shape[0])
        for ox in range(yp.shape[1]):
            x0, j0, j1 = _window(ox, sw, pad_left, pw, xp.shape[1])
            first = xp[y0 + i0, x0 + j0]
            best = first
            nan = False
            for i in range(i0, i1):
                for j in range(j0, j1):
                    v = xp[y0 + i, x0 + j]
                    nan |= v != v
                    if v > best:
                        best = v
            yp[oy, ox] = best if not nan else first * F(np.nan)


@njit(**JIT)
def _maxpool_plane_2x2(xp, yp):
    """The common case, pool 2 stride 2, with constant bounds the compiler can unroll."""
    for oy in range(yp.shape[0]):
        r0 = xp[2 * oy]
        r1 = xp[2 * oy + 1]
        for ox in range(yp.shape[1]):
            a, b = r0[2 * ox], r0[2 * ox + 1]
            c, d = r1[2 * ox], r1[2 * ox + 1]
            best = a if a > b else b
            best2 = c if c > d else d
            best = best if best > best2 else best2
            total = a + b + c + d  # NaN exactly when one of them is NaN (or infinities cancel)
            if total != total and (a != a or b != b or c != c or d != d):
                best = total
            yp[oy, ox] = best


@njit(**JIT)
def _maxpool_grad_plane_2x2(xp, yp, dyp, dxp, acc):
    """The common case, pool 2 stride 2: windows do not overlap, so each input position gets
    its value written once, with no clearing pass."""
    for oy in range(yp.shape[0]):
        x0, x1 = xp[2 * oy], xp[2 * oy + 1]
        d0, d1 = dxp[2 * oy], dxp[2 * oy + 1]
        for ox in range(yp.shape[1]):
            m = yp[oy, ox]
            g = dyp[oy, ox]
            a, b = x0[2 * ox], x0[2 * ox + 1]
            c = x1[2 * ox]  # the last position takes the gradient when none before does
            nan = m != m
            ga = g if (a == m or (nan and a != a)) else F(0)
            gb = g if ga == 0 and (b == m or (nan and b != b)) else F(0)
            gc = g if ga == 0 and gb == 0 and (c == m or (nan and c != c)) else F(0)
            gd = g if ga == 0 and gb == 0 and gc == 0 else F(0)
            if acc:
                d0[2 * ox] += ga
                d0[2 * ox + 1] += gb
                d1[2 * ox] += gc
                d1[2 * ox + 1] += gd
            else:
                d0[2 * ox] = ga
                d0[2 * ox + 1] = gb
                d1[2 * ox] = gc
                d1[2 * ox + 1] = gd
        if xp.shape[1] % 2:  # a last column no window covers
            if not acc:
                d0[xp.shape[1] - 1] = F(0)
                d1[xp.shape[1] - 1] = F(0)
    if xp.shape[0] % 2 and not acc:  # a last row no window covers
        last = dxp[xp.shape[0] - 1]
        for q in range(last.shape[0]):
            last[q] = F(0)


@njit(**JIT)
def _maxpool_grad_plane(xp, yp, dyp, dxp, ph, pw, sh, sw, pad_top, pad_left, acc):
    """dxp (=, or += when acc) dyp routed to the first position of each window holding its max."""
    if _unpadded_2x2(xp, yp, ph, pw, sh, sw, pad_top, pad_left):
        _maxpool_grad_plane_2x2(xp, yp, dyp, dxp, acc)
        return
    if not acc:
        zero2d(dxp)
    for oy in range(yp.shape[0]):
        y0, i0, i1 = _window(oy, sh, pad_top, ph, xp.shape[0])
        for ox in range(yp.shape[1]):
            x0, j0, j1 = _window(ox, sw, pad_left, pw, xp.shape[1])
            m = yp[oy, ox]
            is_nan = m != m
            found = False
            for i in range(i0, i1):
                for j in range(j0, j1):
                    v = xp[y0 + i, x0 + j]
                    if v == m or (is_nan and v != v):
                        dxp[y0 + i, x0 + j] += dyp[oy, ox]
                        found = True
                        break
                if found:
                    break


@njit(**JIT_PARALLEL)
def maxpool2d_forward(x, y, ph, pw, sh, sw, pad_top, pad_left, par):
    """Max pooling.

    Parameters
    ----------
    x : T[batch, channels, height, width]
    y : T[batch, channels, out_h, out_w]
        Output, overwritten.
    ph, pw, sh, sw : int
        Pool size and strides.
    pad_top, pad_left : int
        Rows above and columns left of the image where the first window starts.
    par : int
        Nonzero runs the (sample, channel) planes in parallel.
    """
    channels = x.shape[1]
    planes = x.shape[0] * channels
    if par:
        for k in prange(planes):
            b, c = k // channels, k % channels
            _maxpool_plane(x[b, c], y[b, c], ph, pw, sh, sw, pad_top, pad_left)
    else:
        for k in range(planes):
            b, c = k // channels, k % channels
            _maxpool_plane(x[b, c], y[b, c], ph, pw, sh, sw, pad_top, pad_left)


@njit(**JIT_PARALLEL)
def maxpool2d_backward(x, y, dy, dx, ph, pw, sh, sw, pad_top, pad_left, acc, par):
    """Gradient of max pooling: each window's gradient goes to the first position (row-major)
    holding the window's maximum.

    Parameters
    ----------
    x : T[batch, channels, height, width]
        Input of the forward.
    y : T[batch, channels, out_h, out_w]
        Output of the forward (locates the maxima).
    dy : T[batch, channels, out_h, out_w]
        Upstream gradient.
    dx : T[batch, channels, height, width]
        Input gradient: overwritten (``acc == 0``) or added to (``acc == 1``).
    ph, pw, sh, sw : int
        Pool size and strides.
    pad_top, pad_left : int
        Rows above and columns left of the image where the first window starts.
    acc, par : int
        Accumulate into dx / run the (sample, channel) planes in parallel.
    """
    channels = x.shape[1]
    planes = x.shape[0] * channels
    if par:
        for k in prange(planes):
            b, c = k // channels, k % channels
            _maxpool_grad_plane(x[b, c], y[b, c], dy[b, c], dx[b, c], ph, pw, sh, sw, pad_top,
                                pad_left, acc)
    else:
        for k in range(planes):
            b, c = k // channels, k % channels
            _maxpool_grad_plane(x[b, c], y[b, c], dy[b, c], dx[b, c], ph, pw, sh, sw, pad_top,
                                pad_left, acc)


# --- average pooling -----------------------------------------------------------------------------

@njit(**JIT)
def _avgpool_plane(xp, yp, ph, pw, sh, sw, pad_top, pad_left):
    for oy in range(yp.shape[0]):
        y0, i0, i1 = _window(oy, sh, pad_top, ph, xp.shape[0])
        for ox in range(yp.shape[1]):
            x0, j0, j1 = _window(ox, sw, pad_left, pw, xp.shape[1])
            total = F(0)
            for i in range(i0, i1):
                for j in range(j0, j1):
                    total += xp[y0 + i, x0 + j]
            yp[oy, ox] = total / F((i1 - i0) * (j1 - j0))


@njit(**JIT)
def _avgpool_grad_plane(dyp, dxp, ph, pw, sh, sw, pad_top, pad_left, acc):
    if not acc:
        zero2d(dxp)
    for oy in range(dyp.shape[0]):
        y0, i0, i1 = _window(oy, sh, pad_top, ph, dxp.shape[0])
        for ox in range(dyp.shape[1]):
            x0, j0, j1 = _window(ox, sw, pad_left, pw, dxp.shape[1])
            g = dyp[oy, ox] / F((i1 - i0) * (j1 - j0))
            for i in range(i0, i1):
                for j in range(j0, j1):
                    dxp[y0 + i, x0 + j] += g


@njit(**JIT_PARALLEL)
def avgpool2d_forward(x, y, ph, pw, sh, sw, pad_top, pad_left, par):
    """Average pooling.

    Parameters
    ----------
    x : T[batch, channels, height, width]
    y : T[batch, channels, out_h, out_w]
        Output, overwritten.
    ph, pw, sh, sw : int
        Pool size and strides.
    pad_top, pad_left : int
        Rows above and columns left of the image where the first window starts.
    par : int
        Nonzero runs the (sample, channel) planes in parallel.
    """
    channels = x.shape[1]
    planes = x.shape[0] * channels
    if par:
        for k in prange(planes):
            b, c = k // channels, k % channels
            _avgpool_plane(x[b, c], y[b, c], ph, pw, sh, sw, pad_top, pad_left)
    else:
        for k in range(planes):
            b, c = k // channels, k % channels
            _avgpool_plane(x[b, c], y[b, c], ph, pw, sh, sw, pad_top, pad_left)


@njit(**JIT_PARALLEL)
def avgpool2d_backward(dy, dx, ph, pw, sh, sw, pad_top, pad_left, acc, par):
    """Gradient of average pooling.

    Parameters
    ----------
    dy : T[batch, channels, out_h, out_w]
        Upstream gradient.
    dx : T[batch, channels, height, width]
        Input gradient: overwritten (``acc == 0``) or added to (``acc == 1``).
    ph, pw, sh, sw : int
        Pool size and strides.
    pad_top, pad_left : int
        Rows above and columns left of the image where the first window starts.
    acc, par : int
        Accumulate into dx / run the (sample, channel) planes in parallel.
    """
    channels = dx.shape[1]
    planes = dx.shape[0] * channels
    if par:
        for k in prange(planes):
            b, c = k // channels, k % channels
            _avgpool_grad_plane(dy[b, c], dx[b, c], ph, pw, sh, sw, pad_top, pad_left, acc)
    else:
        for k in range(planes):
            b, c = k // channels, k % channels
            _avgpool_grad_plane(dy[b, c], dx[b, c], ph, pw, sh, sw, pad_top, pad_left, acc)


# --- global average pooling ----------------------------------------------------------------------

@njit(**JIT)
def _plane_mean(xp):
    total = F(0)
    for i in range(xp.shape[0]):
        for j in range(xp.shape[1]):
            total += xp[i, j]
    return total / F(xp.shape[0] * xp.shape[1])


@njit(**JIT)
def _fill_plane(dxp, g, acc):
    for i in range(dxp.shape[0]):
        for j in range(dxp.shape[1]):
            dxp[i, j] = dxp[i, j] + g if acc else g


@njit(**JIT_PARALLEL)
def global_avgpool2d_forward(x, y, par):
    """Mean of each (sample, channel) plane.

    Parameters
    ----------
    x : T[batch, channels, height, width]
    y : T[batch, channels]
        Output, overwritten.
    par : int
        Nonzero runs the planes in parallel.
    """
    channels = x.shape[1]
    planes = x.shape[0] * channels
    if par:
        for k in prange(planes):
            b, c = k // channels, k % channels
            y[b, c] = _plane_mean(x[b, c])
    else:
        for k in range(planes):
            b, c = k // channels, k % channels
            y[b, c] = _plane_mean(x[b, c])


@njit(**JIT_PARALLEL)
def global_avgpool2d_backward(dy, dx, acc, par):
    """Gradient of global average pooling.

    Parameters
    ----------
    dy : T[batch, channels]
        Upstream gradient.
    dx : T[batch, channels, height, width]
        Input gradient: overwritten (``acc == 0``) or added to (``acc == 1``).
    acc, par : int
        Accumulate into dx / run the planes in parallel.
    """
    channels = dx.shape[1]
    planes = dx.shape[0] * channels
    count = F(dx.shape[2] * dx.shape[3])
    if par:
        for k in prange(planes):
            b, c = k // channels, k % channels
            _fill_plane(dx[b, c], dy[b, c] / count, acc)
    else:
        for k in range(planes):
            b, c = k // channels, k % channels
            _fill_plane(dx[b, c], dy[b, c] / count, acc)


# ---------------------------------------------------------------------------------------------
# The executor's handlers (see executor.py): an instruction row -> the kernel on views of the
# two arenas, its fields read by name.

def _image_work(f):
    return f["batch"] * f["channels"] * f["height"] * f["width"]


_MAXPOOL_FWD = slots(Op.MAXPOOL_FWD)
_AVGPOOL_FWD = slots(Op.AVGPOOL_FWD)
_MAXPOOL_BWD = slots(Op.MAXPOOL_BWD)
_AVGPOOL_BWD = slots(Op.AVGPOOL_BWD)
_GAP_FWD = slots(Op.GAP_FWD)
_GAP_BWD = slots(Op.GAP_BWD)


@handles(Op.MAXPOOL_FWD, work=_image_work)
@njit(**JIT)
def run_maxpool2d_forward(p, P, W, step):
    par = p[PAR]
    s = _MAXPOOL_FWD
    b, c, h, w, oh, ow = (p[s.batch], p[s.channels], p[s.height], p[s.width],
                          p[s.out_h], p[s.out_w])
    x, y = _v4(W, p[s.x], b, c, h, w), _v4(W, p[s.y], b, c, oh, ow)
    maxpool2d_forward(x, y, p[s.ph], p[s.pw], p[s.sh], p[s.sw], p[s.pad_top], p[s.pad_left],
                      par)


@handles(Op.AVGPOOL_FWD, work=_image_work)
@njit(**JIT)
def run_avgpool2d_forward(p, P, W, step):
    par = p[PAR]
    s = _AVGPOOL_FWD
    b, c, h, w, oh, ow = (p[s.batch], p[s.channels], p[s.height], p[s.width],
                          p[s.out_h], p[s.out_w])
    x, y = _v4(W, p[s.x], b, c, h, w), _v4(W, p[s.y], b, c, oh, ow)
    avgpool2d_forward(x, y, p[s.ph], p[s.pw], p[s.sh], p[s.sw], p[s.pad_top], p[s.pad_left],
                      par)


@handles(Op.MAXPOOL_BWD, work=_image_work)
@njit(**JIT)
def run_maxpool2d_backward(p, P, W, step):
    par = p[PAR]
    s = _MAXPOOL_BWD
    b, c, h, w, oh, ow = (p[s.batch], p[s.channels], p[s.height], p[s.width],
                          p[s.out_h], p[s.out_w])
    maxpool2d_backward(_v4(W, p[s.x], b, c, h, w), _v4(W, p[s.y], b, c, oh, ow),
                       _v4(W, p[s.dy], b, c, oh, ow), _v4(W, p[s.dx], b, c, h, w),
                       p[s.ph], p[s.pw], p[s.sh], p[s.sw], p[s.pad_top], p[s.pad_left],
                       p[s.acc], par)


@handles(Op.AVGPOOL_BWD, work=_image_work)
@njit(**JIT)
def run_avgpool2d_backward(p, P, W, step):
    par = p[PAR]
    s = _AVGPOOL_BWD
    b, c, h, w, oh, ow = (p[s.batch], p[s.channels], p[s.height], p[s.width],
                          p[s.out_h], p[s.out_w])
    avgpool2d_backward(_v4(W, p[s.dy], b, c, oh, ow), _v4(W, p[s.dx], b, c, h, w),
                       p[s.ph], p[s.pw], p[s.sh], p[s.sw], p[s.pad_top], p[s.pad_left],
                       p[s.acc], par)


@handles(Op.GAP_FWD, work=_image_work)
@njit(**JIT)
def run_global_avgpool2d_forward(p, P, W, step):
    par = p[PAR]
    s = _GAP_FWD
    b, c, h, w = p[s.batch], p[s.channels], p[s.height], p[s.width]
    global_avgpool2d_forward(_v4(W, p[s.x], b, c, h, w), _v2(W, p[s.y], b, c), par)


@handles(Op.GAP_BWD, work=_image_work)
@njit(**JIT)
def run_global_avgpool2d_backward(p, P, W, step):
    par = p[PAR]
    s = _GAP_BWD
    b, c, h, w = p[s.batch], p[s.channels], p[s.height], p[s.width]
    global_avgpool2d_backward(_v2(W, p[s.dy], b, c), _v4(W, p[s.dx], b, c, h, w),
                                   p[s.acc], par)
