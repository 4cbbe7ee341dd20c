"""Compile (or load from the disk cache) the CPU executor ahead of the first Train.

`python -m visnet.core.backends.cpu.warmup` runs at set-up; the app calls warm_up() in the
background at start. The executor is one function for every network, so one tiny run compiles
everything any drawing will need.
"""

from __future__ import annotations

import time

import numpy as np


def warm_up() -> float:
    """Run a one-sample step of a tiny network; returns the seconds it took."""
    from ...graph import Graph
    from ...model import compile

    start = time.perf_counter()
    g = Graph()
    x = g.add("Input", shape=[2])
    d = g.add("Dense", units=2)
    g.connect(x, d)
    g.connect(d, g.add("Loss"))
    model = compile(g, backend="serial")
    model.train_step(np.zeros((1, 2), np.float32), np.zeros(1, np.float32))
    return time.perf_counter() - start


if __name__ == "__main__":
    print(f"VisNet's CPU kernels are ready ({warm_up():.1f} s)")
