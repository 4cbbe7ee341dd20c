"""Compile latency, each measured in a fresh Python process: compile() to the end of the first
train_step of the spiral template with an empty kernel cache (cold) and on the cache that run
filled (warm); and the whole `import visnet` + compile() + first step of the digits_cnn template,
warm.

The child gets NUMBA_CACHE_DIR pointed at a new temporary folder, and VISNET_KERNEL_CACHE too:
visnet keeps its kernels in a cache folder of its own, which overrides NUMBA_CACHE_DIR. A cold
run that writes nothing there, or a warm run that compiles, is flagged in the notes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NAME = "compile"
ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "resources" / "templates"

# Run in the child: times import, compile() and the first train_step on one random batch of the
# template's batch size (loading the file and making the batch are left out).
CHILD = r"""
import time
t0 = time.perf_counter()
import json, sys
import numpy as np
import visnet
from visnet.core.model import compile
t_import = time.perf_counter()
g = visnet.load(sys.argv[1]).graph
shapes = g.infer_shapes()
loss = next(n for n in g.nodes if g.nodes[n].type == "Loss")
out = shapes[g.inputs_of(loss)[0].src]
x_shape = next(shapes[n] for n in g.nodes if g.nodes[n].type == "Input")
kind = g.nodes[loss].resolved_params()["kind"]
rng = np.random.default_rng(0)
batch = g.training.batch_size
x = rng.random((batch, *x_shape)).astype(np.float32)
if kind == "cross_entropy":
    y = rng.integers(0, out[-1], batch).astype(np.float32)
else:
    y = (rng.random((batch, *out)) > 0.5).astype(np.float32)
t1 = time.perf_counter()
model = compile(g, backend="cpu")
t2 = time.perf_counter()
stats = model.train_step(x, y)
t3 = time.perf_counter()
print(json.dumps({"import_s": t_import - t0, "compile_s": t2 - t1, "first_step_s": t3 - t2,
                  "loss": stats["loss"]}))
"""


def child(template: str, cache_dir: str) -> dict:
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir, VISNET_KERNEL_CACHE=cache_dir,
               OPENBLAS_NUM_THREADS="1")
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", CHILD, str(TEMPLATES / f"{template}.visnet")],
                          env=env, cwd=ROOT, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(last_exception(proc.stderr))
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["process_s"] = wall  # interpreter start-up included
    return out


def last_exception(stderr: str) -> str:
    """The last exception line of a traceback, without terminal colours, cut short."""
    plain = re.sub(r"\x1b\[[0-9;]*m", "", stderr)
    lines = [ln.strip() for ln in plain.splitlines() if ln.strip()]
    found = [ln for ln in lines if re.match(r"^[\w.]+(Error|Exception)\b", ln)]
    return (found or lines or ["no error output"])[-1][:300]


# (label, template); all on one cache folder, empty before the first. The executor is one Numba
# function for every network, so the spiral's cold run compiles what digits_cnn needs too; the
# digits_cnn timing comes from its second run, to be warm whatever the first one compiled.
SEQUENCE = (("spiral_mlp cold", "spiral_mlp"), ("spiral_mlp warm", "spiral_mlp"),
            ("digits_cnn 1st run", "digits_cnn"), ("digits_cnn warm", "digits_cnn"))


def run(quick: bool) -> dict:
    runs: dict[str, dict] = {}
    errors: list[str] = []
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="visnet-bench-kernels-") as cache:
        for label, template in SEQUENCE:
            print(f"  {label}...", file=sys.stderr, flush=True)
            before = set(Path(cache).rglob("*.nbi"))
            try:
                runs[label] = child(template, cache)
            except (RuntimeError, ValueError) as exc:
                errors.append(f"{label}: {exc}")
            compiled = bool(set(Path(cache).rglob("*.nbi")) - before)
            if label.endswith("cold") and not compiled:
                notes.append(f"{label} wrote nothing to its empty cache folder: not a cold "
                             f"compile")
            if label.endswith("warm") and compiled:
                notes.append(f"{label} compiled kernels (a cold run failed, or kernel sources "
                             f"changed meanwhile): not warm")
    rows = [{"label": f"{label}: compile+1st step",
             "visnet": r["compile_s"] + r["first_step_s"]} for label, r in runs.items()
            if label.startswith("spiral")]
    if "digits_cnn warm" in runs:
        r = runs["digits_cnn warm"]
        rows.append({"label": "digits_cnn warm: import+comp+step",
                     "visnet": r["import_s"] + r["compile_s"] + r["first_step_s"]})
    notes += [f"{label}: import {r['import_s']:.2f} s, compile() {r['compile_s']:.3f} s, first "
              f"step {r['first_step_s']:.2f} s, whole process {r['process_s']:.2f} s"
              for label, r in runs.items()]
    return {"workload": NAME, "description": "fresh processes; cold = empty kernel cache, "
            "warm = a later run on the same cache", "rows": rows, "first_loss": {},
            "last_loss": {}, "errors": {"visnet": "; ".join(errors)} if errors else {},
            "runs": runs, "notes": notes, "check": "", "config": {"sequence": SEQUENCE}}
