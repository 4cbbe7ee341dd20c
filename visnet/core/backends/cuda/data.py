"""A dataset kept on the GPU: each batch is gathered there from its row numbers, so only the
row numbers of a batch cross from the host."""

from __future__ import annotations

import numpy as np
from numba import cuda

from .ops import grid


@cuda.jit
def _gather(source, rows, row_size, out):
    """out[i * row_size + j] = source[rows[i] * row_size + j]."""
    for k in range(cuda.grid(1), out.shape[0], cuda.gridsize(1)):
        i = k // row_size
        j = k - i * row_size
        out[k] = source[rows[i] * row_size + j]


def gather_rows(source, rows: np.ndarray, row_size: int, arena, offset: int) -> None:
    n = len(rows) * int(row_size)
    if n == 0:
        return
    device_rows = cuda.to_device(np.ascontiguousarray(rows, np.int64))
    _gather[grid(n)](source, device_rows, int(row_size), arena[int(offset):int(offset) + n])
