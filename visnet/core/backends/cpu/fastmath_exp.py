"""exp, sigmoid and tanh in plain float32 arithmetic, so that loops over them vectorise.

Numba calls libm's exp one value at a time (this LLVM has no vector math library), which made
the gate passes of the recurrent layers most of their cost. For float32, exp(x) = 2^n * e^r with
n = round(x / ln 2) and r = x - n ln 2 (ln 2 split in two parts, so r is exact): e^r comes from
a polynomial and 2^n from the float's exponent bits. The relative error is about 2e-7, one unit
in the last place. Float64 (the gradient checks) calls libm, exactly.
"""

import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core.extending import intrinsic, overload

from .config import JIT

F = np.float32
LOG2E = F(1.4426950408889634)
LN2_HI = F(0.693145751953125)  # few bits, so n * LN2_HI is exact
LN2_LO = F(1.428606765330187e-06)
INV = tuple(F(1.0 / math.factorial(k)) for k in range(2, 8))


@intrinsic
def _float_from_bits(typingctx, bits):
    """Reinterpret an int32 as a float32 (no conversion)."""
    if bits != types.int32:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.FloatType())

    return types.float32(types.int32), codegen


def exp(x):
    """e^x: vectorisable for float32, libm's for float64."""
    return math.exp(x)


# No fastmath here: reassociating x - n*hi - n*lo would undo the exact range reduction.
@overload(exp, jit_options=dict(error_model="numpy"))
def _exp(x):
    if x != types.float32:
        return lambda x: math.exp(x)

    c2, c3, c4, c5, c6, c7 = INV

    def exp32(x):
        x = min(max(x, F(-87.0)), F(88.0))
        n = math.floor(x * LOG2E + F(0.5))
        r = (x - n * LN2_HI) - n * LN2_LO
        p = F(1) + r * (F(1) + r * (c2 + r * (c3 + r * (c4 + r * (c5 + r * (c6 + r * c7))))))
        return p * _float_from_bits(np.int32((np.int32(n) + np.int32(127)) << np.int32(23)))

    return exp32


@njit(**JIT)
def sigmoid(v):
    return F(1) / (F(1) + exp(-v))


@njit(**JIT)
def tanh(v):
    """tanh through exp(-2|v|); NaN stays NaN."""
    e = exp(F(-2) * abs(v))
    t = (F(1) - e) / (F(1) + e)
    return t if v >= 0 else -t
