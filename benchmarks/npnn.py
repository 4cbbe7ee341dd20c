"""Hand-written NumPy building blocks, float32 throughout: Adam as torch.optim computes it, the
two losses on logits, and a multi-layer perceptron. Dense kernels are (in, units) as in visnet."""

from __future__ import annotations

import math

import numpy as np


class Adam:
    def __init__(self, params: list[np.ndarray], lr: float, b1: float = 0.9,
                 b2: float = 0.999, eps: float = 1e-8):
        self.params, self.lr, self.b1, self.b2, self.eps = params, lr, b1, b2, eps
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.t = 0

    def step(self, grads: list[np.ndarray]) -> None:
        self.t += 1
        b1, b2 = self.b1, self.b2
        step = self.lr / (1 - b1 ** self.t)
        root_bc2 = math.sqrt(1 - b2 ** self.t)
        for w, g, m, v in zip(self.params, grads, self.m, self.v):
            m *= b1
            m += (1 - b1) * g
            v *= b2
            v += (1 - b2) * g * g
            w -= step * m / (np.sqrt(v) / root_bc2 + self.eps)


def softmax_cross_entropy(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean loss over rows of logits z : (n, classes) for class indices y; and d loss / d z."""
    n = len(z)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    s = e.sum(axis=1, keepdims=True)
    rows = np.arange(n)
    loss = float(np.mean(np.log(s[:, 0]) - z[rows, y]))
    d = e / s
    d[rows, y] -= 1
    d /= n
    return loss, d


def binary_cross_entropy(z: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean sigmoid cross-entropy of logits z against 0/1 targets y (same shape)."""
    loss = float(np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))))
    d = (1 / (1 + np.exp(-z)) - y) / z.size
    return loss, d.astype(np.float32)


LOSSES = {"cross_entropy": softmax_cross_entropy, "binary_cross_entropy": binary_cross_entropy}


def activate(fn: str, a: np.ndarray) -> np.ndarray:
    if fn == "relu":
        return np.maximum(a, 0, out=a)
    if fn == "tanh":
        return np.tanh(a, out=a)
    return a


def activate_grad(fn: str, d: np.ndarray, out: np.ndarray) -> np.ndarray:
    """d loss / d pre-activation from d loss / d output and the output."""
    if fn == "relu":
        return d * (out > 0)
    if fn == "tanh":
        return d * (1 - out * out)
    return d


class MLP:
    """Dense layers (kernel (in, units), bias) with activations, ending in a loss on logits."""

    def __init__(self, layers: list[tuple[np.ndarray, np.ndarray, str]], loss: str):
        self.layers = [(w.copy(), b.copy(), fn) for w, b, fn in layers]
        self.params = [p for w, b, _ in self.layers for p in (w, b)]
        self.loss = LOSSES[loss]

    def grads(self, x: np.ndarray, y: np.ndarray) -> tuple[float, list[np.ndarray]]:
        outs = [x]
        for w, b, fn in self.layers:
            outs.append(activate(fn, outs[-1] @ w + b))
        loss, d = self.loss(outs[-1], y)
        grads: list[np.ndarray] = []
        for k in reversed(range(len(self.layers))):
            w, _, fn = self.layers[k]
            d = activate_grad(fn, d, outs[k + 1])
            grads[:0] = [outs[k].T @ d, d.sum(axis=0)]
            if k:
                d = d @ w.T
        return loss, grads
