"""Small shared loops."""

import numpy as np
from numba import njit

from .config import JIT

F = np.float32


@njit(**JIT)
def zero2d(a):
    """a[...] = 0 for a T[rows, cols] array, as a loop: in a parallel kernel numba would make
    the array expression a parallel region of its own."""
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            a[i, j] = F(0)
