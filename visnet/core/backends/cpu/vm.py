"""The CPU executor: one compiled function that runs any plan.

Each instruction names its kernel and where its tensors lie in the two arenas (see
visnet.core.backends.opcodes). Because a plan is data, a new drawing or batch size never compiles
anything: the kernels compile once, are cached on disk, and every network runs through them.
A whole training step is one call from Python.
"""

from numba import njit, uint64

from ..opcodes import Op
from . import activations, conv, dense, dropout, losses, merge, norm, pool, recurrent, updates
from .config import JIT

_DENSE_FWD, _DENSE_BWD = int(Op.DENSE_FWD), int(Op.DENSE_BWD)
_ACT_FWD, _ACT_BWD = int(Op.ACT_FWD), int(Op.ACT_BWD)
_COPY, _ADD2 = int(Op.COPY), int(Op.ADD2)
_CONCAT_FWD, _CONCAT_BWD = int(Op.CONCAT_FWD), int(Op.CONCAT_BWD)
_DROPOUT_FWD, _DROPOUT_BWD = int(Op.DROPOUT_FWD), int(Op.DROPOUT_BWD)
_LOSS_CE, _LOSS_BCE, _LOSS_MSE = int(Op.LOSS_CE), int(Op.LOSS_BCE), int(Op.LOSS_MSE)
_CLIP, _SGD, _ADAM, _RMSPROP = int(Op.CLIP), int(Op.SGD), int(Op.ADAM), int(Op.RMSPROP)
_CONV_FWD, _CONV_BWD = int(Op.CONV_FWD), int(Op.CONV_BWD)
_MAXPOOL_FWD, _MAXPOOL_BWD = int(Op.MAXPOOL_FWD), int(Op.MAXPOOL_BWD)
_AVGPOOL_FWD, _AVGPOOL_BWD = int(Op.AVGPOOL_FWD), int(Op.AVGPOOL_BWD)
_GAP_FWD, _GAP_BWD = int(Op.GAP_FWD), int(Op.GAP_BWD)
_BN_FWD, _BN_BWD = int(Op.BN_FWD), int(Op.BN_BWD)
_RNN_FWD, _RNN_BWD = int(Op.RNN_FWD), int(Op.RNN_BWD)
_LSTM_FWD, _LSTM_BWD = int(Op.LSTM_FWD), int(Op.LSTM_BWD)
_GRU_FWD, _GRU_BWD = int(Op.GRU_FWD), int(Op.GRU_BWD)


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
        elif op == _CONV_FWD:
            b, c, h, w, f, kh, kw = p[7], p[8], p[9], p[10], p[11], p[12], p[13]
            oh, ow = p[18], p[19]
            conv.conv2d_forward(_v4(W, p[1], b, c, h, w), _v4(P, p[2], f, c, kh, kw),
                                _v1(P, p[3], f), _v2(W, p[4], c * kh * kw, b * oh * ow),
                                _v2(W, p[5], f, b * oh * ow), _v4(W, p[6], b, f, oh, ow),
                                kh, kw, p[14], p[15], p[16], p[17], p[20], p[21])
        elif op == _CONV_BWD:
            b, c, h, w, f, kh, kw = p[9], p[10], p[11], p[12], p[13], p[14], p[15]
            oh, ow = p[20], p[21]
            conv.conv2d_backward(_v4(W, p[1], b, c, h, w), _v4(P, p[2], f, c, kh, kw),
                                 _v4(W, p[3], b, f, oh, ow), _v2(W, p[4], c * kh * kw, b * oh * ow),
                                 _v2(W, p[5], f, b * oh * ow), _v4(W, p[6], b, c, h, w),
                                 _v4(P, p[7], f, c, kh, kw), _v1(P, p[8], f), kh, kw, p[16],
                                 p[17], p[18], p[19], p[22], p[23], p[24], p[25])
        elif op == _MAXPOOL_FWD or op == _AVGPOOL_FWD:
            b, c, h, w, oh, ow = p[3], p[4], p[5], p[6], p[7], p[8]
            x, y = _v4(W, p[1], b, c, h, w), _v4(W, p[2], b, c, oh, ow)
            if op == _MAXPOOL_FWD:
                pool.maxpool2d_forward(x, y, p[9], p[10], p[11], p[12], p[13])
            else:
                pool.avgpool2d_forward(x, y, p[9], p[10], p[11], p[12], p[13])
        elif op == _MAXPOOL_BWD:
            b, c, h, w, oh, ow = p[5], p[6], p[7], p[8], p[9], p[10]
            pool.maxpool2d_backward(_v4(W, p[1], b, c, h, w), _v4(W, p[2], b, c, oh, ow),
                                    _v4(W, p[3], b, c, oh, ow), _v4(W, p[4], b, c, h, w),
                                    p[11], p[12], p[13], p[14], p[15], p[16])
        elif op == _AVGPOOL_BWD:
            b, c, h, w, oh, ow = p[3], p[4], p[5], p[6], p[7], p[8]
            pool.avgpool2d_backward(_v4(W, p[1], b, c, oh, ow), _v4(W, p[2], b, c, h, w),
                                    p[9], p[10], p[11], p[12], p[13], p[14])
        elif op == _GAP_FWD:
            b, c, h, w = p[3], p[4], p[5], p[6]
            pool.global_avgpool2d_forward(_v4(W, p[1], b, c, h, w), _v2(W, p[2], b, c), p[7])
        elif op == _GAP_BWD:
            b, c, h, w = p[3], p[4], p[5], p[6]
            pool.global_avgpool2d_backward(_v2(W, p[1], b, c), _v4(W, p[2], b, c, h, w), p[7],
                                           p[8])
        elif op == _BN_FWD:
            n, c, s = p[9], p[10], p[11]
            norm.batchnorm_forward(_v3(W, p[1], n, c, s), _v3(W, p[2], n, c, s), _v1(P, p[3], c),
                                   _v1(P, p[4], c), _v1(P, p[5], c), _v1(P, p[6], c),
                                   _v1(W, p[7], c), _v1(W, p[8], c), P[p[12]], P[p[12] + 1],
                                   p[13], p[14])
        elif op == _BN_BWD:
            n, c, s = p[9], p[10], p[11]
            norm.batchnorm_backward(_v3(W, p[1], n, c, s), _v3(W, p[2], n, c, s),
                                    _v1(P, p[3], c), _v1(W, p[4], c), _v1(W, p[5], c),
                                    _v3(W, p[6], n, c, s), _v1(P, p[7], c), _v1(P, p[8], c),
                                    p[12], p[13], p[14])
        elif op == _RNN_FWD:
            b, t, f, u = p[9], p[10], p[11], p[12]
            out = _v3(W, p[8], b, t if p[14] else 1, u)
            recurrent.simple_rnn_forward(_v3(W, p[1], b, t, f), _v2(P, p[2], f, u),
                                         _v2(P, p[3], u, u), _v1(P, p[4], u),
                                         _v3(W, p[5], t, b, f), _v3(W, p[6], t, b, u),
                                         _v3(W, p[7], t + 1, b, u),
                                         out, p[13], p[14], p[15])
        elif op == _RNN_BWD:
            b, t, f, u = p[12], p[13], p[14], p[15]
            dy = _v3(W, p[6], b, t if p[17] else 1, u)
            recurrent.simple_rnn_backward(_v2(P, p[1], f, u), _v2(P, p[2], u, u),
                                          _v3(W, p[3], t, b, f), _v3(W, p[4], t, b, u),
                                          _v3(W, p[5], t + 1, b, u),
                                          dy,
                                          _v2(W, p[7], b, u), _v3(W, p[8], b, t, f),
                                          _v2(P, p[9], f, u), _v2(P, p[10], u, u),
                                          _v1(P, p[11], u), p[16], p[17], p[18], p[19], p[20])
        elif op == _LSTM_FWD:
            b, t, f, u = p[11], p[12], p[13], p[14]
            out = _v3(W, p[10], b, t if p[15] else 1, u)
            recurrent.lstm_forward(_v3(W, p[1], b, t, f), _v2(P, p[2], f, 4 * u),
                                   _v2(P, p[3], u, 4 * u), _v1(P, p[4], 4 * u),
                                   _v3(W, p[5], t, b, f), _v3(W, p[6], t, b, 4 * u),
                                   _v2(W, p[7], b, 4 * u), _v3(W, p[8], t + 1, b, u),
                                   _v3(W, p[9], t + 1, b, u),
                                   out, p[15], p[16])
        elif op == _LSTM_BWD:
            b, t, f, u = p[14], p[15], p[16], p[17]
            dy = _v3(W, p[7], b, t if p[18] else 1, u)
            recurrent.lstm_backward(_v2(P, p[1], f, 4 * u), _v2(P, p[2], u, 4 * u),
                                    _v3(W, p[3], t, b, f), _v3(W, p[4], t, b, 4 * u),
                                    _v3(W, p[5], t + 1, b, u), _v3(W, p[6], t + 1, b, u),
                                    dy, _v2(W, p[8], b, u),
                                    _v2(W, p[9], b, u), _v3(W, p[10], b, t, f),
                                    _v2(P, p[11], f, 4 * u), _v2(P, p[12], u, 4 * u),
                                    _v1(P, p[13], 4 * u), p[18], p[19], p[20], p[21])
        elif op == _GRU_FWD:
            b, t, f, u = p[11], p[12], p[13], p[14]
            out = _v3(W, p[10], b, t if p[15] else 1, u)
            recurrent.gru_forward(_v3(W, p[1], b, t, f), _v2(P, p[2], f, 3 * u),
                                  _v2(P, p[3], u, 3 * u), _v2(P, p[4], 2, 3 * u),
                                  _v3(W, p[5], t, b, f), _v3(W, p[6], t, b, 3 * u),
                                  _v2(W, p[7], b, 3 * u), _v3(W, p[8], t, b, u),
                                  _v3(W, p[9], t + 1, b, u),
                                  out, p[15], p[16])
        elif op == _GRU_BWD:
            b, t, f, u = p[15], p[16], p[17], p[18]
            dy = _v3(W, p[7], b, t if p[19] else 1, u)
            recurrent.gru_backward(_v2(P, p[1], f, 3 * u), _v2(P, p[2], u, 3 * u),
                                   _v3(W, p[3], t, b, f), _v3(W, p[4], t, b, 3 * u),
                                   _v3(W, p[5], t, b, u), _v3(W, p[6], t + 1, b, u),
                                   dy,
                                   _v3(W, p[8], t, b, 3 * u), _v2(W, p[9], b, u),
                                   _v2(W, p[10], b, u), _v3(W, p[11], b, t, f),
                                   _v2(P, p[12], f, 3 * u), _v2(P, p[13], u, 3 * u),
                                   _v2(P, p[14], 2, 3 * u), p[19], p[20], p[21], p[22])
