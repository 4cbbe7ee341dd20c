"""The CUDA recurrent kernels (SimpleRNN, LSTM, GRU) against the CPU executor.

Each case lays out one layer's tensors in a P and a W arena filled with random values (so that
every overwrite, zeroing and accumulation shows), runs the forward instruction through the CPU
VM and through the CUDA handler and compares both whole arenas; then runs the backward from the
same (CPU) forward state and compares again."""

import math

import numpy as np
import pytest

from visnet.core.backends.cpu import vm
from visnet.core.backends.cpu.activations import GELU, LEAKY_RELU, LINEAR, RELU, SIGMOID, TANH
from visnet.core.backends.opcodes import FIELDS, Op, encode

cuda = pytest.importorskip("numba.cuda")

from visnet.core.backends.cuda import kernels  # noqa: E402,F401  (registers the handlers)
from visnet.core.backends.cuda.ops import HANDLERS  # noqa: E402

RTOL, ATOL = 2e-4, 2e-5


def _layout(shapes):
    """Consecutive offsets (with a gap between tensors) for named shapes; returns the offsets and
    the arena size."""
    offsets, at = {}, 3
    for name, shape in shapes.items():
        offsets[name] = at
        at += math.prod(shape) + 2
    return offsets, at


def _shapes(kind, b, t, f, u, seq):
    g = {"rnn": 1, "lstm": 4, "gru": 3}[kind]
    out = (b, t if seq else 1, u)
    p = {"w_p": (f, g * u), "u_p": (u, g * u),
         "b_p": (2, g * u) if kind == "gru" else (g * u,)}
    p.update({"d" + k: v for k, v in p.items()})
    w = {"x": (b, t, f), "x_tm": (t, b, f), "h": (t + 1, b, u), "y": out, "dy": out,
         "dh": (b, u), "dx": (b, t, f)}
    if kind == "rnn":
        w["z"] = (t, b, u)
    else:
        w["gates"] = (t, b, g * u)
        w["rec"] = (b, g * u)
    if kind == "lstm":
        w["c"] = (t + 1, b, u)
        w["dc"] = (b, u)
    if kind == "gru":
        w["rh"] = (t, b, u)
        w["da_rec"] = (t, b, 3 * u)
        w["dh_rec"] = (b, u)
    return p, w


_OPS = {"rnn": (Op.RNN_FWD, Op.RNN_BWD), "lstm": (Op.LSTM_FWD, Op.LSTM_BWD),
        "gru": (Op.GRU_FWD, Op.GRU_BWD)}


def _rows(kind, b, t, f, u, seq, need_dx, acc, act):
    p_shapes, w_shapes = _shapes(kind, b, t, f, u, seq)
    p_off, p_size = _layout(p_shapes)
    w_off, w_size = _layout(w_shapes)
    offs = {**p_off, **w_off}
    sizes = dict(batch=b, steps=t, features=f, units=u, return_sequences=int(seq))
    extra = {"act": act} if kind == "rnn" else {}
    rows = []
    for op, flags in zip(_OPS[kind], ({}, {"need_dx": need_dx, "acc": acc})):
        tensors = {n: offs[n] for n in FIELDS[op] if n in offs}
        rows.append(encode(op, **tensors, **sizes, **extra, **flags))
    return rows, p_size, w_size


def _run_both(row, P, W):
    """Run one instruction on the CPU (on copies) and on the device; return both results."""
    P_cpu, W_cpu = P.copy(), W.copy()
    vm.run(row[None, :], P_cpu, W_cpu, 0)
    dP, dW = cuda.to_device(P), cuda.to_device(W)
    HANDLERS[int(row[0])](row, dP, dW, 0)
    return (P_cpu, W_cpu), (dP.copy_to_host(), dW.copy_to_host())


def _check(kind, b, t, f, u, seq, need_dx, acc, act=TANH, seed=0):
    rng = np.random.default_rng(seed)
    (fwd, bwd), p_size, w_size = _rows(kind, b, t, f, u, seq, need_dx, acc, act)
    P = rng.uniform(-1, 1, p_size).astype(np.float32)
    W = rng.uniform(-1, 1, w_size).astype(np.float32)
    (P_cpu, W_cpu), (P_gpu, W_gpu) = _run_both(fwd, P, W)
    np.testing.assert_array_equal(P_gpu, P)  # forward leaves the parameters alone
    np.testing.assert_allclose(W_gpu, W_cpu, rtol=RTOL, atol=ATOL, err_msg="forward")
    (P_cpu2, W_cpu2), (P_gpu2, W_gpu2) = _run_both(bwd, P_cpu, W_cpu)
    np.testing.assert_allclose(P_gpu2, P_cpu2, rtol=RTOL, atol=ATOL, err_msg="backward P")
    np.testing.assert_allclose(W_gpu2, W_cpu2, rtol=RTOL, atol=ATOL, err_msg="backward W")
    assert not np.array_equal(P_cpu2, P_cpu)  # the gradients were written
    return max(float(np.max(np.abs(W_gpu - W_cpu))), float(np.max(np.abs(P_gpu2 - P_cpu2))),
               float(np.max(np.abs(W_gpu2 - W_cpu2))))


FLAGS = [(seq, need_dx, acc) for seq in (True, False) for need_dx in (0, 1) for acc in (0, 1)
         if need_dx or not acc]


@pytest.mark.parametrize("seq,need_dx,acc", FLAGS)
@pytest.mark.parametrize("act", [TANH, RELU])
def test_simple_rnn(seq, need_dx, acc, act):
    _check("rnn", 2, 3, 2, 3, seq, need_dx, acc, act)


@pytest.mark.parametrize("act", [LINEAR, LEAKY_RELU, SIGMOID, GELU])
def test_simple_rnn_other_activations(act):
    _check("rnn", 2, 3, 2, 3, True, 1, 1, act, seed=1)


@pytest.mark.parametrize("seq,need_dx,acc", FLAGS)
def test_lstm(seq, need_dx, acc):
    _check("lstm", 2, 3, 2, 3, seq, need_dx, acc)


@pytest.mark.parametrize("seq,need_dx,acc", FLAGS)
def test_gru(seq, need_dx, acc):
    _check("gru", 2, 3, 2, 3, seq, need_dx, acc)


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("seq", [True, False])
def test_single_step_and_wider(kind, seq):
    """One step (dy has one row either way), and a batch and width that span several blocks."""
    _check(kind, 3, 1, 3, 2, seq, 1, 0, seed=2)
    _check(kind, 3, 2, 5, 5, seq, 1, 1, seed=3)
