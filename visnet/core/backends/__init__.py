"""Engines that run a compiled Plan: "cpu" (parallel Numba), "serial" (the same kernels on one
thread, deterministic) and "cuda" (numba CUDA)."""
