"""Optimizer updates over the flat vector of every trainable value, as torch.optim computes them.

h : T[8] holds the hyper-parameters, written by the Model when they change (visnet.core.optim):
    lr, then per optimizer (sgd) momentum, nesterov, weight_decay; (adam) beta_1, beta_2,
    epsilon, weight_decay, decoupled; (rmsprop) rho, epsilon, momentum, weight_decay.
    h[7] counts the steps taken; Adam's update advances it, so no host write is needed per step.
"""

import math

import numpy as np
from numba import njit, prange

from ..opcodes import BACKEND_SLOT as PAR
from ..opcodes import HYPER_SIZE, Op, slots
from .config import JIT, JIT_PARALLEL
from .executor import handles
from .views import _v1

F = np.float32
CHUNK = 4096  # values per parallel iteration; each gets zero-based slices, which vectorise


@njit(**JIT)
def _sgd_range(w, g, vel, lr, momentum, nesterov, wd):
    for i in range(w.shape[0]):
        d = g[i] + wd * w[i]
        if momentum != 0:
            vel[i] = momentum * vel[i] + d
            d = d + momentum * vel[i] if nesterov else vel[i]
        w[i] -= lr * d


@njit(**JIT_PARALLEL)
def sgd_update(w, g, vel, h, par):
    """w, g, vel : T[n]; h = (lr, momentum, nesterov, weight_decay)."""
    n = w.shape[0]
    chunks = (n + CHUNK - 1) // CHUNK
    if par:
        for c in prange(chunks):
            lo, hi = c * CHUNK, min(n, (c + 1) * CHUNK)
            _sgd_range(w[lo:hi], g[lo:hi], vel[lo:hi], h[0], h[1], h[2] != 0, h[3])
    else:
        _sgd_range(w, g, vel, h[0], h[1], h[2] != 0, h[3])


@njit(**JIT)
def _adam_range(w, g, m, v, lr, b1, b2, eps, wd, bc1, bc2, decoupled):
    # Straight-line body with every branch and constant hoisted, so LLVM vectorises it.
    step = lr / bc1
    inv_root_bc2 = F(1) / math.sqrt(bc2)
    one_b1 = F(1) - b1
    one_b2 = F(1) - b2
    shrink = F(1) - lr * wd if decoupled else F(1)  # AdamW decays the weight itself
    l2 = F(0) if decoupled else wd  # Adam adds the decay to the gradient
    for i in range(w.shape[0]):
        d = g[i] + l2 * w[i]
        mi = b1 * m[i] + one_b1 * d
        vi = b2 * v[i] + one_b2 * d * d
        m[i] = mi
        v[i] = vi
        w[i] = w[i] * shrink - step * mi / (math.sqrt(vi) * inv_root_bc2 + eps)


@njit(**JIT_PARALLEL)
def adam_update(w, g, m, v, h, par):
    """Adam (decoupled 0) or AdamW (decoupled 1). w, g, m, v : T[n];
    h = (lr, beta_1, beta_2, epsilon, weight_decay, decoupled, -, steps taken)."""
    n = w.shape[0]
    t = h[7] + F(1)
    h[7] = t
    bc1 = F(1) - h[1] ** t
    bc2 = F(1) - h[2] ** t
    chunks = (n + CHUNK - 1) // CHUNK
    if par:
        for c in prange(chunks):
            lo, hi = c * CHUNK, min(n, (c + 1) * CHUNK)
            _adam_range(w[lo:hi], g[lo:hi], m[lo:hi], v[lo:hi], h[0], h[1], h[2], h[3], h[4],
                        bc1, bc2, h[5] != 0)
    else:
        _adam_range(w, g, m, v, h[0], h[1], h[2], h[3], h[4], bc1, bc2, h[5] != 0)


@njit(**JIT)
def _rmsprop_range(w, g, sq, buf, lr, rho, eps, momentum, wd):
    for i in range(w.shape[0]):
        d = g[i] + wd * w[i]
        sq[i] = rho * sq[i] + (F(1) - rho) * d * d
        step = d / (math.sqrt(sq[i]) + eps)
        if momentum != 0:
            buf[i] = momentum * buf[i] + step
            step = buf[i]
        w[i] -= lr * step


@njit(**JIT_PARALLEL)
def rmsprop_update(w, g, sq, buf, h, par):
    """w, g, sq, buf : T[n]; h = (lr, rho, epsilon, momentum, weight_decay)."""
    n = w.shape[0]
    chunks = (n + CHUNK - 1) // CHUNK
    if par:
        for c in prange(chunks):
            lo, hi = c * CHUNK, min(n, (c + 1) * CHUNK)
            _rmsprop_range(w[lo:hi], g[lo:hi], sq[lo:hi], buf[lo:hi], h[0], h[1], h[2], h[3],
                           h[4])
    else:
        _rmsprop_range(w, g, sq, buf, h[0], h[1], h[2], h[3], h[4])


@njit(**JIT)
def clip_by_global_norm(g, max_norm, stats):
    """Scale g : T[n] so its 2-norm is at most max_norm (as torch's clip_grad_norm_); the norm
    before clipping goes to stats[0]."""
    total = g[0] * F(0)
    for i in range(g.shape[0]):
        total += g[i] * g[i]
    norm = math.sqrt(total)
    stats[0] = norm
    if max_norm > 0 and norm > max_norm:
        scale = max_norm / (norm + F(1e-6))
        for i in range(g.shape[0]):
            g[i] *= scale


# ---------------------------------------------------------------------------------------------
# The executor's handlers (see executor.py): an instruction row -> the kernel on views of the
# two arenas, its fields read by name.

def _update_work(f):
    # 100,000 Adam updates take ~35 us serially and ~21 us on two threads, a gain that busy
    # cores easily take back: only large networks update in parallel.
    return f["n"] // 2


_CLIP = slots(Op.CLIP)
_SGD = slots(Op.SGD)
_ADAM = slots(Op.ADAM)
_RMSPROP = slots(Op.RMSPROP)


@handles(Op.CLIP)
@njit(**JIT)
def run_clip(p, P, W, step):
    s = _CLIP
    clip_by_global_norm(_v1(P, p[s.g_p], p[s.n]), P[p[s.hyper_p]],
                                _v1(P, p[s.stats_p], 1))


@handles(Op.SGD, work=_update_work)
@njit(**JIT)
def run_sgd(p, P, W, step):
    par = p[PAR]
    s = _SGD
    n = p[s.n]
    sgd_update(_v1(P, p[s.w_p], n), _v1(P, p[s.g_p], n), _v1(P, p[s.s1_p], n),
                       _v1(P, p[s.hyper_p], HYPER_SIZE), par)


@handles(Op.ADAM, work=_update_work)
@njit(**JIT)
def run_adam(p, P, W, step):
    par = p[PAR]
    s = _ADAM
    n = p[s.n]
    adam_update(_v1(P, p[s.w_p], n), _v1(P, p[s.g_p], n), _v1(P, p[s.s1_p], n),
                        _v1(P, p[s.s2_p], n), _v1(P, p[s.hyper_p], HYPER_SIZE), par)


@handles(Op.RMSPROP, work=_update_work)
@njit(**JIT)
def run_rmsprop(p, P, W, step):
    par = p[PAR]
    s = _RMSPROP
    n = p[s.n]
    rmsprop_update(_v1(P, p[s.w_p], n), _v1(P, p[s.g_p], n),
                           _v1(P, p[s.s1_p], n), _v1(P, p[s.s2_p], n),
                           _v1(P, p[s.hyper_p], HYPER_SIZE), par)
