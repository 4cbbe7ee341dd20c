"""What SimpleRNN, LSTM and GRU share: parameters, shape rule, tensors and their lowering.

The kernels of a recurrent layer take their workspaces by name (see each type's
``workspaces``): the sequence in time-major order, the gates of every step, the hidden (and
cell) states, and the gradients carried from one step to the one before.
"""

from collections.abc import Callable

from ..backends.opcodes import FIELDS, Op, encode
from ..params import ParamSpec
from .base import (WeightSpec, activation_code, bias_spec, initializer_param,
                   join_text, kernel_spec, sequence_or_hint)
from .export import Export, onnx_activation, time_first, torch_activation
from .lowering import Instructions, LayerContext, Lowering, Region

Workspaces = Callable[[int, int, int, int], dict[str, tuple[int, ...]]]

RETURN_SEQUENCES = ParamSpec("return_sequences", "bool", False,
                             "output every time step (time, units) instead of the last (units,)")


def shape(p, inputs):
    t, _ = sequence_or_hint(inputs[0])
    return (t, p["units"]) if p["return_sequences"] else (p["units"],)


def card(p) -> list[str]:
    first = f"units {p['units']}"
    if "activation" in p:
        first = join_text(first, p["activation"])
    return [first, "return sequences" if p["return_sequences"] else ""]


def weights(gates: int, bias: Callable, bias_init: str) -> tuple[WeightSpec, ...]:
    """Keras' layout: the gates side by side in the kernels' columns."""
    return (kernel_spec(lambda p, x: (x[-1], gates * p["units"]), "glorot_uniform"),
            WeightSpec("recurrent_kernel", lambda p, x: (p["units"], gates * p["units"]),
                       "orthogonal"),
            bias_spec(bias, bias_init, when=None))


def initializer_params(bias_default: str = "zeros", extra: tuple[str, ...] = ()):
    # Recurrent layers keep Keras' start (glorot kernels, orthogonal recurrent kernels, zero
    # biases and an LSTM's forget gate at one), which trains them well; the input kernel's and
    # the bias's initialisers can be chosen.
    return (initializer_param("kernel_initializer", "glorot_uniform"),
            initializer_param("bias_initializer", bias_default, extra))


def lowering(forward_op: Op, backward_op: Op, workspaces: Workspaces) -> Lowering:
    def sizes(ctx: LayerContext) -> dict[str, int]:
        steps, features = ctx.input_shapes[0]
        extra = {"act": activation_code(ctx.params["activation"])} \
            if "act" in FIELDS[forward_op] else {}
        return dict(batch=ctx.batch, steps=steps, features=features, units=ctx.params["units"],
                    return_sequences=int(ctx.params["return_sequences"]), **extra)

    def buffers(ctx: LayerContext) -> dict[str, Region]:
        steps, features = ctx.input_shapes[0]
        shapes = workspaces(ctx.batch, steps, features, ctx.params["units"])
        return {name: ctx.take(*s) for name, s in shapes.items()}

    def own(ctx: LayerContext, op: Op) -> dict[str, int]:
        return {k: r.offset for k, r in ctx.buf.items() if k in FIELDS[op]}

    def forward(ctx: LayerContext) -> Instructions:
        return [encode(forward_op, x=ctx.inputs[0].offset, w_p=ctx.weight("kernel"),
                       u_p=ctx.weight("recurrent_kernel"), b_p=ctx.weight("bias"),
                       y=ctx.out.offset, **sizes(ctx), **own(ctx, forward_op))]

    def backward(ctx: LayerContext) -> Instructions:
        need_dx = int(ctx.wants_dx[0])
        dx = ctx.dx(0)
        return [encode(backward_op, w_p=ctx.weight("kernel"),
                       u_p=ctx.weight("recurrent_kernel"), dy=ctx.dy.offset, dx=dx.offset,
                       dw_p=ctx.grad("kernel"), du_p=ctx.grad("recurrent_kernel"),
                       db_p=ctx.grad("bias"), need_dx=need_dx,
                       acc=ctx.acc(dx) if need_dx else 0, **sizes(ctx),
                       **own(ctx, backward_op))]

    return Lowering(buffers=buffers, forward=forward, backward=backward)



# --- ONNX --------------------------------------------------------------------------------------
# ONNX's RNN, LSTM and GRU take the sequence time first, kernels (1, gates*units, features) and
# (1, gates*units, units) with one gate per row block, and a bias (1, 2*gates*units): the input
# bias, then the recurrent one. Keras' LSTM gates i, f, c, o become ONNX's i, o, f, c; the GRU
# keeps z, r, h, with the reset gate after the recurrent product (linear_before_reset=1).

_ONNX_OP = {"SimpleRNN": "RNN", "LSTM": "LSTM", "GRU": "GRU"}
_GATE_ORDER = {"SimpleRNN": [0], "LSTM": [0, 3, 1, 2], "GRU": [0, 1, 2]}
_RNN_ACTIVATIONS = {"tanh": ("Tanh", {}), "relu": ("Relu", {}), "sigmoid": ("Sigmoid", {}),
                    "linear": ("Affine", {"activation_alpha": [1.0], "activation_beta": [0.0]}),
                    "leaky_relu": ("LeakyRelu", {"activation_alpha": [0.01]})}


def reorder_gates(m, order: list[int]):
    """The gate blocks side by side on the last axis of m, taken in ``order`` (block i of the
    result is block order[i] of m)."""
    import numpy as np

    blocks = np.split(m, len(order), axis=-1)
    return np.concatenate([blocks[i] for i in order], axis=-1)


def onnx_gates(kind: str, m):
    """The gate blocks of the last axis of m in ONNX's order."""
    return reorder_gates(m, _GATE_ORDER[kind])


def onnx_export(kind: str):
    """The ONNX hook of SimpleRNN, LSTM or GRU."""
    def hook(ctx) -> str:
        import numpy as np

        p = ctx.params
        units = p["units"]
        kernel, recurrent = ctx.weight("kernel"), ctx.weight("recurrent_kernel")
        bias = ctx.weight("bias")
        if kind == "SimpleRNN" and p["activation"] not in _RNN_ACTIVATIONS:
            return _unrolled_rnn(ctx, kernel, recurrent, bias)
        if kind == "GRU":
            input_bias, recurrent_bias = bias[0], bias[1]
        else:
            input_bias, recurrent_bias = bias, np.zeros_like(bias)
        w = ctx.tensor(onnx_gates(kind, kernel).T[None], "W")
        r = ctx.tensor(onnx_gates(kind, recurrent).T[None], "R")
        b = ctx.tensor(np.concatenate([onnx_gates(kind, input_bias),
                                       onnx_gates(kind, recurrent_bias)])[None], "B")
        attrs: dict = {"hidden_size": units}
        if kind == "GRU":
            attrs["linear_before_reset"] = 1
        if kind == "SimpleRNN":
            name, extra = _RNN_ACTIVATIONS[p["activation"]]
            attrs.update(activations=[name], **extra)
        seq, last = ctx.op(_ONNX_OP[kind], time_first(ctx, ctx.inputs[0]), w, r, b,
                           outputs=2, **attrs)
        if p["return_sequences"]:  # (time, 1, batch, units) -> (batch, time, units)
            axis = ctx.tensor(np.array([1], np.int64), "axis")
            return time_first(ctx, ctx.op("Squeeze", seq, axis))
        return ctx.op("Squeeze", last, ctx.tensor(np.array([0], np.int64), "axis"))
    return hook


def _unrolled_rnn(ctx, kernel, recurrent, bias) -> str:
    """A SimpleRNN whose activation ONNX's RNN lacks (gelu), one step after another."""
    import numpy as np

    steps = ctx.input_shapes[0][0]
    x = ctx.inputs[0]
    w, r, b = (ctx.tensor(kernel, "kernel"), ctx.tensor(recurrent, "recurrent_kernel"),
               ctx.tensor(bias, "bias"))
    h = None
    outs = []
    for t in range(steps):
        xt = ctx.op("Gather", x, ctx.tensor(np.array(t, np.int64), "t"), axis=1)
        z = ctx.op("Add", ctx.op("MatMul", xt, w), b)
        if h is not None:
            z = ctx.op("Add", z, ctx.op("MatMul", h, r))
        h = onnx_activation(ctx, z, ctx.params["activation"], (ctx.params["units"],))
        outs.append(h)
    if not ctx.params["return_sequences"]:
        return h
    axis = ctx.tensor(np.array([1], np.int64), "axis")
    return ctx.op("Concat", *[ctx.op("Unsqueeze", o, axis) for o in outs], axis=1)


# --- PyTorch -----------------------------------------------------------------------------------
# nn.RNN, nn.LSTM and nn.GRU (batch first) keep (gates*units, features) kernels and two biases.
# Their LSTM gates i, f, g, o are Keras' i, f, c, o; their GRU gates r, z, n are Keras' r and z
# swapped, with the reset gate after the recurrent product as in Keras. A SimpleRNN whose
# activation nn.RNN lacks is written as a loop (the script's SimpleRNN class).

_TORCH_ORDER = {"SimpleRNN": [0], "LSTM": [0, 1, 2, 3], "GRU": [1, 0, 2]}


def _torch_gates(kind: str, m):
    return reorder_gates(m, _TORCH_ORDER[kind])


def torch_export(kind: str):
    """The PyTorch code of SimpleRNN, LSTM or GRU."""
    def hook(ctx) -> str:
        import numpy as np

        p = ctx.params
        units, features = p["units"], ctx.input_shapes[0][-1]
        kernel, recurrent = ctx.weight("kernel"), ctx.weight("recurrent_kernel")
        bias = ctx.weight("bias")
        last = "" if p["return_sequences"] else "[:, -1]"
        if kind == "SimpleRNN" and p["activation"] not in ("tanh", "relu"):
            act = torch_activation(p["activation"], "h", (units,))
            m = ctx.module(f"{ctx.helper('SimpleRNN')}({features}, {units}, lambda h: {act}, "
                           f"return_sequences={p['return_sequences']})", weight_ih=kernel.T,
                           weight_hh=recurrent.T, bias=bias)
            return f"{m}({ctx.x})"
        input_bias, recurrent_bias = (bias[0], bias[1]) if kind == "GRU" else \
            (bias, np.zeros_like(bias))
        module = {"SimpleRNN": f"nn.RNN({features}, {units}, nonlinearity='"
                               f"{p.get('activation')}', batch_first=True)",
                  "LSTM": f"nn.LSTM({features}, {units}, batch_first=True)",
                  "GRU": f"nn.GRU({features}, {units}, batch_first=True)"}[kind]
        m = ctx.module(module, weight_ih_l0=_torch_gates(kind, kernel).T,
                       weight_hh_l0=_torch_gates(kind, recurrent).T,
                       bias_ih_l0=_torch_gates(kind, input_bias),
                       bias_hh_l0=_torch_gates(kind, recurrent_bias))
        return f"{m}({ctx.x})[0]{last}"
    return hook


def export(kind: str) -> Export:
    return Export(onnx=onnx_export(kind), torch=torch_export(kind))
