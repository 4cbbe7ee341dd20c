"""Matrix products on the GPU: one tiled kernel, shared memory for a TILE x TILE block of each
operand, each thread one element of the output. Transposes are flags (the operands stay the
row-major arena views they are), and ``acc`` adds into the output instead of overwriting it."""

from __future__ import annotations

from numba import cuda, float32

from .config import MAX_BLOCKS, TILE


@cuda.jit
def _gemm(a, b, out, ta, tb, acc):
    sa = cuda.shared.array((TILE, TILE), float32)
    sb = cuda.shared.array((TILE, TILE), float32)
    tx = cuda.threadIdx.x
    ty = cuda.threadIdx.y
    m = out.shape[0]
    n = out.shape[1]
    k = a.shape[0] if ta else a.shape[1]
    # Grid-stride over output tiles: every thread of a block runs the same trips, so the
    # barriers inside are reached by all of them.
    for tile_row in range(cuda.blockIdx.y, (m + TILE - 1) // TILE, cuda.gridDim.y):
        for tile_col in range(cuda.blockIdx.x, (n + TILE - 1) // TILE, cuda.gridDim.x):
            row = tile_row * TILE + ty
            col = tile_col * TILE + tx
            total = float32(0)
            for t in range((k + TILE - 1) // TILE):
                ka = t * TILE + tx
                if row < m and ka < k:
                    sa[ty, tx] = a[ka, row] if ta else a[row, ka]
                else:
                    sa[ty, tx] = float32(0)
                kb = t * TILE + ty
                if col < n and kb < k:
                    sb[ty, tx] = b[col, kb] if tb else b[kb, col]
                else:
                    sb[ty, tx] = float32(0)
                cuda.syncthreads()
                for q in range(TILE):
                    total += sa[ty, q] * sb[q, tx]
                cuda.syncthreads()
            if row < m and col < n:
                if acc:
                    out[row, col] += total
                else:
                    out[row, col] = total


def gemm(a, b, out, ta: bool = False, tb: bool = False, acc: bool = False) -> None:
    """out (=, or += when acc) op(a) @ op(b), op the transpose when ta / tb.

    a : [m, k] (or [k, m] when ta); b : [k, n] (or [n, k] when tb); out : [m, n]; all float32
    device arrays. Each output element is written by one thread: no races.
    """
    m, n = out.shape
    k = a.shape[0] if ta else a.shape[1]
    kb = b.shape[1] if tb else b.shape[0]
    if k != kb or (a.shape[1] if ta else a.shape[0]) != m or (b.shape[0] if tb else
                                                             b.shape[1]) != n:
        raise ValueError(f"gemm: {a.shape}{'T' if ta else ''} @ {b.shape}{'T' if tb else ''} "
                         f"does not give {out.shape}")
    blocks = (max(1, min(MAX_BLOCKS, -(-n // TILE))), max(1, min(MAX_BLOCKS, -(-m // TILE))))
    _gemm[blocks, (TILE, TILE)](a, b, out, int(ta), int(tb), int(acc))
