"""Training steps on the CUDA backend against the serial CPU backend: every optimizer (with
weight decay, momentum, clipping) and a few steps of the MLP and CNN templates; and the clear
error where there is no GPU."""

import numpy as np
import pytest

import visnet
from visnet.core.data import load
from visnet.core.errors import CompileError
from visnet.core.model import compile
from visnet.core.training import EpochEnd, Trainer
from visnet.resources import template_path

from model_graphs import chain, targets_for

pytestmark = pytest.mark.filterwarnings(  # SplitMix64 wraps on purpose; the simulator warns
    "ignore:overflow encountered in scalar multiply:RuntimeWarning")

RTOL, ATOL = 5e-4, 5e-5

OPTIMIZERS = [
    {"type": "sgd", "lr": 0.1},
    {"type": "sgd", "lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.01},
    {"type": "adam", "lr": 0.01},
    {"type": "adam", "lr": 0.01, "weight_decay": 0.1, "beta_1": 0.8},
    {"type": "adamw", "lr": 0.01, "weight_decay": 0.05},
    {"type": "rmsprop", "lr": 0.01},
    {"type": "rmsprop", "lr": 0.01, "momentum": 0.9, "rho": 0.9, "weight_decay": 0.01},
    {"type": "adam", "lr": 0.01, "clipnorm": 0.05},
    {"type": "sgd", "lr": 0.1, "clipnorm": 0.1},
]


def assert_same_run(cpu, gpu, what):
    for k, w in cpu.get_weights().items():
        np.testing.assert_allclose(gpu.get_weights()[k], w, rtol=RTOL, atol=ATOL,
                                   err_msg=f"{what}: {k}")
    a, b = cpu.get_optimizer_state(), gpu.get_optimizer_state()
    for i, (sa, sb) in enumerate(zip(a["slots"], b["slots"])):
        np.testing.assert_allclose(sb, sa, rtol=RTOL, atol=ATOL, err_msg=f"{what}: slot {i}")


@pytest.mark.parametrize("config", OPTIMIZERS, ids=lambda c: "-".join(
    f"{k}={v}" for k, v in c.items() if k != "lr"))
def test_each_optimizer_steps_as_on_the_cpu(config):
    graph = chain([5], ("Dense", {"units": 6, "activation": "tanh"}), ("Dense", {"units": 3}))
    cpu = compile(graph, backend="serial", seed=3, optimizer=config)
    gpu = compile(graph, backend="cuda", seed=3, optimizer=config)
    rng = np.random.default_rng(0)
    for step in range(3):
        x = rng.standard_normal((4, 5)).astype(np.float32)
        y = targets_for(graph, 4, rng)
        sc, sg = cpu.train_step(x, y), gpu.train_step(x, y)
        np.testing.assert_allclose(sg["loss"], sc["loss"], rtol=RTOL, atol=ATOL)
        assert sg["accuracy"] == sc["accuracy"]
        assert_same_run(cpu, gpu, f"{config} after step {step + 1}")


@pytest.mark.parametrize("template, batch, steps", [("spiral_mlp", 5, 3), ("digits_cnn", 2, 2)])
def test_a_few_template_steps_agree_with_the_cpu(template, batch, steps):
    graph = visnet.load(template_path(template)).graph
    ds = load(graph.dataset, seed=0)
    cpu = compile(graph, backend="serial", seed=0)
    gpu = compile(graph, backend="cuda", seed=0)
    for step in range(steps):
        idx = slice(step * batch, (step + 1) * batch)
        sc = cpu.train_step(ds.x_train[idx], ds.y_train[idx])
        sg = gpu.train_step(ds.x_train[idx], ds.y_train[idx])
        np.testing.assert_allclose(sg["loss"], sc["loss"], rtol=RTOL, atol=ATOL)
    assert_same_run(cpu, gpu, template)
    x = ds.x_val[:batch]
    np.testing.assert_allclose(gpu.predict(x), cpu.predict(x), rtol=RTOL, atol=ATOL)


def test_without_a_gpu_compiling_for_cuda_says_why(monkeypatch):
    from visnet.core import backends
    from visnet.core.backends.cuda import backend

    monkeypatch.setattr(backend, "unavailable_reason",
                        lambda: "no NVIDIA GPU with a working CUDA driver was found")
    assert "no NVIDIA GPU" in backends.unavailable_reason("cuda")
    graph = chain([3], ("Dense", {"units": 2}))
    with pytest.raises(CompileError, match="cuda backend cannot run here: no NVIDIA GPU"):
        compile(graph, backend="cuda")


def test_a_dataset_kept_on_the_gpu_trains_like_batches_sent_from_the_host():
    graph = chain([5], ("Dense", {"units": 6, "activation": "tanh"}), ("Dense", {"units": 3}))
    kept = compile(graph, backend="cuda", seed=3)
    sent = compile(graph, backend="cuda", seed=3)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((20, 5)).astype(np.float32)
    y = targets_for(graph, 20, rng)
    assert kept.keep_data(x, y)
    batches = ([3, 1, 7, 0], [19, 2, 5, 11, 4], [8, 1, 7, 0], [8, 1, 7, 0])  # sizes repeat
    for rows in map(np.array, batches):
        a, b = kept.train_rows(rows), sent.train_step(x[rows], y[rows])
        np.testing.assert_allclose(a["loss"], b["loss"], rtol=1e-6)
    for k, w in sent.get_weights().items():
        np.testing.assert_array_equal(kept.get_weights()[k], w)
    assert not compile(graph, backend="serial").keep_data(x, y)  # host memory: nothing to keep


def test_the_trainer_on_cuda_follows_the_cpu():
    graph = chain([2], ("Dense", {"units": 4, "activation": "tanh"}), ("Dense", {"units": 1}),
                  loss="binary_cross_entropy")
    ds = load("xor?samples=24", seed=0)
    runs = {}
    for backend in ("serial", "cuda"):
        model = compile(graph, backend=backend, seed=0)
        trainer = Trainer(model, ds, batch_size=8, epochs=2, snapshot_every=None)
        runs[backend] = [e for e in trainer.run() if isinstance(e, EpochEnd)]
    for cpu, gpu in zip(runs["serial"], runs["cuda"]):
        for key in ("loss", "val_loss"):
            np.testing.assert_allclose(gpu.metrics[key], cpu.metrics[key], rtol=RTOL, atol=ATOL)
