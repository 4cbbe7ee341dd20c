"""An independent reference: the same drawing computed with PyTorch autograd, written from the
layer definitions (Keras conventions), not from VisNet's kernels."""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from visnet.core import layers

ACT = {
    "linear": lambda t: t,
    "relu": torch.relu,
    "leaky_relu": lambda t: F.leaky_relu(t, layers.LEAKY_RELU_SLOPE),
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "gelu": F.gelu,
}


def activation(t: torch.Tensor, name: str, image: bool = False) -> torch.Tensor:
    if name == "softmax":
        return torch.softmax(t, dim=1 if image else -1)
    return ACT[name](t)


def _same_pad(size, k, s):
    out = -(-size // s)
    total = max((out - 1) * s + k - size, 0)
    return total // 2, total - total // 2


def conv2d(x, w, b, p):
    kh, kw = layers.pair(p["kernel_size"])
    sh, sw = layers.pair(p["strides"])
    if p["padding"] == "same":
        top, bottom = _same_pad(x.shape[2], kh, sh)
        left, right = _same_pad(x.shape[3], kw, sw)
        x = F.pad(x, (left, right, top, bottom))
    return F.conv2d(x, w, b, stride=(sh, sw))


def rnn(x, w, u, b, p, kind):
    batch, steps, _ = x.shape
    units = p["units"]
    h = x.new_zeros(batch, units)
    c = x.new_zeros(batch, units)
    outs = []
    for t in range(steps):
        xt = x[:, t]
        if kind == "SimpleRNN":
            h = activation(xt @ w + h @ u + b, p["activation"])
        elif kind == "LSTM":
            a = xt @ w + h @ u + b
            i, f, g, o = a.split(units, dim=1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
        else:  # GRU, reset gate after the recurrent product
            xz, xr, xh = (xt @ w + b[0]).split(units, dim=1)
            rz, rr, rh = (h @ u + b[1]).split(units, dim=1)
            z = torch.sigmoid(xz + rz)
            r = torch.sigmoid(xr + rr)
            hh = torch.tanh(xh + r * rh)
            h = z * h + (1 - z) * hh
        outs.append(h)
    return torch.stack(outs, dim=1) if p["return_sequences"] else h


def batchnorm(x, gamma, beta, mean, var, p, training):
    if x.dim() == 4:
        view = x
    else:  # features on the last axis
        view = x.reshape(-1, x.shape[-1])
    y = F.batch_norm(view, mean.detach().clone(), var.detach().clone(), gamma, beta,
                     training=training,
                     eps=p["epsilon"])
    return y.reshape(x.shape)


# ---------------------------------------------------------------------------------------------
# One reference per layer type: (inputs, weight getter, resolved params, training) -> output.
# A new layer type declares its reference here; the layer harness fails until it does.

REFERENCES = {}
# Types whose training pass the reference cannot reproduce (a random mask): compared at
# inference only.
INFERENCE_ONLY = {"Dropout"}


def reference(*type_names):
    def register(fn):
        for name in type_names:
            REFERENCES[name] = fn
        return fn
    return register


@reference("Input")
def _input(ins, W, p, training):
    return ins[0]  # the samples


@reference("Flatten")
def _flatten(ins, W, p, training):
    return ins[0].reshape(ins[0].shape[0], -1)


@reference("Dense")
def _dense(ins, W, p, training):
    return activation(ins[0] @ W("kernel") + (W("bias") if p["use_bias"] else 0),
                      p["activation"])


@reference("Conv2D")
def _conv2d(ins, W, p, training):
    y = conv2d(ins[0], W("kernel"), W("bias") if p["use_bias"] else None, p)
    return activation(y, p["activation"], image=True)


@reference("Conv2DTranspose")
def _conv2d_transpose(ins, W, p, training):
    """The full transposed convolution, then Keras' output size: 'valid' keeps
    size*stride + max(kernel - stride, 0) values (zeros past the full result when the kernel is
    shorter than the stride), 'same' keeps size*stride from max(kernel - stride, 0) // 2 on."""
    x = ins[0]
    (kh, kw), (sh, sw) = layers.pair(p["kernel_size"]), layers.pair(p["strides"])
    y = F.conv_transpose2d(x, W("kernel"), stride=(sh, sw))
    out, start = [], []
    for size, k, s in ((x.shape[2], kh, sh), (x.shape[3], kw, sw)):
        if p["padding"] == "valid":
            out.append(size * s + max(k - s, 0))
            start.append(0)
        else:
            out.append(size * s)
            start.append(max(k - s, 0) // 2)
    y = y[:, :, start[0]:start[0] + out[0], start[1]:start[1] + out[1]]
    y = F.pad(y, (0, out[1] - y.shape[3], 0, out[0] - y.shape[2]))
    if p["use_bias"]:
        y = y + W("bias")[None, :, None, None]
    return activation(y, p["activation"], image=True)


def _pool_strides(p):
    return layers.pair(p["strides"] if p["strides"] is not None else p["pool_size"])


def pool2d(x, size, strides, padding, largest):
    """Keras' pooling of (batch, channels, height, width): with 'same' padding the edge windows
    take only the values inside the image (the padding is -inf for a max and is not counted in
    a mean)."""
    (kh, kw), (sh, sw) = size, strides
    if padding == "valid":
        return (F.max_pool2d if largest else F.avg_pool2d)(x, (kh, kw), (sh, sw))
    top, bottom = _same_pad(x.shape[2], kh, sh)
    left, right = _same_pad(x.shape[3], kw, sw)
    pads = (left, right, top, bottom)
    if largest:
        return F.max_pool2d(F.pad(x, pads, value=-math.inf), (kh, kw), (sh, sw))
    sums = F.avg_pool2d(F.pad(x, pads), (kh, kw), (sh, sw), divisor_override=1)
    counts = F.avg_pool2d(F.pad(torch.ones_like(x[:1, :1]), pads), (kh, kw), (sh, sw),
                          divisor_override=1)
    return sums / counts


@reference("MaxPool2D")
def _max_pool2d(ins, W, p, training):
    return pool2d(ins[0], layers.pair(p["pool_size"]), _pool_strides(p), p["padding"], True)


@reference("AvgPool2D")
def _avg_pool2d(ins, W, p, training):
    return pool2d(ins[0], layers.pair(p["pool_size"]), _pool_strides(p), p["padding"], False)


@reference("GlobalAvgPool2D")
def _global_avg_pool2d(ins, W, p, training):
    return ins[0].mean(dim=(2, 3))


@reference("Reshape")
def _reshape(ins, W, p, training):
    return ins[0].reshape(ins[0].shape[0], *p["target_shape"])


@reference("Conv1D")
def _conv1d(ins, W, p, training):
    x = ins[0].transpose(1, 2)  # (batch, features, time), as PyTorch convolves
    k, s = p["kernel_size"], p["strides"]
    if p["padding"] == "same":
        x = F.pad(x, _same_pad(x.shape[2], k, s))
    w = W("kernel").permute(2, 1, 0)  # Keras' (kernel, in, filters) -> (filters, in, kernel)
    y = F.conv1d(x, w, W("bias") if p["use_bias"] else None, stride=s)
    return activation(y.transpose(1, 2), p["activation"])


def _pool1d(largest):
    def run(ins, W, p, training):
        stride = p["strides"] if p["strides"] is not None else p["pool_size"]
        x = ins[0].transpose(1, 2)[:, :, :, None]  # (batch, features, time, 1)
        y = pool2d(x, (p["pool_size"], 1), (stride, 1), p["padding"], largest)
        return y[:, :, :, 0].transpose(1, 2)
    return run


REFERENCES["MaxPool1D"] = _pool1d(largest=True)
REFERENCES["AvgPool1D"] = _pool1d(largest=False)


@reference("GlobalAvgPool1D")
def _global_avg_pool1d(ins, W, p, training):
    return ins[0].mean(dim=1)


@reference("UpSampling2D")
def _up_sampling2d(ins, W, p, training):
    sh, sw = layers.pair(p["size"])
    return ins[0].repeat_interleave(sh, dim=2).repeat_interleave(sw, dim=3)


@reference("Dropout")
def _dropout(ins, W, p, training):
    assert not training or p["rate"] == 0, "the reference knows dropout only at inference"
    return ins[0]


@reference("BatchNorm")
def _batch_norm(ins, W, p, training):
    return batchnorm(ins[0], W("gamma"), W("beta"), W("moving_mean"), W("moving_variance"), p,
                     training)


@reference("LayerNorm")
def _layer_norm(ins, W, p, training):
    x = ins[0]
    return F.layer_norm(x, (x.shape[-1],), W("gamma"), W("beta"), eps=p["epsilon"])


@reference("Activation")
def _activation(ins, W, p, training):
    return activation(ins[0], p["fn"], image=ins[0].dim() == 4)


def _recurrent(kind):
    def run(ins, W, p, training):
        return rnn(ins[0], W("kernel"), W("recurrent_kernel"), W("bias"), p, kind)
    return run


for _kind in ("SimpleRNN", "LSTM", "GRU"):
    REFERENCES[_kind] = _recurrent(_kind)


@reference("Add")
def _add(ins, W, p, training):
    return sum(ins[1:], ins[0])


@reference("Concatenate")
def _concatenate(ins, W, p, training):
    return torch.cat(ins, dim=p["axis"])


@reference("Loss")
def _loss(ins, W, p, training):
    return None  # loss_and_grads computes the loss itself


def forward(graph, weights, x, training=True):
    """Outputs of every node (torch tensors) for inputs x, with weights as torch leaf tensors."""
    out = {}
    for n in graph.topological_order():
        node = graph.nodes[n]
        ins = [out[e.src] for e in graph.inputs_of(n)] if node.type != "Input" else [x]

        def W(name, n=n):
            return weights[f"{n}/{name}"]

        y = REFERENCES[node.type](ins, W, node.resolved_params(), training)
        if y is not None:
            out[n] = y
    return out


def loss_and_grads(graph, weights, x, y, training=True):
    """(loss, {key: grad}) in float64 with torch autograd."""
    tw = {k: torch.tensor(np.asarray(v, np.float64), requires_grad=True) for k, v in
          weights.items()}
    frozen = {"moving_mean", "moving_variance"}
    out = forward(graph, tw, torch.tensor(np.asarray(x, np.float64)), training)
    loss_id = next(n for n in graph.nodes if graph.nodes[n].type == "Loss")
    feed = graph.inputs_of(loss_id)[0].src
    kind = graph.nodes[loss_id].resolved_params()["kind"]
    pred = out[feed]
    node = graph.nodes[feed]
    p = node.resolved_params()
    act = p.get("activation", p.get("fn"))
    target = torch.tensor(np.asarray(y, np.float64))
    if kind == "cross_entropy":
        logp = torch.log_softmax(pred, -1) if act != "softmax" else torch.log(pred)
        classes = pred.shape[-1]
        loss = F.nll_loss(logp.reshape(-1, classes), target.reshape(-1).long())
    elif kind == "binary_cross_entropy":
        if act == "sigmoid":
            loss = F.binary_cross_entropy(pred, target.reshape(pred.shape))
        else:
            loss = F.binary_cross_entropy_with_logits(pred, target.reshape(pred.shape))
    else:
        loss = F.mse_loss(pred, target.reshape(pred.shape))
    loss.backward()
    grads = {k: v.grad.numpy() for k, v in tw.items()
             if k.split("/")[1] not in frozen and v.grad is not None}
    return float(loss.detach()), grads, {k: v.detach().numpy() for k, v in out.items()}


def numel(shape):
    return math.prod(shape)
