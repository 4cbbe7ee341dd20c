"""Loss kernels: each computes the mean loss, its gradient and the counts behind accuracy in one
pass. stats : T[4] receives (loss, correct predictions, predictions, sum of absolute errors)."""

import math

import numpy as np
from numba import njit

from . import fastmath_exp
from ..opcodes import STATS_SIZE, Op, slots
from .executor import handles
from .config import JIT
from .views import _v1, _v2

F = np.float32


@njit(**JIT)
def cross_entropy(logits, targets, dlogits, stats, acc):
    """Softmax cross-entropy on logits : T[rows, classes] against class indices
    targets : T[rows]; dlogits : T[rows, classes] (=, or += when acc) d mean loss / d logits.
    An index outside [0, classes) makes the loss NaN, which the training guard reports."""
    rows, classes = logits.shape
    scale = F(1) / F(rows)
    total = logits[0, 0] * F(0)
    correct = 0
    for r in range(rows):
        z = logits[r]
        best = 0
        m = z[0]
        for j in range(1, classes):
            if z[j] > m:
                m = z[j]
                best = j
        s = z[0] * F(0)
        for j in range(classes):
            s += fastmath_exp.exp(z[j] - m)
        log_s = math.log(s)
        t = targets[r]
        k = int(t) if t >= 0 and t < classes else -1
        if k < 0:
            total += F(np.nan)
        else:
            total += log_s + m - z[k]
            correct += best == k
        inv = F(1) / s
        for j in range(classes):
            g = fastmath_exp.exp(z[j] - m) * inv
            if j == k:
                g -= F(1)
            g *= scale
            dlogits[r, j] = dlogits[r, j] + g if acc else g
    stats[0] = total * scale
    stats[1] = correct
    stats[2] = rows
    stats[3] = 0


@njit(**JIT)
def binary_cross_entropy(logits, targets, dlogits, stats, acc):
    """Sigmoid binary cross-entropy on logits : T[n] against targets : T[n] in [0, 1];
    dlogits : T[n] (=, or += when acc) d mean loss / d logits."""
    n = logits.shape[0]
    scale = F(1) / F(n)
    total = logits[0] * F(0)
    correct = 0
    for i in range(n):
        x = logits[i]
        t = targets[i]
        total += max(x, F(0)) - x * t + math.log1p(math.exp(-abs(x)))
        if x >= 0:
            p = F(1) / (F(1) + math.exp(-x))
        else:
            e = math.exp(x)
            p = e / (F(1) + e)
        g = (p - t) * scale
        dlogits[i] = dlogits[i] + g if acc else g
        correct += (x > 0) == (t > F(0.5))
    stats[0] = total * scale
    stats[1] = correct
    stats[2] = n
    stats[3] = 0


@njit(**JIT)
def mean_squared_error(pred, targets, dpred, stats, acc):
    """Mean of (pred - targets)^2 over every value; pred, targets, dpred : T[n]."""
    n = pred.shape[0]
    scale = F(1) / F(n)
    total = pred[0] * F(0)
    absolute = pred[0] * F(0)
    for i in range(n):
        d = pred[i] - targets[i]
        total += d * d
        absolute += abs(d)
        g = F(2) * d * scale
        dpred[i] = dpred[i] + g if acc else g
    stats[0] = total * scale
    stats[1] = 0
    stats[2] = n
    stats[3] = absolute


# ---------------------------------------------------------------------------------------------
# The executor's handlers (see executor.py): an instruction row -> the kernel on views of the
# two arenas, its fields read by name.

_LOSS_CE = slots(Op.LOSS_CE)
_LOSS_BCE = slots(Op.LOSS_BCE)
_LOSS_MSE = slots(Op.LOSS_MSE)


@handles(Op.LOSS_CE)
@njit(**JIT)
def run_cross_entropy(p, P, W, step):
    s = _LOSS_CE
    rows, classes = p[s.rows], p[s.classes]
    cross_entropy(_v2(W, p[s.logits], rows, classes), _v1(W, p[s.targets], rows),
                         _v2(W, p[s.dlogits], rows, classes),
                         _v1(P, p[s.stats_p], STATS_SIZE), p[s.acc])


@handles(Op.LOSS_BCE)
@njit(**JIT)
def run_binary_cross_entropy(p, P, W, step):
    s = _LOSS_BCE
    n = p[s.n]
    binary_cross_entropy(_v1(W, p[s.logits], n), _v1(W, p[s.targets], n),
                                _v1(W, p[s.dlogits], n),
                                _v1(P, p[s.stats_p], STATS_SIZE), p[s.acc])


@handles(Op.LOSS_MSE)
@njit(**JIT)
def run_mean_squared_error(p, P, W, step):
    s = _LOSS_MSE
    n = p[s.n]
    mean_squared_error(_v1(W, p[s.pred], n), _v1(W, p[s.targets], n),
                              _v1(W, p[s.dpred], n), _v1(P, p[s.stats_p], STATS_SIZE),
                              p[s.acc])
