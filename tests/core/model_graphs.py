"""Small drawings used by the training-core tests, one per situation worth checking."""

from __future__ import annotations

import numpy as np

from visnet import Graph


chain = Graph.sequential  # Input -> each (type, params) in turn -> Loss


def merge(kind, **params):
    """Input (6,) -> a: Dense relu -> b: Dense; merge(a, b) -> Activation -> Dense 3 -> CE."""
    g = Graph()
    x = g.add("Input", shape=[6])
    a = g.add("Dense", units=6, activation="relu")
    b = g.add("Dense", units=6, activation="tanh")
    m = g.add(kind, **params)
    act = g.add("Activation", fn="sigmoid")
    out = g.add("Dense", units=3)
    loss = g.add("Loss")
    for s, d in ((x, a), (a, b), (a, m), (b, m), (m, act), (act, out), (out, loss)):
        g.connect(s, d)
    return g


def targets_for(graph, batch, rng):
    """Random targets of the right kind for the graph's loss."""
    shapes = graph.infer_shapes()
    loss = next(n for n in graph.nodes if graph.nodes[n].type == "Loss")
    feed = graph.inputs_of(loss)[0].src
    kind = graph.nodes[loss].resolved_params()["kind"]
    shape = shapes[feed]
    if kind == "cross_entropy":
        return rng.integers(0, shape[-1], size=(batch, *shape[:-1])).astype(np.float32)
    if kind == "binary_cross_entropy":
        return (rng.random((batch, *shape)) > 0.5).astype(np.float32)
    return rng.standard_normal((batch, *shape)).astype(np.float32)


DENSE_GRAPHS = {
    "mlp_relu_gelu": lambda: chain([6], ("Dense", {"units": 8, "activation": "relu"}),
                                   ("Dense", {"units": 5, "activation": "gelu"}),
                                   ("Dense", {"units": 4})),
    "mlp_softmax_fused": lambda: chain([5], ("Dense", {"units": 7, "activation": "leaky_relu"}),
                                       ("Dense", {"units": 4, "activation": "softmax"})),
    "activation_softmax_fused": lambda: chain([5], ("Dense", {"units": 4}),
                                              ("Activation", {"fn": "softmax"})),
    "softmax_inside": lambda: chain([5], ("Dense", {"units": 6, "activation": "softmax"}),
                                    ("Dense", {"units": 3})),
    "bce_sigmoid_fused": lambda: chain([4], ("Dense", {"units": 6, "activation": "tanh"}),
                                       ("Dense", {"units": 1, "activation": "sigmoid"}),
                                       loss="binary_cross_entropy"),
    "bce_logits": lambda: chain([4], ("Dense", {"units": 3, "use_bias": False}),
                                loss="binary_cross_entropy"),
    "mse": lambda: chain([5], ("Dense", {"units": 7, "activation": "sigmoid"}),
                         ("Dense", {"units": 2}), loss="mse"),
    "dropout": lambda: chain([5], ("Dense", {"units": 8, "activation": "relu"}),
                             ("Dropout", {"rate": 0.4}), ("Dense", {"units": 3})),
    "sequence_dense": lambda: chain([4, 3], ("Dense", {"units": 5, "activation": "relu"}),
                                    ("Dense", {"units": 6})),
    "sequence_mse": lambda: chain([4, 3], ("Dense", {"units": 2, "activation": "tanh"}),
                                  loss="mse"),
    "add": lambda: merge("Add"),
    "concatenate": lambda: merge("Concatenate", axis=-1),
    "reshape_flatten": lambda: chain([12], ("Reshape", {"target_shape": [3, 4]}),
                                     ("Dense", {"units": 2, "activation": "relu"}),
                                     ("Flatten", {}), ("Dense", {"units": 3})),
    "activations": lambda: chain([5], ("Activation", {"fn": "tanh"}), ("Dense", {"units": 6}),
                                 ("Activation", {"fn": "gelu"}), ("Dense", {"units": 6}),
                                 ("Activation", {"fn": "leaky_relu"}),
                                 ("Dense", {"units": 3})),
}


CONV_GRAPHS = {
    "cnn_pools_same_valid": lambda: chain(
        [2, 9, 8],
        ("Conv2D", {"filters": 3, "kernel_size": 3, "padding": "same", "activation": "relu"}),
        ("MaxPool2D", {"pool_size": 2}),
        ("Conv2D", {"filters": 4, "kernel_size": [2, 3], "strides": [1, 1], "activation": "tanh"}),
        ("AvgPool2D", {"pool_size": 2, "strides": 1}),
        ("Flatten", {}), ("Dense", {"units": 3})),
    "conv_same_stride2_gap": lambda: chain(
        [1, 7, 7],
        ("Conv2D", {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"}),
        ("Conv2D", {"filters": 5, "kernel_size": 2, "padding": "same", "use_bias": False,
                    "activation": "gelu"}),
        ("GlobalAvgPool2D", {}), ("Dense", {"units": 3})),
    "batchnorm_images": lambda: chain(
        [2, 5, 5],
        ("Conv2D", {"filters": 3, "kernel_size": 3}), ("BatchNorm", {"momentum": 0.9}),
        ("Activation", {"fn": "relu"}), ("Flatten", {}), ("Dense", {"units": 2}),
        loss="mse"),
    "batchnorm_flat_first": lambda: chain(
        [6], ("BatchNorm", {"epsilon": 0.01}), ("Dense", {"units": 5, "activation": "relu"}),
        ("BatchNorm", {}), ("Dense", {"units": 3})),
    "softmax_over_channels": lambda: chain(
        [2, 4, 4], ("Conv2D", {"filters": 3, "kernel_size": 1, "activation": "softmax"}),
        ("Flatten", {}), ("Dense", {"units": 1}), loss="binary_cross_entropy"),
    "residual_conv": lambda: _residual_conv(),
}


def _residual_conv():
    g = Graph()
    x = g.add("Input", shape=[1, 6, 6])
    a = g.add("Conv2D", filters=3, kernel_size=3, padding="same", activation="relu")
    b = g.add("Conv2D", filters=3, kernel_size=3, padding="same")
    bn = g.add("BatchNorm")
    add = g.add("Add")
    cat = g.add("Concatenate", axis=1)
    pool = g.add("GlobalAvgPool2D")
    out = g.add("Dense", units=4)
    loss = g.add("Loss")
    for s, d in ((x, a), (a, b), (b, bn), (a, add), (bn, add), (add, cat), (a, cat), (cat, pool),
                 (pool, out), (out, loss)):
        g.connect(s, d)
    return g


RECURRENT_GRAPHS = {
    f"{kind.lower()}_{'seq' if seq else 'last'}": (
        lambda kind=kind, seq=seq: chain(
            [5, 3], (kind, {"units": 4, "return_sequences": seq}),
            ("Dense", {"units": 3}), loss="cross_entropy"))
    for kind in ("SimpleRNN", "LSTM", "GRU") for seq in (True, False)
}
RECURRENT_GRAPHS["stacked_rnn_relu_gru"] = lambda: chain(
    [6, 2], ("SimpleRNN", {"units": 5, "activation": "relu", "return_sequences": True}),
    ("GRU", {"units": 3, "return_sequences": True}), ("LSTM", {"units": 4}),
    ("Dense", {"units": 1}), loss="mse")
RECURRENT_GRAPHS["dense_into_lstm"] = lambda: chain(
    [4, 3], ("Dense", {"units": 5, "activation": "tanh"}), ("LSTM", {"units": 3}),
    ("Dense", {"units": 2}))
