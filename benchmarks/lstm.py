"""LSTM: Input (50, 32) -> LSTM 64 (last state only) -> Dense 10, cross-entropy, batch 64,
Adam 1e-3. Weights in Keras' layout, gates i, f, c, o (PyTorch's i, f, g, o: the same order).
The NumPy baseline is a plain time-major forward pass and backpropagation through time."""

from __future__ import annotations

import numpy as np

from .frameworks import (chain, initial_weights, numpy_trainer, torch_trainer, torch_weights,
                         visnet_trainer, with_cuda)
from .npnn import softmax_cross_entropy
from .timing import compare, report

NAME = "lstm"
BATCH, STEPS, FEATURES, UNITS, CLASSES = 64, 50, 32, 64, 10
LR = 1e-3
LSTM, FC = "n2", "n3"  # graph node ids


def graph():
    return chain([STEPS, FEATURES], ("LSTM", {"units": UNITS}), ("Dense", {"units": CLASSES}))


def sigmoid(a, out):
    """0.5 (1 + tanh(a / 2)): the logistic function without exp overflow."""
    np.multiply(a, 0.5, out=out)
    np.tanh(out, out=out)
    out += 1
    out *= 0.5
    return out


class NumpyLSTM:
    def __init__(self, w: dict[str, np.ndarray]):
        self.params = [w[f"{LSTM}/kernel"].copy(), w[f"{LSTM}/recurrent_kernel"].copy(),
                       w[f"{LSTM}/bias"].copy(), w[f"{FC}/kernel"].copy(), w[f"{FC}/bias"].copy()]

    def grads(self, x, y):
        kernel, recurrent, bias, wd, bd = self.params
        n, steps, feats = x.shape
        u = recurrent.shape[0]
        xt = np.ascontiguousarray(x.transpose(1, 0, 2)).reshape(steps * n, feats)
        # G: pre-activations, turned into gate values step by step: i, f, c (tanh), o.
        G = (xt @ kernel + bias).reshape(steps, n, 4 * u)
        H = np.zeros((steps + 1, n, u), np.float32)
        C = np.zeros((steps + 1, n, u), np.float32)
        TC = np.empty((steps, n, u), np.float32)  # tanh of each cell state
        for t in range(steps):
            g = G[t]
            g += H[t] @ recurrent
            sigmoid(g[:, :2 * u], g[:, :2 * u])
            np.tanh(g[:, 2 * u:3 * u], out=g[:, 2 * u:3 * u])
            sigmoid(g[:, 3 * u:], g[:, 3 * u:])
            i, f, c, o = g[:, :u], g[:, u:2 * u], g[:, 2 * u:3 * u], g[:, 3 * u:]
            np.add(f * C[t], i * c, out=C[t + 1])
            np.tanh(C[t + 1], out=TC[t])
            np.multiply(o, TC[t], out=H[t + 1])
        h = H[steps]
        loss, dz = softmax_cross_entropy(h @ wd + bd, y)
        dwd, dbd = h.T @ dz, dz.sum(axis=0)
        dh = dz @ wd.T
        dc = np.zeros((n, u), np.float32)
        dG = np.empty_like(G)
        for t in reversed(range(steps)):
            g, d = G[t], dG[t]
            i, f, c, o = g[:, :u], g[:, u:2 * u], g[:, 2 * u:3 * u], g[:, 3 * u:]
            tc = TC[t]
            dc += dh * o * (1 - tc * tc)
            d[:, :u] = dc * c * i * (1 - i)
            d[:, u:2 * u] = dc * C[t] * f * (1 - f)
            d[:, 2 * u:3 * u] = dc * i * (1 - c * c)
            d[:, 3 * u:] = dh * tc * o * (1 - o)
            dc *= f
            dh = d @ recurrent.T
        dG = dG.reshape(steps * n, 4 * u)
        dkernel = xt.T @ dG
        drecurrent = H[:steps].reshape(steps * n, u).T @ dG
        return loss, [dkernel, drecurrent, dG.sum(axis=0), dwd, dbd]


def torch_lstm(w: dict[str, np.ndarray]):
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(FEATURES, UNITS, batch_first=True)
            self.fc = nn.Linear(UNITS, CLASSES)

        def forward(self, x):
            _, (h, _) = self.lstm(x)
            return self.fc(h[-1])

    net = Net()
    torch_weights(net, **{"lstm.weight_ih_l0": w[f"{LSTM}/kernel"].T,
                          "lstm.weight_hh_l0": w[f"{LSTM}/recurrent_kernel"].T,
                          "lstm.bias_ih_l0": w[f"{LSTM}/bias"],
                          "lstm.bias_hh_l0": np.zeros(4 * UNITS, np.float32),
                          "fc.weight": w[f"{FC}/kernel"].T, "fc.bias": w[f"{FC}/bias"]})
    # One bias, as in visnet and Keras: a trainable second bias would double Adam's bias steps.
    net.lstm.bias_hh_l0.requires_grad_(False)
    return net, torch.nn.CrossEntropyLoss()


def run(quick: bool) -> dict:
    rng = np.random.default_rng(0)
    batches = [(rng.standard_normal((BATCH, STEPS, FEATURES)).astype(np.float32),
                rng.integers(0, CLASSES, BATCH).astype(np.float32)) for _ in range(8)]
    g = graph()
    w = initial_weights(g)
    optimizer = {"type": "adam", "lr": LR}
    makers = with_cuda({
        "visnet": lambda: visnet_trainer(g, w, optimizer, batches),
        "torch": lambda: torch_trainer(*torch_lstm(w), LR, batches, class_targets=True),
        "numpy": lambda: numpy_trainer(NumpyLSTM(w), LR, batches, class_targets=True),
    }, g, w, optimizer, batches, lambda: torch_lstm(w), LR, class_targets=True)
    steps, repeats = (10, 1) if quick else (100, 3)
    results = compare(makers, steps=steps, repeats=repeats, warmup=10)
    return report(NAME, "LSTM 64 over (50, 32) -> Dense 10, CE, batch 64, Adam 1e-3", results,
                  [("step", 1)], steps=steps, repeats=repeats, batch=BATCH)
