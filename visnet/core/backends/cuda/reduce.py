"""Block-wide sums: the threads of one block each add up a strided share, then halve the
partial sums in shared memory. Used where a pass ends in a few scalars (a loss, a norm)."""

from numba import cuda, float32

from .config import THREADS


@cuda.jit(device=True)
def block_sum(value):
    """The sum of ``value`` over the threads of the block (THREADS, a power of two); every
    thread gets it. Every thread of the block must call it."""
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
