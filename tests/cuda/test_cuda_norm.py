"""The CUDA batch normalisation handlers against the CPU kernels
(visnet.core.backends.cpu.norm): forward (training updates the running statistics with the
biased batch variance; inference reads them) and backward (dgamma, dbeta overwritten; dx
overwritten or accumulated), on [n, c, s] views of flat inputs (s = 1) and images (s > 1).
Runs in Numba's CUDA simulator where there is no GPU."""

import numpy as np
import pytest
from numba import cuda

import visnet.core.backends.cuda.norm  # noqa: F401  (registers the handlers)
from visnet.core.backends.cpu import norm as cpu
from visnet.core.backends.cuda.ops import HANDLERS
from visnet.core.backends.opcodes import Op, encode

RTOL, ATOL = 2e-4, 2e-5
GAP = 3  # sentinel values between the tensors of an arena: a kernel must not touch them
SENTINEL = np.float32(-777.0)
MOMENTUM, EPS = np.float32(0.9), np.float32(1e-3)

# (n, c, s): flat inputs, images, a channel count above the 8-thread test block, a long channel
SHAPES = [(4, 3, 1), (2, 3, 5), (3, 10, 2), (2, 2, 13)]


class Arena:
    """Named float32 tensors laid one after another in a flat array, sentinels between them."""

    def __init__(self, **arrays):
        self.shapes, self.offsets, pos = {}, {}, GAP
        for name, a in arrays.items():
            self.shapes[name], self.offsets[name] = a.shape, pos
            pos += a.size + GAP
        flat = np.full(pos, SENTINEL, np.float32)
        for name, a in arrays.items():
            flat[self.offsets[name]:self.offsets[name] + a.size] = a.ravel()
        self.device = cuda.to_device(flat)

    def __getitem__(self, name):
        """The tensor, read back from the device."""
        off, shape = self.offsets[name], self.shapes[name]
        return self.device.copy_to_host()[off:off + int(np.prod(shape))].reshape(shape)

    def untouched_outside(self):
        flat = self.device.copy_to_host()
        mask = np.ones(flat.size, bool)
        for name, off in self.offsets.items():
            mask[off:off + int(np.prod(self.shapes[name]))] = False
        return bool(np.all(flat[mask] == SENTINEL))


def close(got, want):
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL)


def params(c, rng):
    return dict(gamma=(1 + 0.2 * rng.random(c)).astype(np.float32),
                beta=(0.1 * rng.standard_normal(c)).astype(np.float32),
                mm=(0.1 * rng.standard_normal(c)).astype(np.float32),
                mv=(1 + 0.2 * rng.random(c)).astype(np.float32))


@pytest.mark.parametrize("training", [0, 1])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_batchnorm_forward(shape, training):
    n, c, s = shape
    rng = np.random.default_rng(0)
    x = (2 * rng.standard_normal(shape) + 0.5).astype(np.float32)
    p = params(c, rng)
    want = {k: v.copy() for k, v in p.items()}
    y, mean, invstd = (np.zeros(shape, np.float32), np.zeros(c, np.float32),
                       np.zeros(c, np.float32))
    cpu.batchnorm_forward(x, y, want["gamma"], want["beta"], want["mm"], want["mv"], mean,
                          invstd, MOMENTUM, EPS, training, 0)

    P = Arena(**p, hyper=np.array([MOMENTUM, EPS], np.float32))
    W = Arena(x=x, y=np.full(shape, 5, np.float32), mean=np.full(c, 5, np.float32),
              invstd=np.full(c, 5, np.float32))
    row = encode(Op.BN_FWD, x=W.offsets["x"], y=W.offsets["y"], gamma_p=P.offsets["gamma"],
                 beta_p=P.offsets["beta"], mean_p=P.offsets["mm"], var_p=P.offsets["mv"],
                 mean=W.offsets["mean"], invstd=W.offsets["invstd"], n=n, c=c, s=s,
                 hyper_p=P.offsets["hyper"], training=training)
    HANDLERS[int(Op.BN_FWD)](row, P.device, W.device, 0)

    close(W["y"], y)
    close(W["mean"], mean)
    close(W["invstd"], invstd)
    close(P["mm"], want["mm"])
    close(P["mv"], want["mv"])
    if not training:  # inference leaves the running statistics alone
        np.testing.assert_array_equal(P["mm"], p["mm"])
        np.testing.assert_array_equal(P["mv"], p["mv"])
    np.testing.assert_array_equal(P["gamma"], p["gamma"])
    assert P.untouched_outside() and W.untouched_outside()


@pytest.mark.parametrize("acc", [0, 1])
@pytest.mark.parametrize("training", [0, 1])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_batchnorm_backward(shape, training, acc):
    n, c, s = shape
    rng = np.random.default_rng(1)
    x = (2 * rng.standard_normal(shape) + 0.5).astype(np.float32)
    dy = rng.standard_normal(shape).astype(np.float32)
    dx0 = rng.standard_normal(shape).astype(np.float32)
    p = params(c, rng)
    mean, invstd = np.zeros(c, np.float32), np.zeros(c, np.float32)
    cpu.batchnorm_forward(x, np.zeros(shape, np.float32), p["gamma"], p["beta"], p["mm"].copy(),
                          p["mv"].copy(), mean, invstd, MOMENTUM, EPS, training, 0)
    dx = dx0.copy()
    dgamma, dbeta = np.zeros(c, np.float32), np.zeros(c, np.float32)
    cpu.batchnorm_backward(x, dy, p["gamma"], mean, invstd, dx, dgamma, dbeta, training, acc, 0)

    garbage = np.full(c, 5, np.float32)  # parameter gradients are overwritten, not added to
    P = Arena(gamma=p["gamma"], dgamma=garbage, dbeta=garbage)
    W = Arena(x=x, dy=dy, mean=mean, invstd=invstd, dx=dx0)
    row = encode(Op.BN_BWD, x=W.offsets["x"], dy=W.offsets["dy"], gamma_p=P.offsets["gamma"],
                 mean=W.offsets["mean"], invstd=W.offsets["invstd"], dx=W.offsets["dx"],
                 dgamma_p=P.offsets["dgamma"], dbeta_p=P.offsets["dbeta"], n=n, c=c, s=s,
                 training=training, acc=acc)
    HANDLERS[int(Op.BN_BWD)](row, P.device, W.device, 0)

    close(P["dgamma"], dgamma)
    close(P["dbeta"], dbeta)
    close(W["dx"], dx)
    np.testing.assert_array_equal(W["mean"], mean)  # workspaces are read only
    np.testing.assert_array_equal(W["invstd"], invstd)
    assert P.untouched_outside() and W.untouched_outside()
