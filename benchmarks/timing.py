"""Shared timing helper: every framework runs the same batch sequence; repeats are interleaved
across frameworks (so machine noise hits them alike) and the median time per step is reported."""

from __future__ import annotations

import gc
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

# A framework's step: trains on batch i (of the workload's shared list) and returns the loss.
Step = Callable[[int], float]
LOSS_CHECK_STEPS = 5  # warm-up steps whose losses are compared between frameworks
LOSS_TOLERANCE = 1e-4  # relative difference above which the loss check fails


def machine() -> dict[str, Any]:
    import numba
    import numpy
    import torch

    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "numba": numba.__version__, "numpy": numpy.__version__, "torch": torch.__version__,
            "OPENBLAS_NUM_THREADS": os.environ.get("OPENBLAS_NUM_THREADS"),
            "load_average": [round(x, 2) for x in os.getloadavg()]}


SETTLE_S = 0.5


def compare(makers: dict[str, Callable[[], Step]], steps: int, repeats: int,
            warmup: int) -> dict[str, dict[str, Any]]:
    """Build each framework's step, run `warmup` steps (the first one's loss is the sanity
    check), then `repeats` rounds of `steps` timed steps, interleaved across frameworks. A
    framework that raises while building or warming up gets {"error": ...} instead."""
    results: dict[str, dict[str, Any]] = {}
    live: dict[str, Step] = {}
    for name, make in makers.items():
        try:
            step = make()
            losses = [step(i) for i in range(max(warmup, 1))]
        except Exception as exc:  # e.g. a layer the visnet build cannot run yet
            results[name] = {"error": f"{type(exc).__name__}: {exc}"}
            print(f"  {name}: n/a ({results[name]['error']})", file=sys.stderr)
            continue
        live[name] = step
        results[name] = {"first_loss": losses[0], "warmup_losses": losses, "runs": []}
    for r in range(repeats):
        start = warmup + r * steps
        for name, step in live.items():
            # Let the previous framework's idle worker threads stop spinning (OpenMP pools spin
            # for a while after each parallel region), so they do not steal this one's cores.
            time.sleep(SETTLE_S)
            gc.collect()
            gc.disable()
            t0 = time.perf_counter()
            for i in range(start, start + steps):
                loss = step(i)
            elapsed = time.perf_counter() - t0
            gc.enable()
            results[name]["runs"].append(elapsed / steps)
            results[name]["last_loss"] = loss
    for name in live:
        results[name]["step_s"] = statistics.median(results[name]["runs"])
    return results


def loss_check(results: dict[str, dict[str, Any]], reference: str = "torch") -> str:
    """Compares the first warm-up losses of every framework with the reference's."""
    ref = results.get(reference, {}).get("warmup_losses")
    if not ref:
        return f"loss check skipped: no {reference} losses"
    worst = 0.0
    for name, r in results.items():
        for a, b in zip(r.get("warmup_losses", [])[:LOSS_CHECK_STEPS], ref):
            worst = max(worst, abs(a - b) / max(abs(b), 1e-12))
    verdict = "OK" if worst <= LOSS_TOLERANCE else "MISMATCH"
    n = min(LOSS_CHECK_STEPS, len(ref))
    return f"loss check {verdict}: max relative difference to {reference} {worst:.1e} over " \
           f"the first {n} steps"


def fmt_time(seconds: float | None) -> str:
    if seconds is None:
        return "n/a"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def report(name: str, description: str, results: dict[str, dict[str, Any]],
           rows: list[tuple[str, float]], **config: Any) -> dict[str, Any]:
    """A workload's result: rows of (label, steps per unit) times, first-step losses, errors."""
    table = [{"label": label, **{fw: (r["step_s"] * per if "step_s" in r else None)
                                 for fw, r in results.items()}} for label, per in rows]
    return {"workload": name, "description": description, "rows": table,
            "first_loss": {fw: r.get("first_loss") for fw, r in results.items()},
            "last_loss": {fw: r.get("last_loss") for fw, r in results.items()},
            "errors": {fw: r["error"] for fw, r in results.items() if "error" in r},
            "runs_s": {fw: r.get("runs") for fw, r in results.items()},
            "check": loss_check(results), "config": config}
