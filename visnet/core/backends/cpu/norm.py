"""Batch normalisation over a ``T[n, c, s]`` view, one channel per loop iteration.

The statistics of channel ``k`` are taken over ``x[:, k, :]`` (``n*s`` values):

- images: n = batch, c = channels, s = height*width
- flat inputs: n = batch, c = features, s = 1
- sequences: n = batch*time, c = features, s = 1

Training uses the batch mean and the biased batch variance and updates the running statistics as
Keras does: ``moving = moving*momentum + batch*(1 - momentum)`` (biased variance too). Inference
uses the running statistics and leaves them alone.

Workspaces (:func:`batchnorm_workspaces`): ``mean`` and ``invstd`` are written by the forward
(batch or running statistics, whichever it used) and read, not changed, by the backward of the
same step. T is float32 when training and float64 in gradient checks; the same kernel serves both.
Loop indices from ``prange`` are unsigned; helpers get ``np.int64(k)`` so each compiles once.
"""

import math

import numpy as np
from numba import njit, prange

from ..opcodes import BACKEND_SLOT as PAR
from ..opcodes import Op, slots
from .config import JIT, JIT_PARALLEL
from .executor import handles
from .views import _v1, _v3

F = np.float32


def batchnorm_workspaces(n, c, s):
    """Workspaces of :func:`batchnorm_forward` and :func:`batchnorm_backward`: name -> shape.

    Both must persist from the forward to the backward of the same step.
    """
    return {"mean": (c,), "invstd": (c,)}


@njit(**JIT)
def _channel_forward(x, y, gamma, beta, moving_mean, moving_var, mean, invstd,
                     momentum, eps, training, k):
    n, s = x.shape[0], x.shape[2]
    one = x.dtype.type(1)
    eps_t = x.dtype.type(eps)
    if training:
        count = x.dtype.type(n * s)
        total = F(0)
        for i in range(n):
            for j in range(s):
                total += x[i, k, j]
        mu = total / count
        sq = F(0)
        for i in range(n):
            for j in range(s):
                d = x[i, k, j] - mu
                sq += d * d
        var = sq / count
        mom = x.dtype.type(momentum)
        rest = x.dtype.type(1 - momentum)
        moving_mean[k] = moving_mean[k] * mom + mu * rest
        moving_var[k] = moving_var[k] * mom + var * rest
    else:
        mu = moving_mean[k]
        var = moving_var[k]
    inv = one / math.sqrt(var + eps_t)
    mean[k] = mu
    invstd[k] = inv
    scale = gamma[k] * inv
    shift = beta[k]
    for i in range(n):
        for j in range(s):
            y[i, k, j] = (x[i, k, j] - mu) * scale + shift


@njit(**JIT_PARALLEL)
def batchnorm_forward(x, y, gamma, beta, moving_mean, moving_var, mean, invstd,
                      momentum, eps, training, par):
    """y = gamma*(x - mean)*invstd + beta per channel.

    Parameters
    ----------
    x : T[n, c, s]
        Input (see the module docstring for the view).
    y : T[n, c, s]
        Output, overwritten; must not be x when the backward will run (it reads x).
    gamma, beta : T[c]
        Scale and shift.
    moving_mean, moving_var : T[c]
        Running statistics; updated in place when ``training``.
    mean, invstd : T[c]
        Workspaces, overwritten with the statistics used (batch ones when ``training``) and
        ``1/sqrt(var + eps)``; kept for the backward.
    momentum, eps : float
        Weight of the old running statistics; added to the variance.
    training, par : int
        Nonzero uses (and folds in) batch statistics / runs the channels in parallel.
    """
    channels = x.shape[1]
    if par:
        for k in prange(channels):
            _channel_forward(x, y, gamma, beta, moving_mean, moving_var, mean, invstd,
                             momentum, eps, training, np.int64(k))
    else:
        for k in range(channels):
            _channel_forward(x, y, gamma, beta, moving_mean, moving_var, mean, invstd,
                             momentum, eps, training, k)


@njit(**JIT)
def _channel_backward(x, dy, gamma, mean, invstd, dx, dgamma, dbeta, training, acc, k):
    n, s = x.shape[0], x.shape[2]
    mu = mean[k]
    inv = invstd[k]
    sum_dy = F(0)
    sum_dy_xhat = F(0)
    for i in range(n):
        for j in range(s):
            g = dy[i, k, j]
            sum_dy += g
            sum_dy_xhat += g * ((x[i, k, j] - mu) * inv)
    dbeta[k] = sum_dy
    dgamma[k] = sum_dy_xhat
    scale = gamma[k] * inv
    if training:
        count = x.dtype.type(n * s)
        mean_dy = sum_dy / count
        mean_dy_xhat = sum_dy_xhat / count
        for i in range(n):
            for j in range(s):
                xhat = (x[i, k, j] - mu) * inv
                g = scale * (dy[i, k, j] - mean_dy - xhat * mean_dy_xhat)
                dx[i, k, j] = dx[i, k, j] + g if acc else g
    else:
        for i in range(n):
            for j in range(s):
                g = scale * dy[i, k, j]
                dx[i, k, j] = dx[i, k, j] + g if acc else g


@njit(**JIT_PARALLEL)
def batchnorm_backward(x, dy, gamma, mean, invstd, dx, dgamma, dbeta, training, acc, par):
    """Gradients of :func:`batchnorm_forward`.

    Parameters
    ----------
    x : T[n, c, s]
        Input of the forward.
    dy : T[n, c, s]
        Upstream gradient.
    gamma : T[c]
        Scale.
    mean, invstd : T[c]
        Workspaces as the forward left them (read only).
    dx : T[n, c, s]
        Input gradient: overwritten (``acc == 0``) or added to (``acc == 1``).
    dgamma, dbeta : T[c]
        Parameter gradients, overwritten.
    training : int
        Nonzero differentiates through the batch statistics; zero treats them as constants.
    acc, par : int
        Accumulate into dx / run the channels in parallel.
    """
    channels = x.shape[1]
    if par:
        for k in prange(channels):
            _channel_backward(x, dy, gamma, mean, invstd, dx, dgamma, dbeta, training, acc,
                              np.int64(k))
    else:
        for k in range(channels):
            _channel_backward(x, dy, gamma, mean, invstd, dx, dgamma, dbeta, training, acc, k)


# ---------------------------------------------------------------------------------------------
# The executor's handlers (see executor.py): an instruction row -> the kernel on views of the
# two arenas, its fields read by name.

def _batchnorm_work(f):
    return f["n"] * f["c"] * f["s"] * 4


_BN_FWD = slots(Op.BN_FWD)
_BN_BWD = slots(Op.BN_BWD)


@handles(Op.BN_FWD, work=_batchnorm_work)
@njit(**JIT)
def run_batchnorm_forward(p, P, W, step):
    par = p[PAR]
    s = _BN_FWD
    n, c, sp = p[s.n], p[s.c], p[s.s]
    batchnorm_forward(_v3(W, p[s.x], n, c, sp), _v3(W, p[s.y], n, c, sp),
                           _v1(P, p[s.gamma_p], c), _v1(P, p[s.beta_p], c),
                           _v1(P, p[s.mean_p], c), _v1(P, p[s.var_p], c),
                           _v1(W, p[s.mean], c), _v1(W, p[s.invstd], c),
                           P[p[s.hyper_p]], P[p[s.hyper_p] + 1], p[s.training], par)


@handles(Op.BN_BWD, work=_batchnorm_work)
@njit(**JIT)
def run_batchnorm_backward(p, P, W, step):
    par = p[PAR]
    s = _BN_BWD
    n, c, sp = p[s.n], p[s.c], p[s.s]
    batchnorm_backward(_v3(W, p[s.x], n, c, sp), _v3(W, p[s.dy], n, c, sp),
                            _v1(P, p[s.gamma_p], c), _v1(W, p[s.mean], c),
                            _v1(W, p[s.invstd], c), _v3(W, p[s.dx], n, c, sp),
                            _v1(P, p[s.dgamma_p], c), _v1(P, p[s.dbeta_p], c),
                            p[s.training], p[s.acc], par)
