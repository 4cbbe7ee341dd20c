"""Layer normalisation on the GPU over the last axis of a ``[rows, n]`` view, with the semantics
of visnet.core.backends.cpu.layer_norm.

The forward and the input gradient run one thread per row (a row is one sample's features: a
few to a few hundred values, summed in the thread). The parameter gradients sum over rows, so
they run one thread per feature. Every element is written by one thread; no atomics.
"""

from __future__ import annotations

import math

from numba import cuda, float32

from ..opcodes import Op
from .ops import fields, grid, handles, view


@cuda.jit
def _forward(x, y, gamma, beta, mean, invstd, eps):
    rows, n = x.shape
    count = float32(n)
    for r in range(cuda.grid(1), rows, cuda.gridsize(1)):
        mu = float32(0)
        for j in range(n):
            mu += x[r, j]
        mu /= count
        var = float32(0)
        for j in range(n):
            d = x[r, j] - mu
            var += d * d
        var /= count
        inv = float32(1) / math.sqrt(var + eps[0])
        mean[r] = mu
        invstd[r] = inv
        for j in range(n):
            y[r, j] = (x[r, j] - mu) * inv * gamma[j] + beta[j]


@cuda.jit
def _parameter_grads(x, dy, mean, invstd, dgamma, dbeta):
    rows, n = x.shape
    for j in range(cuda.grid(1), n, cuda.gridsize(1)):
        dg = float32(0)
        db = float32(0)
        for r in range(rows):
            dg += dy[r, j] * (x[r, j] - mean[r]) * invstd[r]
            db += dy[r, j]
        dgamma[j] = dg
        dbeta[j] = db


@cuda.jit
def _input_grad(x, dy, gamma, mean, invstd, dx, acc):
    rows, n = x.shape
    count = float32(n)
    for r in range(cuda.grid(1), rows, cuda.gridsize(1)):
        mu = mean[r]
        inv = invstd[r]
        g_mean = float32(0)
        gx_mean = float32(0)
        for j in range(n):
            g = dy[r, j] * gamma[j]
            g_mean += g
            gx_mean += g * (x[r, j] - mu) * inv
        g_mean /= count
        gx_mean /= count
        for j in range(n):
            value = inv * (dy[r, j] * gamma[j] - g_mean - (x[r, j] - mu) * inv * gx_mean)
            dx[r, j] = dx[r, j] + value if acc else value


@handles(Op.LAYER_NORM_FWD)
def run_layer_norm_forward(row, P, W, step):
    """y = gamma*(x - mean)*invstd + beta per row; mean and invstd kept for the backward."""
    f = fields(row, Op.LAYER_NORM_FWD)
    rows, n = f["rows"], f["n"]
    _forward[grid(rows)](view(W, f["x"], rows, n), view(W, f["y"], rows, n),
                         view(P, f["gamma_p"], n), view(P, f["beta_p"], n),
                         view(W, f["mean"], rows), view(W, f["invstd"], rows),
                         view(P, f["eps_p"], 1))


@handles(Op.LAYER_NORM_BWD)
def run_layer_norm_backward(row, P, W, step):
    """dgamma and dbeta (overwritten), then dx (=, or += when acc) when need_dx."""
    f = fields(row, Op.LAYER_NORM_BWD)
    rows, n = f["rows"], f["n"]
    x, dy = view(W, f["x"], rows, n), view(W, f["dy"], rows, n)
    mean, invstd = view(W, f["mean"], rows), view(W, f["invstd"], rows)
    _parameter_grads[grid(n)](x, dy, mean, invstd, view(P, f["dgamma_p"], n),
                              view(P, f["dbeta_p"], n))
    if f["need_dx"]:
        _input_grad[grid(rows)](x, dy, view(P, f["gamma_p"], n), mean, invstd,
                                view(W, f["dx"], rows, n), f["acc"])
