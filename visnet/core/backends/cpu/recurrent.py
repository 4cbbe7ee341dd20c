"""Recurrent layers: SimpleRNN, LSTM and GRU, forward and backpropagation through time.

Layouts follow Keras (see visnet.core.layers): x is T[batch, steps, features]; kernel is
T[features, gates * units] and recurrent_kernel T[units, gates * units] with the gates side by side
(LSTM: i, f, c, o; GRU: z, r, h); the output is T[batch, steps, units] with return_sequences, else
the last step's state T[batch, 1, units]. The initial state is zero.

Work is laid out time-major (T[steps, batch, ...]) so each step's slice is contiguous:

- forward copies x to ``x_tm`` and projects every step's input with one GEMM; only the recurrent
  product h_{t-1} @ recurrent_kernel runs per step, followed by one fused elementwise pass per
  batch row (the cell);
- backward walks the steps in reverse, turning each step's gate cache into the gradients of the
  gate pre-activations in place; only dh_{t-1} = dA_t @ recurrent_kernel^T runs per step. The
  weight gradients are then one GEMM each over all steps (x_tm^T @ dA, h_{0..S-1}^T @ dA), the
  input gradient one GEMM dA @ kernel^T.

Kernels are dtype-generic: T is float32 in training and float64 in gradient checks; constants are
written ``F(c)`` so float32 arithmetic stays float32. Nothing is allocated inside a kernel: every
buffer is an argument, and ``<layer>_workspaces`` lists the workspaces a layer's kernels take, in
argument order. Workspaces and the weight and gradient arrays must be C-contiguous; x, y, dy and
dx may have any layout.

The LSTM and GRU cells use the local _sigmoid and _tanh (one exp each); SimpleRNN applies its
activation code with activations.apply_scalar and grad_scalar.

``par`` nonzero spreads the per-row loops over the batch (and bias sums over columns) with
prange; zero runs everything serially, and the results are then identical from run to run. Every
prange iteration owns the elements it writes.
"""


import numpy as np
from numba import njit, prange

from . import fastmath_exp
from .activations import SOFTMAX, apply_scalar, grad_scalar
from ...layers import gru, lstm, simple_rnn
from ..opcodes import BACKEND_SLOT as PAR
from ..opcodes import Op, slots
from .config import JIT, JIT_PARALLEL
from .executor import handles
from .views import _v1, _v2, _v3
from .fill import zero2d

F = np.float32

_BIAS_BLOCK = 16  # columns summed by one prange iteration in _column_sums


# ---------------------------------------------------------------------------------------------
# Workspaces.


# The workspace shapes are part of each layer's declaration (both backends use them).
simple_rnn_workspaces = simple_rnn.workspaces
lstm_workspaces = lstm.workspaces
gru_workspaces = gru.workspaces


# ---------------------------------------------------------------------------------------------
# Shared helpers: layout changes, output and gradient plumbing, bias sums.


# Gate activations through a vectorisable exp (see fastmath_exp): the gated cells' main cost.
_sigmoid = fastmath_exp.sigmoid
_tanh = fastmath_exp.tanh


@njit(**JIT)
def _check_output(y, steps, return_sequences):
    if y.shape[1] != (steps if return_sequences else 1):
        raise ValueError("y (or dy) must be T[batch, steps, units] with return_sequences, "
                         "else T[batch, 1, units]")


@njit(**JIT)
def _to_time_major_row(x, x_tm, b):
    for t in range(x.shape[1]):
        for i in range(x.shape[2]):
            x_tm[t, b, i] = x[b, t, i]


@njit(**JIT_PARALLEL)
def _to_time_major(x, x_tm, par):
    """x_tm[t, b] = x[b, t]."""
    if par:
        for b in prange(x.shape[0]):
            _to_time_major_row(x, x_tm, b)
    else:
        for b in range(x.shape[0]):
            _to_time_major_row(x, x_tm, b)


@njit(**JIT)
def _from_time_major_row(src, dst, b, acc):
    for t in range(src.shape[0]):
        for i in range(src.shape[2]):
            if acc:
                dst[b, t, i] += src[t, b, i]
            else:
                dst[b, t, i] = src[t, b, i]


@njit(**JIT_PARALLEL)
def _from_time_major(src, dst, acc, par):
    """dst[b, t] = src[t, b] (acc 0) or dst[b, t] += src[t, b] (acc 1)."""
    if par:
        for b in prange(dst.shape[0]):
            _from_time_major_row(src, dst, b, acc)
    else:
        for b in range(dst.shape[0]):
            _from_time_major_row(src, dst, b, acc)


@njit(**JIT)
def _write_output_row(h, y, b):
    first = h.shape[0] - 1 - y.shape[1]  # the last y.shape[1] states
    for t in range(y.shape[1]):
        for j in range(y.shape[2]):
            y[b, t, j] = h[first + t + 1, b, j]


@njit(**JIT_PARALLEL)
def _write_output(h, y, par):
    """y[b, t] = h[t + 1, b] for a sequence output, else y[b, 0] = h[steps, b]. Loops, not
    array expressions, which numba would make parallel regions of their own."""
    if par:
        for b in prange(y.shape[0]):
            _write_output_row(h, y, b)
    else:
        for b in range(y.shape[0]):
            _write_output_row(h, y, b)


@njit(**JIT)
def _dy_row(dy, b, t):
    """The gradient reaching h_t of batch row b: its row of dy when dy holds every step, else the
    only row of dy (which belongs to the last step; callers add it at that step only)."""
    if dy.shape[1] > 1:
        return dy[b, t]
    return dy[b, 0]


@njit(**JIT)
def _column_sums_block(a, out):
    """out = column sums of a; callers pass zero-based slices (see config)."""
    for j in range(out.shape[0]):
        out[j] = 0
    for r in range(a.shape[0]):
        row = a[r]
        for j in range(out.shape[0]):
            out[j] += row[j]


@njit(**JIT_PARALLEL)
def _column_sums(a, out, par):
    """out[j] = sum over rows of a[:, j] (overwritten), rows added in order whatever par is."""
    cols = a.shape[1]
    blocks = (cols + _BIAS_BLOCK - 1) // _BIAS_BLOCK
    if par:
        for k in prange(blocks):
            j0, j1 = k * _BIAS_BLOCK, min(cols, (k + 1) * _BIAS_BLOCK)
            _column_sums_block(a[:, j0:j1], out[j0:j1])
    else:
        _column_sums_block(a, out)


@njit(**JIT)
def _project_inputs(x, kernel, x_tm, xw, par):
    """x_tm = x time-major; xw[t] = x_tm[t] @ kernel for every step in one GEMM."""
    steps, batch, features = x_tm.shape
    _to_time_major(x, x_tm, par)
    np.dot(x_tm.reshape(steps * batch, features), kernel,
           xw.reshape(steps * batch, xw.shape[2]))


@njit(**JIT)
def _weight_grad(a, da, dw):
    """dw = sum over steps of a[t]^T @ da[t], as one GEMM. a : T[steps, batch, n];
    da : T[steps, batch, m]; dw : T[n, m]."""
    steps, batch = a.shape[0], a.shape[1]
    np.dot(a.reshape(steps * batch, a.shape[2]).T,
           da.reshape(steps * batch, da.shape[2]), dw)


@njit(**JIT)
def _input_grad(da, kernel, x_tm, dx, need_dx, acc, par):
    """dx (=, or += with acc) da @ kernel^T, back in batch-major order; x_tm is overwritten with
    the time-major input gradient. Nothing happens unless need_dx; a dx that is not 3-D (a dummy)
    is only allowed then."""
    if not need_dx:
        return
    if dx.ndim == 3:
        steps, batch, features = x_tm.shape
        np.dot(da.reshape(steps * batch, da.shape[2]), kernel.T,
               x_tm.reshape(steps * batch, features))
        _from_time_major(x_tm, dx, acc, par)
    else:
        raise ValueError("need_dx needs dx : T[batch, steps, features]")


@njit(**JIT)
def _parameter_and_input_grads(x_tm, h, da, kernel, dkernel, drecurrent, dbias, dx, need_dx, acc,
                               par):
    """After the backward walk over the steps, with da : T[steps, batch, gates * units] the
    gradients of the pre-activations (the same for the input and the recurrent side): one GEMM
    each for the kernel and recurrent-kernel gradients, the bias sums, and the input gradient."""
    steps, batch = da.shape[0], da.shape[1]
    _weight_grad(x_tm, da, dkernel)
    _weight_grad(h[:steps], da, drecurrent)
    _column_sums(da.reshape(steps * batch, da.shape[2]), dbias, par)
    _input_grad(da, kernel, x_tm, dx, need_dx, acc, par)


@njit(**JIT)
def _check_act(act):
    if act == SOFTMAX:
        raise ValueError("SimpleRNN takes an elementwise activation, not softmax")


# ---------------------------------------------------------------------------------------------
# SimpleRNN.


@njit(**JIT)
def _rnn_cell_forward(z, h, bias, act):
    """One batch row of one step. In: z = x_t @ kernel, h = h_{t-1} @ recurrent_kernel.
    Out: z = the pre-activation, h = h_t."""
    for u in range(z.shape[0]):
        v = z[u] + bias[u] + h[u]
        z[u] = v
        h[u] = apply_scalar(v, act)


@njit(**JIT)
def _rnn_cell_backward(z, h, dh, dy, add_dy, act):
    """One batch row of one step. In: z = pre-activation, h = h_t, dh = gradient reaching h_t
    from later steps, plus dy when add_dy. Out: z = gradient of the pre-activation."""
    for u in range(z.shape[0]):
        g = dh[u] + dy[u] if add_dy else dh[u]
        z[u] = g * grad_scalar(z[u], h[u], act)


@njit(**JIT_PARALLEL)
def simple_rnn_forward(x, kernel, recurrent_kernel, bias, x_tm, z, h, y, act,
                       return_sequences, par):
    """h_t = act(x_t @ kernel + h_{t-1} @ recurrent_kernel + bias), h_0 = 0.

    Parameters
    ----------
    x : T[batch, steps, features]
    kernel : T[features, units]
    recurrent_kernel : T[units, units]
    bias : T[units]
    x_tm : T[steps, batch, features]
        Workspace: x time-major (kept for backward).
    z : T[steps, batch, units]
        Workspace: pre-activations (kept for backward).
    h : T[steps + 1, batch, units]
        Workspace: states, h[0] = 0 (kept for backward).
    y : T[batch, steps, units] if return_sequences else T[batch, 1, units]
        Output, overwritten.
    act : int
        Activation code (LINEAR, RELU, LEAKY_RELU, SIGMOID, TANH or GELU).
    return_sequences, par : int
    """
    _check_act(act)
    _check_output(y, x.shape[1], return_sequences)
    batch = x.shape[0]
    _project_inputs(x, kernel, x_tm, z, par)
    zero2d(h[0])
    for t in range(x.shape[1]):
        np.dot(h[t], recurrent_kernel, h[t + 1])
        zt, ht = z[t], h[t + 1]
        if par:
            for b in prange(batch):
                _rnn_cell_forward(zt[b], ht[b], bias, act)
        else:
            for b in range(batch):
                _rnn_cell_forward(zt[b], ht[b], bias, act)
    _write_output(h, y, par)


@njit(**JIT_PARALLEL)
def simple_rnn_backward(kernel, recurrent_kernel, x_tm, z, h, dy, dh, dx, dkernel, drecurrent,
                        dbias, act, return_sequences, need_dx, acc, par):
    """Gradients of simple_rnn_forward by backpropagation through time.

    Parameters
    ----------
    kernel, recurrent_kernel : as in simple_rnn_forward
    x_tm, z, h : T[steps, batch, features], T[steps, batch, units], T[steps + 1, batch, units]
        The forward workspaces, as forward left them. z is overwritten with the gradients of the
        pre-activations; x_tm with the time-major input gradient when need_dx. h is only read.
    dy : T[batch, steps, units] if return_sequences else T[batch, 1, units]
        Gradient of the output.
    dh : T[batch, units]
        Workspace.
    dx : T[batch, steps, features]
        Written (acc 0) or added to (acc 1) when need_dx, else untouched (may be a dummy).
    dkernel : T[features, units]; drecurrent : T[units, units]; dbias : T[units]
        Overwritten.
    act, return_sequences, need_dx, acc, par : int
    """
    _check_act(act)
    _check_output(dy, x_tm.shape[0], return_sequences)
    steps, batch = z.shape[0], z.shape[1]
    zero2d(dh)
    for t in range(steps - 1, -1, -1):
        add_dy = return_sequences != 0 or t == steps - 1
        zt, ht = z[t], h[t + 1]
        if par:
            for b in prange(batch):
                _rnn_cell_backward(zt[b], ht[b], dh[b], _dy_row(dy, b, t), add_dy, act)
        else:
            for b in range(batch):
                _rnn_cell_backward(zt[b], ht[b], dh[b], _dy_row(dy, b, t), add_dy, act)
        if t > 0:
            np.dot(zt, recurrent_kernel.T, dh)
    _parameter_and_input_grads(x_tm, h, z, kernel, dkernel, drecurrent, dbias, dx, need_dx,
                               acc, par)


# ---------------------------------------------------------------------------------------------
# LSTM.


@njit(**JIT)
def _lstm_cell_forward(a, rec, bias, c_prev, c, h):
    """One batch row of one step. In: a = x_t @ kernel, rec = h_{t-1} @ recurrent_kernel, both
    T[4 units] with gates i, f, c, o. Out: a = the gate activations, c = c_t, h = h_t.

    Every loop runs over a view from index 0: an index like 2 * n + u could be negative as far
    as numba knows, and the wrap-around check it then adds to each access stops vectorisation
    (5x slower here)."""
    n = c.shape[0]
    for j in range(a.shape[0]):
        a[j] += rec[j] + bias[j]
    i, f, g, o = a[:n], a[n:2 * n], a[2 * n:3 * n], a[3 * n:]
    for u in range(n):
        i[u] = _sigmoid(i[u])
        f[u] = _sigmoid(f[u])
        g[u] = _tanh(g[u])
        o[u] = _sigmoid(o[u])
    for u in range(n):
        ct = f[u] * c_prev[u] + i[u] * g[u]
        c[u] = ct
        h[u] = o[u] * _tanh(ct)


@njit(**JIT)
def _lstm_cell_backward(a, c_prev, c, dh, dy, add_dy, dc):
    """One batch row of one step. In: a = gate activations, c_prev, c = c_{t-1}, c_t; dh = gradient
    reaching h_t from later steps, plus dy when add_dy; dc = gradient reaching c_t from later
    steps. Out: a = gradients of the gate pre-activations; dc = gradient reaching c_{t-1}.
    Gate views from index 0, as in the forward."""
    n = c.shape[0]
    i, f, g, o = a[:n], a[n:2 * n], a[2 * n:3 * n], a[3 * n:]
    for u in range(n):
        g_h = dh[u] + dy[u] if add_dy else dh[u]
        iu, fu, gu, ou = i[u], f[u], g[u], o[u]
        tc = _tanh(c[u])
        g_c = dc[u] + g_h * ou * (F(1) - tc * tc)
        i[u] = g_c * gu * iu * (F(1) - iu)
        f[u] = g_c * c_prev[u] * fu * (F(1) - fu)
        g[u] = g_c * iu * (F(1) - gu * gu)
        o[u] = g_h * tc * ou * (F(1) - ou)
        dc[u] = g_c * fu


@njit(**JIT_PARALLEL)
def lstm_forward(x, kernel, recurrent_kernel, bias, x_tm, gates, rec, c, h, y,
                 return_sequences, par):
    """LSTM with gates i, f, c, o: c_t = f * c_{t-1} + i * c~, h_t = o * tanh(c_t), h_0 = c_0 = 0.

    Parameters
    ----------
    x : T[batch, steps, features]
    kernel : T[features, 4 units]
    recurrent_kernel : T[units, 4 units]
    bias : T[4 units]
    x_tm : T[steps, batch, features]
        Workspace: x time-major (kept for backward).
    gates : T[steps, batch, 4 units]
        Workspace: gate activations i, f, c~, o (kept for backward).
    rec : T[batch, 4 units]
        Workspace: one step's recurrent product (scratch).
    c, h : T[steps + 1, batch, units]
        Workspaces: cell states and outputs, c[0] = h[0] = 0 (kept for backward).
    y : T[batch, steps, units] if return_sequences else T[batch, 1, units]
        Output, overwritten.
    return_sequences, par : int
    """
    _check_output(y, x.shape[1], return_sequences)
    batch = x.shape[0]
    _project_inputs(x, kernel, x_tm, gates, par)
    zero2d(c[0])
    zero2d(h[0])
    for t in range(x.shape[1]):
        np.dot(h[t], recurrent_kernel, rec)
        at, cp, ct, ht = gates[t], c[t], c[t + 1], h[t + 1]
        if par:
            for b in prange(batch):
                _lstm_cell_forward(at[b], rec[b], bias, cp[b], ct[b], ht[b])
        else:
            for b in range(batch):
                _lstm_cell_forward(at[b], rec[b], bias, cp[b], ct[b], ht[b])
    _write_output(h, y, par)


@njit(**JIT_PARALLEL)
def lstm_backward(kernel, recurrent_kernel, x_tm, gates, c, h, dy, dh, dc, dx, dkernel,
                  drecurrent, dbias, return_sequences, need_dx, acc, par):
    """Gradients of lstm_forward by backpropagation through time.

    Parameters
    ----------
    kernel, recurrent_kernel : as in lstm_forward
    x_tm, gates, c, h : the forward workspaces, as forward left them
        T[steps, batch, features], T[steps, batch, 4 units], T[steps + 1, batch, units] (c, h).
        gates is overwritten with the gradients of the gate pre-activations; x_tm with the
        time-major input gradient when need_dx. c and h are only read.
    dy : T[batch, steps, units] if return_sequences else T[batch, 1, units]
        Gradient of the output.
    dh, dc : T[batch, units]
        Workspaces.
    dx : T[batch, steps, features]
        Written (acc 0) or added to (acc 1) when need_dx, else untouched (may be a dummy).
    dkernel : T[features, 4 units]; drecurrent : T[units, 4 units]; dbias : T[4 units]
        Overwritten.
    return_sequences, need_dx, acc, par : int
    """
    _check_output(dy, x_tm.shape[0], return_sequences)
    steps, batch = gates.shape[0], gates.shape[1]
    zero2d(dh)
    zero2d(dc)
    for t in range(steps - 1, -1, -1):
        add_dy = return_sequences != 0 or t == steps - 1
        at, cp, ct = gates[t], c[t], c[t + 1]
        if par:
            for b in prange(batch):
                _lstm_cell_backward(at[b], cp[b], ct[b], dh[b], _dy_row(dy, b, t), add_dy, dc[b])
        else:
            for b in range(batch):
                _lstm_cell_backward(at[b], cp[b], ct[b], dh[b], _dy_row(dy, b, t), add_dy, dc[b])
        if t > 0:
            np.dot(at, recurrent_kernel.T, dh)
    _parameter_and_input_grads(x_tm, h, gates, kernel, dkernel, drecurrent, dbias, dx,
                               need_dx, acc, par)


# ---------------------------------------------------------------------------------------------
# GRU (reset gate applied after the recurrent product).


@njit(**JIT)
def _gru_cell_forward(a, rec, bias_x, bias_h, h_prev, rh, h):
    """One batch row of one step. In: a = x_t @ kernel, rec = h_{t-1} @ recurrent_kernel, both
    T[3 units] with gates z, r, h. Out: a = z, r and the candidate hh; rh = the recurrent part of
    the candidate (h_{t-1} @ recurrent_kernel_h + recurrent bias_h); h = h_t.
    Gate views from index 0 (see _lstm_cell_forward)."""
    n = h.shape[0]
    az, ar, ah = a[:n], a[n:2 * n], a[2 * n:]
    rz, rr, rhh = rec[:n], rec[n:2 * n], rec[2 * n:]
    xz, xr, xh = bias_x[:n], bias_x[n:2 * n], bias_x[2 * n:]
    hz, hr, hh_b = bias_h[:n], bias_h[n:2 * n], bias_h[2 * n:]
    for u in range(n):
        z = _sigmoid(az[u] + xz[u] + rz[u] + hz[u])
        r = _sigmoid(ar[u] + xr[u] + rr[u] + hr[u])
        rhu = rhh[u] + hh_b[u]
        hh = _tanh(ah[u] + xh[u] + r * rhu)
        az[u] = z
        ar[u] = r
        ah[u] = hh
        rh[u] = rhu
        h[u] = z * h_prev[u] + (F(1) - z) * hh


@njit(**JIT)
def _gru_cell_backward(a, rh, h_prev, dh, dh_rec, dy, add_dy, da_rec):
    """One batch row of one step. In: a = z, r, hh; rh and h_prev as forward left them; the
    gradient reaching h_t is dh + dh_rec (+ dy when add_dy). Out: a = gradients of the input-side
    pre-activations (x_t @ kernel + bias_x); da_rec = those of the recurrent side
    (h_{t-1} @ recurrent_kernel + bias_h); dh = the direct part z * g of the gradient reaching
    h_{t-1} (the caller adds da_rec @ recurrent_kernel^T through dh_rec)."""
    n = dh.shape[0]
    az, ar, ah = a[:n], a[n:2 * n], a[2 * n:]
    dz_rec, dr_rec, dh_rec_h = da_rec[:n], da_rec[n:2 * n], da_rec[2 * n:]
    for u in range(n):
        g = dh[u] + dh_rec[u]
        if add_dy:
            g += dy[u]
        z, r, hh = az[u], ar[u], ah[u]
        d_hh = g * (F(1) - z) * (F(1) - hh * hh)
        d_z = g * (h_prev[u] - hh) * z * (F(1) - z)
        d_r = d_hh * rh[u] * r * (F(1) - r)
        az[u] = d_z
        ar[u] = d_r
        ah[u] = d_hh
        dz_rec[u] = d_z
        dr_rec[u] = d_r
        dh_rec_h[u] = d_hh * r
        dh[u] = g * z


@njit(**JIT_PARALLEL)
def gru_forward(x, kernel, recurrent_kernel, bias, x_tm, gates, rec, rh, h, y,
                return_sequences, par):
    """GRU with gates z, r, h, reset after the recurrent product (Keras reset_after=True):
    z = sigmoid(xz + rz), r = sigmoid(xr + rr), hh = tanh(xh + r * rh),
    h_t = z * h_{t-1} + (1 - z) * hh, where x* = x_t @ kernel + bias[0] and
    r* = h_{t-1} @ recurrent_kernel + bias[1]; h_0 = 0.

    Parameters
    ----------
    x : T[batch, steps, features]
    kernel : T[features, 3 units]
    recurrent_kernel : T[units, 3 units]
    bias : T[2, 3 units]
        Row 0 input bias, row 1 recurrent bias.
    x_tm : T[steps, batch, features]
        Workspace: x time-major (kept for backward).
    gates : T[steps, batch, 3 units]
        Workspace: z, r and the candidate hh (kept for backward).
    rec : T[batch, 3 units]
        Workspace: one step's recurrent product (scratch).
    rh : T[steps, batch, units]
        Workspace: recurrent part of the candidate, rh (kept for backward).
    h : T[steps + 1, batch, units]
        Workspace: states, h[0] = 0 (kept for backward).
    y : T[batch, steps, units] if return_sequences else T[batch, 1, units]
        Output, overwritten.
    return_sequences, par : int
    """
    _check_output(y, x.shape[1], return_sequences)
    batch = x.shape[0]
    _project_inputs(x, kernel, x_tm, gates, par)
    bias_x, bias_h = bias[0], bias[1]
    zero2d(h[0])
    for t in range(x.shape[1]):
        np.dot(h[t], recurrent_kernel, rec)
        at, rht, hp, ht = gates[t], rh[t], h[t], h[t + 1]
        if par:
            for b in prange(batch):
                _gru_cell_forward(at[b], rec[b], bias_x, bias_h, hp[b], rht[b], ht[b])
        else:
            for b in range(batch):
                _gru_cell_forward(at[b], rec[b], bias_x, bias_h, hp[b], rht[b], ht[b])
    _write_output(h, y, par)


@njit(**JIT_PARALLEL)
def gru_backward(kernel, recurrent_kernel, x_tm, gates, rh, h, dy, da_rec, dh, dh_rec, dx,
                 dkernel, drecurrent, dbias, return_sequences, need_dx, acc, par):
    """Gradients of gru_forward by backpropagation through time.

    Parameters
    ----------
    kernel, recurrent_kernel : as in gru_forward
    x_tm, gates, rh, h : the forward workspaces, as forward left them
        T[steps, batch, features], T[steps, batch, 3 units], T[steps, batch, units],
        T[steps + 1, batch, units]. gates is overwritten with the gradients of the input-side
        pre-activations; x_tm with the time-major input gradient when need_dx. rh and h are only
        read.
    dy : T[batch, steps, units] if return_sequences else T[batch, 1, units]
        Gradient of the output.
    da_rec : T[steps, batch, 3 units]
        Workspace: gradients of the recurrent-side pre-activations.
    dh, dh_rec : T[batch, units]
        Workspaces.
    dx : T[batch, steps, features]
        Written (acc 0) or added to (acc 1) when need_dx, else untouched (may be a dummy).
    dkernel : T[features, 3 units]; drecurrent : T[units, 3 units]; dbias : T[2, 3 units]
        Overwritten.
    return_sequences, need_dx, acc, par : int
    """
    _check_output(dy, x_tm.shape[0], return_sequences)
    steps, batch = gates.shape[0], gates.shape[1]
    zero2d(dh)
    zero2d(dh_rec)
    for t in range(steps - 1, -1, -1):
        add_dy = return_sequences != 0 or t == steps - 1
        at, rht, hp, drt = gates[t], rh[t], h[t], da_rec[t]
        if par:
            for b in prange(batch):
                _gru_cell_backward(at[b], rht[b], hp[b], dh[b], dh_rec[b], _dy_row(dy, b, t),
                                   add_dy, drt[b])
        else:
            for b in range(batch):
                _gru_cell_backward(at[b], rht[b], hp[b], dh[b], dh_rec[b], _dy_row(dy, b, t),
                                   add_dy, drt[b])
        if t > 0:
            np.dot(drt, recurrent_kernel.T, dh_rec)
    _weight_grad(x_tm, gates, dkernel)
    _weight_grad(h[:steps], da_rec, drecurrent)
    rows = steps * batch
    _column_sums(gates.reshape(rows, gates.shape[2]), dbias[0], par)
    _column_sums(da_rec.reshape(rows, da_rec.shape[2]), dbias[1], par)
    _input_grad(gates, kernel, x_tm, dx, need_dx, acc, par)


# ---------------------------------------------------------------------------------------------
# The executor's handlers (see executor.py): an instruction row -> the kernel on views of the
# two arenas, its fields read by name.

def _step_work(gates):
    # One time step's work: the per-step loops are what could go parallel, and a pool launch
    # every step costs more than it saves on small steps (an LSTM of 64 units at batch 64 ran
    # 7.5 ms a step serially, 10.2 ms in parallel).
    return lambda f: f["batch"] * gates * f["units"] * 4


_rnn_work, _lstm_work, _gru_work = _step_work(1), _step_work(4), _step_work(3)


_RNN_FWD = slots(Op.RNN_FWD)
_RNN_BWD = slots(Op.RNN_BWD)
_LSTM_FWD = slots(Op.LSTM_FWD)
_LSTM_BWD = slots(Op.LSTM_BWD)
_GRU_FWD = slots(Op.GRU_FWD)
_GRU_BWD = slots(Op.GRU_BWD)


@handles(Op.RNN_FWD, work=_rnn_work)
@njit(**JIT)
def run_simple_rnn_forward(p, P, W, step):
    par = p[PAR]
    s = _RNN_FWD
    b, t, f, u = p[s.batch], p[s.steps], p[s.features], p[s.units]
    seq = p[s.return_sequences]
    simple_rnn_forward(_v3(W, p[s.x], b, t, f), _v2(P, p[s.w_p], f, u),
                                 _v2(P, p[s.u_p], u, u), _v1(P, p[s.b_p], u),
                                 _v3(W, p[s.x_tm], t, b, f), _v3(W, p[s.z], t, b, u),
                                 _v3(W, p[s.h], t + 1, b, u),
                                 _v3(W, p[s.y], b, t if seq else 1, u), p[s.act], seq,
                                 par)


@handles(Op.RNN_BWD, work=_rnn_work)
@njit(**JIT)
def run_simple_rnn_backward(p, P, W, step):
    par = p[PAR]
    s = _RNN_BWD
    b, t, f, u = p[s.batch], p[s.steps], p[s.features], p[s.units]
    seq = p[s.return_sequences]
    simple_rnn_backward(_v2(P, p[s.w_p], f, u), _v2(P, p[s.u_p], u, u),
                                  _v3(W, p[s.x_tm], t, b, f), _v3(W, p[s.z], t, b, u),
                                  _v3(W, p[s.h], t + 1, b, u),
                                  _v3(W, p[s.dy], b, t if seq else 1, u),
                                  _v2(W, p[s.dh], b, u), _v3(W, p[s.dx], b, t, f),
                                  _v2(P, p[s.dw_p], f, u), _v2(P, p[s.du_p], u, u),
                                  _v1(P, p[s.db_p], u), p[s.act], seq, p[s.need_dx],
                                  p[s.acc], par)


@handles(Op.LSTM_FWD, work=_lstm_work)
@njit(**JIT)
def run_lstm_forward(p, P, W, step):
    par = p[PAR]
    s = _LSTM_FWD
    b, t, f, u = p[s.batch], p[s.steps], p[s.features], p[s.units]
    seq = p[s.return_sequences]
    lstm_forward(_v3(W, p[s.x], b, t, f), _v2(P, p[s.w_p], f, 4 * u),
                           _v2(P, p[s.u_p], u, 4 * u), _v1(P, p[s.b_p], 4 * u),
                           _v3(W, p[s.x_tm], t, b, f), _v3(W, p[s.gates], t, b, 4 * u),
                           _v2(W, p[s.rec], b, 4 * u), _v3(W, p[s.c], t + 1, b, u),
                           _v3(W, p[s.h], t + 1, b, u),
                           _v3(W, p[s.y], b, t if seq else 1, u), seq, par)


@handles(Op.LSTM_BWD, work=_lstm_work)
@njit(**JIT)
def run_lstm_backward(p, P, W, step):
    par = p[PAR]
    s = _LSTM_BWD
    b, t, f, u = p[s.batch], p[s.steps], p[s.features], p[s.units]
    seq = p[s.return_sequences]
    lstm_backward(_v2(P, p[s.w_p], f, 4 * u), _v2(P, p[s.u_p], u, 4 * u),
                            _v3(W, p[s.x_tm], t, b, f), _v3(W, p[s.gates], t, b, 4 * u),
                            _v3(W, p[s.c], t + 1, b, u), _v3(W, p[s.h], t + 1, b, u),
                            _v3(W, p[s.dy], b, t if seq else 1, u),
                            _v2(W, p[s.dh], b, u), _v2(W, p[s.dc], b, u),
                            _v3(W, p[s.dx], b, t, f), _v2(P, p[s.dw_p], f, 4 * u),
                            _v2(P, p[s.du_p], u, 4 * u), _v1(P, p[s.db_p], 4 * u), seq,
                            p[s.need_dx], p[s.acc], par)


@handles(Op.GRU_FWD, work=_gru_work)
@njit(**JIT)
def run_gru_forward(p, P, W, step):
    par = p[PAR]
    s = _GRU_FWD
    b, t, f, u = p[s.batch], p[s.steps], p[s.features], p[s.units]
    seq = p[s.return_sequences]
    gru_forward(_v3(W, p[s.x], b, t, f), _v2(P, p[s.w_p], f, 3 * u),
                          _v2(P, p[s.u_p], u, 3 * u), _v2(P, p[s.b_p], 2, 3 * u),
                          _v3(W, p[s.x_tm], t, b, f), _v3(W, p[s.gates], t, b, 3 * u),
                          _v2(W, p[s.rec], b, 3 * u), _v3(W, p[s.rh], t, b, u),
                          _v3(W, p[s.h], t + 1, b, u),
                          _v3(W, p[s.y], b, t if seq else 1, u), seq, par)


@handles(Op.GRU_BWD, work=_gru_work)
@njit(**JIT)
def run_gru_backward(p, P, W, step):
    par = p[PAR]
    s = _GRU_BWD
    b, t, f, u = p[s.batch], p[s.steps], p[s.features], p[s.units]
    seq = p[s.return_sequences]
    gru_backward(_v2(P, p[s.w_p], f, 3 * u), _v2(P, p[s.u_p], u, 3 * u),
                           _v3(W, p[s.x_tm], t, b, f), _v3(W, p[s.gates], t, b, 3 * u),
                           _v3(W, p[s.rh], t, b, u), _v3(W, p[s.h], t + 1, b, u),
                           _v3(W, p[s.dy], b, t if seq else 1, u),
                           _v3(W, p[s.da_rec], t, b, 3 * u), _v2(W, p[s.dh], b, u),
                           _v2(W, p[s.dh_rec], b, u), _v3(W, p[s.dx], b, t, f),
                           _v2(P, p[s.dw_p], f, 3 * u), _v2(P, p[s.du_p], u, 3 * u),
                           _v2(P, p[s.db_p], 2, 3 * u), seq, p[s.need_dx], p[s.acc],
                           par)
