"""Copies, sums and concatenations: Add, Concatenate, and gradient routing."""

import numpy as np
from numba import njit, prange

from .config import JIT_PARALLEL

F = np.float32


@njit(**JIT_PARALLEL)
def copy_or_add(src, dst, acc, par):
    """dst = src (acc 0) or dst += src (acc 1); src, dst : T[n]."""
    n = src.shape[0]
    if par:
        for i in prange(n):
            dst[i] = dst[i] + src[i] if acc else src[i]
    else:
        for i in range(n):
            dst[i] = dst[i] + src[i] if acc else src[i]


@njit(**JIT_PARALLEL)
def add2(a, b, y, par):
    """y = a + b; all T[n]."""
    n = y.shape[0]
    if par:
        for i in prange(n):
            y[i] = a[i] + b[i]
    else:
        for i in range(n):
            y[i] = a[i] + b[i]


@njit(**JIT_PARALLEL)
def concat_forward(x, y, offset, par):
    """Place x : T[rows, width] at columns offset.. of y : T[rows, total]."""
    rows, width = x.shape
    if par:
        for r in prange(rows):
            for j in range(width):
                y[r, offset + j] = x[r, j]
    else:
        for r in range(rows):
            for j in range(width):
                y[r, offset + j] = x[r, j]


@njit(**JIT_PARALLEL)
def concat_backward(dy, dx, offset, acc, par):
    """dx (=, or += when acc) the columns offset.. of dy : T[rows, total]; dx : T[rows, width]."""
    rows, width = dx.shape
    if par:
        for r in prange(rows):
            for j in range(width):
                g = dy[r, offset + j]
                dx[r, j] = dx[r, j] + g if acc else g
    else:
        for r in range(rows):
            for j in range(width):
                g = dy[r, offset + j]
                dx[r, j] = dx[r, j] + g if acc else g
