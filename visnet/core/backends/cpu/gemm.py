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
