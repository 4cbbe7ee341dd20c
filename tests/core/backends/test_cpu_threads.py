"""The parallel CPU backend's thread pool settings and its choice of thread count."""

import os
import subprocess
import sys

import numpy as np

from visnet.core.backends.cpu import threads
from visnet.core.backends.cpu.backend import CpuBackend, Program, has_parallel_pass
from visnet.core.backends.cpu.threads import PROBE_CALLS, WARMUP_CALLS, ThreadChooser
from visnet.core.graph import Graph
from visnet.core.model import compile as compile_model


class FakeMachine:
    """A clock on which a call takes what `cost[threads]` says; records each count used."""

    def __init__(self, cost):
        self.cost = cost
        self.now = 0.0
        self.threads = None
        self.used = []

    def clock(self):
        return self.now

    def set_threads(self, n):
        self.threads = n

    def call(self):
        self.used.append(self.threads)
        self.now += self.cost[self.threads]


def chooser_on(machine, most=2):
    return ThreadChooser(most=most, clock=machine.clock, set_threads=machine.set_threads)


def run_calls(chooser, machine, n):
    for _ in range(n):
        chooser.run(machine.call)


def test_quiet_machine_keeps_every_thread():
    machine = FakeMachine({2: 0.005, 1: 0.007})
    chooser = chooser_on(machine)
    run_calls(chooser, machine, WARMUP_CALLS + 1 + 2 * PROBE_CALLS + 50)
    assert chooser.threads == 2
    assert machine.used[-50:] == [2] * 50
    assert machine.used.count(1) == PROBE_CALLS  # one comparison so far


def test_busy_machine_falls_back_to_one_thread_and_returns_when_it_is_quiet():
    machine = FakeMachine({2: 0.015, 1: 0.007})
    chooser = chooser_on(machine)
    run_calls(chooser, machine, WARMUP_CALLS + 1 + 2 * PROBE_CALLS + 10)
    assert chooser.threads == 1
    assert machine.used[-10:] == [1] * 10
    machine.cost = {2: 0.005, 1: 0.007}  # the other program stopped
    run_calls(chooser, machine, int(threads.COMPARE_EVERY_S / 0.007) + 2 * PROBE_CALLS + 10)
    assert chooser.threads == 2
    assert chooser.comparisons == 2


def test_comparisons_are_rare():
    machine = FakeMachine({2: 0.005, 1: 0.010})
    chooser = chooser_on(machine)
    run_calls(chooser, machine, 4000)  # 20 s of running
    slow = machine.used.count(1) * 0.005
    assert slow / machine.now < 0.02
    assert 5 <= chooser.comparisons <= 12


def test_one_core_runs_without_choosing():
    machine = FakeMachine({1: 0.01})
    machine.threads = 1
    chooser = chooser_on(machine, most=1)
    run_calls(chooser, machine, 30)
    assert chooser.comparisons == 0 and set(machine.used) == {1}


def spiral_net():
    return Graph.sequential([2], ("Dense", {"units": 8, "activation": "tanh"}),
                            ("Dense", {"units": 2}))


def test_only_programs_with_a_parallel_pass_are_timed():
    small = compile_model(spiral_net(), backend="cpu")
    big = compile_model(Graph.sequential([1, 28, 28], ("Conv2D", {"filters": 8,
                                                                   "kernel_size": 3}),
                                         ("Flatten", {}), ("Dense", {"units": 10})),
                        backend="cpu")
    x = np.zeros((64, 2), np.float32)
    y = np.zeros(64, np.float32)
    small.train_step(x, y)
    big.train_step(np.zeros((64, 1, 28, 28), np.float32), y)
    prepared_small = [p for _, _, prep in small._plans.values() for p in prep.values()]
    prepared_big = [p for _, _, prep in big._plans.values() for p in prep.values()]
    assert all(isinstance(p, Program) and p.chooser is None for p in prepared_small)
    assert any(p.chooser is not None for p in prepared_big)
    assert not any(has_parallel_pass(p.instructions) for p in prepared_small)


def test_serial_backend_runs_the_bare_program():
    assert isinstance(CpuBackend(parallel=False).prepare(np.zeros((0, 32), np.int64)),
                      np.ndarray)


def test_parallel_results_do_not_depend_on_the_thread_count():
    graph = Graph.sequential([1, 28, 28], ("Conv2D", {"filters": 8, "kernel_size": 3,
                                                       "activation": "relu"}),
                             ("MaxPool2D", {"pool_size": 2}), ("Flatten", {}),
                             ("Dense", {"units": 10}))
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 64).astype(np.float32)
    serial = compile_model(graph, backend="serial", seed=0)
    parallel = compile_model(graph, backend="cpu", seed=0)
    for _ in range(WARMUP_CALLS + 2 * PROBE_CALLS + 2):  # through a whole comparison
        a = serial.train_step(x, y)["loss"]
        b = parallel.train_step(x, y)["loss"]
        np.testing.assert_allclose(b, a, rtol=1e-5)
    for key, value in serial.get_weights().items():
        np.testing.assert_allclose(parallel.get_weights()[key], value, rtol=1e-4, atol=1e-6)


def test_the_pool_is_told_to_spin_briefly_unless_the_user_says_otherwise():
    code = ("import os, visnet.core.backends.cpu; "
            "print(os.environ.get('GOMP_SPINCOUNT'))")
    env = {k: v for k, v in os.environ.items() if k != "GOMP_SPINCOUNT"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == threads.POOL_ENVIRONMENT["GOMP_SPINCOUNT"]
    out = subprocess.run([sys.executable, "-c", code], env={**env, "GOMP_SPINCOUNT": "7"},
                         capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "7"
