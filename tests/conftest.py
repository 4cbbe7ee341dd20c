import os

# One thread pool: OpenBLAS must not fight Numba's on these small machines. Set before numpy loads.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# The CUDA tests run in Numba's CUDA simulator unless this machine has an NVIDIA GPU (this must
# be decided before numba is imported). Tiny blocks, and few of them with grid-stride loops, make
# small test inputs span several blocks and several trips of each loop.
if not os.path.exists("/dev/nvidiactl"):
    os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")
os.environ.setdefault("VISNET_CUDA_THREADS", "8")
os.environ.setdefault("VISNET_CUDA_TILE", "8")
os.environ.setdefault("VISNET_CUDA_MAX_BLOCKS", "3")
