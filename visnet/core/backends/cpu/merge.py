"""Copies, sums and concatenations: Add, Concatenate, and gradient routing."""

import numpy as np
from numba import njit, prange

from ..opcodes import BACKEND_SLOT as PAR
from ..opcodes import Op, slots
from .config import JIT, JIT_PARALLEL
from .executor import handles
from .views import _v1, _v2

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


# ---------------------------------------------------------------------------------------------
# The executor's handlers (see executor.py): an instruction row -> the kernel on views of the
# two arenas, its fields read by name.

def _values_work(f):
    return f["n"]


def _concat_work(f):
    return f["rows"] * f["width"]


_COPY = slots(Op.COPY)
_ADD2 = slots(Op.ADD2)
_CONCAT_FWD = slots(Op.CONCAT_FWD)
_CONCAT_BWD = slots(Op.CONCAT_BWD)


@handles(Op.COPY, work=_values_work)
@njit(**JIT)
def run_copy(p, P, W, step):
    par = p[PAR]
    s = _COPY
    copy_or_add(_v1(W, p[s.src], p[s.n]), _v1(W, p[s.dst], p[s.n]), p[s.acc], par)


@handles(Op.ADD2, work=_values_work)
@njit(**JIT)
def run_add2(p, P, W, step):
    par = p[PAR]
    s = _ADD2
    n = p[s.n]
    add2(_v1(W, p[s.a], n), _v1(W, p[s.b], n), _v1(W, p[s.y], n), par)


@handles(Op.CONCAT_FWD, work=_concat_work)
@njit(**JIT)
def run_concat_forward(p, P, W, step):
    par = p[PAR]
    s = _CONCAT_FWD
    concat_forward(_v2(W, p[s.x], p[s.rows], p[s.width]),
                         _v2(W, p[s.y], p[s.rows], p[s.total]), p[s.offset], par)


@handles(Op.CONCAT_BWD, work=_concat_work)
@njit(**JIT)
def run_concat_backward(p, P, W, step):
    par = p[PAR]
    s = _CONCAT_BWD
    concat_backward(_v2(W, p[s.dy], p[s.rows], p[s.total]),
                          _v2(W, p[s.dx], p[s.rows], p[s.width]), p[s.offset],
                          p[s.acc], par)
