"""Activation functions on the GPU: elementwise codes, and softmax over the middle axis of
[outer, n, inner] (the last axis of a flat or sequence output when inner is 1, the channels of
an image otherwise). Codes and formulas are those of the CPU backend (cpu/activations.py),
NaN propagation included (the training guard looks for it)."""

from __future__ import annotations

import math

from numba import cuda, float32

from ..opcodes import Op
from .ops import fields, grid, handles, view

LINEAR, RELU, LEAKY_RELU, SIGMOID, TANH, GELU, SOFTMAX = range(7)
LEAKY_SLOPE = float32(0.01)
INV_SQRT2 = float32(0.7071067811865476)
INV_SQRT_2PI = float32(0.3989422804014327)


@cuda.jit(device=True)
def apply(v, code):
    """One value through an elementwise activation (any code but SOFTMAX)."""
    if code == RELU:
        return v if v > float32(0) else v * float32(0)  # NaN stays NaN for the guard
    if code == LEAKY_RELU:
        return v if v > float32(0) else v * LEAKY_SLOPE
    if code == SIGMOID:
        if v >= float32(0):
            return float32(1) / (float32(1) + math.exp(-v))
        e = math.exp(v)
        return e / (float32(1) + e)
    if code == TANH:
        return math.tanh(v)
    if code == GELU:
        return float32(0.5) * v * (float32(1) + math.erf(v * INV_SQRT2))
    return v


@cuda.jit(device=True)
def derivative(z, y, code):
    """d activation / d z from the pre-activation z and the output y (any code but SOFTMAX)."""
    if code == RELU:
        return float32(1) if z > float32(0) else float32(0)
    if code == LEAKY_RELU:
        return float32(1) if z > float32(0) else LEAKY_SLOPE
    if code == SIGMOID:
        return y * (float32(1) - y)
    if code == TANH:
        return float32(1) - y * y
    if code == GELU:
        cdf = float32(0.5) * (float32(1) + math.erf(z * INV_SQRT2))
        return cdf + z * math.exp(float32(-0.5) * z * z) * INV_SQRT_2PI
    return float32(1) + z * float32(0)


@cuda.jit
def _elementwise_forward(z, y, code):
    for i in range(cuda.grid(1), z.shape[0], cuda.gridsize(1)):
        y[i] = apply(z[i], code)


@cuda.jit
def _elementwise_backward(z, y, dy, dz, code, acc):
    for i in range(cuda.grid(1), z.shape[0], cuda.gridsize(1)):
        g = dy[i] * derivative(z[i], y[i], code)
        dz[i] = dz[i] + g if acc else g


@cuda.jit
def _softmax_forward(z, y):
    """z, y : [outer, n, inner]; one thread per (outer, inner) line."""
    outer, n, inner = z.shape
    for t in range(cuda.grid(1), outer * inner, cuda.gridsize(1)):
        o = t // inner
        k = t - o * inner
        m = z[o, 0, k]
        for j in range(1, n):
            m = max(m, z[o, j, k])
        total = float32(0)
        for j in range(n):
            e = math.exp(z[o, j, k] - m)
            y[o, j, k] = e
            total += e
        inv = float32(1) / total
        for j in range(n):
            y[o, j, k] *= inv


@cuda.jit
def _softmax_backward(y, dy, dz, acc):
    outer, n, inner = y.shape
    for t in range(cuda.grid(1), outer * inner, cuda.gridsize(1)):
        o = t // inner
        k = t - o * inner
        dot = float32(0)
        for j in range(n):
            dot += y[o, j, k] * dy[o, j, k]
        for j in range(n):
            g = y[o, j, k] * (dy[o, j, k] - dot)
            dz[o, j, k] = dz[o, j, k] + g if acc else g


def forward(z, y, code: int) -> None:
    """y = act(z) on [outer, n, inner] device arrays (y may be z for elementwise codes)."""
    outer, _, inner = z.shape
    if code == SOFTMAX:
        _softmax_forward[grid(outer * inner)](z, y)
    else:
        _elementwise_forward[grid(z.size)](z.reshape(z.size), y.reshape(y.size), code)


def backward(z, y, dy, dz, code: int, acc: int) -> None:
    """dz (=, or += when acc) dy * act'(z) on [outer, n, inner] device arrays."""
    if code == SOFTMAX:
        _softmax_backward[grid(y.shape[0] * y.shape[2])](y, dy, dz, acc)
    else:
        _elementwise_backward[grid(z.size)](z.reshape(z.size), y.reshape(y.size),
                                            dy.reshape(dy.size), dz.reshape(dz.size), code, acc)


@handles(Op.ACT_FWD)
def run_activation_forward(row, P, W, step):
    """An Activation layer: y = act(z)."""
    f = fields(row, Op.ACT_FWD)
    if f["code"] == LINEAR and f["z"] == f["y"]:
        return
    shape = (f["outer"], f["n"], f["inner"])
    forward(view(W, f["z"], *shape), view(W, f["y"], *shape), f["code"])


@handles(Op.ACT_BWD)
def run_activation_backward(row, P, W, step):
    """An Activation layer's input gradient."""
    f = fields(row, Op.ACT_BWD)
    shape = (f["outer"], f["n"], f["inner"])
    backward(view(W, f["z"], *shape), view(W, f["y"], *shape), view(W, f["dy"], *shape),
             view(W, f["dz"], *shape), f["code"], f["acc"])
