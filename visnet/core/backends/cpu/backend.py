"""The CPU backends: "cpu" runs kernels in parallel, "serial" on one thread, deterministically."""

from __future__ import annotations

import math

import numpy as np

from ..base import Backend
from . import vm


class CpuBackend(Backend):
    def __init__(self, parallel: bool = True, dtype=np.float32):
        self.name = "cpu" if parallel else "serial"
        self.parallel = parallel
        self.dtype = np.dtype(dtype)  # float64 only for gradient checks against finite differences

    def zeros(self, n: int) -> np.ndarray:
        return np.zeros(max(int(n), 1), self.dtype)

    def write(self, arena: np.ndarray, offset: int, values: np.ndarray) -> None:
        values = np.asarray(values)
        arena[offset:offset + values.size] = values.reshape(-1)  # numpy casts to the arena dtype

    def read(self, arena: np.ndarray, offset: int, shape: tuple[int, ...]) -> np.ndarray:
        n = math.prod(shape)
        return arena[offset:offset + n].reshape(shape).copy()

    def run(self, program: np.ndarray, params: np.ndarray, work: np.ndarray, step: int) -> None:
        vm.run(program, params, work, step)
