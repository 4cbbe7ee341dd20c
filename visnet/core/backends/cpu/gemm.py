"""Matrix products: BLAS (through SciPy) for real sizes, a plain loop for tiny ones, where the
BLAS call itself would cost more than the arithmetic, and a parallel loop for the skinny
product of a convolution's weight gradient."""

import numpy as np
from numba import njit, prange

from .config import JIT, JIT_PARALLEL

F = np.float32
SMALL = 4096  # multiply-adds below which the loop wins


@njit(**JIT)
def matmul(a, b, out):
    """out = a @ b. a : T[m, k], b : T[k, n], out : T[m, n]; a and b may be transposed views."""
    m, k = a.shape
    n = b.shape[1]
    if m * k * n > SMALL and a.shape[0] > 1:
        np.dot(a, b, out)
        return
    for i in range(m):
        for j in range(n):
            out[i, j] = F(0)
        for p in range(k):
            aip = a[i, p]
            for j in range(n):
                out[i, j] += aip * b[p, j]


# A convolution's weight gradient is T[F, N] @ T[N, K]^T with N = batch * positions in the tens of
# thousands and F * K small (200 and 3,200 for LeNet's layers). BLAS ran those shapes at 10-16
# GFLOP/s on one thread; dot products of four rows of a against one row of b at a time, one row of
# b per parallel iteration, ran them 2-3.5x faster on two cores (and no slower on one).


@njit(**JIT)
def _nt_column(a, b, out, j):
    """out[:, j] = a @ b[j]: four rows of a share each load of b[j]."""
    m, n = a.shape
    bj = b[j]
    i = 0
    while i + 4 <= m:
        a0, a1, a2, a3 = a[i], a[i + 1], a[i + 2], a[i + 3]
        t0 = t1 = t2 = t3 = F(0)  # widened to float64 in gradient checks
        for q in range(n):
            v = bj[q]
            t0 += a0[q] * v
            t1 += a1[q] * v
            t2 += a2[q] * v
            t3 += a3[q] * v
        out[i, j], out[i + 1, j], out[i + 2, j], out[i + 3, j] = t0, t1, t2, t3
        i += 4
    while i < m:
        ai = a[i]
        total = F(0)
        for q in range(n):
            total += ai[q] * bj[q]
        out[i, j] = total
        i += 1


@njit(**JIT_PARALLEL)
def matmul_nt(a, b, out, par):
    """out = a @ b.T for a : T[m, n] and b : T[k, n], both C-contiguous; out : T[m, k].
    Each column of out is owned by one iteration, so the result does not depend on threads."""
    if par:
        for j in prange(b.shape[0]):
            _nt_column(a, b, out, np.int64(j))
    else:
        for j in range(b.shape[0]):
            _nt_column(a, b, out, j)


# A convolution's forward product W @ cols and its column gradient W^T @ dz are short and very
# wide: T[8 or 16, 25 or 200] @ T[., 4,096 to 36,864] in LeNet. Two rows of out at a time over a
# chunk of columns, four rows of b per pass (so each load and store of out serves eight
# multiply-adds), one such block per parallel iteration: 2-3x BLAS on one thread.
WIDE_CHUNK = 512


@njit(**JIT)
def _wide_block(a, b, out, i, rows, start, stop):
    """out[i:i+rows, start:stop] = a[i:i+rows] @ b[:, start:stop] for rows 1 or 2."""
    k = a.shape[1]
    j = i + rows - 1  # the second row, or the first again when rows == 1
    o0, o1 = out[i, start:stop], out[j, start:stop]
    n = o0.shape[0]
    for q in range(n):
        o0[q] = F(0)
        o1[q] = F(0)
    p = 0
    while p + 4 <= k:
        b0, b1, b2, b3 = b[p, start:stop], b[p + 1, start:stop], b[p + 2, start:stop], \
            b[p + 3, start:stop]
        x0, x1, x2, x3 = a[i, p], a[i, p + 1], a[i, p + 2], a[i, p + 3]
        if rows == 2:
            y0, y1, y2, y3 = a[j, p], a[j, p + 1], a[j, p + 2], a[j, p + 3]
            for q in range(n):
                v0, v1, v2, v3 = b0[q], b1[q], b2[q], b3[q]
                o0[q] += x0 * v0 + x1 * v1 + x2 * v2 + x3 * v3
                o1[q] += y0 * v0 + y1 * v1 + y2 * v2 + y3 * v3
        else:
            for q in range(n):
                o0[q] += x0 * b0[q] + x1 * b1[q] + x2 * b2[q] + x3 * b3[q]
        p += 4
    while p < k:
        bp = b[p, start:stop]
        x0, y0 = a[i, p], a[j, p]
        if rows == 2:
            for q in range(n):
                o0[q] += x0 * bp[q]
                o1[q] += y0 * bp[q]
        else:
            for q in range(n):
                o0[q] += x0 * bp[q]
        p += 1


@njit(**JIT)
def _wide_task(a, b, out, t, chunks):
    """Block t of :func:`matmul_wide`: rows 2*(t // chunks) (and the next), column chunk
    t % chunks."""
    m, n = out.shape
    i = (t // chunks) * 2
    start = (t % chunks) * WIDE_CHUNK
    _wide_block(a, b, out, i, min(2, m - i), start, min(n, start + WIDE_CHUNK))


@njit(**JIT_PARALLEL)
def matmul_wide(a, b, out, par):
    """out = a @ b for a : T[m, k] (any layout; a transposed view is fine), b : T[k, n] and
    out : T[m, n] C-contiguous. Each block of out is owned by one iteration, so the result does
    not depend on threads."""
    chunks = (out.shape[1] + WIDE_CHUNK - 1) // WIDE_CHUNK
    tasks = (out.shape[0] + 1) // 2 * chunks
    if par:
        for t in prange(tasks):
            _wide_task(a, b, out, np.int64(t), chunks)
    else:
        for t in range(tasks):
            _wide_task(a, b, out, t, chunks)
