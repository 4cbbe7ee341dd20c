"""Dense layers: one GEMM, then bias and activation fused in one pass over the output."""

import numpy as np
from numba import njit, prange

from .activations import LINEAR, SOFTMAX, _softmax_row, apply_scalar, grad_scalar
from ..opcodes import BACKEND_SLOT as PAR
from ..opcodes import Op, slots
from .config import JIT, JIT_PARALLEL
from .executor import handles
from .views import _v1, _v2
from .gemm import matmul

F = np.float32


@njit(**JIT)
def _bias_act_row(z, b, y, act, has_bias):
    if has_bias:
        for j in range(z.shape[0]):
            z[j] += b[j]
    if act == SOFTMAX:
        _softmax_row(z, y)
    elif act != LINEAR:
        for j in range(z.shape[0]):
            y[j] = apply_scalar(z[j], act)


@njit(**JIT_PARALLEL)
def dense_forward(x, w, b, z, y, act, has_bias, par):
    """z = x @ w + b; y = act(z).

    x : T[rows, n_in]; w : T[n_in, n_out]; b : T[n_out]
    z : T[rows, n_out] pre-activation; y : T[rows, n_out] output (z itself when act is LINEAR).
    Rows are samples, or samples times time steps for a sequence.
    """
    matmul(x, w, z)
    rows = z.shape[0]
    if par:
        for r in prange(rows):
            _bias_act_row(z[r], b, y[r], act, has_bias)
    else:
        for r in range(rows):
            _bias_act_row(z[r], b, y[r], act, has_bias)


@njit(**JIT)
def _act_grad_row(z, y, dy, dz, act):
    if act == SOFTMAX:
        dot = y[0] * F(0)
        for j in range(y.shape[0]):
            dot += y[j] * dy[j]
        for j in range(y.shape[0]):
            dz[j] = y[j] * (dy[j] - dot)
    else:
        for j in range(z.shape[0]):
            dz[j] = dy[j] * grad_scalar(z[j], y[j], act)


@njit(**JIT_PARALLEL)
def dense_backward(x, w, z, y, dy, dz, dx, dx_tmp, dw, db, act, has_bias, need_dx, acc, par):
    """Gradients of a dense layer from the gradient dy of its output.

    x, w, z, y : as in dense_forward; dy : T[rows, n_out]
    dz : T[rows, n_out] workspace for the pre-activation gradient (may be dy when act is LINEAR)
    dx : T[rows, n_in], written (acc 0) or added to (acc 1) when need_dx
    dx_tmp : T[rows, n_in] workspace used when acc is 1
    dw : T[n_in, n_out]; db : T[n_out], overwritten
    """
    rows = z.shape[0]
    if act != LINEAR:
        if par:
            for r in prange(rows):
                _act_grad_row(z[r], y[r], dy[r], dz[r], act)
        else:
            for r in range(rows):
                _act_grad_row(z[r], y[r], dy[r], dz[r], act)
        g = dz
    else:
        g = dy
    if has_bias:
        # Plain loops, not array expressions: in a parallel=True function numba would turn
        # `db[:] = 0` into a parallel region and wake the thread pool for 10 values.
        for j in range(db.shape[0]):
            db[j] = F(0)
        for r in range(rows):
            for j in range(db.shape[0]):
                db[j] += g[r, j]
    matmul(x.T, g, dw)
    if need_dx:
        if acc:
            matmul(g, w.T, dx_tmp)
            add_into(dx_tmp, dx, par)
        else:
            matmul(g, w.T, dx)


@njit(**JIT_PARALLEL)
def add_into(src, dst, par):
    """dst += src, for 2-D arrays of one shape."""
    if par:
        for r in prange(src.shape[0]):
            for j in range(src.shape[1]):
                dst[r, j] += src[r, j]
    else:
        for r in range(src.shape[0]):
            for j in range(src.shape[1]):
                dst[r, j] += src[r, j]


# ---------------------------------------------------------------------------------------------
# The executor's handlers (see executor.py): an instruction row -> the kernel on views of the
# two arenas, its fields read by name.

def _dense_work(f):
    return f["rows"] * f["n_out"] * 4  # threads share the bias/act pass


_DENSE_FWD = slots(Op.DENSE_FWD)
_DENSE_BWD = slots(Op.DENSE_BWD)


@handles(Op.DENSE_FWD, work=_dense_work)
@njit(**JIT)
def run_dense_forward(p, P, W, step):
    par = p[PAR]
    s = _DENSE_FWD
    rows, n_in, n_out = p[s.rows], p[s.n_in], p[s.n_out]
    dense_forward(_v2(W, p[s.x], rows, n_in), _v2(P, p[s.w_p], n_in, n_out),
                        _v1(P, p[s.b_p], n_out), _v2(W, p[s.z], rows, n_out),
                        _v2(W, p[s.y], rows, n_out), p[s.act], p[s.has_bias], par)


@handles(Op.DENSE_BWD, work=_dense_work)
@njit(**JIT)
def run_dense_backward(p, P, W, step):
    par = p[PAR]
    s = _DENSE_BWD
    rows, n_in, n_out = p[s.rows], p[s.n_in], p[s.n_out]
    dense_backward(_v2(W, p[s.x], rows, n_in), _v2(P, p[s.w_p], n_in, n_out),
                         _v2(W, p[s.z], rows, n_out), _v2(W, p[s.y], rows, n_out),
                         _v2(W, p[s.dy], rows, n_out), _v2(W, p[s.dz], rows, n_out),
                         _v2(W, p[s.dx], rows, n_in), _v2(W, p[s.dx_tmp], rows, n_in),
                         _v2(P, p[s.dw_p], n_in, n_out), _v1(P, p[s.db_p], n_out),
                         p[s.act], p[s.has_bias], p[s.need_dx], p[s.acc], par)
