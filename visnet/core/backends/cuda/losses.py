"""Losses on the GPU, each one block: its threads share the rows (or values), write the
gradient of their share, and sum loss and counts with a block-wide reduction. stats receives
(mean loss, correct predictions, predictions, sum of absolute errors), as on the CPU."""

from __future__ import annotations

import math

from numba import cuda, float32

from ..opcodes import STATS_SIZE, Op
from .config import THREADS
from .ops import fields, handles, view
from .reduce import block_sum


@cuda.jit(device=True)
def _write_stats(stats, total, correct, absolute, count, scale):
    """Sum the threads' shares over the block; thread 0 writes (mean loss, correct
    predictions, predictions, sum of absolute errors). Every thread of the block calls it."""
    total = block_sum(total)
    correct = block_sum(correct)
    absolute = block_sum(absolute)
    if cuda.threadIdx.x == 0:
        stats[0] = total * scale
        stats[1] = correct
        stats[2] = float32(count)
        stats[3] = absolute


@cuda.jit
def _cross_entropy(logits, targets, dlogits, stats, acc):
    rows, classes = logits.shape
    scale = float32(1) / float32(rows)
    total = float32(0)
    correct = float32(0)
    for r in range(cuda.threadIdx.x, rows, THREADS):
        best = 0
        m = logits[r, 0]
        for j in range(1, classes):
            if logits[r, j] > m:
                m = logits[r, j]
                best = j
        s = float32(0)
        for j in range(classes):
            s += math.exp(logits[r, j] - m)
        t = targets[r]
        k = int(t) if t >= float32(0) and t < float32(classes) else -1
        if k < 0:
            total += float32(math.nan)
        else:
            total += math.log(s) + m - logits[r, k]
            if best == k:
                correct += float32(1)
        inv = float32(1) / s
        for j in range(classes):
            g = math.exp(logits[r, j] - m) * inv
            if j == k:
                g -= float32(1)
            g *= scale
            dlogits[r, j] = dlogits[r, j] + g if acc else g
    _write_stats(stats, total, correct, float32(0), rows, scale)


@cuda.jit
def _binary_cross_entropy(logits, targets, dlogits, stats, acc):
    n = logits.shape[0]
    scale = float32(1) / float32(n)
    total = float32(0)
    correct = float32(0)
    for i in range(cuda.threadIdx.x, n, THREADS):
        x = logits[i]
        t = targets[i]
        total += max(x, float32(0)) - x * t + math.log1p(math.exp(-abs(x)))
        if x >= float32(0):
            p = float32(1) / (float32(1) + math.exp(-x))
        else:
            e = math.exp(x)
            p = e / (float32(1) + e)
        g = (p - t) * scale
        dlogits[i] = dlogits[i] + g if acc else g
        if (x > float32(0)) == (t > float32(0.5)):
            correct += float32(1)
    _write_stats(stats, total, correct, float32(0), n, scale)


@cuda.jit
def _mean_squared_error(pred, targets, dpred, stats, acc):
    n = pred.shape[0]
    scale = float32(1) / float32(n)
    total = float32(0)
    absolute = float32(0)
    for i in range(cuda.threadIdx.x, n, THREADS):
        d = pred[i] - targets[i]
        total += d * d
        absolute += abs(d)
        g = float32(2) * d * scale
        dpred[i] = dpred[i] + g if acc else g
    _write_stats(stats, total, float32(0), absolute, n, scale)


@handles(Op.LOSS_CE)
def run_cross_entropy(row, P, W, step):
    """Softmax cross-entropy on logits [rows, classes] against class indices [rows]."""
    f = fields(row, Op.LOSS_CE)
    rows, classes = f["rows"], f["classes"]
    _cross_entropy[1, THREADS](view(W, f["logits"], rows, classes), view(W, f["targets"], rows),
                               view(W, f["dlogits"], rows, classes),
                               view(P, f["stats_p"], STATS_SIZE), f["acc"])


@handles(Op.LOSS_BCE)
def run_binary_cross_entropy(row, P, W, step):
    """Sigmoid binary cross-entropy on logits [n] against targets in [0, 1]."""
    f = fields(row, Op.LOSS_BCE)
    n = f["n"]
    _binary_cross_entropy[1, THREADS](view(W, f["logits"], n), view(W, f["targets"], n),
                                      view(W, f["dlogits"], n),
                                      view(P, f["stats_p"], STATS_SIZE), f["acc"])


@handles(Op.LOSS_MSE)
def run_mean_squared_error(row, P, W, step):
    """Mean of (pred - targets)^2 over every value."""
    f = fields(row, Op.LOSS_MSE)
    n = f["n"]
    _mean_squared_error[1, THREADS](view(W, f["pred"], n), view(W, f["targets"], n),
                                    view(W, f["dpred"], n), view(P, f["stats_p"], STATS_SIZE),
                                    f["acc"])
