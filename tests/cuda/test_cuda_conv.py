"""CUDA conv handlers (CONV_FWD, CONV_BWD) against the CPU kernels, on tiny shapes.

Each test lays the tensors out in random-filled P and W arenas (with gaps between them), runs
the CPU kernel on numpy views and the CUDA handler on device copies, and compares the whole
arenas: this checks the outputs and that nothing else (untouched dx, db, gaps) was written.
"""

import itertools

import numpy as np
import pytest
from numba import cuda

from visnet.core.backends.cpu.conv import conv2d_backward, conv2d_forward, conv2d_geometry
from visnet.core.backends.cuda import conv as _conv  # noqa: F401  (registers the handlers)
from visnet.core.backends.cuda.ops import HANDLERS
from visnet.core.backends.opcodes import Op, encode

TOL = dict(rtol=2e-4, atol=2e-5)
GAP = 3  # unused elements between tensors in the arenas

# (height, width, kh, kw, sh, sw, padding)
GEOMETRIES = [
    (4, 5, 3, 3, 1, 1, "same"),
    (4, 5, 3, 3, 1, 1, "valid"),
    (5, 4, 2, 3, 2, 2, "same"),
    (6, 5, 3, 2, 2, 2, "valid"),
    (4, 7, 2, 3, 1, 2, "same"),
    (7, 4, 3, 1, 2, 1, "valid"),
    (4, 4, 4, 3, 2, 1, "same"),  # even kernel height: extra pad at the bottom
]
FLAGS = list(itertools.product((0, 1), (0, 1), (0, 1)))  # has_bias, need_dx, acc


def _layout(shapes):
    """Offsets of named tensors packed with gaps, and the arena size."""
    offsets, end = {}, GAP
    for name, shape in shapes.items():
        offsets[name] = end
        end += int(np.prod(shape)) + GAP
    return offsets, end


def _views(arena, offsets, shapes):
    return {k: arena[offsets[k]:offsets[k] + int(np.prod(s))].reshape(s)
            for k, s in shapes.items()}


def _problem(geometry, batch=2, channels=2, filters=2, share_scratch=True, seed=0):
    h, w, kh, kw, sh, sw, padding = geometry
    oh, ow, pad_top, pad_left = conv2d_geometry(h, w, kh, kw, sh, sw, padding)
    pos = batch * oh * ow
    wshapes = {"x": (batch, channels, h, w), "cols": (channels * kh * kw, pos),
               "out_t": (filters, pos), "z": (batch, filters, oh, ow),
               "dz": (batch, filters, oh, ow), "dx": (batch, channels, h, w)}
    if not share_scratch:
        wshapes["dz_t"] = (filters, pos)
    pshapes = {"w": (filters, channels, kh, kw), "b": (filters,),
               "dw": (filters, channels, kh, kw), "db": (filters,)}
    woff, wsize = _layout(wshapes)
    poff, psize = _layout(pshapes)
    if share_scratch:  # out_t and dz_t may share memory (see cpu/conv.py)
        woff["dz_t"], wshapes["dz_t"] = woff["out_t"], wshapes["out_t"]
    rng = np.random.default_rng(seed)
    W = rng.standard_normal(wsize).astype(np.float32)
    P = rng.standard_normal(psize).astype(np.float32)
    common = dict(batch=batch, channels=channels, height=h, width=w, filters=filters, kh=kh,
                  kw=kw, sh=sh, sw=sw, pad_top=pad_top, pad_left=pad_left, out_h=oh,
                  out_w=ow)
    return W, P, woff, poff, wshapes, pshapes, common


def _run_cpu_forward(W, P, woff, poff, wshapes, pshapes, common, has_bias):
    wv, pv = _views(W, woff, wshapes), _views(P, poff, pshapes)
    g = common
    conv2d_forward(wv["x"], pv["w"], pv["b"], wv["cols"], wv["out_t"], wv["z"], g["kh"],
                   g["kw"], g["sh"], g["sw"], g["pad_top"], g["pad_left"], has_bias, 0)


def _forward_row(woff, poff, common, has_bias):
    return encode(Op.CONV_FWD, x=woff["x"], w_p=poff["w"], b_p=poff["b"], cols=woff["cols"],
                  out_t=woff["out_t"], z=woff["z"], has_bias=has_bias, **common)


def _compare(W, P, dW, dP):
    np.testing.assert_allclose(dW.copy_to_host(), W, **TOL)
    np.testing.assert_allclose(dP.copy_to_host(), P, **TOL)


@pytest.mark.parametrize("has_bias", (0, 1))
@pytest.mark.parametrize("geometry", GEOMETRIES)
def test_conv_forward(geometry, has_bias):
    W, P, woff, poff, wshapes, pshapes, common = _problem(geometry)
    dW, dP = cuda.to_device(W), cuda.to_device(P)
    _run_cpu_forward(W, P, woff, poff, wshapes, pshapes, common, has_bias)
    HANDLERS[int(Op.CONV_FWD)](_forward_row(woff, poff, common, has_bias), dP, dW, 0)
    _compare(W, P, dW, dP)


def _backward_case(geometry, has_bias, need_dx, acc, share_scratch=True, seed=1):
    W, P, woff, poff, wshapes, pshapes, common = _problem(geometry, share_scratch=share_scratch,
                                                          seed=seed)
    # The backward needs cols from the forward of the same step: run it on the host first.
    _run_cpu_forward(W, P, woff, poff, wshapes, pshapes, common, has_bias)
    dW, dP = cuda.to_device(W), cuda.to_device(P)
    wv, pv = _views(W, woff, wshapes), _views(P, poff, pshapes)
    g = common
    conv2d_backward(wv["x"], pv["w"], wv["dz"], wv["cols"], wv["dz_t"], wv["dx"], pv["dw"],
                    pv["db"], g["kh"], g["kw"], g["sh"], g["sw"], g["pad_top"], g["pad_left"],
                    has_bias, need_dx, acc, 0)
    row = encode(Op.CONV_BWD, x=woff["x"], w_p=poff["w"], dz=woff["dz"], cols=woff["cols"],
                 dz_t=woff["dz_t"], dx=woff["dx"], dw_p=poff["dw"], db_p=poff["db"],
                 has_bias=has_bias, need_dx=need_dx, acc=acc, **common)
    HANDLERS[int(Op.CONV_BWD)](row, dP, dW, 0)
    _compare(W, P, dW, dP)


@pytest.mark.parametrize("has_bias,need_dx,acc", FLAGS)
@pytest.mark.parametrize("geometry", GEOMETRIES[:3])
def test_conv_backward_flags(geometry, has_bias, need_dx, acc):
    _backward_case(geometry, has_bias, need_dx, acc)


@pytest.mark.parametrize("geometry", GEOMETRIES[3:])
def test_conv_backward_geometry(geometry):
    _backward_case(geometry, 1, 1, 1)
    _backward_case(geometry, 0, 1, 0, share_scratch=False, seed=2)


def test_conv_forward_then_backward_on_device():
    """The backward reads the cols the device forward left (one step as a plan runs it)."""
    geometry = (5, 4, 3, 2, 2, 1, "same")
    W, P, woff, poff, wshapes, pshapes, common = _problem(geometry, seed=3)
    dW, dP = cuda.to_device(W), cuda.to_device(P)
    _run_cpu_forward(W, P, woff, poff, wshapes, pshapes, common, 1)
    HANDLERS[int(Op.CONV_FWD)](_forward_row(woff, poff, common, 1), dP, dW, 0)
    wv, pv = _views(W, woff, wshapes), _views(P, poff, pshapes)
    g = common
    conv2d_backward(wv["x"], pv["w"], wv["dz"], wv["cols"], wv["dz_t"], wv["dx"], pv["dw"],
                    pv["db"], g["kh"], g["kw"], g["sh"], g["sw"], g["pad_top"], g["pad_left"],
                    1, 1, 0, 0)
    row = encode(Op.CONV_BWD, x=woff["x"], w_p=poff["w"], dz=woff["dz"], cols=woff["cols"],
                 dz_t=woff["dz_t"], dx=woff["dx"], dw_p=poff["dw"], db_p=poff["db"],
                 has_bias=1, need_dx=1, acc=0, **common)
    HANDLERS[int(Op.CONV_BWD)](row, dP, dW, 0)
    _compare(W, P, dW, dP)
