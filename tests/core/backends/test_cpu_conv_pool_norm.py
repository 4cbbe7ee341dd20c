"""Numba CPU kernels for Conv2D, pooling and BatchNorm against PyTorch and finite differences."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
import torch.nn.functional as TF  # noqa: E402

from visnet.core.backends.cpu import conv, norm, pool  # noqa: E402

F64 = np.float64


def rng(seed=0):
    return np.random.default_rng(seed)


# --- conv helpers --------------------------------------------------------------------------------

class ConvCase:
    """One convolution: shapes, geometry, workspaces, and calls of both kernels."""

    def __init__(self, b, c, h, w, f, k, s, padding, has_bias=1, dtype=F64, seed=0):
        self.kh, self.kw = k
        self.sh, self.sw = s
        self.oh, self.ow, self.pt, self.pl = conv.conv2d_geometry(
            h, w, self.kh, self.kw, self.sh, self.sw, padding)
        self.padding, self.has_bias, self.dtype = padding, has_bias, dtype
        g = rng(seed)
        self.x = g.standard_normal((b, c, h, w)).astype(dtype)
        self.w = g.standard_normal((f, c, self.kh, self.kw)).astype(dtype)
        self.b = g.standard_normal(f).astype(dtype)
        self.dz = g.standard_normal((b, f, self.oh, self.ow)).astype(dtype)
        shapes = conv.conv2d_workspaces(b, c, h, w, f, self.kh, self.kw, self.oh, self.ow)
        assert list(shapes) == ["cols", "out_t", "dz_t"]
        self.ws = {name: np.full(shape, np.nan, dtype) for name, shape in shapes.items()}

    def forward(self, x=None, w=None, b=None, par=0):
        z = np.full((self.x.shape[0], self.w.shape[0], self.oh, self.ow), np.nan, self.dtype)
        conv.conv2d_forward(self.x if x is None else x, self.w if w is None else w,
                            self.b if b is None else b, self.ws["cols"], self.ws["out_t"], z,
                            self.kh, self.kw, self.sh, self.sw, self.pt, self.pl,
                            self.has_bias, par)
        return z

    def backward(self, dx=None, need_dx=1, acc=0, par=0):
        dx = np.full_like(self.x, np.nan) if dx is None else dx
        dw = np.full_like(self.w, np.nan)
        db = np.full_like(self.b, np.nan)
        conv.conv2d_backward(self.x, self.w, self.dz, self.ws["cols"], self.ws["dz_t"], dx, dw,
                             db, self.kh, self.kw, self.sh, self.sw, self.pt, self.pl,
                             self.has_bias, need_dx, acc, par)
        return dx, dw, db

    def torch_reference(self):
        """z, dx, dw, db from torch autograd (Keras 'same' emulated by an explicit F.pad)."""
        x = torch.tensor(self.x, requires_grad=True)
        w = torch.tensor(self.w, requires_grad=True)
        b = torch.tensor(self.b, requires_grad=True)
        xin = x
        if self.padding == "same":
            h, wd = self.x.shape[2:]
            pad_h = max((self.oh - 1) * self.sh + self.kh - h, 0)
            pad_w = max((self.ow - 1) * self.sw + self.kw - wd, 0)
            xin = TF.pad(x, (self.pl, pad_w - self.pl, self.pt, pad_h - self.pt))
        z = TF.conv2d(xin, w, b if self.has_bias else None, stride=(self.sh, self.sw))
        (z * torch.tensor(self.dz)).sum().backward()
        db = b.grad.numpy() if self.has_bias else None
        return z.detach().numpy(), x.grad.numpy(), w.grad.numpy(), db


CONV_CASES = {
    "valid_s1": dict(b=2, c=3, h=6, w=7, f=4, k=(3, 3), s=(1, 1), padding="valid"),
    "valid_s2": dict(b=2, c=2, h=7, w=7, f=3, k=(3, 3), s=(2, 2), padding="valid"),
    "same_s1_odd": dict(b=2, c=3, h=5, w=6, f=4, k=(3, 3), s=(1, 1), padding="same"),
    "same_s1_even": dict(b=3, c=2, h=6, w=5, f=3, k=(2, 2), s=(1, 1), padding="same"),
    "same_s2": dict(b=2, c=3, h=7, w=6, f=4, k=(3, 3), s=(2, 2), padding="same"),
    "same_s2_even": dict(b=2, c=2, h=6, w=7, f=3, k=(4, 4), s=(2, 2), padding="same"),
    "nonsquare_valid": dict(b=2, c=2, h=7, w=7, f=3, k=(2, 3), s=(1, 2), padding="valid"),
    "nonsquare_same": dict(b=2, c=3, h=6, w=7, f=2, k=(3, 2), s=(2, 1), padding="same"),
    "no_bias": dict(b=2, c=3, h=6, w=6, f=4, k=(3, 3), s=(1, 1), padding="same", has_bias=0),
}


@pytest.mark.parametrize("name", list(CONV_CASES))
def test_conv2d_matches_torch(name):
    case = ConvCase(**CONV_CASES[name])
    z = case.forward()
    dx, dw, db = case.backward()
    z_ref, dx_ref, dw_ref, db_ref = case.torch_reference()
    assert z.shape == z_ref.shape
    np.testing.assert_allclose(z, z_ref, rtol=0, atol=1e-10)
    np.testing.assert_allclose(dx, dx_ref, rtol=0, atol=1e-9)
    np.testing.assert_allclose(dw, dw_ref, rtol=0, atol=1e-9)
    if case.has_bias:
        np.testing.assert_allclose(db, db_ref, rtol=0, atol=1e-9)
    else:
        assert np.isnan(db).all()  # untouched without a bias


def test_conv2d_same_padding_is_keras_asymmetric():
    # 6 wide, kernel 4, stride 2: out 3, pad total 3 -> 1 left, 2 right (Keras / TensorFlow).
    assert conv.conv2d_geometry(6, 6, 4, 4, 2, 2, "same") == (3, 3, 1, 1)
    assert conv.conv2d_geometry(6, 5, 2, 2, 1, 1, "same") == (6, 5, 0, 0)
    assert conv.conv2d_geometry(7, 6, 3, 3, 2, 2, "valid") == (3, 2, 0, 0)


def test_conv2d_finite_differences():
    case = ConvCase(**CONV_CASES["same_s2"], seed=3)
    case.forward()
    dx, dw, db = case.backward()

    def loss(x=None, w=None, b=None):
        saved = {k: v.copy() for k, v in case.ws.items()}
        z = case.forward(x, w, b)
        case.ws.update(saved)
        return float((z * case.dz).sum())

    h = 1e-6
    g = rng(7)
    for arr, grad, kw in ((case.x, dx, "x"), (case.w, dw, "w"), (case.b, db, "b")):
        for _ in range(4):
            idx = tuple(int(g.integers(n)) for n in arr.shape)
            plus, minus = arr.copy(), arr.copy()
            plus[idx] += h
            minus[idx] -= h
            numeric = (loss(**{kw: plus}) - loss(**{kw: minus})) / (2 * h)
            assert abs(numeric - grad[idx]) < 1e-7, (kw, idx, numeric, grad[idx])
    # The corner pixels are covered by the asymmetric padding; check them explicitly.
    for idx in ((0, 0, 0, 0), (1, 2, 6, 5)):
        plus, minus = case.x.copy(), case.x.copy()
        plus[idx] += h
        minus[idx] -= h
        numeric = (loss(x=plus) - loss(x=minus)) / (2 * h)
        assert abs(numeric - dx[idx]) < 1e-7


def test_conv2d_par_serial_dtype_acc_need_dx():
    cfg = CONV_CASES["same_s2"]
    serial, parallel = ConvCase(**cfg, dtype=np.float32), ConvCase(**cfg, dtype=np.float32)
    z0 = serial.forward(par=0)
    g0 = serial.backward(par=0)
    z1 = parallel.forward(par=1)
    g1 = parallel.backward(par=1)
    for a, b in zip((z0, *g0), (z1, *g1)):
        assert a.dtype == np.float32 and b.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    # Serial runs are bit-identical.
    again = ConvCase(**cfg, dtype=np.float32)
    z2 = again.forward(par=0)
    g2 = again.backward(par=0)
    for a, b in zip((z0, *g0), (z2, *g2)):
        assert np.array_equal(a, b)
    # acc=1 adds into dx.
    case = ConvCase(**cfg)
    case.forward()
    dx, dw, _ = case.backward()
    base = rng(5).standard_normal(case.x.shape)
    case.forward()
    acc_dx, acc_dw, _ = case.backward(dx=base.copy(), acc=1)
    np.testing.assert_allclose(acc_dx, base + dx, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(acc_dw, dw)
    # need_dx=0 leaves dx alone and still gives dw (and cols still holds im2col(x)).
    case.forward()
    cols = case.ws["cols"].copy()
    untouched = base.copy()
    _, dw_only, _ = case.backward(dx=untouched, need_dx=0)
    np.testing.assert_array_equal(untouched, base)
    np.testing.assert_array_equal(dw_only, dw)
    np.testing.assert_array_equal(case.ws["cols"], cols)


# --- pooling -------------------------------------------------------------------------------------

POOL_CASES = [((2, 2), (2, 2)), ((3, 3), (1, 1)), ((2, 3), (1, 2))]


def no_tie_input(shape, seed=0):
    g = rng(seed)
    return (g.permutation(int(np.prod(shape))).reshape(shape) / 10.0 - 3.0).astype(F64)


def pool_out(x, p, s):
    return (x.shape[0], x.shape[1], (x.shape[2] - p[0]) // s[0] + 1,
            (x.shape[3] - p[1]) // s[1] + 1)


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("p, s", POOL_CASES)
def test_pool2d_matches_torch(kind, p, s):
    x = no_tie_input((2, 3, 7, 6))
    y = np.full(pool_out(x, p, s), np.nan)
    dy = rng(1).standard_normal(y.shape)
    dx = np.full_like(x, np.nan)
    xt = torch.tensor(x, requires_grad=True)
    if kind == "max":
        pool.maxpool2d_forward(x, y, p[0], p[1], s[0], s[1], 0, 0, 0)
        pool.maxpool2d_backward(x, y, dy, dx, p[0], p[1], s[0], s[1], 0, 0, 0, 0)
        yt = TF.max_pool2d(xt, kernel_size=p, stride=s)
    else:
        pool.avgpool2d_forward(x, y, p[0], p[1], s[0], s[1], 0, 0, 0)
        pool.avgpool2d_backward(dy, dx, p[0], p[1], s[0], s[1], 0, 0, 0, 0)
        yt = TF.avg_pool2d(xt, kernel_size=p, stride=s)
    (yt * torch.tensor(dy)).sum().backward()
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=0, atol=1e-12)


def test_maxpool2d_gradient_goes_to_first_maximum():
    x = np.zeros((1, 1, 2, 3))
    x[0, 0] = [[1.0, 5.0, 5.0], [5.0, 0.0, 5.0]]
    y = np.zeros((1, 1, 1, 2))
    pool.maxpool2d_forward(x, y, 2, 2, 1, 1, 0, 0, 0)
    dx = np.zeros_like(x)
    pool.maxpool2d_backward(x, y, np.ones_like(y), dx, 2, 2, 1, 1, 0, 0, 0, 0)
    # Both windows (columns 0-1 and 1-2) hold 5 several times; the first, (0, 1), gets both.
    np.testing.assert_array_equal(dx[0, 0], [[0, 2, 0], [0, 0, 0]])
    # A NaN in a window gives NaN (as in PyTorch) and its gradient goes to the first NaN.
    x[0, 0, 1, 1] = np.nan
    x[0, 0, 1, 2] = np.nan
    pool.maxpool2d_forward(x, y, 2, 2, 1, 1, 0, 0, 0)
    assert np.isnan(y).all()
    pool.maxpool2d_backward(x, y, np.ones_like(y), dx, 2, 2, 1, 1, 0, 0, 0, 0)
    np.testing.assert_array_equal(dx[0, 0], [[0, 0, 0], [0, 2, 0]])


def test_global_avgpool2d():
    x = rng(2).standard_normal((3, 2, 5, 6))
    y = np.full((3, 2), np.nan)
    pool.global_avgpool2d_forward(x, y, 0)
    np.testing.assert_allclose(y, x.mean((2, 3)), rtol=0, atol=1e-12)
    dy = rng(3).standard_normal((3, 2))
    dx = np.full_like(x, np.nan)
    pool.global_avgpool2d_backward(dy, dx, 0, 0)
    np.testing.assert_allclose(dx, np.broadcast_to(dy[:, :, None, None] / 30, x.shape),
                               rtol=0, atol=1e-12)
    base = rng(4).standard_normal(x.shape)
    acc = base.copy()
    pool.global_avgpool2d_backward(dy, acc, 1, 0)
    np.testing.assert_allclose(acc, base + dx, rtol=0, atol=1e-12)


def run_pools(x, dy_seed, par):
    """Every pooling kernel once; returns all outputs."""
    p, s = (3, 3), (1, 1)
    out = []
    y = np.empty(pool_out(x, p, s), x.dtype)
    dy = rng(dy_seed).standard_normal(y.shape).astype(x.dtype)
    dx = np.empty_like(x)
    pool.maxpool2d_forward(x, y, *p, *s, 0, 0, par)
    pool.maxpool2d_backward(x, y, dy, dx, *p, *s, 0, 0, 0, par)
    out += [y.copy(), dx.copy()]
    pool.avgpool2d_forward(x, y, *p, *s, 0, 0, par)
    pool.avgpool2d_backward(dy, dx, *p, *s, 0, 0, 0, par)
    out += [y.copy(), dx.copy()]
    g = np.empty(x.shape[:2], x.dtype)
    pool.global_avgpool2d_forward(x, g, par)
    pool.global_avgpool2d_backward(g, dx, 0, par)
    out += [g.copy(), dx.copy()]
    return out


def test_pool_par_serial_dtype_acc():
    x = no_tie_input((3, 3, 7, 6)).astype(np.float32)
    serial, parallel, again = run_pools(x, 1, 0), run_pools(x, 1, 1), run_pools(x, 1, 0)
    for a, b, c in zip(serial, parallel, again):
        assert a.dtype == b.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
        assert np.array_equal(a, c)
    # acc=1 adds into dx, max and avg.
    x = no_tie_input((2, 2, 6, 6))
    y = np.empty(pool_out(x, (2, 2), (1, 1)))
    dy = rng(2).standard_normal(y.shape)
    base = rng(3).standard_normal(x.shape)
    for fwd, bwd in ((pool.maxpool2d_forward, lambda dx, acc: pool.maxpool2d_backward(
                          x, y, dy, dx, 2, 2, 1, 1, 0, 0, acc, 0)),
                     (pool.avgpool2d_forward, lambda dx, acc: pool.avgpool2d_backward(
                          dy, dx, 2, 2, 1, 1, 0, 0, acc, 0))):
        fwd(x, y, 2, 2, 1, 1, 0, 0, 0)
        fresh = np.full_like(x, np.nan)
        bwd(fresh, 0)
        summed = base.copy()
        bwd(summed, 1)
        np.testing.assert_allclose(summed, base + fresh, rtol=0, atol=1e-12)


# --- batch normalisation -------------------------------------------------------------------------

MOMENTUM, EPS = 0.9, 1e-3


class BNCase:
    def __init__(self, shape, dtype=F64, seed=0):
        g = rng(seed)
        self.shape = shape
        self.x4 = (g.standard_normal(shape) * 2 + 0.5).astype(dtype)
        c = shape[1]
        self.x = self.x4.reshape(shape[0], c, -1)
        self.gamma = g.uniform(0.5, 1.5, c).astype(dtype)
        self.beta = g.standard_normal(c).astype(dtype)
        self.mm0 = g.standard_normal(c).astype(dtype)
        self.mv0 = g.uniform(0.5, 2.0, c).astype(dtype)
        self.dy = g.standard_normal(self.x.shape).astype(dtype)
        n, cc, s = self.x.shape
        shapes = norm.batchnorm_workspaces(n, cc, s)
        assert shapes == {"mean": (c,), "invstd": (c,)}
        self.ws = {k: np.full(v, np.nan, dtype) for k, v in shapes.items()}

    def forward(self, training, x=None, gamma=None, beta=None, par=0):
        y = np.full_like(self.x, np.nan)
        self.mm, self.mv = self.mm0.copy(), self.mv0.copy()
        norm.batchnorm_forward(self.x if x is None else x, y,
                               self.gamma if gamma is None else gamma,
                               self.beta if beta is None else beta, self.mm, self.mv,
                               self.ws["mean"], self.ws["invstd"], MOMENTUM, EPS, training, par)
        return y

    def backward(self, training, dx=None, acc=0, par=0):
        dx = np.full_like(self.x, np.nan) if dx is None else dx
        dg = np.full_like(self.gamma, np.nan)
        dbeta = np.full_like(self.beta, np.nan)
        norm.batchnorm_backward(self.x, self.dy, self.gamma, self.ws["mean"], self.ws["invstd"],
                                dx, dg, dbeta, training, acc, par)
        return dx, dg, dbeta


BN_SHAPES = {"images": (3, 2, 5, 6), "flat": (6, 3)}


@pytest.mark.parametrize("name", list(BN_SHAPES))
def test_batchnorm_training_matches_torch(name):
    case = BNCase(BN_SHAPES[name])
    y = case.forward(1)
    dx, dg, dbeta = case.backward(1)
    x = torch.tensor(case.x4, requires_grad=True)
    g = torch.tensor(case.gamma, requires_grad=True)
    b = torch.tensor(case.beta, requires_grad=True)
    yt = TF.batch_norm(x, None, None, g, b, training=True, eps=EPS)
    (yt * torch.tensor(case.dy.reshape(case.shape))).sum().backward()
    np.testing.assert_allclose(y.reshape(case.shape), yt.detach().numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(dx.reshape(case.shape), x.grad.numpy(), rtol=0, atol=1e-9)
    np.testing.assert_allclose(dg, g.grad.numpy(), rtol=0, atol=1e-9)
    np.testing.assert_allclose(dbeta, b.grad.numpy(), rtol=0, atol=1e-9)
    # Running statistics: the Keras rule with the biased batch variance.
    axes = (0, 2)
    mean, var = case.x.mean(axes), case.x.var(axes)
    np.testing.assert_allclose(case.mm, case.mm0 * MOMENTUM + mean * (1 - MOMENTUM),
                               rtol=0, atol=1e-12)
    np.testing.assert_allclose(case.mv, case.mv0 * MOMENTUM + var * (1 - MOMENTUM),
                               rtol=0, atol=1e-12)
    np.testing.assert_allclose(case.ws["mean"], mean, rtol=0, atol=1e-12)
    np.testing.assert_allclose(case.ws["invstd"], 1 / np.sqrt(var + EPS), rtol=0, atol=1e-10)


@pytest.mark.parametrize("name", list(BN_SHAPES))
def test_batchnorm_inference(name):
    case = BNCase(BN_SHAPES[name])
    y = case.forward(0)
    np.testing.assert_array_equal(case.mm, case.mm0)  # no update
    np.testing.assert_array_equal(case.mv, case.mv0)
    dx, dg, dbeta = case.backward(0)
    c = (None, slice(None), None)
    expected = (case.gamma[c] * (case.x - case.mm0[c]) / np.sqrt(case.mv0[c] + EPS)
                + case.beta[c])
    np.testing.assert_allclose(y, expected, rtol=0, atol=1e-10)
    x = torch.tensor(case.x, requires_grad=True)
    g = torch.tensor(case.gamma, requires_grad=True)
    b = torch.tensor(case.beta, requires_grad=True)
    mm, mv = torch.tensor(case.mm0)[c], torch.tensor(case.mv0)[c]
    yt = g[c] * (x - mm) / torch.sqrt(mv + EPS) + b[c]
    (yt * torch.tensor(case.dy)).sum().backward()
    np.testing.assert_allclose(dx, x.grad.numpy(), rtol=0, atol=1e-9)
    np.testing.assert_allclose(dg, g.grad.numpy(), rtol=0, atol=1e-9)
    np.testing.assert_allclose(dbeta, b.grad.numpy(), rtol=0, atol=1e-9)


def test_batchnorm_finite_differences():
    case = BNCase(BN_SHAPES["images"], seed=4)
    case.forward(1)
    dx, dg, dbeta = case.backward(1)

    def loss(**kw):
        saved = {k: v.copy() for k, v in case.ws.items()}
        y = case.forward(1, **kw)
        case.ws.update(saved)
        return float((y * case.dy).sum())

    h = 1e-6
    g = rng(9)
    for arr, grad, kw in ((case.x, dx, "x"), (case.gamma, dg, "gamma"),
                          (case.beta, dbeta, "beta")):
        for _ in range(4):
            idx = tuple(int(g.integers(n)) for n in arr.shape)
            plus, minus = arr.copy(), arr.copy()
            plus[idx] += h
            minus[idx] -= h
            numeric = (loss(**{kw: plus}) - loss(**{kw: minus})) / (2 * h)
            assert abs(numeric - grad[idx]) < 1e-7, (kw, idx, numeric, grad[idx])


@pytest.mark.parametrize("training", [1, 0])
def test_batchnorm_par_serial_dtype_acc(training):
    shape = BN_SHAPES["images"]
    runs = []
    for par in (0, 1, 0):
        case = BNCase(shape, dtype=np.float32)
        y = case.forward(training, par=par)
        runs.append((y, *case.backward(training, par=par), case.mm, case.mv,
                     case.ws["mean"], case.ws["invstd"]))
    for a, b, c in zip(*runs):
        assert a.dtype == b.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
        assert np.array_equal(a, c)
    case = BNCase(shape)
    case.forward(training)
    dx, dg, dbeta = case.backward(training)
    base = rng(8).standard_normal(case.x.shape)
    summed = base.copy()
    _, dg2, dbeta2 = case.backward(training, dx=summed, acc=1)
    np.testing.assert_allclose(summed, base + dx, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(dg2, dg)  # parameter gradients are overwritten
    np.testing.assert_array_equal(dbeta2, dbeta)
