"""How the CUDA backend runs a plan: each op code has a handler, a plain Python function that
takes the instruction row and the two device arenas and launches kernels on views of them.
Kernel families register their handlers with ``handles``; ``views`` and ``grid`` are the
shared helpers."""

from __future__ import annotations

import math
from typing import Callable

from ..opcodes import FIELDS, Op
from .config import MAX_BLOCKS, THREADS

Handler = Callable[..., None]  # handler(row, P, W, step)
HANDLERS: dict[int, Handler] = {}


def handles(*ops: Op):
    """Register the decorated function as the handler of these op codes."""
    def register(fn: Handler) -> Handler:
        for op in ops:
            if int(op) in HANDLERS:
                raise RuntimeError(f"two CUDA handlers for {op.name}")
            HANDLERS[int(op)] = fn
        return fn
    return register


def view(arena, offset: int, *shape: int):
    """The device array ``arena[offset:offset + prod(shape)]`` with that shape (no copy)."""
    n = math.prod(shape)
    flat = arena[int(offset):int(offset) + n]
    return flat if len(shape) == 1 else flat.reshape(tuple(int(s) for s in shape))


def grid(n: int) -> tuple[int, int]:
    """(blocks, threads) for a one-dimensional kernel over n items with a grid-stride loop."""
    return max(1, min(MAX_BLOCKS, -(-int(n) // THREADS))), THREADS


def fields(row, op: Op) -> dict[str, int]:
    """An instruction's fields by name (see visnet.core.backends.opcodes.FIELDS)."""
    return {name: int(row[i]) for i, name in enumerate(FIELDS[op], start=1)}
