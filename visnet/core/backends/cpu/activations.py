"""Activation functions and their derivatives: elementwise, and softmax over rows.

Kernels are dtype-generic (float32 when training, float64 in gradient checks). Constants are
written as ``F(c)``: a float32 constant keeps float32 arithmetic float32 (a bare Python float
would silently widen it to float64) and widens harmlessly in a float64 check.
"""

import math

import numpy as np
from numba import njit, prange

from . import fastmath_exp
from ..opcodes import BACKEND_SLOT as PAR
from ..opcodes import Op, slots
from .config import JIT, JIT_PARALLEL
from .executor import handles
from .views import _v3

F = np.float32

# Codes used in compiled plans, in the order of visnet.core.layers.ACTIVATIONS.
LINEAR, RELU, LEAKY_RELU, SIGMOID, TANH, GELU, SOFTMAX = range(7)
LEAKY_SLOPE = F(0.01)  # visnet.core.layers.LEAKY_RELU_SLOPE
INV_SQRT2 = F(0.7071067811865476)
INV_SQRT_2PI = F(0.3989422804014327)


@njit(**JIT)
def apply_scalar(v, code):
    """Elementwise activation of one value (any code but SOFTMAX)."""
    if code == RELU:
        return v if v > 0 else v * F(0)
    if code == LEAKY_RELU:
        return v if v > 0 else v * LEAKY_SLOPE
    if code == SIGMOID:
        return fastmath_exp.sigmoid(v)
    if code == TANH:
        return fastmath_exp.tanh(v)
    if code == GELU:
        return F(0.5) * v * (F(1) + math.erf(v * INV_SQRT2))
    return v


@njit(**JIT)
def grad_scalar(z, y, code):
    """d activation / d z, from the pre-activation z and the output y (any code but SOFTMAX)."""
    if code == RELU:
        return F(1) if z > 0 else F(0)
    if code == LEAKY_RELU:
        return F(1) if z > 0 else LEAKY_SLOPE
    if code == SIGMOID:
        return y * (F(1) - y)
    if code == TANH:
        return F(1) - y * y
    if code == GELU:
        cdf = F(0.5) * (F(1) + math.erf(z * INV_SQRT2))
        return cdf + z * math.exp(F(-0.5) * z * z) * INV_SQRT_2PI
    return F(1) + z * F(0)


@njit(**JIT)
def _softmax_row(z, y):
    m = z[0]
    for j in range(1, z.shape[0]):
        m = max(m, z[j])
    total = z[0] * F(0)
    for j in range(z.shape[0]):
        e = fastmath_exp.exp(z[j] - m)
        y[j] = e
        total += e
    inv = F(1) / total
    for j in range(z.shape[0]):
        y[j] *= inv


@njit(**JIT)
def _softmax_grad_row(y, dy, dz, acc):
    dot = y[0] * F(0)
    for j in range(y.shape[0]):
        dot += y[j] * dy[j]
    for j in range(y.shape[0]):
        g = y[j] * (dy[j] - dot)
        dz[j] = dz[j] + g if acc else g


@njit(**JIT_PARALLEL)
def activation_forward(z, y, code, par):
    """y = act(z). z, y : T[rows, cols] (may be the same array for elementwise codes); softmax
    works over each row."""
    rows = z.shape[0]
    if par:
        for r in prange(rows):
            _activation_row(z[r], y[r], code)
    else:
        for r in range(rows):
            _activation_row(z[r], y[r], code)


@njit(**JIT)
def _activation_row(z, y, code):
    # One loop per code, so the per-element body has no branch on the code and vectorises.
    n = z.shape[0]
    if code == SOFTMAX:
        _softmax_row(z, y)
    elif code == RELU:
        for j in range(n):
            y[j] = max(z[j], F(0))
    elif code == LINEAR:
        if z.ctypes.data != y.ctypes.data:
            for j in range(n):
                y[j] = z[j]
    else:
        for j in range(n):
            y[j] = apply_scalar(z[j], code)


@njit(**JIT_PARALLEL)
def activation_backward(z, y, dy, dz, code, acc, par):
    """dz (=, or += when acc) dy * act'(z). All T[rows, cols]; softmax works over each row."""
    rows = z.shape[0]
    if par:
        for r in prange(rows):
            _activation_grad_row(z[r], y[r], dy[r], dz[r], code, acc)
    else:
        for r in range(rows):
            _activation_grad_row(z[r], y[r], dy[r], dz[r], code, acc)


@njit(**JIT)
def _activation_grad_row(z, y, dy, dz, code, acc):
    n = z.shape[0]
    if code == SOFTMAX:
        _softmax_grad_row(y, dy, dz, acc)
    elif code == RELU:
        if acc:
            for j in range(n):
                dz[j] += dy[j] if z[j] > 0 else F(0)
        else:
            for j in range(n):
                dz[j] = dy[j] if z[j] > 0 else F(0)
    elif code == TANH:
        for j in range(n):
            g = dy[j] * (F(1) - y[j] * y[j])
            dz[j] = dz[j] + g if acc else g
    elif code == SIGMOID:
        for j in range(n):
            g = dy[j] * y[j] * (F(1) - y[j])
            dz[j] = dz[j] + g if acc else g
    else:
        for j in range(n):
            g = dy[j] * grad_scalar(z[j], y[j], code)
            dz[j] = dz[j] + g if acc else g


@njit(**JIT)
def _softmax_strided(z, y, inner):
    """Softmax over axis 0 of z, y : T[n, inner] for each of the inner positions."""
    n = z.shape[0]
    for k in range(inner):
        m = z[0, k]
        for j in range(1, n):
            m = max(m, z[j, k])
        total = z[0, k] * F(0)
        for j in range(n):
            e = fastmath_exp.exp(z[j, k] - m)
            y[j, k] = e
            total += e
        for j in range(n):
            y[j, k] /= total


@njit(**JIT)
def _softmax_strided_grad(y, dy, dz, inner, acc):
    n = y.shape[0]
    for k in range(inner):
        dot = y[0, k] * F(0)
        for j in range(n):
            dot += y[j, k] * dy[j, k]
        for j in range(n):
            g = y[j, k] * (dy[j, k] - dot)
            dz[j, k] = dz[j, k] + g if acc else g


@njit(**JIT_PARALLEL)
def activation_forward_axis(z, y, code, par):
    """y = act(z) for z, y : T[outer, n, inner]; softmax works over the middle axis (the last
    axis of a flat or sequence output when inner is 1, the channels of an image otherwise)."""
    outer, n, inner = z.shape
    if code != SOFTMAX or inner == 1:
        activation_forward(z.reshape((outer * n, inner)) if code != SOFTMAX else
                           z.reshape((outer, n)),
                           y.reshape((outer * n, inner)) if code != SOFTMAX else
                           y.reshape((outer, n)), code, par)
        return
    if par:
        for o in prange(outer):
            _softmax_strided(z[o], y[o], inner)
    else:
        for o in range(outer):
            _softmax_strided(z[o], y[o], inner)


@njit(**JIT_PARALLEL)
def activation_backward_axis(z, y, dy, dz, code, acc, par):
    """dz (=, or += when acc) dy * act'(z) for T[outer, n, inner] arrays, as the forward."""
    outer, n, inner = z.shape
    if code != SOFTMAX or inner == 1:
        shape = (outer * n, inner) if code != SOFTMAX else (outer, n)
        activation_backward(z.reshape(shape), y.reshape(shape), dy.reshape(shape),
                            dz.reshape(shape), code, acc, par)
        return
    if par:
        for o in prange(outer):
            _softmax_strided_grad(y[o], dy[o], dz[o], inner, acc)
    else:
        for o in range(outer):
            _softmax_strided_grad(y[o], dy[o], dz[o], inner, acc)


# ---------------------------------------------------------------------------------------------
# The executor's handlers (see executor.py): an instruction row -> the kernel on views of the
# two arenas, its fields read by name.

def _activation_work(f):
    return f["outer"] * f["n"] * f["inner"] * 8


_ACT_FWD = slots(Op.ACT_FWD)
_ACT_BWD = slots(Op.ACT_BWD)


@handles(Op.ACT_FWD, work=_activation_work)
@njit(**JIT)
def run_activation_forward(p, P, W, step):
    par = p[PAR]
    s = _ACT_FWD
    o, n, inner = p[s.outer], p[s.n], p[s.inner]
    activation_forward_axis(_v3(W, p[s.z], o, n, inner),
                                        _v3(W, p[s.y], o, n, inner), p[s.code], par)


@handles(Op.ACT_BWD, work=_activation_work)
@njit(**JIT)
def run_activation_backward(p, P, W, step):
    par = p[PAR]
    s = _ACT_BWD
    o, n, inner = p[s.outer], p[s.n], p[s.inner]
    activation_backward_axis(_v3(W, p[s.z], o, n, inner),
                                         _v3(W, p[s.y], o, n, inner),
                                         _v3(W, p[s.dy], o, n, inner),
                                         _v3(W, p[s.dz], o, n, inner), p[s.code],
                                         p[s.acc], par)
