"""Writes the template drawings of this folder and their index.

Run `python resources/templates/build.py` after changing a template; a test checks that the
committed files are what this script writes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from visnet import Graph, TrainingSettings, save

HERE = Path(__file__).resolve().parent
STEP_Y = 90.0


def chain(g: Graph, *layers: tuple, x: float = 0.0, y: float = 0.0, after: str | None = None):
    """Add layers one below the other, each fed by the one before; returns their ids."""
    ids = []
    for i, (type_name, params) in enumerate(layers):
        node_id = g.add(type_name, pos=(x, y + i * STEP_Y), **params)
        if after is not None:
            g.connect(after, node_id)
        after = node_id
        ids.append(node_id)
    return ids


def settings(lr, batch_size, epochs, optimizer="adam"):
    return TrainingSettings(optimizer={"type": optimizer, "lr": lr}, batch_size=batch_size,
                            epochs=epochs)


def spiral_mlp():
    g = Graph(settings(0.01, 16, 60), "spiral")
    chain(g, ("Input", {"shape": [2]}), ("Dense", {"units": 32, "activation": "relu"}),
          ("Dense", {"units": 32, "activation": "relu"}), ("Dense", {"units": 1}),
          ("Loss", {"kind": "binary_cross_entropy"}))
    return g


def digits_cnn():
    g = Graph(settings(0.003, 32, 20), "digits")
    chain(g, ("Input", {"shape": [1, 8, 8]}),
          ("Conv2D", {"filters": 16, "kernel_size": 3, "padding": "same", "activation": "relu"}),
          ("MaxPool2D", {"pool_size": 2}),
          ("Conv2D", {"filters": 32, "kernel_size": 3, "padding": "same", "activation": "relu"}),
          ("MaxPool2D", {"pool_size": 2}), ("Flatten", {}),
          ("Dense", {"units": 64, "activation": "relu"}), ("Dense", {"units": 10}),
          ("Loss", {"kind": "cross_entropy"}))
    return g


def mnist_mlp():
    g = Graph(settings(0.001, 64, 5), "mnist:mnist")
    chain(g, ("Input", {"shape": [1, 28, 28]}), ("Flatten", {}),
          ("Dense", {"units": 128, "activation": "relu"}), ("Dense", {"units": 10}),
          ("Loss", {"kind": "cross_entropy"}))
    return g


def mnist_lenet():
    g = Graph(settings(0.001, 64, 5), "mnist:mnist")
    chain(g, ("Input", {"shape": [1, 28, 28]}),
          ("Conv2D", {"filters": 8, "kernel_size": 5, "activation": "relu"}),
          ("MaxPool2D", {"pool_size": 2}),
          ("Conv2D", {"filters": 16, "kernel_size": 5, "activation": "relu"}),
          ("MaxPool2D", {"pool_size": 2}), ("Flatten", {}),
          ("Dense", {"units": 64, "activation": "relu"}), ("Dense", {"units": 10}),
          ("Loss", {"kind": "cross_entropy"}))
    return g


def sine_lstm():
    g = Graph(settings(0.01, 32, 30), "sine")
    chain(g, ("Input", {"shape": [20, 1]}), ("LSTM", {"units": 32}), ("Dense", {"units": 1}),
          ("Loss", {"kind": "mse"}))
    return g


# The text dataset one-hot encodes an alphabet of this many characters.
CHAR_RNN_ALPHABET = 40
CHAR_RNN_STEPS = 32


def char_rnn():
    g = Graph(settings(0.003, 32, 20), "text")
    chain(g, ("Input", {"shape": [CHAR_RNN_STEPS, CHAR_RNN_ALPHABET]}),
          ("SimpleRNN", {"units": 128, "return_sequences": True}),
          ("Dense", {"units": CHAR_RNN_ALPHABET}), ("Loss", {"kind": "cross_entropy"}))
    return g


def residual_block():
    g = Graph(settings(0.003, 32, 20), "digits")
    stem = chain(g, ("Input", {"shape": [1, 8, 8]}),
                 ("Conv2D", {"filters": 16, "kernel_size": 3, "padding": "same",
                             "activation": "relu"}))
    branch = chain(g, ("Conv2D", {"filters": 16, "kernel_size": 3, "padding": "same"}),
                   ("BatchNorm", {"momentum": 0.9}), ("Activation", {"fn": "relu"}),
                   ("Conv2D", {"filters": 16, "kernel_size": 3, "padding": "same"}),
                   ("BatchNorm", {"momentum": 0.9}), x=120.0, y=2 * STEP_Y, after=stem[-1])
    add = g.add("Add", pos=(0.0, 7 * STEP_Y))
    g.connect(stem[-1], add)
    g.connect(branch[-1], add)
    chain(g, ("Activation", {"fn": "relu"}), ("GlobalAvgPool2D", {}), ("Dense", {"units": 10}),
          ("Loss", {"kind": "cross_entropy"}), y=8 * STEP_Y, after=add)
    return g


def digits_autoencoder():
    g = Graph(settings(0.003, 32, 30), "digits?target=input")
    chain(g, ("Input", {"shape": [1, 8, 8]}),
          ("Conv2D", {"filters": 16, "kernel_size": 3, "padding": "same", "activation": "relu"}),
          ("MaxPool2D", {"pool_size": 2}),
          ("Conv2D", {"filters": 8, "kernel_size": 3, "padding": "same", "activation": "relu"}),
          ("UpSampling2D", {"size": 2}),
          ("Conv2D", {"filters": 1, "kernel_size": 3, "padding": "same",
                      "activation": "sigmoid"}),
          ("Loss", {"kind": "mse"}))
    return g


def digits_conv1d():
    g = Graph(settings(0.003, 32, 30), "digits")
    chain(g, ("Input", {"shape": [1, 8, 8]}), ("Reshape", {"target_shape": [8, 8]}),
          ("Conv1D", {"filters": 32, "kernel_size": 3, "padding": "same", "activation": "relu"}),
          ("MaxPool1D", {"pool_size": 2}),
          ("Conv1D", {"filters": 32, "kernel_size": 3, "padding": "same", "activation": "relu"}),
          ("GlobalAvgPool1D", {}), ("Dense", {"units": 10}),
          ("Loss", {"kind": "cross_entropy"}))
    return g


TEMPLATES = [
    (spiral_mlp, "Spiral (MLP)",
     "Two interleaved spirals of 2-D points, as in TensorFlow Playground: a small MLP learns to "
     "tell them apart; watch the decision boundary form."),
    (digits_cnn, "Digits (CNN)",
     "The 8x8 handwritten digits that ship with VisNet: two convolutions and a dense head."),
    (mnist_mlp, "MNIST (MLP 784-128-10)",
     "The classic first network on MNIST (point the dataset at your MNIST folder)."),
    (mnist_lenet, "MNIST (LeNet)",
     "A LeNet-style CNN on MNIST: conv 8, pool, conv 16, pool, dense 64, dense 10."),
    (sine_lstm, "Sine (LSTM)",
     "Sequence regression: an LSTM reads 20 steps of a noisy sine and predicts the next value."),
    (char_rnn, "Characters (SimpleRNN)",
     "Text generation: a SimpleRNN reads one-hot characters and predicts the next one at "
     "every step."),
    (residual_block, "Residual block",
     "A ResNet-style block on the digits: two convolutions with BatchNorm and a skip "
     "connection joined by Add."),
    (digits_autoencoder, "Autoencoder (digits)",
     "A convolutional autoencoder: the digits squeezed to a 4x4 code and drawn again "
     "(UpSampling2D), trained with MSE against their own pixels; Predictions shows each input "
     "beside its reconstruction."),
    (digits_conv1d, "Sequences (Conv1D)",
     "The digits read as sequences of 8 rows: 1-D convolutions slide along the rows, a "
     "global average pools them, a dense layer names the digit."),
]


def build_all() -> dict[str, Graph]:
    return {make.__name__: make() for make, _, _ in TEMPLATES}


def main(out: Path = HERE) -> None:
    for name, graph in build_all().items():
        graph.infer_shapes()
        save(out / f"{name}.visnet", graph)
    index = [{"name": make.__name__, "title": title, "description": text}
             for make, title, text in TEMPLATES]
    (out / "index.json").write_text(json.dumps(index, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
