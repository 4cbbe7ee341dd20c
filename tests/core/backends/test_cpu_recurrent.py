"""SimpleRNN, LSTM and GRU CPU kernels against PyTorch (float64), finite differences, and the
kernel contract: serial determinism, par = serial, float32 stays float32, acc and need_dx."""

import numpy as np
import pytest

from visnet.core.backends.cpu import recurrent as R
from visnet.core.backends.cpu.activations import GELU, LEAKY_RELU, LINEAR, RELU, SIGMOID, TANH

torch = pytest.importorskip("torch")

B, S, IN, U = 3, 5, 4, 6
GATES = {"simple_rnn": 1, "lstm": 4, "gru": 3}
WORKSPACES = {"simple_rnn": R.simple_rnn_workspaces, "lstm": R.lstm_workspaces,
              "gru": R.gru_workspaces}
# Workspaces each forward takes (in order); backward takes the rest, after dy.
FORWARD_WS = {"simple_rnn": ("x_tm", "z", "h"), "lstm": ("x_tm", "gates", "rec", "c", "h"),
              "gru": ("x_tm", "gates", "rec", "rh", "h")}
# Forward workspaces backward reads (in order).
KEPT_WS = {"simple_rnn": ("x_tm", "z", "h"), "lstm": ("x_tm", "gates", "c", "h"),
           "gru": ("x_tm", "gates", "rh", "h")}
TORCH_ACT = {LINEAR: lambda v: v, RELU: torch.relu,
             # the kernels' slope is the float32 constant F(0.01), also in float64
             LEAKY_RELU: lambda v: torch.nn.functional.leaky_relu(v, float(np.float32(0.01))),
             SIGMOID: torch.sigmoid, TANH: torch.tanh,
             GELU: lambda v: torch.nn.functional.gelu(v)}


def make_case(layer, rs, dtype=np.float64, seed=0):
    rng = np.random.default_rng(seed)
    g = GATES[layer]
    bias_shape = (2, g * U) if layer == "gru" else (g * U,)
    case = {
        "x": rng.standard_normal((B, S, IN)),
        "kernel": rng.standard_normal((IN, g * U)) * 0.5,
        "recurrent": rng.standard_normal((U, g * U)) * 0.4,
        "bias": rng.standard_normal(bias_shape) * 0.3,
        "dy": rng.standard_normal((B, S, U) if rs else (B, 1, U)),
    }
    return {k: v.astype(dtype) for k, v in case.items()}


def run(layer, case, rs, act=TANH, par=0, dx=None, need_dx=1, acc=0, forward_only=False):
    """Forward then backward with workspaces filled with NaN (kernels must not read garbage)."""
    dtype = case["x"].dtype
    ws = {k: np.full(s, np.nan, dtype) for k, s in WORKSPACES[layer](B, S, IN, U).items()}
    y = np.full((B, S, U) if rs else (B, 1, U), np.nan, dtype)
    fwd = getattr(R, layer + "_forward")
    head = (case["x"], case["kernel"], case["recurrent"], case["bias"])
    tail = (act,) if layer == "simple_rnn" else ()
    fwd(*head, *(ws[k] for k in FORWARD_WS[layer]), y, *tail, int(rs), par)
    if forward_only:
        return y
    grads = {"dx": np.full((B, S, IN), np.nan, dtype) if dx is None else dx,
             "dkernel": np.full_like(case["kernel"], np.nan),
             "drecurrent": np.full_like(case["recurrent"], np.nan),
             "dbias": np.full_like(case["bias"], np.nan)}
    bwd = getattr(R, layer + "_backward")
    back_ws = [k for k in ws if k not in FORWARD_WS[layer]]
    bwd(case["kernel"], case["recurrent"], *(ws[k] for k in KEPT_WS[layer]), case["dy"],
        *(ws[k] for k in back_ws), grads["dx"], grads["dkernel"], grads["drecurrent"],
        grads["dbias"], *tail, int(rs), need_dx, acc, par)
    return y, grads


# ---------------------------------------------------------------------------------------------
# PyTorch references (float64). Torch keeps weights transposed, T[gates * U, In], and orders the
# GRU gates r, z, n where ours are z, r, h.

def _gru_perm():
    z, r, h = (np.arange(U) + k * U for k in range(3))
    return np.concatenate([r, z, h])  # torch row j is our column perm[j]


def _torch_module(layer, case, act):
    kw = dict(input_size=IN, hidden_size=U, batch_first=True, dtype=torch.float64)
    perm = _gru_perm() if layer == "gru" else np.arange(GATES[layer] * U)
    bias = case["bias"]
    b_ih, b_hh = (bias[0], bias[1]) if layer == "gru" else (bias, np.zeros_like(bias))
    if layer == "simple_rnn":
        mod = torch.nn.RNN(nonlinearity={TANH: "tanh", RELU: "relu"}[act], **kw)
    else:
        mod = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[layer](**kw)
    with torch.no_grad():
        mod.weight_ih_l0.copy_(torch.from_numpy(case["kernel"].T[perm]))
        mod.weight_hh_l0.copy_(torch.from_numpy(case["recurrent"].T[perm]))
        mod.bias_ih_l0.copy_(torch.from_numpy(b_ih[perm]))
        mod.bias_hh_l0.copy_(torch.from_numpy(b_hh[perm]))
    return mod, perm


def torch_reference(layer, case, rs, act=TANH):
    mod, perm = _torch_module(layer, case, act)
    x = torch.from_numpy(case["x"]).requires_grad_()
    out = mod(x)[0]
    y = out if rs else out[:, -1:]
    (y * torch.from_numpy(case["dy"])).sum().backward()
    inv = np.argsort(perm)
    g_ih, g_hh = mod.bias_ih_l0.grad.numpy(), mod.bias_hh_l0.grad.numpy()
    dbias = np.stack([g_ih[inv], g_hh[inv]]) if layer == "gru" else g_ih
    return y.detach().numpy(), {
        "dx": x.grad.numpy(),
        "dkernel": mod.weight_ih_l0.grad.numpy()[inv].T,
        "drecurrent": mod.weight_hh_l0.grad.numpy()[inv].T,
        "dbias": dbias,
    }


def torch_simple_rnn_loop(case, rs, act):
    """SimpleRNN written out in torch ops, for the activations torch.nn.RNN lacks."""
    x = torch.from_numpy(case["x"]).requires_grad_()
    w = {k: torch.from_numpy(case[k]).requires_grad_() for k in ("kernel", "recurrent", "bias")}
    h = torch.zeros(B, U, dtype=torch.float64)
    hs = []
    for t in range(S):
        h = TORCH_ACT[act](x[:, t] @ w["kernel"] + h @ w["recurrent"] + w["bias"])
        hs.append(h)
    y = torch.stack(hs, 1) if rs else h[:, None]
    (y * torch.from_numpy(case["dy"])).sum().backward()
    return y.detach().numpy(), {"dx": x.grad.numpy(), "dkernel": w["kernel"].grad.numpy(),
                                "drecurrent": w["recurrent"].grad.numpy(),
                                "dbias": w["bias"].grad.numpy()}


def assert_grads_close(got, want, atol):
    for name in ("dx", "dkernel", "drecurrent", "dbias"):
        assert got[name].shape == want[name].shape, name
        np.testing.assert_allclose(got[name], want[name], rtol=0, atol=atol, err_msg=name)


CASES = [pytest.param("simple_rnn", TANH, id="simple_rnn-tanh"),
         pytest.param("simple_rnn", RELU, id="simple_rnn-relu"),
         pytest.param("lstm", TANH, id="lstm"), pytest.param("gru", TANH, id="gru")]
RS = [pytest.param(True, id="seq"), pytest.param(False, id="last")]


@pytest.mark.parametrize("rs", RS)
@pytest.mark.parametrize("layer,act", CASES)
def test_matches_torch(layer, act, rs):
    case = make_case(layer, rs)
    y, grads = run(layer, case, rs, act)
    y_ref, grads_ref = torch_reference(layer, case, rs, act)
    assert y.shape == y_ref.shape
    np.testing.assert_allclose(y, y_ref, rtol=0, atol=1e-10)
    assert_grads_close(grads, grads_ref, 1e-9)


@pytest.mark.parametrize("act", [LINEAR, LEAKY_RELU, SIGMOID, GELU])
def test_simple_rnn_other_activations_match_torch_ops(act):
    case = make_case("simple_rnn", True, seed=act)
    y, grads = run("simple_rnn", case, True, act)
    y_ref, grads_ref = torch_simple_rnn_loop(case, True, act)
    # GELU's constants 1/sqrt(2) and 1/sqrt(2 pi) are float32 in activations.py, also in float64
    # (relative error ~1e-8), so it gets a looser bound than the exact activations.
    tol = 1e-7 if act == GELU else 1e-10
    np.testing.assert_allclose(y, y_ref, rtol=0, atol=tol)
    assert_grads_close(grads, grads_ref, 1e-7 if act == GELU else 1e-9)


# ---------------------------------------------------------------------------------------------
# Finite differences, independent of torch.

@pytest.mark.parametrize("rs", RS)
@pytest.mark.parametrize("layer", ["lstm", "gru", "simple_rnn"])
def test_finite_differences(layer, rs):
    case = make_case(layer, rs, seed=7)
    _, grads = run(layer, case, rs)
    rng = np.random.default_rng(1)
    eps = 1e-6

    def loss():
        return float((run(layer, case, rs, forward_only=True) * case["dy"]).sum())

    for name, grad in (("x", "dx"), ("kernel", "dkernel"), ("recurrent", "drecurrent"),
                       ("bias", "dbias")):
        arr = case[name]
        for flat in rng.choice(arr.size, 4, replace=False):
            idx = np.unravel_index(flat, arr.shape)
            keep = arr[idx]
            arr[idx] = keep + eps
            up = loss()
            arr[idx] = keep - eps
            down = loss()
            arr[idx] = keep
            numeric = (up - down) / (2 * eps)
            assert abs(grads[grad][idx] - numeric) < 1e-7, (name, idx, grads[grad][idx], numeric)


# ---------------------------------------------------------------------------------------------
# The kernel contract, in float32 (the training dtype).

LAYERS = ["simple_rnn", "lstm", "gru"]


@pytest.mark.parametrize("rs", RS)
@pytest.mark.parametrize("layer", LAYERS)
def test_float32_parallel_equals_serial_and_serial_repeats_exactly(layer, rs):
    case = make_case(layer, rs, np.float32, seed=3)
    y0, g0 = run(layer, case, rs, par=0)
    y0b, g0b = run(layer, case, rs, par=0)
    y1, g1 = run(layer, case, rs, par=1)
    for arr in (y0, *g0.values(), y1, *g1.values()):
        assert arr.dtype == np.float32
    np.testing.assert_array_equal(y0, y0b)
    for name in g0:
        np.testing.assert_array_equal(g0[name], g0b[name])
    np.testing.assert_allclose(y1, y0, rtol=0, atol=1e-6)
    assert_grads_close(g1, g0, 1e-6)
    # float32 results agree with the float64 computation of the same case
    y64, g64 = run(layer, {k: v.astype(np.float64) for k, v in case.items()}, rs)
    np.testing.assert_allclose(y0, y64, rtol=0, atol=1e-5)
    assert_grads_close(g0, g64, 1e-4)


@pytest.mark.parametrize("layer", LAYERS)
def test_acc_adds_into_dx(layer):
    case = make_case(layer, True, np.float32, seed=4)
    _, fresh = run(layer, case, True)
    base = np.random.default_rng(5).standard_normal((B, S, IN)).astype(np.float32)
    _, added = run(layer, case, True, dx=base.copy(), acc=1)
    np.testing.assert_allclose(added["dx"], base + fresh["dx"], rtol=0, atol=1e-6)
    assert_grads_close({**added, "dx": fresh["dx"]}, fresh, 0)


@pytest.mark.parametrize("layer", LAYERS)
def test_need_dx_zero_leaves_dx_untouched(layer):
    case = make_case(layer, True, np.float32, seed=6)
    _, fresh = run(layer, case, True)
    sentinel = np.full((B, S, IN), 7.0, np.float32)
    _, grads = run(layer, case, True, dx=sentinel, need_dx=0, acc=0)
    np.testing.assert_array_equal(sentinel, 7.0)
    for name in ("dkernel", "drecurrent", "dbias"):
        np.testing.assert_array_equal(grads[name], fresh[name])


def test_need_dx_zero_accepts_a_one_element_dummy():
    case = make_case("gru", True, np.float32, seed=8)
    _, fresh = run("gru", case, True)
    dummy = np.full(1, 7.0, np.float32)
    _, grads = run("gru", case, True, dx=dummy, need_dx=0)
    assert dummy[0] == 7.0
    np.testing.assert_array_equal(grads["dkernel"], fresh["dkernel"])


def test_workspace_shapes():
    assert R.simple_rnn_workspaces(2, 3, 4, 5) == {
        "x_tm": (3, 2, 4), "z": (3, 2, 5), "h": (4, 2, 5), "dh": (2, 5)}
    assert list(R.lstm_workspaces(2, 3, 4, 5)) == ["x_tm", "gates", "rec", "c", "h", "dh", "dc"]
    assert R.lstm_workspaces(2, 3, 4, 5)["gates"] == (3, 2, 20)
    assert list(R.gru_workspaces(2, 3, 4, 5)) == [
        "x_tm", "gates", "rec", "rh", "h", "da_rec", "dh", "dh_rec"]
    assert R.gru_workspaces(2, 3, 4, 5)["da_rec"] == (3, 2, 15)


def test_return_sequences_must_match_output_rank():
    case = make_case("lstm", True)
    ws = {k: np.zeros(s) for k, s in R.lstm_workspaces(B, S, IN, U).items()}
    y = np.zeros((B, S, U))
    with pytest.raises(ValueError):
        R.lstm_forward(case["x"], case["kernel"], case["recurrent"], case["bias"], ws["x_tm"],
                       ws["gates"], ws["rec"], ws["c"], ws["h"], y, 0, 0)
