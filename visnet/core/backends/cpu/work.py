"""Which passes of a plan the parallel CPU backend runs on every thread.

A pass goes parallel when its work (about one unit per value touched, or per multiply-add)
reaches PARALLEL_MIN_WORK: waking the thread pool costs microseconds, and prange loops
vectorise worse than plain ones, so small passes run faster on one thread. The work of each op
is read from its instruction's sizes, so the compiler needs to know nothing about threads.
"""

from __future__ import annotations

import numpy as np

from ..opcodes import BACKEND_SLOT, FIELDS, OP_SLOT, Op
from .config import PARALLEL_MIN_WORK
from .executor import WORK, load_handlers


def mark_parallel(program: np.ndarray) -> np.ndarray:
    """A copy of ``program`` whose BACKEND_SLOT column is 1 for the passes to run in parallel
    (each op's rule is registered with its handler: ``executor.handles(..., work=...)``)."""
    load_handlers()
    marked = program.copy()
    for row in marked:
        op = Op(int(row[OP_SLOT]))
        rule = WORK.get(int(op))
        if rule is not None:
            fields = {name: int(row[i]) for i, name in enumerate(FIELDS[op], start=1)}
            row[BACKEND_SLOT] = int(rule(fields) >= PARALLEL_MIN_WORK)
    return marked
