"""Dense layers on the GPU: the tiled GEMM, then bias and activation in one elementwise pass;
backward: the activation's derivative, column sums for the bias, two GEMMs."""

from __future__ import annotations

from numba import cuda

from ..opcodes import Op
from . import activations
from .gemm import gemm
from .ops import fields, grid, handles, view
from .reduce import column_sums


@cuda.jit
def _add_bias(z, b):
    """z[r, j] += b[j] for z : [rows, n]."""
    rows, n = z.shape
    for i in range(cuda.grid(1), rows * n, cuda.gridsize(1)):
        r = i // n
        j = i - r * n
        z[r, j] += b[j]


@handles(Op.DENSE_FWD)
def run_dense_forward(row, P, W, step):
    """z = x @ w + b; y = act(z) (y is z itself when the activation is linear)."""
    f = fields(row, Op.DENSE_FWD)
    rows, n_in, n_out = f["rows"], f["n_in"], f["n_out"]
    z = view(W, f["z"], rows, n_out)
    gemm(view(W, f["x"], rows, n_in), view(P, f["w_p"], n_in, n_out), z)
    if f["has_bias"]:
        _add_bias[grid(rows * n_out)](z, view(P, f["b_p"], n_out))
    if f["act"] != activations.LINEAR or f["y"] != f["z"]:
        activations.forward(z.reshape((rows, n_out, 1)), view(W, f["y"], rows, n_out, 1),
                            f["act"])


@handles(Op.DENSE_BWD)
def run_dense_backward(row, P, W, step):
    """dw = x^T g and db = column sums of g (overwritten), dx (=, or += when acc) g w^T, with g
    the gradient of the pre-activation."""
    f = fields(row, Op.DENSE_BWD)
    rows, n_in, n_out = f["rows"], f["n_in"], f["n_out"]
    g = view(W, f["dy"], rows, n_out)
    if f["act"] != activations.LINEAR:
        shape = (rows, n_out, 1)
        dz = view(W, f["dz"], *shape)
        activations.backward(view(W, f["z"], *shape), view(W, f["y"], *shape),
                             view(W, f["dy"], *shape), dz, f["act"], 0)
        g = view(W, f["dz"], rows, n_out)
    if f["has_bias"]:
        column_sums(g, view(P, f["db_p"], n_out))
    x = view(W, f["x"], rows, n_in)
    gemm(x, g, view(P, f["dw_p"], n_in, n_out), ta=True)
    if f["need_dx"]:
        gemm(g, view(P, f["w_p"], n_in, n_out), view(W, f["dx"], rows, n_in), tb=True,
             acc=bool(f["acc"]))
