"""Optimizer updates on the GPU, one thread per trainable value, as the CPU backend computes
them (cpu/updates.py: h holds lr and the optimizer's hyper-parameters, h[7] the steps taken).
Adam's step counter is advanced by a one-thread kernel after the update, so no thread of the
update reads it while another writes it. Clipping by the global norm sums the squares in one
block, then scales."""

from __future__ import annotations

import math

from numba import cuda, float32

from ..opcodes import HYPER_SIZE, Op
from .config import THREADS
from .ops import fields, grid, handles, view
from .reduce import block_sum


@cuda.jit
def _sgd(w, g, vel, h):
    lr, momentum, nesterov, wd = h[0], h[1], h[2] != float32(0), h[3]
    for i in range(cuda.grid(1), w.shape[0], cuda.gridsize(1)):
        d = g[i] + wd * w[i]
        if momentum != float32(0):
            vel[i] = momentum * vel[i] + d
            d = d + momentum * vel[i] if nesterov else vel[i]
        w[i] -= lr * d


@cuda.jit
def _adam(w, g, m, v, h):
    lr, b1, b2, eps, wd = h[0], h[1], h[2], h[3], h[4]
    decoupled = h[5] != float32(0)
    t = h[7] + float32(1)
    bc1 = float32(1) - b1 ** t
    bc2 = float32(1) - b2 ** t
    step = lr / bc1
    inv_root_bc2 = float32(1) / math.sqrt(bc2)
    shrink = float32(1) - lr * wd if decoupled else float32(1)
    l2 = float32(0) if decoupled else wd
    for i in range(cuda.grid(1), w.shape[0], cuda.gridsize(1)):
        d = g[i] + l2 * w[i]
        mi = b1 * m[i] + (float32(1) - b1) * d
        vi = b2 * v[i] + (float32(1) - b2) * d * d
        m[i] = mi
        v[i] = vi
        w[i] = w[i] * shrink - step * mi / (math.sqrt(vi) * inv_root_bc2 + eps)


@cuda.jit
def _count_step(h):
    if cuda.grid(1) == 0:
        h[7] += float32(1)


@cuda.jit
def _rmsprop(w, g, sq, buf, h):
    lr, rho, eps, momentum, wd = h[0], h[1], h[2], h[3], h[4]
    for i in range(cuda.grid(1), w.shape[0], cuda.gridsize(1)):
        d = g[i] + wd * w[i]
        sq[i] = rho * sq[i] + (float32(1) - rho) * d * d
        s = d / (math.sqrt(sq[i]) + eps)
        if momentum != float32(0):
            buf[i] = momentum * buf[i] + s
            s = buf[i]
        w[i] -= lr * s


@cuda.jit
def _global_norm(g, stats):
    total = float32(0)
    for i in range(cuda.threadIdx.x, g.shape[0], THREADS):
        total += g[i] * g[i]
    total = block_sum(total)
    if cuda.threadIdx.x == 0:
        stats[0] = math.sqrt(total)


@cuda.jit
def _clip(g, max_norm, stats):
    norm = stats[0]
    limit = max_norm[0]
    if limit > float32(0) and norm > limit:
        scale = limit / (norm + float32(1e-6))
        for i in range(cuda.grid(1), g.shape[0], cuda.gridsize(1)):
            g[i] *= scale


@handles(Op.SGD)
def run_sgd(row, P, W, step):
    """SGD with momentum, Nesterov and weight decay."""
    f = fields(row, Op.SGD)
    n = f["n"]
    _sgd[grid(n)](view(P, f["w_p"], n), view(P, f["g_p"], n), view(P, f["s1_p"], n),
                  view(P, f["hyper_p"], HYPER_SIZE))


@handles(Op.ADAM)
def run_adam(row, P, W, step):
    """Adam, or AdamW (decoupled weight decay)."""
    f = fields(row, Op.ADAM)
    n = f["n"]
    h = view(P, f["hyper_p"], HYPER_SIZE)
    _adam[grid(n)](view(P, f["w_p"], n), view(P, f["g_p"], n), view(P, f["s1_p"], n),
                   view(P, f["s2_p"], n), h)
    _count_step[1, 1](h)


@handles(Op.RMSPROP)
def run_rmsprop(row, P, W, step):
    """RMSprop with optional momentum and weight decay."""
    f = fields(row, Op.RMSPROP)
    n = f["n"]
    _rmsprop[grid(n)](view(P, f["w_p"], n), view(P, f["g_p"], n), view(P, f["s1_p"], n),
                      view(P, f["s2_p"], n), view(P, f["hyper_p"], HYPER_SIZE))


@handles(Op.CLIP)
def run_clip(row, P, W, step):
    """Scale the gradients so that their global 2-norm is at most the limit; the norm before
    clipping goes to stats[0]."""
    f = fields(row, Op.CLIP)
    n = f["n"]
    g, stats = view(P, f["g_p"], n), view(P, f["stats_p"], 1)
    _global_norm[1, THREADS](g, stats)
    _clip[grid(n)](g, view(P, f["hyper_p"], 1), stats)
