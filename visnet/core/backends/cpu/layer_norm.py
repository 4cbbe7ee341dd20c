"""Layer normalisation over the last axis of a ``T[rows, n]`` view, one row per loop iteration:
``y = gamma * (x - mean) * invstd + beta`` with the row's mean and biased variance, as
torch.nn.LayerNorm and Keras' LayerNormalization(axis=-1) compute it.

Workspaces: ``mean`` and ``invstd`` (one value per row) are written by the forward and read by
the backward of the same step. The parameter gradients sum over rows, so the backward runs its
rows in parallel for ``dx`` and sums the columns in a loop of its own (no two iterations write
one element). T is float32 when training and float64 in gradient checks.
"""

import math

import numpy as np
from numba import njit, prange

from ..opcodes import BACKEND_SLOT as PAR
from ..opcodes import Op, slots
from .config import JIT, JIT_PARALLEL
from .executor import handles
from .views import _v1, _v2


@njit(**JIT)
def _forward_row(x, y, gamma, beta, mean, invstd, eps, r):
    n = x.shape[1]
    count = x.dtype.type(n)  # dividing by an int would turn float32 sums into float64
    zero = x.dtype.type(0)
    mu = zero
    for j in range(n):
        mu += x[r, j]
    mu /= count
    var = zero
    for j in range(n):
        d = x[r, j] - mu
        var += d * d
    var /= count
    inv = x.dtype.type(1) / math.sqrt(var + eps)
    mean[r] = mu
    invstd[r] = inv
    for j in range(n):
        y[r, j] = (x[r, j] - mu) * inv * gamma[j] + beta[j]


@njit(**JIT_PARALLEL)
def layer_norm_forward(x, y, gamma, beta, mean, invstd, eps, par):
    """y = gamma*(x - mean)*invstd + beta per row.

    Parameters
    ----------
    x, y : T[rows, n]
        Input and output (overwritten; y must not be x: the backward reads x).
    gamma, beta : T[n]
        Scale and shift of each feature.
    mean, invstd : T[rows]
        Workspaces, overwritten with each row's mean and 1/sqrt(var + eps).
    eps : float
        Added to the variance.
    par : int
        Nonzero runs the rows in parallel.
    """
    rows = x.shape[0]
    e = x.dtype.type(eps)
    if par:
        for r in prange(rows):
            _forward_row(x, y, gamma, beta, mean, invstd, e, np.int64(r))
    else:
        for r in range(rows):
            _forward_row(x, y, gamma, beta, mean, invstd, e, r)


@njit(**JIT)
def _backward_row(x, dy, gamma, mean, invstd, dx, acc, r):
    n = x.shape[1]
    zero = x.dtype.type(0)
    mu, inv = mean[r], invstd[r]
    g_mean = zero
    gx_mean = zero
    for j in range(n):
        g = dy[r, j] * gamma[j]
        g_mean += g
        gx_mean += g * (x[r, j] - mu) * inv
    g_mean /= x.dtype.type(n)
    gx_mean /= x.dtype.type(n)
    for j in range(n):
        value = inv * (dy[r, j] * gamma[j] - g_mean - (x[r, j] - mu) * inv * gx_mean)
        if acc:
            dx[r, j] += value
        else:
            dx[r, j] = value


@njit(**JIT_PARALLEL)
def layer_norm_backward(x, dy, gamma, mean, invstd, dx, dgamma, dbeta, need_dx, acc, par):
    """Gradients of layer_norm_forward from the gradient dy of its output.

    Parameters
    ----------
    x, dy : T[rows, n]
        The forward's input and the gradient of its output.
    gamma : T[n]
    mean, invstd : T[rows]
        The forward's workspaces.
    dx : T[rows, n]
        Written (or added to, when ``acc``) when ``need_dx``.
    dgamma, dbeta : T[n]
        Overwritten with the parameters' gradients.
    need_dx, acc, par : int
    """
    rows, n = x.shape
    for j in range(n):
        dgamma[j] = 0
        dbeta[j] = 0
    for r in range(rows):  # column sums: every row adds to every column, so one loop does it
        mu, inv = mean[r], invstd[r]
        for j in range(n):
            dgamma[j] += dy[r, j] * (x[r, j] - mu) * inv
            dbeta[j] += dy[r, j]
    if not need_dx:
        return
    if par:
        for r in prange(rows):
            _backward_row(x, dy, gamma, mean, invstd, dx, acc, np.int64(r))
    else:
        for r in range(rows):
            _backward_row(x, dy, gamma, mean, invstd, dx, acc, r)


# ---------------------------------------------------------------------------------------------
# The executor's handlers (see executor.py).


def _work(f):
    return f["rows"] * f["n"] * 6


_LAYER_NORM_FWD = slots(Op.LAYER_NORM_FWD)
_LAYER_NORM_BWD = slots(Op.LAYER_NORM_BWD)


@handles(Op.LAYER_NORM_FWD, work=_work)
@njit(**JIT)
def run_layer_norm_forward(p, P, W, step):
    s = _LAYER_NORM_FWD
    rows, n = p[s.rows], p[s.n]
    layer_norm_forward(_v2(W, p[s.x], rows, n), _v2(W, p[s.y], rows, n),
                       _v1(P, p[s.gamma_p], n), _v1(P, p[s.beta_p], n),
                       _v1(W, p[s.mean], rows), _v1(W, p[s.invstd], rows), P[p[s.eps_p]],
                       p[PAR])


@handles(Op.LAYER_NORM_BWD, work=_work)
@njit(**JIT)
def run_layer_norm_backward(p, P, W, step):
    s = _LAYER_NORM_BWD
    rows, n = p[s.rows], p[s.n]
    layer_norm_backward(_v2(W, p[s.x], rows, n), _v2(W, p[s.dy], rows, n),
                        _v1(P, p[s.gamma_p], n), _v1(W, p[s.mean], rows),
                        _v1(W, p[s.invstd], rows), _v2(W, p[s.dx], rows, n),
                        _v1(P, p[s.dgamma_p], n), _v1(P, p[s.dbeta_p], n), p[s.need_dx],
                        p[s.acc], p[PAR])
