"""`visnet train FILE`: train a drawing headless, with a progress bar (or JSON lines), and write
the trained file. Ctrl-C stops after the current batch and writes a checkpoint that `visnet
train` continues exactly where it stopped; a second Ctrl-C quits at once."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from pathlib import Path
from typing import Any

from .resources import RESOURCES, drawing_path

EXIT_DIVERGED = 1


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="a .visnet or .json drawing, or a template's name "
                   "(e.g. spiral_mlp)")
    p.add_argument("--dataset", metavar="D", help="dataset spec: a built-in name (spiral, "
                   "digits, ...) or mnist:DIR, csv:FILE, npz:FILE, images:DIR; default: the "
                   "drawing's own")
    p.add_argument("--epochs", type=_positive, metavar="N")
    p.add_argument("--batch-size", type=_positive, metavar="N")
    p.add_argument("--lr", type=_positive_float, metavar="X", help="learning rate")
    p.add_argument("--backend", choices=("cpu", "cuda", "serial"))
    p.add_argument("--seed", type=_non_negative, metavar="N")
    p.add_argument("--early-stopping", type=_positive, metavar="PATIENCE",
                   help="stop when the validation loss has not improved for this many epochs "
                        "and keep the best weights")
    p.add_argument("--fresh", action="store_true",
                   help="start from new weights even if the file has trained ones")
    p.add_argument("--out", metavar="FILE", help="write the trained drawing (weights, history, "
                   "checkpoint) here")
    p.add_argument("--json", action="store_true", help="print one JSON object per epoch on "
                   "stdout and nothing else")


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError(text)
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0 or value == float("inf"):
        raise ValueError(text)
    return value


_positive.__name__ = "whole number >= 1"
_non_negative.__name__ = "whole number >= 0"
_positive_float.__name__ = "positive number"


def run(args: argparse.Namespace) -> int:
    from .core.data import DataError
    from .core.fileformat import load, save
    from .core.prepare import load_and_compile
    from .core.training import (BatchEnd, Checkpoint, EpochEnd, Failed, Finished, Trainer)

    path = drawing_path(args.file)
    doc = load(path)
    graph = doc.graph
    spec = args.dataset or graph.dataset
    if not spec:
        raise DataError(f"{path.name} names no dataset: pass --dataset, e.g. --dataset spiral")
    changes: dict[str, Any] = {}
    for key in ("epochs", "batch_size", "backend", "seed"):
        if getattr(args, key) is not None:
            changes[key] = getattr(args, key)
    if args.lr is not None:
        changes["optimizer"] = {**graph.training.optimizer, "lr": args.lr}
    if changes:
        graph.set_training(graph.training.updated(**changes))
    settings = graph.training
    # The data are checked against the drawing before anything is printed or compiled.
    dataset, model = load_and_compile(graph, spec, base_dir=path.parent)

    resume = None
    if doc.checkpoint is not None and not args.fresh:
        state, arrays = doc.checkpoint
        cp = Checkpoint.from_parts(state, arrays, doc.weights, doc.history)
        if not cp.finished and cp.epoch < settings.epochs:
            resume = cp
    history = None if args.fresh else doc.history
    if resume is None and doc.weights is not None and not args.fresh:
        model.set_weights(doc.weights, strict=False)
    trainer = Trainer(model, dataset, early_stopping=args.early_stopping, snapshot_every=None,
                      resume=resume, history=history)

    def say(text: str) -> None:
        print(text, file=sys.stderr)

    say(dataset.summary())
    if resume is not None:
        say(f"continuing from the checkpoint in {path.name}: epoch {resume.epoch + 1}, "
            f"batch {resume.batch + 1}")

    bar = _Bar(settings.epochs, enabled=sys.stderr.isatty() and not args.json)
    previous = signal.getsignal(signal.SIGINT)

    def interrupt(signum, frame):  # first Ctrl-C: stop after this batch; second: quit now
        signal.signal(signal.SIGINT, signal.default_int_handler)
        trainer.stop()

    signal.signal(signal.SIGINT, interrupt)
    status = 0
    start = time.perf_counter()
    try:
        for event in trainer.run():
            if isinstance(event, BatchEnd):
                bar.batch(event)
            elif isinstance(event, EpochEnd):
                bar.epoch(event)
                if args.json:
                    print(json.dumps(_epoch_json(event.metrics)), flush=True)
            elif isinstance(event, Failed):
                bar.close()
                say(f"visnet: {event.message}")
                status = EXIT_DIVERGED
            elif isinstance(event, Finished):
                bar.close()
                last = event.history["epochs"][-1] if event.history["epochs"] else {}
                figures = ", ".join(f"{k} {last[k]:.4g}" for k in
                                    ("loss", "accuracy", "val_loss", "val_accuracy", "val_mae")
                                    if isinstance(last.get(k), float))
                done = {"completed": "done", "stopped": "stopped",
                        "early_stopping": "stopped early"}[event.reason]
                say(f"{done} after {event.epochs_done} epochs in "
                    f"{time.perf_counter() - start:.1f} s" + (f": {figures}" if figures else "")
                    + (f" (best weights from epoch {event.best_epoch})"
                       if event.best_epoch else ""))
    finally:
        signal.signal(signal.SIGINT, previous)
        bar.close()

    cp = trainer.checkpoint()
    out = Path(args.out) if args.out else None
    if out is None and not cp.finished:  # stopped or failed: never lose the run
        # Beside the drawing, or in the current folder for a template shipped with VisNet.
        folder = Path.cwd() if path.resolve().is_relative_to(RESOURCES.resolve()) \
            else path.parent
        out = folder / (path.stem + ".checkpoint.visnet")
    if out is not None:
        save(out, graph, cp.weights, cp.history, (cp.state(), cp.arrays()))
        say(f"wrote {out}" + ("" if cp.finished else
                              f"; continue with: visnet train {out} --out {path}"))
    return status


def _epoch_json(m: dict[str, Any]) -> dict[str, Any]:
    out = {k: m.get(k) for k in ("epoch", "loss", "accuracy", "val_loss", "val_accuracy")}
    for k in ("mae", "val_mae", "val_f1"):
        if k in m:
            out[k] = m[k]
    out["seconds"] = m.get("seconds")
    return out


class _Bar:
    """One tqdm bar per epoch on stderr (a terminal only)."""

    def __init__(self, epochs: int, enabled: bool):
        self.epochs = epochs
        self.enabled = enabled
        self._bar = None

    def batch(self, ev) -> None:
        if not self.enabled:
            return
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(total=ev.batches, initial=ev.batch - 1, unit="batch",
                             desc=f"epoch {ev.epoch}/{self.epochs}", file=sys.stderr,
                             leave=False, dynamic_ncols=True)
        self._bar.update(1)
        if ev.batch % 10 == 0 or ev.batch == ev.batches:
            figures = {"loss": f"{ev.loss:.4f}"}
            if ev.accuracy is not None:
                figures["acc"] = f"{ev.accuracy:.3f}"
            self._bar.set_postfix(figures, refresh=False)

    def epoch(self, ev) -> None:
        self.close()
        if self.enabled:
            m = ev.metrics
            parts = [f"epoch {ev.epoch}/{ev.epochs}", f"loss {m['loss']:.4f}"]
            for k in ("accuracy", "val_loss", "val_accuracy", "val_mae"):
                if isinstance(m.get(k), float):
                    parts.append(f"{k} {m[k]:.4f}")
            print("  ".join(parts) + f"  ({ev.seconds:.1f} s)", file=sys.stderr)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None

