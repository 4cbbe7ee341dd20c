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

