"""One optimizer step against torch.optim on the same weights and gradients; schedules; state."""

import math

import numpy as np
import pytest
import torch

from visnet.core.errors import CompileError
from visnet.core.model import compile
from visnet.core.optim import Optimizer

from model_graphs import chain, targets_for

CONFIGS = [
    ({"type": "sgd", "lr": 0.1}, lambda p: torch.optim.SGD(p, lr=0.1)),
    ({"type": "sgd", "lr": 0.1, "momentum": 0.9},
     lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9)),
    ({"type": "sgd", "lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.01},
     lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.01)),
    ({"type": "adam", "lr": 0.01}, lambda p: torch.optim.Adam(p, lr=0.01)),
    ({"type": "adam", "lr": 0.01, "weight_decay": 0.1, "beta_1": 0.8},
     lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=0.1, betas=(0.8, 0.999))),
    ({"type": "adamw", "lr": 0.01, "weight_decay": 0.05},
     lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.05)),
    ({"type": "rmsprop", "lr": 0.01}, lambda p: torch.optim.RMSprop(p, lr=0.01)),
    ({"type": "rmsprop", "lr": 0.01, "momentum": 0.9, "rho": 0.9, "weight_decay": 0.01},
     lambda p: torch.optim.RMSprop(p, lr=0.01, momentum=0.9, alpha=0.9, weight_decay=0.01)),
]


def graph():
    return chain([4], ("Dense", {"units": 5, "activation": "tanh"}), ("Dense", {"units": 3}))


@pytest.mark.parametrize("config, make_torch", CONFIGS,
                         ids=[str(sorted(c.items())) for c, _ in CONFIGS])
def test_steps_match_torch_optim(config, make_torch):
    g = graph()
    model = compile(g, backend="serial", optimizer=config)
    rng = np.random.default_rng(0)
    start = model.get_weights()
    params = {k: torch.tensor(v.astype(np.float64), requires_grad=True) for k, v in start.items()}
    opt = make_torch(list(params.values()))
    for step in range(3):
        x = rng.standard_normal((6, 4)).astype(np.float32)
        y = targets_for(g, 6, rng)
        _, grads = model.loss_and_grads(x, y)  # the gradient at the current weights
        model_before = model.get_weights()
        for k, p in params.items():  # torch starts from our weights, so only the step differs
            p.data = torch.tensor(model_before[k].astype(np.float64))
        model.train_step(x, y)
        opt.zero_grad()
        for k, p in params.items():
            p.grad = torch.tensor(grads[k].astype(np.float64))
        opt.step()
        after = model.get_weights()
        for k, p in params.items():
            np.testing.assert_allclose(after[k], p.detach().numpy(), rtol=1e-5, atol=1e-6,
                                       err_msg=f"{k} after step {step + 1}")


def test_clipping_by_global_norm_matches_torch():
    g = graph()
    model = compile(g, backend="serial", optimizer={"type": "sgd", "lr": 1.0, "clipnorm": 0.01})
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((6, 4)).astype(np.float32), targets_for(g, 6, rng)
    before = model.get_weights()
    _, grads = model.loss_and_grads(x, y)
    tg = [torch.tensor(v.astype(np.float64)) for v in grads.values()]
    params = [torch.zeros_like(t, requires_grad=True) for t in tg]
    for p, t in zip(params, tg):
        p.grad = t
    torch.nn.utils.clip_grad_norm_(params, 0.01)
    model.train_step(x, y)
    after = model.get_weights()
    for (k, _), p in zip(grads.items(), params):
        np.testing.assert_allclose(before[k] - after[k], p.grad.numpy(), rtol=1e-4, atol=1e-7)


def test_schedules():
    step = Optimizer({"type": "sgd", "lr": 1.0, "schedule": {"type": "step", "step_size": 10,
                                                             "gamma": 0.5}})
    assert [step.learning_rate(s) for s in (0, 9, 10, 25)] == [1.0, 1.0, 0.5, 0.25]
    cos = Optimizer({"type": "adam", "lr": 1.0, "schedule": {"type": "cosine",
                                                             "total_steps": 100}})
    assert cos.learning_rate(0) == 1.0 and cos.learning_rate(100) == pytest.approx(0.0)
    assert cos.learning_rate(50) == pytest.approx(0.5)
    assert Optimizer({"type": "adam", "schedule": "constant"}).learning_rate(10**6) == 0.001


@pytest.mark.parametrize("config, match", [
    ({"type": "adagrad"}, "optimizer type"),
    ({"type": "adam", "lr": -1}, "lr"),
    ({"type": "adam", "momentum": 0.9}, "no setting 'momentum'"),
    ({"type": "sgd", "nesterov": 1}, "true or false"),
    ({"type": "adam", "beta_1": 1.0}, "beta_1"),
    ({"type": "adam", "schedule": {"type": "cosine", "total_steps": 0}}, "total_steps"),
])
def test_bad_optimizer_settings_are_named(config, match):
    with pytest.raises(CompileError, match=match):
        Optimizer(config)


def test_optimizer_state_round_trips_and_resumes_identically():
    g = graph()
    rng = np.random.default_rng(2)
    batches = [(rng.standard_normal((6, 4)).astype(np.float32), targets_for(g, 6, rng))
               for _ in range(4)]
    a = compile(g, backend="serial", optimizer={"type": "adam", "lr": 0.01})
    for x, y in batches:
        a.train_step(x, y)
    b = compile(g, backend="serial", optimizer={"type": "adam", "lr": 0.01})
    for x, y in batches[:2]:
        b.train_step(x, y)
    state, weights = b.get_optimizer_state(), b.get_weights()
    c = compile(g, backend="serial", seed=99, optimizer={"type": "sgd"})
    c.set_weights(weights)
    c.set_optimizer_state(state)
    for x, y in batches[2:]:
        c.train_step(x, y)
    for k, v in a.get_weights().items():
        np.testing.assert_array_equal(c.get_weights()[k], v)


def test_learning_rate_can_change_between_steps():
    g = graph()
    model = compile(g, backend="serial", optimizer={"type": "sgd", "lr": 0.1})
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((6, 4)).astype(np.float32), targets_for(g, 6, rng)
    model.set_optimizer({"lr": 0.0001})
    before = model.get_weights()
    _, grads = model.loss_and_grads(x, y)
    model.train_step(x, y)
    k = next(iter(grads))
    np.testing.assert_allclose(before[k] - model.get_weights()[k], 0.0001 * grads[k],
                               rtol=1e-3, atol=1e-7)  # float32 weights near 0.5
    assert math.isfinite(model.train_step(x, y)["loss"])
