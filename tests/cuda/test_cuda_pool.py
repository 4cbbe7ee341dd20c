"""The CUDA pooling handlers against the CPU kernels (visnet.core.backends.cpu.pool): max,
average and global average pooling, forward and backward, on several shapes (pool sizes 2 and 3,
strides 1 and 2, overlapping windows, sizes the windows do not tile, Keras' 'same' padding), acc
0 and 1. Runs in
Numba's CUDA simulator where there is no GPU."""

import numpy as np
import pytest
from numba import cuda

import visnet.core.backends.cuda.pool  # noqa: F401  (registers the handlers)
from visnet.core.backends.cpu import pool as cpu
from visnet.core.backends.cuda.ops import HANDLERS
from visnet.core.backends.opcodes import Op, encode
from visnet.core.layers.padding import geometry

RTOL, ATOL = 2e-4, 2e-5
GAP = 3  # sentinel values between the tensors of an arena: a kernel must not touch them
SENTINEL = np.float32(-777.0)

# (batch, channels, height, width, ph, pw, sh, sw, padding)
SHAPES = [
    (2, 2, 4, 4, 2, 2, 2, 2, "valid"),  # the CPU's 2x2 fast path, windows tile the plane
    (2, 2, 5, 5, 2, 2, 2, 2, "valid"),  # 2x2 fast path, a last row and column no window covers
    (1, 3, 5, 6, 3, 3, 1, 1, "valid"),  # overlapping windows, stride 1
    (2, 1, 7, 5, 3, 3, 2, 2, "valid"),  # overlapping windows, stride 2, non-divisible
    (1, 2, 5, 4, 2, 2, 1, 1, "valid"),  # pool 2 stride 1
    (2, 2, 6, 7, 2, 3, 1, 2, "valid"),  # non-square pool and strides
    (2, 2, 5, 5, 2, 2, 2, 2, "same"),  # the last row and column windows reach past the edge
    (1, 2, 6, 7, 3, 3, 1, 1, "same"),  # windows past every edge
    (2, 1, 7, 6, 3, 2, 2, 3, "same"),  # padding before and after
]
IDS = ["2x2s2", "2x2s2-ragged", "3x3s1", "3x3s2", "2x2s1", "2x3s1x2", "2x2s2-same",
       "3x3s1-same", "3x2s2x3-same"]


def window_args(shape):
    """(ph, pw, sh, sw, pad_top, pad_left): the kernels' window arguments."""
    _, _, h, w, ph, pw, sh, sw, padding = shape
    return (ph, pw, sh, sw, *geometry(h, w, ph, pw, sh, sw, padding)[2:])


def arena(*arrays):
    """A flat device arena holding the arrays one after another (offset GAP, sentinels between
    them) and their offsets."""
    offsets, pos = [], GAP
    for a in arrays:
        offsets.append(pos)
        pos += a.size + GAP
    flat = np.full(pos, SENTINEL, np.float32)
    for off, a in zip(offsets, arrays):
        flat[off:off + a.size] = a.ravel()
    return cuda.to_device(flat), offsets


def read(dev, offset, shape):
    """The array of that shape at offset in a device arena, on the host."""
    flat = dev.copy_to_host()
    return flat[offset:offset + int(np.prod(shape))].reshape(shape)


def check_sentinels(dev, arrays, offsets):
    flat = dev.copy_to_host()
    mask = np.ones(flat.size, bool)
    for off, a in zip(offsets, arrays):
        mask[off:off + a.size] = False
    assert np.all(flat[mask] == SENTINEL), "a kernel wrote outside its tensors"


def run(op, W, **f):
    P = cuda.to_device(np.zeros(4, np.float32))
    HANDLERS[int(op)](encode(op, **f), P, W, 0)


def inputs(shape, seed, ties=False):
    b, c, h, w, ph, pw, sh, sw, padding = shape
    rng = np.random.default_rng(seed)
    oh, ow = geometry(h, w, ph, pw, sh, sw, padding)[:2]
    if ties:  # few distinct values: windows hold their maximum more than once
        x = rng.integers(0, 3, (b, c, h, w)).astype(np.float32)
    else:
        x = rng.standard_normal((b, c, h, w)).astype(np.float32)
    dy = rng.standard_normal((b, c, oh, ow)).astype(np.float32)
    dx0 = rng.standard_normal((b, c, h, w)).astype(np.float32)
    return x, dy, dx0, oh, ow


def sizes(shape, oh, ow):
    b, c, h, w, ph, pw, sh, sw, padding = shape
    top, left = window_args(shape)[4:]
    return dict(batch=b, channels=c, height=h, width=w, out_h=oh, out_w=ow, ph=ph, pw=pw,
                sh=sh, sw=sw, pad_top=top, pad_left=left)


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("shape", SHAPES, ids=IDS)
def test_pool_forward(kind, shape):
    x, dy, _, oh, ow = inputs(shape, 0, ties=kind == "max")
    y = np.zeros_like(dy)
    fwd = cpu.maxpool2d_forward if kind == "max" else cpu.avgpool2d_forward
    fwd(x, y, *window_args(shape), 0)
    garbage = np.full_like(y, 5.0)  # the output is overwritten
    W, (ox, oy) = arena(x, garbage)
    run(Op.MAXPOOL_FWD if kind == "max" else Op.AVGPOOL_FWD, W, x=ox, y=oy, **sizes(shape, oh, ow))
    np.testing.assert_allclose(read(W, oy, y.shape), y, rtol=RTOL, atol=ATOL)
    if kind == "max":  # picks values, no arithmetic: exact
        np.testing.assert_array_equal(read(W, oy, y.shape), y)
    check_sentinels(W, [x, garbage], [ox, oy])


@pytest.mark.parametrize("ties", [False, True], ids=["distinct", "ties"])
@pytest.mark.parametrize("acc", [0, 1])
@pytest.mark.parametrize("shape", SHAPES, ids=IDS)
def test_maxpool_backward(shape, acc, ties):
    x, dy, dx0, oh, ow = inputs(shape, 1, ties)
    y = np.zeros_like(dy)
    cpu.maxpool2d_forward(x, y, *window_args(shape), 0)
    dx = dx0.copy()
    cpu.maxpool2d_backward(x, y, dy, dx, *window_args(shape), acc, 0)
    W, (o_x, o_y, o_dy, o_dx) = arena(x, y, dy, dx0)
    run(Op.MAXPOOL_BWD, W, x=o_x, y=o_y, dy=o_dy, dx=o_dx, acc=acc, **sizes(shape, oh, ow))
    got = read(W, o_dx, dx.shape)
    # each input gathers its windows' gradients in the CPU's order: the same sums, exactly
    np.testing.assert_array_equal(got, dx)
    check_sentinels(W, [x, y, dy, dx0], [o_x, o_y, o_dy, o_dx])


def test_maxpool_nan():
    """A NaN in a window gives NaN, and the backward routes that window's gradient to the NaN."""
    shape = (1, 2, 5, 5, 3, 3, 1, 1, "valid")
    x, dy, dx0, oh, ow = inputs(shape, 2)
    x[0, 0, 2, 2] = np.nan
    x[0, 1, 0, 4] = np.nan
    y = np.zeros_like(dy)
    cpu.maxpool2d_forward(x, y, *window_args(shape), 0)
    dx = dx0.copy()
    cpu.maxpool2d_backward(x, y, dy, dx, *window_args(shape), 0, 0)
    W, (o_x, o_y, o_dy, o_dx) = arena(x, np.zeros_like(y), dy, dx0)
    run(Op.MAXPOOL_FWD, W, x=o_x, y=o_y, **sizes(shape, oh, ow))
    np.testing.assert_array_equal(read(W, o_y, y.shape), y)  # NaNs compare equal here
    run(Op.MAXPOOL_BWD, W, x=o_x, y=o_y, dy=o_dy, dx=o_dx, acc=0, **sizes(shape, oh, ow))
    np.testing.assert_array_equal(read(W, o_dx, dx.shape), dx)


@pytest.mark.parametrize("acc", [0, 1])
@pytest.mark.parametrize("shape", SHAPES, ids=IDS)
def test_avgpool_backward(shape, acc):
    _, dy, dx0, oh, ow = inputs(shape, 3)
    dx = dx0.copy()
    cpu.avgpool2d_backward(dy, dx, *window_args(shape), acc, 0)
    W, (o_dy, o_dx) = arena(dy, dx0)
    run(Op.AVGPOOL_BWD, W, dy=o_dy, dx=o_dx, acc=acc, **sizes(shape, oh, ow))
    np.testing.assert_allclose(read(W, o_dx, dx.shape), dx, rtol=RTOL, atol=ATOL)
    check_sentinels(W, [dy, dx0], [o_dy, o_dx])


GAP_SHAPES = [(2, 3, 4, 4), (3, 2, 3, 5), (1, 5, 1, 1)]


@pytest.mark.parametrize("shape", GAP_SHAPES, ids=str)
def test_gap_forward(shape):
    b, c, h, w = shape
    x = np.random.default_rng(4).standard_normal(shape).astype(np.float32)
    y = np.zeros((b, c), np.float32)
    cpu.global_avgpool2d_forward(x, y, 0)
    W, (ox, oy) = arena(x, np.full_like(y, 5.0))
    run(Op.GAP_FWD, W, x=ox, y=oy, batch=b, channels=c, height=h, width=w)
    np.testing.assert_allclose(read(W, oy, y.shape), y, rtol=RTOL, atol=ATOL)
    check_sentinels(W, [x, y], [ox, oy])


@pytest.mark.parametrize("acc", [0, 1])
@pytest.mark.parametrize("shape", GAP_SHAPES, ids=str)
def test_gap_backward(shape, acc):
    b, c, h, w = shape
    rng = np.random.default_rng(5)
    dy = rng.standard_normal((b, c)).astype(np.float32)
    dx0 = rng.standard_normal(shape).astype(np.float32)
    dx = dx0.copy()
    cpu.global_avgpool2d_backward(dy, dx, acc, 0)
    W, (o_dy, o_dx) = arena(dy, dx0)
    run(Op.GAP_BWD, W, dy=o_dy, dx=o_dx, batch=b, channels=c, height=h, width=w, acc=acc)
    np.testing.assert_allclose(read(W, o_dx, dx.shape), dx, rtol=RTOL, atol=ATOL)
    check_sentinels(W, [dy, dx0], [o_dy, o_dx])
