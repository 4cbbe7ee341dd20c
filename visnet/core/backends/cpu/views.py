"""Views of a flat arena as the kernels take their tensors: ``n`` values from ``offset`` in one
to four axes, made inside compiled code (no copy)."""

from numba import njit

from .config import JIT


@njit(**JIT)
def _v1(a, offset, n):
    return a[offset:offset + n]


@njit(**JIT)
def _v2(a, offset, n0, n1):
    return a[offset:offset + n0 * n1].reshape((n0, n1))


@njit(**JIT)
def _v3(a, offset, n0, n1, n2):
    return a[offset:offset + n0 * n1 * n2].reshape((n0, n1, n2))


@njit(**JIT)
def _v4(a, offset, n0, n1, n2, n3):
    return a[offset:offset + n0 * n1 * n2 * n3].reshape((n0, n1, n2, n3))
