"""Sums on the GPU. ``block_sum``: the threads of one block each add up a strided share, then
halve the partial sums in shared memory; used where a pass ends in a few scalars (a loss, a
norm, a channel's statistics). ``row_sums`` gives a block to each row of a matrix (long rows:
a convolution's bias gradient); ``column_sums`` a thread to each column (a batch of rows:
a Dense layer's bias gradient), which reads the rows in coalesced strides."""

from numba import cuda, float32

from .config import MAX_BLOCKS, THREADS
from .ops import grid


@cuda.jit(device=True)
def block_sum(value):
    """The sum of ``value`` over the threads of the block (THREADS of them, a power of two);
    every thread gets it. Every thread of the block must call it."""
    shared = cuda.shared.array(THREADS, float32)
    t = cuda.threadIdx.x
    shared[t] = value
    cuda.syncthreads()
    half = THREADS // 2
    while half > 0:
        if t < half:
            shared[t] += shared[t + half]
        cuda.syncthreads()
        half //= 2
    total = shared[0]
    cuda.syncthreads()  # the buffer may be reused by the next call
    return total


@cuda.jit
def _row_sums(m, out):
    """out[r] = sum of row r of m (overwritten): one block per row, grid-stride over rows."""
    rows, n = m.shape
    for r in range(cuda.blockIdx.x, rows, cuda.gridDim.x):
        part = float32(0)
        for j in range(cuda.threadIdx.x, n, THREADS):
            part += m[r, j]
        total = block_sum(part)
        if cuda.threadIdx.x == 0:
            out[r] = total


def row_sums(m, out) -> None:
    """out (overwritten) = the sums of the rows of the device matrix m."""
    _row_sums[max(1, min(MAX_BLOCKS, m.shape[0])), THREADS](m, out)


@cuda.jit
def _column_sums(m, out):
    """out[j] = sum over rows of m[r, j] (overwritten); one thread per column."""
    rows, n = m.shape
    for j in range(cuda.grid(1), n, cuda.gridsize(1)):
        total = float32(0)
        for r in range(rows):
            total += m[r, j]
        out[j] = total


def column_sums(m, out) -> None:
    """out (overwritten) = the sums of the columns of the device matrix m."""
    _column_sums[grid(m.shape[1])](m, out)
