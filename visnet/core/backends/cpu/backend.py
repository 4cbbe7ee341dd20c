"""The CPU backends: "cpu" runs kernels in parallel, "serial" on one thread, deterministically."""

from __future__ import annotations

import math

import numpy as np

from ..base import Backend
from ..opcodes import BACKEND_SLOT
from . import vm
from .threads import ThreadChooser
from .work import mark_parallel


class Program:
    """A plan's instructions as the parallel backend runs them: with the thread count its
    chooser finds fastest on this machine now (only a program with a parallel pass has one)."""

    def __init__(self, instructions: np.ndarray):
        self.instructions = instructions
        self.chooser = ThreadChooser() if has_parallel_pass(instructions) else None


def has_parallel_pass(instructions: np.ndarray) -> bool:
    return bool(instructions[:, BACKEND_SLOT].any())  # False for an empty program too


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

    def prepare(self, program: np.ndarray) -> np.ndarray | Program:
        return Program(mark_parallel(program)) if self.parallel else program

    def run(self, program: np.ndarray | Program, params: np.ndarray, work: np.ndarray,
            step: int) -> None:
        if not isinstance(program, Program):
            vm.run(program, params, work, step)
        elif program.chooser is None:
            vm.run(program.instructions, params, work, step)
        else:
            program.chooser.run(lambda: vm.run(program.instructions, params, work, step))
