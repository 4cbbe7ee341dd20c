"""The CUDA backend: both arenas live in GPU memory for the whole run, and each instruction of
a plan launches its kernels on views of them. Only what the Model reads (metrics, weights for a
save, the snapshots the panels ask for) is copied back."""

from __future__ import annotations

import functools
import math
import os
import sys

import numpy as np

from ..base import Backend

NO_GPU = "no NVIDIA GPU with a working CUDA driver was found"
DATA_SHARE = 0.5  # a dataset is kept on the GPU when it takes at most this share of free memory


@functools.cache
def unavailable_reason() -> str | None:
    """Why CUDA cannot run here, or None when it can (asked once per process)."""
    simulated = os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"
    if sys.platform.startswith("linux") and not simulated and not any(
            os.path.exists(p) for p in ("/dev/nvidiactl", "/dev/dxg")):
        return NO_GPU  # no driver device: answered without loading numba's CUDA support
    try:
        from numba import cuda
    except Exception as exc:  # numba-cuda missing or broken
        return f"numba's CUDA support cannot be loaded ({exc})"
    try:
        if not cuda.is_available():
            return NO_GPU
    except Exception as exc:
        return f"the CUDA driver does not answer ({exc})"
    return None


class CudaBackend(Backend):
    name = "cuda"
    parallel = True
    keeps_data = True

    def __init__(self):
        from numba import cuda

        from . import kernels  # noqa: F401  (every family registers its handlers)
        from .data import RowNumbers
        from .ops import HANDLERS, Arena

        self._cuda = cuda
        self._handlers = HANDLERS
        self._arena = Arena  # imported here: the launch settings are checked on first use
        self._rows = RowNumbers()

    def zeros(self, n: int):
        return self._arena(self._cuda.to_device(np.zeros(max(int(n), 1), np.float32)))

    def write(self, arena, offset: int, values: np.ndarray) -> None:
        flat = np.ascontiguousarray(np.asarray(values, np.float32).reshape(-1))
        if flat.size:
            arena.data[int(offset):int(offset) + flat.size].copy_to_device(flat)

    def read(self, arena, offset: int, shape: tuple[int, ...]) -> np.ndarray:
        n = math.prod(shape)
        if n == 0:
            return np.zeros(shape, np.float32)
        return arena.data[int(offset):int(offset) + n].copy_to_host().reshape(shape)

    def upload(self, values: np.ndarray):
        """The dataset on the GPU, once, when it takes at most DATA_SHARE of the free memory."""
        flat = np.ascontiguousarray(np.asarray(values, np.float32).reshape(-1))
        try:
            free, _ = self._cuda.current_context().get_memory_info()
        except Exception:  # a simulator or driver that cannot say: assume it fits
            free = None
        if free is not None and flat.nbytes > DATA_SHARE * free:
            return None
        return self._cuda.to_device(flat)

    def gather(self, source, rows: np.ndarray, row_size: int, arena, offset: int) -> None:
        from .data import gather_rows

        if len(rows):
            gather_rows(source, self._rows.on_device(rows), row_size, arena, offset)

    def prepare(self, program: np.ndarray):
        from ..opcodes import OP_SLOT, Op

        missing = sorted({int(op) for op in program[:, OP_SLOT]} - set(self._handlers))
        if missing:
            from ...errors import CompileError

            raise CompileError("the cuda backend cannot run "
                               + ", ".join(Op(m).name for m in missing) + " yet")
        return [(self._handlers[int(row[OP_SLOT])], tuple(int(v) for v in row))
                for row in program]

    def run(self, program, params, work, step: int) -> None:
        for handler, row in program:
            handler(row, params, work, step)
