"""CUDA kernels: recurrent layers (SimpleRNN, LSTM, GRU), forward and backpropagation through time.

The same computation, workspaces and layouts as visnet.core.backends.cpu.recurrent (read its
docstrings for the maths): work is time-major (T[steps, batch, ...]), x is copied to ``x_tm`` and
every step's input product is one GEMM over all steps; a host loop over the steps then launches
the recurrent GEMM and one elementwise cell kernel (one thread per (batch, unit) element, which
owns every gate entry of that unit) per step. Backward walks the steps in reverse, turning the
gate cache into pre-activation gradients in place, then takes the weight gradients as one GEMM
each over all steps, the bias gradients as column sums (one thread per column), and the input
gradient as one GEMM back into ``x_tm`` followed by a transpose into dx.

Gate order: LSTM i, f, c, o; GRU z, r, h with the bias as two rows (input side, recurrent side)
and the reset gate applied after the recurrent product.
"""

from __future__ import annotations

import math

from numba import cuda, float32

from ..opcodes import Op
from .activations import SOFTMAX
from .activations import apply as _apply
from .activations import derivative as _grad
from .gemm import gemm
from .ops import fields, grid, handles, view
from .reduce import column_sums

# ---------------------------------------------------------------------------------------------
# Device helpers.


@cuda.jit(device=True)
def _sigmoid(v):
    return float32(1) / (float32(1) + math.exp(-v))


# ---------------------------------------------------------------------------------------------
# Layout kernels and column sums.


@cuda.jit
def _zero(a):
    """a[i] = 0 for a 1-D array."""
    for i in range(cuda.grid(1), a.shape[0], cuda.gridsize(1)):
        a[i] = float32(0)


@cuda.jit
def _to_time_major(x, x_tm):
    """x_tm[t, b, i] = x[b, t, i]; one thread per element."""
    steps, batch, features = x_tm.shape
    for k in range(cuda.grid(1), steps * batch * features, cuda.gridsize(1)):
        i = k % features
        b = (k // features) % batch
        t = k // (features * batch)
        x_tm[t, b, i] = x[b, t, i]


@cuda.jit
def _from_time_major(src, dst, acc):
    """dst[b, t, i] (=, or += with acc) src[t, b, i]; one thread per element of dst."""
    batch, steps, features = dst.shape
    for k in range(cuda.grid(1), batch * steps * features, cuda.gridsize(1)):
        i = k % features
        t = (k // features) % steps
        b = k // (features * steps)
        if acc:
            dst[b, t, i] += src[t, b, i]
        else:
            dst[b, t, i] = src[t, b, i]


@cuda.jit
def _write_output(h, y):
    """y[b, t, j] = h[first + t + 1, b, j] with first = steps - y.shape[1]: every state with a
    sequence output, else the last one."""
    batch, out_steps, units = y.shape
    first = h.shape[0] - 1 - out_steps
    for k in range(cuda.grid(1), batch * out_steps * units, cuda.gridsize(1)):
        j = k % units
        t = (k // units) % out_steps
        b = k // (units * out_steps)
        y[b, t, j] = h[first + t + 1, b, j]


def _zero_fill(a) -> None:
    a = a.reshape(a.size) if a.ndim > 1 else a
    _zero[grid(a.size)](a)


def _project_inputs(x, kernel, x_tm, xw, steps, batch, features) -> None:
    """x_tm = x time-major; xw[t] = x_tm[t] @ kernel for every step, as one GEMM."""
    _to_time_major[grid(x_tm.size)](x, x_tm)
    gemm(x_tm.reshape(steps * batch, features), kernel, xw)


def _write_y(h, y) -> None:
    _write_output[grid(y.size)](h, y)


def _weight_and_input_grads(W, f, kernel, x_tm, h_steps, da_x, da_h, dkernel, drecurrent,
                            dx_shape, need_dx, acc) -> None:
    """dkernel = x_tm^T @ da_x and drecurrent = h[:steps]^T @ da_h over all steps (overwritten),
    da_x / da_h the gradients of the input-side / recurrent-side pre-activations (the same array
    but for the GRU); then, when need_dx, x_tm = da_x @ kernel^T and dx (=, or += with acc) its
    batch-major copy. x_tm, h_steps and the da are 2-D (steps * batch rows); the input gradient
    comes last because it overwrites x_tm."""
    gemm(x_tm, da_x, dkernel, ta=True)
    gemm(h_steps, da_h, drecurrent, ta=True)
    if need_dx:
        gemm(da_x, kernel, x_tm, tb=True)
        b, t, feat = dx_shape
        dx = view(W, f["dx"], b, t, feat)
        _from_time_major[grid(dx.size)](x_tm.reshape(t, b, feat), dx, acc)


def _out_steps(f) -> int:
    return f["steps"] if f["return_sequences"] else 1


# ---------------------------------------------------------------------------------------------
# SimpleRNN.


@cuda.jit
def _rnn_cell_forward(z, h, bias, act):
    """One step. In: z = x_t @ kernel, h = h_{t-1} @ recurrent_kernel (both T[batch, units]).
    Out: z = the pre-activation, h = h_t. One thread per element."""
    batch, units = z.shape
    for k in range(cuda.grid(1), batch * units, cuda.gridsize(1)):
        u = k % units
        b = k // units
        v = z[b, u] + bias[u] + h[b, u]
        z[b, u] = v
        h[b, u] = _apply(v, act)


@cuda.jit
def _rnn_cell_backward(z, h, dh, dy, t_dy, add_dy, act):
    """One step. In: z = pre-activation, h = h_t, dh = gradient reaching h_t from later steps,
    plus dy[:, t_dy] when add_dy. Out: z = gradient of the pre-activation."""
    batch, units = z.shape
    for k in range(cuda.grid(1), batch * units, cuda.gridsize(1)):
        u = k % units
        b = k // units
        g = dh[b, u] + dy[b, t_dy, u] if add_dy else dh[b, u]
        z[b, u] = g * _grad(z[b, u], h[b, u], act)


@handles(Op.RNN_FWD)
def run_simple_rnn_forward(row, P, W, step):
    """SimpleRNN forward: h_t = act(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias), h_0 = 0;
    y = every h_t (return_sequences) or the last. Keeps x_tm, z and h for the backward."""
    f = fields(row, Op.RNN_FWD)
    b, t, feat, u, act = f["batch"], f["steps"], f["features"], f["units"], f["act"]
    if act == SOFTMAX:
        raise ValueError("SimpleRNN takes an elementwise activation, not softmax")
    kernel, recurrent = view(P, f["w_p"], feat, u), view(P, f["u_p"], u, u)
    bias = view(P, f["b_p"], u)
    x_tm = view(W, f["x_tm"], t, b, feat)
    z = view(W, f["z"], t * b, u)
    h = view(W, f["h"], (t + 1) * b, u)
    _project_inputs(view(W, f["x"], b, t, feat), kernel, x_tm, z, t, b, feat)
    _zero_fill(h[:b])
    for s in range(t):
        zt, hp, ht = z[s * b:(s + 1) * b], h[s * b:(s + 1) * b], h[(s + 1) * b:(s + 2) * b]
        gemm(hp, recurrent, ht)
        _rnn_cell_forward[grid(b * u)](zt, ht, bias, act)
    _write_y(h.reshape(t + 1, b, u), view(W, f["y"], b, _out_steps(f), u))


@handles(Op.RNN_BWD)
def run_simple_rnn_backward(row, P, W, step):
    """SimpleRNN backward through time: z becomes the pre-activation gradients; dkernel,
    drecurrent and dbias are overwritten; dx is written (acc 0) or added to (acc 1) when
    need_dx, x_tm then holding the time-major input gradient."""
    f = fields(row, Op.RNN_BWD)
    b, t, feat, u, act = f["batch"], f["steps"], f["features"], f["units"], f["act"]
    if act == SOFTMAX:
        raise ValueError("SimpleRNN takes an elementwise activation, not softmax")
    seq = f["return_sequences"]
    recurrent = view(P, f["u_p"], u, u)
    z = view(W, f["z"], t * b, u)
    h = view(W, f["h"], (t + 1) * b, u)
    dy = view(W, f["dy"], b, _out_steps(f), u)
    dh = view(W, f["dh"], b, u)
    _zero_fill(dh)
    for s in range(t - 1, -1, -1):
        zt, ht = z[s * b:(s + 1) * b], h[(s + 1) * b:(s + 2) * b]
        add_dy = int(seq != 0 or s == t - 1)
        _rnn_cell_backward[grid(b * u)](zt, ht, dh, dy, s if seq else 0, add_dy, act)
        if s > 0:
            gemm(zt, recurrent, dh, tb=True)
    column_sums(z, view(P, f["db_p"], u))
    _weight_and_input_grads(W, f, view(P, f["w_p"], feat, u), view(W, f["x_tm"], t * b, feat),
                            h[:t * b], z, z, view(P, f["dw_p"], feat, u),
                            view(P, f["du_p"], u, u), (b, t, feat), f["need_dx"], f["acc"])


# ---------------------------------------------------------------------------------------------
# LSTM.


@cuda.jit
def _lstm_cell_forward(a, rec, bias, c_prev, c, h):
    """One step. In: a = x_t @ kernel, rec = h_{t-1} @ recurrent_kernel (T[batch, 4 units], gates
    i, f, c, o). Out: a = the gate activations, c = c_t, h = h_t. Thread (b, u) owns the four
    gate entries of unit u."""
    batch, n = c.shape
    for k in range(cuda.grid(1), batch * n, cuda.gridsize(1)):
        u = k % n
        b = k // n
        ji, jf, jg, jo = u, n + u, 2 * n + u, 3 * n + u
        i = _sigmoid(a[b, ji] + (rec[b, ji] + bias[ji]))
        fg = _sigmoid(a[b, jf] + (rec[b, jf] + bias[jf]))
        g = math.tanh(a[b, jg] + (rec[b, jg] + bias[jg]))
        o = _sigmoid(a[b, jo] + (rec[b, jo] + bias[jo]))
        a[b, ji] = i
        a[b, jf] = fg
        a[b, jg] = g
        a[b, jo] = o
        ct = fg * c_prev[b, u] + i * g
        c[b, u] = ct
        h[b, u] = o * math.tanh(ct)


@cuda.jit
def _lstm_cell_backward(a, c_prev, c, dh, dy, t_dy, add_dy, dc):
    """One step. In: a = gate activations, c_prev, c = c_{t-1}, c_t; dh = gradient reaching h_t
    from later steps, plus dy[:, t_dy] when add_dy; dc = gradient reaching c_t from later steps.
    Out: a = gradients of the gate pre-activations; dc = gradient reaching c_{t-1}."""
    batch, n = c.shape
    for k in range(cuda.grid(1), batch * n, cuda.gridsize(1)):
        u = k % n
        b = k // n
        ji, jf, jg, jo = u, n + u, 2 * n + u, 3 * n + u
        g_h = dh[b, u] + dy[b, t_dy, u] if add_dy else dh[b, u]
        iu, fu, gu, ou = a[b, ji], a[b, jf], a[b, jg], a[b, jo]
        tc = math.tanh(c[b, u])
        g_c = dc[b, u] + g_h * ou * (float32(1) - tc * tc)
        a[b, ji] = g_c * gu * iu * (float32(1) - iu)
        a[b, jf] = g_c * c_prev[b, u] * fu * (float32(1) - fu)
        a[b, jg] = g_c * iu * (float32(1) - gu * gu)
        a[b, jo] = g_h * tc * ou * (float32(1) - ou)
        dc[b, u] = g_c * fu


@handles(Op.LSTM_FWD)
def run_lstm_forward(row, P, W, step):
    """LSTM forward (gates i, f, c, o): c_t = f * c_{t-1} + i * c~, h_t = o * tanh(c_t),
    h_0 = c_0 = 0; y = every h_t (return_sequences) or the last. Keeps x_tm, the gate
    activations, c and h for the backward; rec is one step's recurrent product."""
    f = fields(row, Op.LSTM_FWD)
    b, t, feat, u = f["batch"], f["steps"], f["features"], f["units"]
    kernel, recurrent = view(P, f["w_p"], feat, 4 * u), view(P, f["u_p"], u, 4 * u)
    bias = view(P, f["b_p"], 4 * u)
    x_tm = view(W, f["x_tm"], t, b, feat)
    gates = view(W, f["gates"], t * b, 4 * u)
    rec = view(W, f["rec"], b, 4 * u)
    c = view(W, f["c"], (t + 1) * b, u)
    h = view(W, f["h"], (t + 1) * b, u)
    _project_inputs(view(W, f["x"], b, t, feat), kernel, x_tm, gates, t, b, feat)
    _zero_fill(c[:b])
    _zero_fill(h[:b])
    for s in range(t):
        prev, cur = slice(s * b, (s + 1) * b), slice((s + 1) * b, (s + 2) * b)
        gemm(h[prev], recurrent, rec)
        _lstm_cell_forward[grid(b * u)](gates[prev], rec, bias, c[prev], c[cur], h[cur])
    _write_y(h.reshape(t + 1, b, u), view(W, f["y"], b, _out_steps(f), u))


@handles(Op.LSTM_BWD)
def run_lstm_backward(row, P, W, step):
    """LSTM backward through time: gates becomes the gate pre-activation gradients; dkernel,
    drecurrent and dbias are overwritten; dx is written (acc 0) or added to (acc 1) when
    need_dx, x_tm then holding the time-major input gradient."""
    f = fields(row, Op.LSTM_BWD)
    b, t, feat, u = f["batch"], f["steps"], f["features"], f["units"]
    seq = f["return_sequences"]
    recurrent = view(P, f["u_p"], u, 4 * u)
    gates = view(W, f["gates"], t * b, 4 * u)
    c = view(W, f["c"], (t + 1) * b, u)
    h = view(W, f["h"], (t + 1) * b, u)
    dy = view(W, f["dy"], b, _out_steps(f), u)
    dh, dc = view(W, f["dh"], b, u), view(W, f["dc"], b, u)
    _zero_fill(dh)
    _zero_fill(dc)
    for s in range(t - 1, -1, -1):
        prev, cur = slice(s * b, (s + 1) * b), slice((s + 1) * b, (s + 2) * b)
        add_dy = int(seq != 0 or s == t - 1)
        at = gates[prev]  # step s's gates
        _lstm_cell_backward[grid(b * u)](at, c[prev], c[cur], dh, dy, s if seq else 0, add_dy,
                                         dc)
        if s > 0:
            gemm(at, recurrent, dh, tb=True)
    column_sums(gates, view(P, f["db_p"], 4 * u))
    _weight_and_input_grads(W, f, view(P, f["w_p"], feat, 4 * u),
                            view(W, f["x_tm"], t * b, feat), h[:t * b], gates, gates,
                            view(P, f["dw_p"], feat, 4 * u), view(P, f["du_p"], u, 4 * u),
                            (b, t, feat), f["need_dx"], f["acc"])


# ---------------------------------------------------------------------------------------------
# GRU (reset gate applied after the recurrent product).


@cuda.jit
def _gru_cell_forward(a, rec, bias, h_prev, rh, h):
    """One step. In: a = x_t @ kernel, rec = h_{t-1} @ recurrent_kernel (T[batch, 3 units], gates
    z, r, h); bias T[2, 3 units] (input side, recurrent side). Out: a = z, r and the candidate
    hh; rh = h_{t-1} @ recurrent_kernel_h + recurrent bias_h; h = h_t."""
    batch, n = h.shape
    for k in range(cuda.grid(1), batch * n, cuda.gridsize(1)):
        u = k % n
        b = k // n
        jz, jr, jh = u, n + u, 2 * n + u
        z = _sigmoid(a[b, jz] + bias[0, jz] + rec[b, jz] + bias[1, jz])
        r = _sigmoid(a[b, jr] + bias[0, jr] + rec[b, jr] + bias[1, jr])
        rhu = rec[b, jh] + bias[1, jh]
        hh = math.tanh(a[b, jh] + bias[0, jh] + r * rhu)
        a[b, jz] = z
        a[b, jr] = r
        a[b, jh] = hh
        rh[b, u] = rhu
        h[b, u] = z * h_prev[b, u] + (float32(1) - z) * hh


@cuda.jit
def _gru_cell_backward(a, rh, h_prev, dh, dh_rec, dy, t_dy, add_dy, da_rec):
    """One step. In: a = z, r, hh; rh and h_prev as forward left them; the gradient reaching h_t
    is dh + dh_rec (+ dy[:, t_dy] when add_dy). Out: a = gradients of the input-side
    pre-activations; da_rec = those of the recurrent side; dh = z * g, the direct part of the
    gradient reaching h_{t-1}."""
    batch, n = dh.shape
    for k in range(cuda.grid(1), batch * n, cuda.gridsize(1)):
        u = k % n
        b = k // n
        jz, jr, jh = u, n + u, 2 * n + u
        g = dh[b, u] + dh_rec[b, u]
        if add_dy:
            g += dy[b, t_dy, u]
        z, r, hh = a[b, jz], a[b, jr], a[b, jh]
        d_hh = g * (float32(1) - z) * (float32(1) - hh * hh)
        d_z = g * (h_prev[b, u] - hh) * z * (float32(1) - z)
        d_r = d_hh * rh[b, u] * r * (float32(1) - r)
        a[b, jz] = d_z
        a[b, jr] = d_r
        a[b, jh] = d_hh
        da_rec[b, jz] = d_z
        da_rec[b, jr] = d_r
        da_rec[b, jh] = d_hh * r
        dh[b, u] = g * z


@handles(Op.GRU_FWD)
def run_gru_forward(row, P, W, step):
    """GRU forward (gates z, r, h; reset after the recurrent product): z = sigmoid(xz + rz),
    r = sigmoid(xr + rr), hh = tanh(xh + r * rh), h_t = z * h_{t-1} + (1 - z) * hh with
    x* = x_t @ kernel + bias[0], r* = h_{t-1} @ recurrent_kernel + bias[1], h_0 = 0. Keeps x_tm,
    the gates, rh and h for the backward; rec is one step's recurrent product."""
    f = fields(row, Op.GRU_FWD)
    b, t, feat, u = f["batch"], f["steps"], f["features"], f["units"]
    kernel, recurrent = view(P, f["w_p"], feat, 3 * u), view(P, f["u_p"], u, 3 * u)
    bias = view(P, f["b_p"], 2, 3 * u)
    x_tm = view(W, f["x_tm"], t, b, feat)
    gates = view(W, f["gates"], t * b, 3 * u)
    rec = view(W, f["rec"], b, 3 * u)
    rh = view(W, f["rh"], t * b, u)
    h = view(W, f["h"], (t + 1) * b, u)
    _project_inputs(view(W, f["x"], b, t, feat), kernel, x_tm, gates, t, b, feat)
    _zero_fill(h[:b])
    for s in range(t):
        prev, cur = slice(s * b, (s + 1) * b), slice((s + 1) * b, (s + 2) * b)
        gemm(h[prev], recurrent, rec)
        _gru_cell_forward[grid(b * u)](gates[prev], rec, bias, h[prev], rh[prev], h[cur])
    _write_y(h.reshape(t + 1, b, u), view(W, f["y"], b, _out_steps(f), u))


@handles(Op.GRU_BWD)
def run_gru_backward(row, P, W, step):
    """GRU backward through time: gates becomes the input-side pre-activation gradients, da_rec
    the recurrent-side ones; dkernel, drecurrent and both bias rows (column sums of gates and of
    da_rec) are overwritten; dx is written (acc 0) or added to (acc 1) when need_dx, x_tm then
    holding the time-major input gradient."""
    f = fields(row, Op.GRU_BWD)
    b, t, feat, u = f["batch"], f["steps"], f["features"], f["units"]
    seq = f["return_sequences"]
    recurrent = view(P, f["u_p"], u, 3 * u)
    gates = view(W, f["gates"], t * b, 3 * u)
    rh = view(W, f["rh"], t * b, u)
    h = view(W, f["h"], (t + 1) * b, u)
    dy = view(W, f["dy"], b, _out_steps(f), u)
    da_rec = view(W, f["da_rec"], t * b, 3 * u)
    dh, dh_rec = view(W, f["dh"], b, u), view(W, f["dh_rec"], b, u)
    _zero_fill(dh)
    _zero_fill(dh_rec)
    for s in range(t - 1, -1, -1):
        prev = slice(s * b, (s + 1) * b)
        add_dy = int(seq != 0 or s == t - 1)
        drt = da_rec[prev]
        _gru_cell_backward[grid(b * u)](gates[prev], rh[prev], h[prev], dh, dh_rec, dy,
                                        s if seq else 0, add_dy, drt)
        if s > 0:
            gemm(drt, recurrent, dh_rec, tb=True)
    dbias = view(P, f["db_p"], 2, 3 * u)
    column_sums(gates, dbias[0])
    column_sums(da_rec, dbias[1])
    _weight_and_input_grads(W, f, view(P, f["w_p"], feat, 3 * u),
                            view(W, f["x_tm"], t * b, feat), h[:t * b], gates, da_rec,
                            view(P, f["dw_p"], feat, 3 * u), view(P, f["du_p"], u, 3 * u),
                            (b, t, feat), f["need_dx"], f["acc"])
