"""Launch configuration of the CUDA kernels, in one place.

THREADS is the block size of one-dimensional kernels (one thread per output element, grid-
stride loops); TILE is the side of the shared-memory tiles of the matrix product (TILE x TILE
threads per block). Both are read once, when the kernels are first imported: the tests set
them tiny (VISNET_CUDA_THREADS, VISNET_CUDA_TILE, VISNET_CUDA_MAX_BLOCKS) so that small
inputs span several blocks and the simulator runs few threads.
"""

import os

THREADS = int(os.environ.get("VISNET_CUDA_THREADS", "256"))
TILE = int(os.environ.get("VISNET_CUDA_TILE", "16"))
MAX_BLOCKS = int(os.environ.get("VISNET_CUDA_MAX_BLOCKS", "4096"))  # grid-stride loops do the rest


def _check() -> None:
    """Sizes a launch would refuse (or a reduction would get wrong) are refused here, by name."""
    if THREADS < 1 or THREADS > 1024 or THREADS & (THREADS - 1):
        raise ValueError("VISNET_CUDA_THREADS must be a power of two from 1 to 1024 (the "
                         f"block-wide sums halve it), not {THREADS}")
    if not 1 <= TILE <= 32:
        raise ValueError(f"VISNET_CUDA_TILE must be from 1 to 32 (TILE x TILE threads per "
                         f"block, at most 1024), not {TILE}")
    if not 1 <= MAX_BLOCKS <= 65535:
        raise ValueError(f"VISNET_CUDA_MAX_BLOCKS must be from 1 to 65535 (the grid's y "
                         f"limit), not {MAX_BLOCKS}")


_check()
