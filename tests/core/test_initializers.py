"""Initial weights: Keras' initialisers by name, PyTorch's default as "torch", chosen per layer,
and defaults under which a Playground-style network learns as it does in PyTorch."""

import math

import numpy as np
import pytest

import visnet
from visnet.core import initializers as init
from visnet.core.graph import Graph
from visnet.core.layers.base import INITIALIZER_NAMES
from visnet.core.model import compile
from visnet.core.training import EpochEnd, Trainer

SHAPE = (300, 200)  # fan_in 300, fan_out 200


def draw(name, shape=SHAPE, fan_in=300):
    return init.INITIALIZERS[name](shape, np.random.default_rng(0), fan_in)


@pytest.mark.parametrize("name", INITIALIZER_NAMES)
def test_every_choice_gives_float32_of_the_shape(name):
    values = draw(name)
    assert values.dtype == np.float32 and values.shape == SHAPE


@pytest.mark.parametrize("name, limit", [
    ("glorot_uniform", math.sqrt(6 / 500)), ("he_uniform", math.sqrt(6 / 300)),
    ("torch", 1 / math.sqrt(300)),
])
def test_uniform_ones_fill_their_range(name, limit):
    values = draw(name)
    assert np.abs(values).max() <= limit
    assert np.abs(values).max() > 0.99 * limit
    assert values.std() == pytest.approx(limit / math.sqrt(3), rel=0.02)


@pytest.mark.parametrize("name, variance", [
    ("glorot_normal", 2 / 500), ("he_normal", 2 / 300), ("lecun_normal", 1 / 300),
    ("random_normal", 0.05 ** 2),
])
def test_normal_ones_have_keras_variance(name, variance):
    values = draw(name)
    assert values.var() == pytest.approx(variance, rel=0.03)
    if name != "random_normal":  # Keras truncates these at two (scaled) standard deviations
        assert np.abs(values).max() <= 2 * math.sqrt(variance) / init.TRUNCATED_STDDEV


def test_constants():
    assert not draw("zeros").any() and (draw("ones") == 1).all()


def test_torch_uses_the_layers_fan_in():
    g = Graph.sequential([1, 6, 6], ("Conv2D", {"filters": 4, "kernel_size": 3,
                                                "kernel_initializer": "torch"}),
                         ("Flatten", {}), ("Dense", {"units": 3}))
    w = init.init_graph(g, seed=0)
    conv = next(k for k in w if k.endswith("kernel") and w[k].ndim == 4)
    bias = conv.replace("kernel", "bias")
    bound = 1 / math.sqrt(1 * 3 * 3)
    assert np.abs(w[conv]).max() <= bound and np.abs(w[bias]).max() <= bound
    assert np.abs(w[bias]).max() > 0  # PyTorch's biases are not zero


def test_recurrent_torch_bound_is_one_over_sqrt_units():
    g = Graph.sequential([7, 3], ("LSTM", {"units": 16, "kernel_initializer": "torch",
                                           "bias_initializer": "torch"}), ("Dense", {"units": 2}))
    w = init.init_graph(g, seed=0)
    for name in ("kernel", "bias"):
        key = next(k for k in w if k.endswith(f"/{name}") and w[k].size % 64 == 0)
        assert np.abs(w[key]).max() <= 1 / 4


def test_each_layer_chooses_its_own():
    g = Graph.sequential([4], ("Dense", {"units": 8, "kernel_initializer": "zeros",
                                         "bias_initializer": "ones"}),
                         ("Dense", {"units": 2}))
    w = init.init_graph(g, seed=0)
    first, second = sorted({k.split("/")[0] for k in w})
    assert not w[f"{first}/kernel"].any() and (w[f"{first}/bias"] == 1).all()
    assert w[f"{second}/kernel"].any() and w[f"{second}/bias"].any()


def test_defaults_and_the_recurrent_layers_keras_start():
    t = visnet.layer_types
    assert t["Dense"].defaults()["kernel_initializer"] == "he_uniform"
    assert t["LSTM"].defaults()["kernel_initializer"] == "glorot_uniform"
    assert t["Dense"].defaults()["bias_initializer"] == "torch"
    assert t["LSTM"].defaults()["bias_initializer"] == "unit_forget"
    w = init.init_graph(Graph.sequential([5, 3], ("LSTM", {"units": 4}), ("Dense", {"units": 2})),
                        seed=0)
    bias = next(v for k, v in w.items() if k.endswith("/bias") and v.size == 16)
    np.testing.assert_array_equal(bias, np.r_[np.zeros(4), np.ones(4), np.zeros(8)])


def playground_accuracy(bias_initializer, seed=0):
    ds = visnet.datasets.load("spiral?samples=600")
    g = Graph.sequential(
        [2], ("Dense", {"units": 32, "activation": "tanh", "bias_initializer": bias_initializer}),
        ("Dense", {"units": 32, "activation": "tanh", "bias_initializer": bias_initializer}),
        ("Dense", {"units": 2, "bias_initializer": bias_initializer}))
    model = compile(g, seed=seed, optimizer={"type": "adam", "lr": 0.01})
    trainer = Trainer(model, ds, batch_size=32, epochs=150, seed=seed, snapshot_every=None)
    last = [e for e in trainer.run() if isinstance(e, EpochEnd)][-1]
    return last.metrics["accuracy"], ds


def torch_playground_accuracy(ds, seed=0):
    import torch

    torch.manual_seed(seed)
    net = torch.nn.Sequential(torch.nn.Linear(2, 32), torch.nn.Tanh(), torch.nn.Linear(32, 32),
                              torch.nn.Tanh(), torch.nn.Linear(32, 2))
    opt = torch.optim.Adam(net.parameters(), lr=0.01)
    x = torch.from_numpy(ds.x_train)
    y = torch.from_numpy(ds.y_train).long()
    rng = np.random.default_rng(seed)
    for _ in range(150):
        order = torch.from_numpy(rng.permutation(len(x)))
        for i in range(0, len(x), 32):
            idx = order[i:i + 32]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(net(x[idx]), y[idx]).backward()
            opt.step()
    with torch.no_grad():
        return float((net(x).argmax(1) == y).float().mean())


def test_a_playground_network_learns_the_spiral_as_in_pytorch():
    accuracy, ds = playground_accuracy("torch")
    reference = torch_playground_accuracy(ds)
    assert accuracy >= 0.95
    assert accuracy >= reference - 0.02, (accuracy, reference)
