"""LeNet-like CNN: Input 1x28x28 -> Conv2D 8 (5x5, relu) -> MaxPool 2 -> Conv2D 16 (5x5, relu) ->
MaxPool 2 -> Flatten -> Dense 64 relu -> Dense 10, cross-entropy, batch 64, Adam 1e-3.
The NumPy baseline does im2col with sliding_window_view and one GEMM per convolution."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .frameworks import (chain, initial_weights, numpy_trainer, torch_trainer, torch_weights,
                         visnet_trainer, with_cuda)
from .npnn import softmax_cross_entropy
from .timing import compare, report

NAME = "lenet"
BATCH = 64
LR = 1e-3
CONV1, POOL1, CONV2, POOL2, FLAT, FC1, FC2 = (f"n{k}" for k in range(2, 9))  # graph node ids


def graph():
    return chain([1, 28, 28],
                 ("Conv2D", {"filters": 8, "kernel_size": 5, "activation": "relu"}),
                 ("MaxPool2D", {"pool_size": 2}),
                 ("Conv2D", {"filters": 16, "kernel_size": 5, "activation": "relu"}),
                 ("MaxPool2D", {"pool_size": 2}),
                 ("Flatten", {}),
                 ("Dense", {"units": 64, "activation": "relu"}),
                 ("Dense", {"units": 10}))


def conv_relu(x, k, b):
    """Valid convolution (cross-correlation, as visnet and torch) + relu. x (N, C, H, W),
    k (F, C, kh, kw). Returns the output (N, F, OH, OW) and the im2col matrix."""
    n, c, _, _ = x.shape
    f, _, kh, kw = k.shape
    win = sliding_window_view(x, (kh, kw), axis=(2, 3))  # (N, C, OH, OW, kh, kw)
    oh, ow = win.shape[2:4]
    cols = win.transpose(0, 2, 3, 1, 4, 5).reshape(n * oh * ow, c * kh * kw)
    out = cols @ k.reshape(f, -1).T + b
    np.maximum(out, 0, out=out)
    return out.reshape(n, oh, ow, f).transpose(0, 3, 1, 2), cols


def conv_relu_grad(dy, y, x_shape, k, cols, need_dx):
    """Gradients of conv_relu from d loss / d output dy and the output y."""
    f, c, kh, kw = k.shape
    n, _, oh, ow = dy.shape
    d = (dy * (y > 0)).transpose(0, 2, 3, 1).reshape(-1, f)  # (N*OH*OW, F)
    dk = (d.T @ cols).reshape(k.shape)
    db = d.sum(axis=0)
    if not need_dx:
        return dk, db, None
    dcols = (d @ k.reshape(f, -1)).reshape(n, oh, ow, c, kh, kw)
    dx = np.zeros(x_shape, np.float32)
    for i in range(kh):  # col2im: scatter each kernel offset back onto the image
        for j in range(kw):
            dx[:, :, i:i + oh, j:j + ow] += dcols[:, :, :, :, i, j].transpose(0, 3, 1, 2)
    return dk, db, dx


def maxpool2(x):
    """2x2 max pooling, stride 2 (sides divisible by 2); returns output and the argmax mask."""
    n, c, h, w = x.shape
    xr = x.reshape(n, c, h // 2, 2, w // 2, 2)
    out = xr.max(axis=(3, 5))
    return out, xr == out[:, :, :, None, :, None]


def maxpool2_grad(dy, mask):
    n, c, h, _, w, _ = mask.shape
    return (mask * dy[:, :, :, None, :, None]).reshape(n, c, 2 * h, 2 * w)


class NumpyLeNet:
    def __init__(self, w: dict[str, np.ndarray]):
        self.params = [w[f"{node}/{t}"].copy() for node in (CONV1, CONV2, FC1, FC2)
                       for t in ("kernel", "bias")]

    def grads(self, x, y):
        k1, b1, k2, b2, w3, b3, w4, b4 = self.params
        a1, cols1 = conv_relu(x, k1, b1)
        p1, m1 = maxpool2(a1)
        a2, cols2 = conv_relu(p1, k2, b2)
        p2, m2 = maxpool2(a2)
        flat = p2.reshape(len(x), -1)
        h = np.maximum(flat @ w3 + b3, 0)
        loss, dz = softmax_cross_entropy(h @ w4 + b4, y)
        dw4, db4 = h.T @ dz, dz.sum(axis=0)
        dh = (dz @ w4.T) * (h > 0)
        dw3, db3 = flat.T @ dh, dh.sum(axis=0)
        dp2 = (dh @ w3.T).reshape(p2.shape)
        dk2, db2, dp1 = conv_relu_grad(maxpool2_grad(dp2, m2), a2, p1.shape, k2, cols2, True)
        dk1, db1, _ = conv_relu_grad(maxpool2_grad(dp1, m1), a1, x.shape, k1, cols1, False)
        return loss, [dk1, db1, dk2, db2, dw3, db3, dw4, db4]


def torch_lenet(w: dict[str, np.ndarray]):
    import torch
    from torch import nn

    net = nn.Sequential(nn.Conv2d(1, 8, 5), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(8, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                        nn.Linear(256, 64), nn.ReLU(), nn.Linear(64, 10))
    torch_weights(net, **{"0.weight": w[f"{CONV1}/kernel"], "0.bias": w[f"{CONV1}/bias"],
                          "3.weight": w[f"{CONV2}/kernel"], "3.bias": w[f"{CONV2}/bias"],
                          "7.weight": w[f"{FC1}/kernel"].T, "7.bias": w[f"{FC1}/bias"],
                          "9.weight": w[f"{FC2}/kernel"].T, "9.bias": w[f"{FC2}/bias"]})
    return net, torch.nn.CrossEntropyLoss()


def run(quick: bool) -> dict:
    rng = np.random.default_rng(0)
    batches = [(rng.integers(0, 256, (BATCH, 1, 28, 28)).astype(np.float32) / np.float32(255),
                rng.integers(0, 10, BATCH).astype(np.float32)) for _ in range(16)]
    g = graph()
    w = initial_weights(g)
    optimizer = {"type": "adam", "lr": LR}
    makers = with_cuda({
        "visnet": lambda: visnet_trainer(g, w, optimizer, batches),
        "torch": lambda: torch_trainer(*torch_lenet(w), LR, batches, class_targets=True),
        "numpy": lambda: numpy_trainer(NumpyLeNet(w), LR, batches, class_targets=True),
    }, g, w, optimizer, batches, lambda: torch_lenet(w), LR, class_targets=True)
    steps, repeats = (20, 1) if quick else (200, 3)
    results = compare(makers, steps=steps, repeats=repeats, warmup=10)
    return report(NAME, "conv8-pool-conv16-pool-fc64-fc10 on 64x1x28x28, CE, Adam 1e-3",
                  results, [("step", 1)], steps=steps, repeats=repeats, batch=BATCH)
