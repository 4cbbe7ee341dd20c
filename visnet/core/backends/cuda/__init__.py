"""The CUDA backend (numba CUDA): the same plans as the CPU backend, run by GPU kernels."""
