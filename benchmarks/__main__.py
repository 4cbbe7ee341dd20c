"""python -m benchmarks [--only NAME ...] [--quick] [--json]

Times visnet (backend "cpu") against PyTorch CPU and hand-written NumPy on the same data, all
starting from visnet's initial weights, and prints a table (or JSON lines with --json). Where
there is an NVIDIA GPU, visnet's "cuda" backend and PyTorch CUDA run too (two more columns).
Ratios are baseline time / visnet time: above 1 means visnet is faster."""

from __future__ import annotations

import argparse
import importlib
import json
import sys

from . import TORCH_THREADS  # noqa: F401  (sets OPENBLAS_NUM_THREADS before numpy loads)
from .timing import fmt_time, machine

WORKLOADS = {"playground": "playground", "mnist_mlp": "mnist_mlp", "lenet": "lenet",
             "lstm": "lstm", "compile": "compile_latency"}
FRAMEWORKS = ("visnet", "torch", "numpy")
GPU_FRAMEWORKS = ("visnet_cuda", "torch_cuda")


def ratio(base: float | None, visnet: float | None) -> str:
    return f"{base / visnet:.2f}" if base and visnet else "n/a"


def print_table(results: list[dict]) -> None:
    gpu = any(row.get(fw) is not None for res in results for row in res["rows"]
              for fw in GPU_FRAMEWORKS)
    columns = FRAMEWORKS + (GPU_FRAMEWORKS if gpu else ())
    head = f"{'workload':<12} {'per':<34} " + " ".join(f"{fw:>11}" for fw in columns) \
        + f" {'torch/visnet':>12} {'numpy/visnet':>12}" \
        + (f" {'cuda: torch/visnet':>18}" if gpu else "")
    print(head)
    print("-" * len(head))
    for res in results:
        for row in res["rows"]:
            # A framework that could not run says why in the row itself.
            why = "".join(f"  {fw} n/a ({err})" for fw, err in res["errors"].items())
            print(f"{res['workload']:<12} {row['label']:<34} "
                  + " ".join(f"{fmt_time(row.get(fw)):>11}" for fw in columns)
                  + f" {ratio(row.get('torch'), row.get('visnet')):>12}"
                  f" {ratio(row.get('numpy'), row.get('visnet')):>12}"
                  + (f" {ratio(row.get('torch_cuda'), row.get('visnet_cuda')):>18}" if gpu
                     else "") + why)
    print()
    for res in results:
        print(f"{res['workload']}: {res['description']}")
        if any(v is not None for v in res["first_loss"].values()):
            losses = " / ".join(f"{fw} {res['first_loss'][fw]:.6f}" if res["first_loss"].get(fw)
                                is not None else f"{fw} n/a" for fw in FRAMEWORKS
                                + GPU_FRAMEWORKS if fw in res["first_loss"])
            print(f"  first-step loss: {losses}")
            print(f"  {res['check']}")
        for note in res.get("notes", []):
            print(f"  {note}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", action="append", choices=list(WORKLOADS), metavar="NAME",
                   help=f"run only this workload (repeatable): {', '.join(WORKLOADS)}")
    p.add_argument("--quick", action="store_true", help="fewer steps: a smoke run")
    p.add_argument("--json", action="store_true", help="one JSON object per workload on stdout")
    args = p.parse_args(argv)

    info = machine()
    if not args.json:
        print(f"VisNet benchmarks{' (quick)' if args.quick else ''}: {info['cpu']}, "
              f"{info['cores']} cores; Python {info['python']}, numba {info['numba']}, "
              f"numpy {info['numpy']}, torch {info['torch']} ({TORCH_THREADS} threads), "
              f"OPENBLAS_NUM_THREADS={info['OPENBLAS_NUM_THREADS']}")
        print(f"load average before the run: {', '.join(map(str, info['load_average']))} "
              f"(other processes on a {info['cores']}-core machine slow threaded code most)")
        from .frameworks import gpu_reasons

        for fw, why in gpu_reasons().items():
            print(f"{fw}: not run ({why})")
        print()
    results = []
    for name in args.only or list(WORKLOADS):
        print(f"running {name}...", file=sys.stderr, flush=True)
        res = importlib.import_module(f".{WORKLOADS[name]}", __package__).run(args.quick)
        res["machine"] = info
        res["quick"] = args.quick
        if args.json:
            print(json.dumps(res), flush=True)
        results.append(res)
    if not args.json:
        print_table(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
