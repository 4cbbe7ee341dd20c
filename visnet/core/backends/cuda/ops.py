"""How the CUDA backend runs a plan: each op code has a handler, a plain Python function that
takes the instruction row and the two arenas and launches kernels on views of them. Kernel
families register their handlers with ``handles``; ``view``, ``grid`` and ``fields`` are the
shared helpers.

A plan runs the same instructions on the same arenas at every step, so the Python work of a
step is kept to the launches: an ``Arena`` makes each view of its device array once (cutting a
device array costs about as much as a launch) and ``fields`` decodes each row once."""

from __future__ import annotations

import functools
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


class Arena:
    """A float32 device array (the parameters, or one plan's workspace) and the views of it that
    instructions have asked for, each made once."""

    __slots__ = ("data", "_views")

    def __init__(self, data):
        self.data = data
        self._views: dict = {}

    def view(self, offset: int, shape: tuple[int, ...]):
        found = self._views.get((offset, shape))
        if found is None:
            found = self._views[(offset, shape)] = _cut(self.data, offset, shape)
        return found


def _cut(data, offset: int, shape: tuple[int, ...]):
    n = math.prod(shape)
    flat = data[int(offset):int(offset) + n]
    return flat if len(shape) == 1 else flat.reshape(tuple(int(s) for s in shape))


def view(arena, offset: int, *shape: int):
    """The device array ``arena[offset:offset + prod(shape)]`` with that shape (no copy); made
    once per arena, offset and shape when arena is an Arena."""
    if isinstance(arena, Arena):
        return arena.view(offset, shape)
    return _cut(arena, offset, shape)


def grid(n: int) -> tuple[int, int]:
    """(blocks, threads) for a one-dimensional kernel over n items with a grid-stride loop."""
    return max(1, min(MAX_BLOCKS, -(-int(n) // THREADS))), THREADS


def fields(row, op: Op) -> dict[str, int]:
    """An instruction's fields by name (see visnet.core.backends.opcodes.FIELDS); rows that
    come as tuples (a prepared plan's) are decoded once. The dict is shared: read it only."""
    if isinstance(row, tuple):
        return _decoded(row, op)
    return {name: int(row[i]) for i, name in enumerate(FIELDS[op], start=1)}


@functools.lru_cache(maxsize=4096)
def _decoded(row: tuple[int, ...], op: Op) -> dict[str, int]:
    return {name: row[i] for i, name in enumerate(FIELDS[op], start=1)}
