"""Engines that run a compiled plan: "cpu" (parallel Numba), "serial" (the same kernels on one
thread, deterministic) and "cuda" (numba CUDA)."""

from __future__ import annotations

from ..errors import CompileError
from .base import Backend

NAMES = ("cpu", "serial", "cuda")


def unavailable_reason(name: str) -> str | None:
    """Why backend ``name`` cannot run here, or None when it can (the app greys it out)."""
    if name in ("cpu", "serial"):
        return None
    if name == "cuda":
        from .cuda.backend import unavailable_reason as cuda_reason

        return cuda_reason()
    return f"unknown backend {name!r}"


def get_backend(name: str) -> Backend:
    """The backend called ``name``; CompileError saying why when it cannot run here."""
    if name in ("cpu", "serial"):
        from .cpu.backend import CpuBackend

        return CpuBackend(parallel=name == "cpu")
    if name == "cuda":
        reason = unavailable_reason("cuda")
        if reason is not None:
            raise CompileError(f"the cuda backend cannot run here: {reason}; use backend 'cpu'")
        from .cuda.backend import CudaBackend

        return CudaBackend()
    raise CompileError(f"unknown backend {name!r}: use one of {', '.join(NAMES)}")
