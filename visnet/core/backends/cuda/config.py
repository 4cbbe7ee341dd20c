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
