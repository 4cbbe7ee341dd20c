"""How the parallel CPU backend shares the machine: its thread pool's settings, and a chooser
that measures, while a run trains, whether all threads or one thread is faster right now.

Measured on a 2-core machine (benchmarks/contention.py, the seed CNN, ms per step):

    settings                          quiet   one core held by another program   serial
    libgomp default (spins ~300k)      4.9        14.5                           6.7-7.0
    OMP_WAIT_POLICY=passive            5.4-5.8     7.1-7.3
    GOMP_SPINCOUNT=3000                4.7-5.0     8.4
    GOMP_SPINCOUNT=3000, 1 thread       -          6.7-6.8

An idle OpenMP thread that spins keeps a core from every other program (the window, the X
server), and when another program holds a core the spinning threads lose their time slices and
every parallel region waits for the slowest one. A short spin (GOMP_SPINCOUNT) keeps the wake-up
of back-to-back regions within a step as fast as spinning forever and lets the threads sleep
between steps; passive waiting (no spin) pays a futex wake-up for every region, 10-15% of a step.
With one core held, the threads still wait for each other, so the chooser falls back to one
thread, which is as fast as `serial`; when the other program stops, the next comparison takes
all the threads back.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable

# Read by libgomp when Numba's OpenMP pool first starts (the first parallel kernel), so setting
# them when this package is imported is early enough. A user's own setting wins.
POOL_ENVIRONMENT = {"GOMP_SPINCOUNT": "3000"}

PROBE_CALLS = 4  # calls timed with each thread count in one comparison
COMPARE_EVERY_S = 2.0  # seconds of running with the chosen count between comparisons
WARMUP_CALLS = 2  # the first calls of a program are not timed (caches, page faults)


def configure_pool() -> None:
    for name, value in POOL_ENVIRONMENT.items():
        os.environ.setdefault(name, value)


def _set_threads(n: int) -> None:
    import numba

    if numba.get_num_threads() != n:  # thread-local in Numba: checked on every call
        numba.set_num_threads(n)


def _most_threads() -> int:
    import numba

    return int(numba.config.NUMBA_NUM_THREADS)


class ThreadChooser:
    """Runs one program with all threads or with one, whichever its recent calls found faster.

    Every ``COMPARE_EVERY_S`` seconds of running it alternates the two counts for
    ``PROBE_CALLS`` calls each and keeps the count with the lower median time. Alternating
    makes the machine's drift hit both alike; the comparison costs a few slow calls every two
    seconds (under 2% when the loser is twice as slow)."""

    def __init__(self, most: int | None = None, clock: Callable[[], float] = time.perf_counter,
                 set_threads: Callable[[int], None] = _set_threads):
        self.most = most if most is not None else _most_threads()
        self.clock = clock
        self.set_threads = set_threads
        self.threads = self.most
        self._calls = 0
        self._since_compare = 0.0
        self._queue: list[int] = []  # thread counts of the comparison under way
        self._times: dict[int, list[float]] = {}
        self.comparisons = 0

    def run(self, call: Callable[[], None]) -> None:
        if self.most <= 1:
            call()
            return
        n = self._queue.pop() if self._queue else self.threads
        self.set_threads(n)
        start = self.clock()
        call()
        elapsed = self.clock() - start
        self._calls += 1
        if self._calls <= WARMUP_CALLS:
            return
        if self._times:
            self._times[n].append(elapsed)
            if not self._queue:
                self._decide()
            return
        self._since_compare += elapsed
        if self.comparisons == 0 or self._since_compare >= COMPARE_EVERY_S:
            self._start_comparison()

    def _start_comparison(self) -> None:
        self._times = {self.most: [], 1: []}
        self._queue = [self.most, 1] * PROBE_CALLS

    def _decide(self) -> None:
        medians = {n: statistics.median(t) for n, t in self._times.items()}
        self.threads = min(medians, key=lambda n: (medians[n], -n))
        self._times = {}
        self._since_compare = 0.0
        self.comparisons += 1
