"""A dataset kept on the GPU: each batch is gathered there from its row numbers, so only the
row numbers of a batch cross from the host, once for the inputs and the targets."""

from __future__ import annotations

import numpy as np
from numba import cuda

from .ops import grid, view

KEPT_SIZES = 8  # row-number buffers kept, one per batch size (training, last batch, ...)


@cuda.jit
def _gather(source, rows, row_size, out):
    """out[i * row_size + j] = source[rows[i] * row_size + j]."""
    for k in range(cuda.grid(1), out.shape[0], cuda.gridsize(1)):
        i = k // row_size
        j = k - i * row_size
        out[k] = source[rows[i] * row_size + j]


class RowNumbers:
    """The current batch's row numbers on the GPU, in a buffer kept per batch size; the same
    rows asked for again (the targets after the inputs) are not sent again."""

    def __init__(self):
        self._buffers: dict[int, object] = {}
        self._sent: np.ndarray | None = None

    def on_device(self, rows: np.ndarray):
        rows = np.ascontiguousarray(rows, np.int64)
        buffer = self._buffers.get(len(rows))
        if buffer is not None and self._sent is not None and np.array_equal(self._sent, rows):
            return buffer
        if buffer is None:
            if len(self._buffers) >= KEPT_SIZES:
                self._buffers.clear()
            buffer = self._buffers[len(rows)] = cuda.device_array(len(rows), np.int64)
        buffer.copy_to_device(rows)  # ordered after the kernels that read the last batch
        self._sent = rows.copy()
        return buffer


def gather_rows(source, rows_on_device, row_size: int, arena, offset: int) -> None:
    """arena[offset:] (an Arena or a device array) = the rows of source (flattened rows of
    row_size values) whose numbers rows_on_device holds."""
    n = rows_on_device.shape[0] * int(row_size)
    if n:
        _gather[grid(n)](source, rows_on_device, int(row_size), view(arena, offset, n))
