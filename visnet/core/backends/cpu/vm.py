"""The CPU executor: one compiled function that runs any plan.

Each instruction names its kernel and where its tensors lie in the two arenas (see
visnet.core.backends.opcodes). Because a plan is data, a new drawing or batch size never compiles
anything: the kernels compile once, are cached on disk, and every network runs through them.
A whole training step is one call from Python.
"""

import numpy as np
from numba import njit, uint64

from ..opcodes import Op
from . import activations, dense, dropout, losses, merge, updates
from .config import JIT

_DENSE_FWD, _DENSE_BWD = int(Op.DENSE_FWD), int(Op.DENSE_BWD)
_ACT_FWD, _ACT_BWD = int(Op.ACT_FWD), int(Op.ACT_BWD)
_COPY, _ADD2 = int(Op.COPY), int(Op.ADD2)
_CONCAT_FWD, _CONCAT_BWD = int(Op.CONCAT_FWD), int(Op.CONCAT_BWD)
_DROPOUT_FWD, _DROPOUT_BWD = int(Op.DROPOUT_FWD), int(Op.DROPOUT_BWD)
_LOSS_CE, _LOSS_BCE, _LOSS_MSE = int(Op.LOSS_CE), int(Op.LOSS_BCE), int(Op.LOSS_MSE)
_CLIP, _SGD, _ADAM, _RMSPROP = int(Op.CLIP), int(Op.SGD), int(Op.ADAM), int(Op.RMSPROP)
_ZERO = int(Op.ZERO)


@njit(**JIT)
def _v1(a, offset, n):
    return a[offset:offset + n]


@njit(**JIT)
def _v2(a, offset, n0, n1):
    return a[offset:offset + n0 * n1].reshape((n0, n1))


@njit(**JIT)
def _v3(a, offset, n0, n1, n2):
    return a[offset:offset + n0 * n1 * n2].reshape((n0, n1, n2))


@njit(**JIT)
def _v4(a, offset, n0, n1, n2, n3):
    return a[offset:offset + n0 * n1 * n2 * n3].reshape((n0, n1, n2, n3))


@njit(**JIT)
def run(program, P, W, step):
    """Execute ``program`` (int64[instructions, WIDTH]) on the arenas P and W (one dtype).
    ``step`` numbers the training step, for dropout's random stream."""
    for i in range(program.shape[0]):
        p = program[i]
        op = p[0]
        if op == _DENSE_FWD:
            rows, n_in, n_out = p[6], p[7], p[8]
            dense.dense_forward(_v2(W, p[1], rows, n_in), _v2(P, p[2], n_in, n_out),
                                _v1(P, p[3], n_out), _v2(W, p[4], rows, n_out),
                                _v2(W, p[5], rows, n_out), p[9], p[10], p[11])
        elif op == _DENSE_BWD:
            rows, n_in, n_out = p[11], p[12], p[13]
            dense.dense_backward(_v2(W, p[1], rows, n_in), _v2(P, p[2], n_in, n_out),
                                 _v2(W, p[3], rows, n_out), _v2(W, p[4], rows, n_out),
                                 _v2(W, p[5], rows, n_out), _v2(W, p[6], rows, n_out),
                                 _v2(W, p[7], rows, n_in), _v2(W, p[8], rows, n_in),
                                 _v2(P, p[9], n_in, n_out), _v1(P, p[10], n_out),
                                 p[14], p[15], p[16], p[17], p[18])
        elif op == _ACT_FWD:
            activations.activation_forward_axis(_v3(W, p[1], p[3], p[4], p[5]),
                                                _v3(W, p[2], p[3], p[4], p[5]), p[6], p[7])
        elif op == _ACT_BWD:
            o, n, inner = p[5], p[6], p[7]
            activations.activation_backward_axis(_v3(W, p[1], o, n, inner),
                                                 _v3(W, p[2], o, n, inner),
                                                 _v3(W, p[3], o, n, inner),
                                                 _v3(W, p[4], o, n, inner), p[8], p[9], p[10])
        elif op == _COPY:
            merge.copy_or_add(_v1(W, p[1], p[3]), _v1(W, p[2], p[3]), p[4], p[5])
        elif op == _ADD2:
            merge.add2(_v1(W, p[1], p[4]), _v1(W, p[2], p[4]), _v1(W, p[3], p[4]), p[5])
        elif op == _CONCAT_FWD:
            merge.concat_forward(_v2(W, p[1], p[3], p[4]), _v2(W, p[2], p[3], p[5]), p[6], p[7])
        elif op == _CONCAT_BWD:
            merge.concat_backward(_v2(W, p[1], p[3], p[5]), _v2(W, p[2], p[3], p[4]), p[6],
                                  p[7], p[8])
        elif op == _DROPOUT_FWD:
            n = p[4]
            seed = uint64(p[6]) + uint64(step) * uint64(0xD1B54A32D192ED03)
            dropout.dropout_forward(_v1(W, p[1], n), _v1(W, p[2], n), _v1(W, p[3], n),
                                    P[p[5]], seed, p[7], p[8])
        elif op == _DROPOUT_BWD:
            n = p[4]
            dropout.dropout_backward(_v1(W, p[1], n), _v1(W, p[2], n), _v1(W, p[3], n), p[5],
                                     p[6], p[7])
        elif op == _LOSS_CE:
            rows, classes = p[4], p[5]
            losses.cross_entropy(_v2(W, p[1], rows, classes), _v1(W, p[2], rows),
                                 _v2(W, p[3], rows, classes), _v1(P, p[6], 4), p[7])
        elif op == _LOSS_BCE:
            n = p[4]
            losses.binary_cross_entropy(_v1(W, p[1], n), _v1(W, p[2], n), _v1(W, p[3], n),
                                        _v1(P, p[5], 4), p[6])
        elif op == _LOSS_MSE:
            n = p[4]
            losses.mean_squared_error(_v1(W, p[1], n), _v1(W, p[2], n), _v1(W, p[3], n),
                                      _v1(P, p[5], 4), p[6])
        elif op == _CLIP:
            updates.clip_by_global_norm(_v1(P, p[1], p[2]), P[p[3]], _v1(P, p[4], 1))
        elif op == _SGD:
            n = p[4]
            updates.sgd_update(_v1(P, p[1], n), _v1(P, p[2], n), _v1(P, p[3], n),
                               _v1(P, p[5], 8), p[6])
        elif op == _ADAM:
            n = p[5]
            updates.adam_update(_v1(P, p[1], n), _v1(P, p[2], n), _v1(P, p[3], n),
                                _v1(P, p[4], n), _v1(P, p[6], 8), p[7])
        elif op == _RMSPROP:
            n = p[5]
            updates.rmsprop_update(_v1(P, p[1], n), _v1(P, p[2], n), _v1(P, p[3], n),
                                   _v1(P, p[4], n), _v1(P, p[6], 8), p[7])
        elif op == _ZERO:
            W[p[1]:p[1] + p[2]] = 0
