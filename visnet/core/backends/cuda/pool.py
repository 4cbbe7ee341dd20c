"""CUDA kernels: 2-D max, average and global average pooling in NCHW layout (windows may overlap
when a stride is smaller than the pool, and with 'same' padding reach past the image, taking only
the values inside it), with the semantics of visnet.core.backends.cpu.pool.

Every kernel gives each thread one output element: forwards one pooled value (the thread loops
over its window), backwards one input position (the thread gathers, in the CPU's order, from
every window that contains it). No two threads write one element, so no atomics are needed, and
the sums run in the same order as on the CPU.
"""

from __future__ import annotations

from numba import cuda, float32

from ..opcodes import Op
from .ops import fields, grid, handles, view


# --- index helpers -------------------------------------------------------------------------------

@cuda.jit(device=True)
def _unflatten(i, channels, rows, cols):
    """(sample, channel, row, column) of flat index i of a [*, channels, rows, cols] array."""
    col = i % cols
    t = i // cols
    row = t % rows
    t = t // rows
    return t // channels, t % channels, row, col


@cuda.jit(device=True)
def _clip(o, stride, pad, pool, size):
    """(start, lo, hi) of window o along an axis: it starts at start and its offsets
    lo <= i < hi fall inside the axis."""
    start = o * stride - pad
    return start, max(0, -start), min(pool, size - start)


@cuda.jit(device=True)
def _windows(pos, pool, stride, count):
    """The range [first, last + 1) of the windows (along one axis) that contain position pos
    (counted from the start of the padding): window o covers [o*stride, o*stride + pool)."""
    low = pos - pool + 1
    first = 0 if low <= 0 else (low + stride - 1) // stride
    last = min(count - 1, pos // stride)
    return first, last + 1


# --- max pooling ---------------------------------------------------------------------------------

@cuda.jit
def _maxpool_fwd(x, y, ph, pw, sh, sw, pad_top, pad_left):
    _, channels, out_h, out_w = y.shape
    for i in range(cuda.grid(1), y.size, cuda.gridsize(1)):
        b, c, oy, ox = _unflatten(i, channels, out_h, out_w)
        y0, i0, i1 = _clip(oy, sh, pad_top, ph, x.shape[2])
        x0, j0, j1 = _clip(ox, sw, pad_left, pw, x.shape[3])
        best = x[b, c, y0 + i0, x0 + j0]
        for p in range(i0, i1):
            for q in range(j0, j1):
                v = x[b, c, y0 + p, x0 + q]
                if v > best or v != v:  # a NaN in the window gives NaN, as on the CPU
                    best = v
        y[b, c, oy, ox] = best


@cuda.jit(device=True)
def _takes_gradient(x, b, c, oy, ox, ph, pw, sh, sw, pad_top, pad_left, m, iy, ix,
                    last_by_default):
    """Whether input position (iy, ix) is the one of window (oy, ox) that gets its gradient:
    the first position inside the image, in row-major order, holding the maximum m (a NaN when
    m is NaN). The CPU's 2x2-stride-2 kernel gives it to the window's last position when none
    holds m (``last_by_default``); that cannot happen when m came from the forward."""
    y0, i0, i1 = _clip(oy, sh, pad_top, ph, x.shape[2])
    x0, j0, j1 = _clip(ox, sw, pad_left, pw, x.shape[3])
    is_nan = m != m
    for p in range(i0, i1):
        for q in range(j0, j1):
            v = x[b, c, y0 + p, x0 + q]
            if v == m or (is_nan and v != v):
                return y0 + p == iy and x0 + q == ix
            if y0 + p == iy and x0 + q == ix:
                return False  # an earlier position would have answered
    return last_by_default and iy == y0 + ph - 1 and ix == x0 + pw - 1


@cuda.jit
def _maxpool_bwd(x, y, dy, dx, ph, pw, sh, sw, pad_top, pad_left, acc):
    _, channels, height, width = dx.shape
    out_h, out_w = y.shape[2], y.shape[3]
    # the CPU's unrolled kernel: pool 2 stride 2 with every window inside the image
    two_by_two = (ph == 2 and pw == 2 and sh == 2 and sw == 2 and pad_top == 0
                  and pad_left == 0 and 2 * out_h <= height and 2 * out_w <= width)
    for i in range(cuda.grid(1), dx.size, cuda.gridsize(1)):
        b, c, iy, ix = _unflatten(i, channels, height, width)
        total = dx[b, c, iy, ix] if acc else float32(0)
        oy0, oy1 = _windows(iy + pad_top, ph, sh, out_h)
        ox0, ox1 = _windows(ix + pad_left, pw, sw, out_w)
        for oy in range(oy0, oy1):
            for ox in range(ox0, ox1):
                if _takes_gradient(x, b, c, oy, ox, ph, pw, sh, sw, pad_top, pad_left,
                                   y[b, c, oy, ox], iy, ix, two_by_two):
                    total += dy[b, c, oy, ox]
        dx[b, c, iy, ix] = total


# --- average pooling -----------------------------------------------------------------------------

@cuda.jit
def _avgpool_fwd(x, y, ph, pw, sh, sw, pad_top, pad_left):
    _, channels, out_h, out_w = y.shape
    for i in range(cuda.grid(1), y.size, cuda.gridsize(1)):
        b, c, oy, ox = _unflatten(i, channels, out_h, out_w)
        y0, i0, i1 = _clip(oy, sh, pad_top, ph, x.shape[2])
        x0, j0, j1 = _clip(ox, sw, pad_left, pw, x.shape[3])
        total = float32(0)
        for p in range(i0, i1):
            for q in range(j0, j1):
                total += x[b, c, y0 + p, x0 + q]
        y[b, c, oy, ox] = total / float32((i1 - i0) * (j1 - j0))


@cuda.jit
def _avgpool_bwd(dy, dx, ph, pw, sh, sw, pad_top, pad_left, acc):
    _, channels, height, width = dx.shape
    out_h, out_w = dy.shape[2], dy.shape[3]
    for i in range(cuda.grid(1), dx.size, cuda.gridsize(1)):
        b, c, iy, ix = _unflatten(i, channels, height, width)
        total = dx[b, c, iy, ix] if acc else float32(0)
        oy0, oy1 = _windows(iy + pad_top, ph, sh, out_h)
        ox0, ox1 = _windows(ix + pad_left, pw, sw, out_w)
        for oy in range(oy0, oy1):
            _, i0, i1 = _clip(oy, sh, pad_top, ph, height)
            for ox in range(ox0, ox1):
                _, j0, j1 = _clip(ox, sw, pad_left, pw, width)
                total += dy[b, c, oy, ox] / float32((i1 - i0) * (j1 - j0))
        dx[b, c, iy, ix] = total


# --- global average pooling ----------------------------------------------------------------------

@cuda.jit
def _gap_fwd(x, y):
    channels, height, width = x.shape[1], x.shape[2], x.shape[3]
    count = float32(height * width)
    for i in range(cuda.grid(1), y.size, cuda.gridsize(1)):
        b = i // channels
        c = i % channels
        total = float32(0)
        for p in range(height):
            for q in range(width):
                total += x[b, c, p, q]
        y[b, c] = total / count


@cuda.jit
def _gap_bwd(dy, dx, acc):
    _, channels, height, width = dx.shape
    count = float32(height * width)
    for i in range(cuda.grid(1), dx.size, cuda.gridsize(1)):
        b, c, p, q = _unflatten(i, channels, height, width)
        g = dy[b, c] / count
        dx[b, c, p, q] = dx[b, c, p, q] + g if acc else g


# --- handlers ------------------------------------------------------------------------------------

def _planes(W, f, inp, out):
    """The [batch, channels, height, width] view of W at f[inp] and the pooled
    [batch, channels, out_h, out_w] view at f[out]."""
    b, c = f["batch"], f["channels"]
    return (view(W, f[inp], b, c, f["height"], f["width"]),
            view(W, f[out], b, c, f["out_h"], f["out_w"]))


def _window(f):
    """The kernels' window arguments: (ph, pw, sh, sw, pad_top, pad_left)."""
    return f["ph"], f["pw"], f["sh"], f["sw"], f["pad_top"], f["pad_left"]


@handles(Op.MAXPOOL_FWD)
def run_maxpool2d_forward(row, P, W, step):
    """y = the maximum of each pool window of x (NaN when the window holds a NaN)."""
    f = fields(row, Op.MAXPOOL_FWD)
    x, y = _planes(W, f, "x", "y")
    _maxpool_fwd[grid(y.size)](x, y, *_window(f))


@handles(Op.MAXPOOL_BWD)
def run_maxpool2d_backward(row, P, W, step):
    """dx (=, or += when acc) the sum of dy over the windows whose first maximum (row-major) is
    that input position; positions no window covers get 0 (or stay as they are with acc)."""
    f = fields(row, Op.MAXPOOL_BWD)
    x, y = _planes(W, f, "x", "y")
    dx, dy = _planes(W, f, "dx", "dy")
    _maxpool_bwd[grid(dx.size)](x, y, dy, dx, *_window(f), f["acc"])


@handles(Op.AVGPOOL_FWD)
def run_avgpool2d_forward(row, P, W, step):
    """y = the mean of each pool window of x."""
    f = fields(row, Op.AVGPOOL_FWD)
    x, y = _planes(W, f, "x", "y")
    _avgpool_fwd[grid(y.size)](x, y, *_window(f))


@handles(Op.AVGPOOL_BWD)
def run_avgpool2d_backward(row, P, W, step):
    """dx (=, or += when acc) the sum over the windows containing each position of dy divided
    by the number of the window's positions inside the image."""
    f = fields(row, Op.AVGPOOL_BWD)
    dx, dy = _planes(W, f, "dx", "dy")
    _avgpool_bwd[grid(dx.size)](dy, dx, *_window(f), f["acc"])


@handles(Op.GAP_FWD)
def run_global_avgpool2d_forward(row, P, W, step):
    """y[b, c] = the mean of the plane x[b, c]."""
    f = fields(row, Op.GAP_FWD)
    b, c = f["batch"], f["channels"]
    x = view(W, f["x"], b, c, f["height"], f["width"])
    y = view(W, f["y"], b, c)
    _gap_fwd[grid(y.size)](x, y)


@handles(Op.GAP_BWD)
def run_global_avgpool2d_backward(row, P, W, step):
    """dx[b, c, :, :] (=, or += when acc) dy[b, c] / (height*width)."""
    f = fields(row, Op.GAP_BWD)
    b, c = f["batch"], f["channels"]
    dy = view(W, f["dy"], b, c)
    dx = view(W, f["dx"], b, c, f["height"], f["width"])
    _gap_bwd[grid(dx.size)](dy, dx, f["acc"])
