"""Matrix products: BLAS (through SciPy) for real sizes, a plain loop for tiny ones, where the
BLAS call itself would cost more than the arithmetic."""

import numpy as np
from numba import njit

from .config import JIT

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
# thousands and F * K small (200 for LeNet's first layer). BLAS ran that shape at 12 GFLOP/s;
# dot products over cache-sized chunks of N run it 2.5x faster. (The same chunking lost to BLAS
# for the forward product and the column gradient, so those stay with BLAS.)
CHUNK = 2048
SKINNY_NT = 1024  # largest m * k handled by the loop


@njit(**JIT)
def matmul_nt(a, b, out):
    """out = a @ b.T for a : T[m, n] and b : T[k, n], both C-contiguous; out : T[m, k]."""
    m, n = a.shape
    k = b.shape[0]
    if m * k > SKINNY_NT or n < CHUNK:
        np.dot(a, b.T, out)
        return
    for i in range(m):
        for j in range(k):
            out[i, j] = F(0)
    for start in range(0, n, CHUNK):
        stop = min(n, start + CHUNK)
        for i in range(m):
            ai = a[i, start:stop]
            for j in range(k):
                bj = b[j, start:stop]
                total = ai[0] * F(0)
                for q in range(ai.shape[0]):
                    total += ai[q] * bj[q]
                out[i, j] += total
