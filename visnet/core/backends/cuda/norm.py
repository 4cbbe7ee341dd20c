"""CUDA kernels: batch normalisation over a ``[n, c, s]`` view (statistics of channel k over
``x[:, k, :]``), with the semantics of visnet.core.backends.cpu.norm.

Each pass is two kernels. A statistics kernel runs one block per channel: its threads stride
over the channel's n*s values and sum them in shared memory (a tree reduction), and thread 0
writes that channel's results. Then an elementwise kernel, one thread per value, applies them.
Every element is written by one thread; no atomics.

Training uses the batch mean and biased batch variance and folds them into the running
statistics (``moving = moving*momentum + batch*(1 - momentum)``); inference uses the running
statistics and leaves them alone. momentum and epsilon are P[hyper_p] and P[hyper_p + 1], read
on the device. The backward writes dgamma and dbeta (overwritten) first, and its elementwise
kernel reads the sums back from them.
"""

from __future__ import annotations

import math

from numba import cuda, float32

from ..opcodes import Op
from .config import MAX_BLOCKS, THREADS
from .ops import fields, grid, handles, view
from .reduce import block_sum


def _channel_blocks(c: int) -> tuple[int, int]:
    """(blocks, threads) for a kernel with one block per channel (grid-stride over channels)."""
    return max(1, min(MAX_BLOCKS, c)), THREADS


# --- forward -------------------------------------------------------------------------------------

@cuda.jit
def _bn_stats(x, moving_mean, moving_var, mean, invstd, hyper, training):
    tid = cuda.threadIdx.x
    n, channels, s = x.shape
    count = n * s
    momentum = hyper[0]
    eps = hyper[1]
    for k in range(cuda.blockIdx.x, channels, cuda.gridDim.x):
        if training:
            part = float32(0)
            for q in range(tid, count, THREADS):
                part += x[q // s, k, q % s]
            mu = block_sum(part) / float32(count)
            part = float32(0)
            for q in range(tid, count, THREADS):
                d = x[q // s, k, q % s] - mu
                part += d * d
            var = block_sum(part) / float32(count)
            if tid == 0:
                rest = float32(1) - momentum
                moving_mean[k] = moving_mean[k] * momentum + mu * rest
                moving_var[k] = moving_var[k] * momentum + var * rest
                mean[k] = mu
                invstd[k] = float32(1) / math.sqrt(var + eps)
        elif tid == 0:
            mean[k] = moving_mean[k]
            invstd[k] = float32(1) / math.sqrt(moving_var[k] + eps)


@cuda.jit
def _bn_apply(x, y, gamma, beta, mean, invstd):
    channels, s = x.shape[1], x.shape[2]
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        b = i // (channels * s)
        k = (i // s) % channels
        j = i % s
        scale = gamma[k] * invstd[k]
        y[b, k, j] = (x[b, k, j] - mean[k]) * scale + beta[k]


@handles(Op.BN_FWD)
def run_batchnorm_forward(row, P, W, step):
    """y = gamma*(x - mean)*invstd + beta per channel; mean and invstd (workspaces kept for the
    backward) are the batch statistics when training (which also update the running ones), the
    running statistics otherwise."""
    f = fields(row, Op.BN_FWD)
    n, c, s = f["n"], f["c"], f["s"]
    x = view(W, f["x"], n, c, s)
    y = view(W, f["y"], n, c, s)
    mean, invstd = view(W, f["mean"], c), view(W, f["invstd"], c)
    _bn_stats[_channel_blocks(c)](x, view(P, f["mean_p"], c), view(P, f["var_p"], c), mean,
                                  invstd, view(P, f["hyper_p"], 2), f["training"])
    _bn_apply[grid(x.size)](x, y, view(P, f["gamma_p"], c), view(P, f["beta_p"], c), mean,
                            invstd)


# --- backward ------------------------------------------------------------------------------------

@cuda.jit
def _bn_grad_sums(x, dy, mean, invstd, dgamma, dbeta):
    tid = cuda.threadIdx.x
    n, channels, s = x.shape
    count = n * s
    for k in range(cuda.blockIdx.x, channels, cuda.gridDim.x):
        mu = mean[k]
        inv = invstd[k]
        part_dy = float32(0)
        part_dy_xhat = float32(0)
        for q in range(tid, count, THREADS):
            i = q // s
            j = q % s
            g = dy[i, k, j]
            part_dy += g
            part_dy_xhat += g * ((x[i, k, j] - mu) * inv)
        sum_dy = block_sum(part_dy)
        sum_dy_xhat = block_sum(part_dy_xhat)
        if tid == 0:
            dbeta[k] = sum_dy
            dgamma[k] = sum_dy_xhat


@cuda.jit
def _bn_grad_input(x, dy, gamma, mean, invstd, dgamma, dbeta, dx, training, acc):
    n, channels, s = x.shape
    count = float32(n * s)
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        b = i // (channels * s)
        k = (i // s) % channels
        j = i % s
        inv = invstd[k]
        scale = gamma[k] * inv
        if training:
            xhat = (x[b, k, j] - mean[k]) * inv
            g = scale * (dy[b, k, j] - dbeta[k] / count - xhat * (dgamma[k] / count))
        else:
            g = scale * dy[b, k, j]
        dx[b, k, j] = dx[b, k, j] + g if acc else g


@handles(Op.BN_BWD)
def run_batchnorm_backward(row, P, W, step):
    """dbeta = sum of dy and dgamma = sum of dy*xhat per channel (overwritten); dx (=, or +=
    when acc) the input gradient, through the batch statistics when training, treating the
    statistics as constants otherwise."""
    f = fields(row, Op.BN_BWD)
    n, c, s = f["n"], f["c"], f["s"]
    x = view(W, f["x"], n, c, s)
    dy = view(W, f["dy"], n, c, s)
    mean, invstd = view(W, f["mean"], c), view(W, f["invstd"], c)
    dgamma, dbeta = view(P, f["dgamma_p"], c), view(P, f["dbeta_p"], c)
    _bn_grad_sums[_channel_blocks(c)](x, dy, mean, invstd, dgamma, dbeta)
    _bn_grad_input[grid(x.size)](x, dy, view(P, f["gamma_p"], c), mean, invstd, dgamma, dbeta,
                                 view(W, f["dx"], n, c, s), f["training"], f["acc"])
