"""Training in the app against training headless, on the same drawing.

    python -m benchmarks.app_training [TEMPLATE] [--epochs N] [--rounds R]  # speed: app / headless
    python -m benchmarks.app_training [TEMPLATE] --soak MINUTES  # resident memory over a run

Headless is what `visnet train` runs: the Trainer loop with no snapshots, in its own process.
In the app every live panel is open (floating, so each one paints), the canvas is a live view,
and the window drains events at 30 Hz; "default layout" is the window as it opens. Each
measurement runs in a fresh process (one process's OpenMP pool on its main thread would slow a
second pool on the app's worker thread), the kinds alternate for R rounds because this machine's
speed drifts, and the run is timed from the first to the last batch by the trainer's clock.
Also prints the time from pressing Train to the first plotted point. Needs a display (use
xvfb-run) or QT_QPA_PLATFORM=offscreen.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from . import TORCH_THREADS  # noqa: F401  (sets OPENBLAS_NUM_THREADS before numpy loads)


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def headless(graph, epochs: int) -> tuple[float, None, None]:
    """Samples per second of the bare Trainer loop (as `visnet train` runs it)."""
    from visnet.core.data import load
    from visnet.core.model import compile as compile_model
    from visnet.core.training import BatchEnd, Trainer

    ds = load(graph.dataset, seed=graph.training.seed)
    model = compile_model(graph, seed=graph.training.seed)
    trainer = Trainer(model, ds, epochs=epochs, snapshot_every=None)
    first = last = None
    samples = 0
    for ev in trainer.run():
        if isinstance(ev, BatchEnd):
            if first is None:
                first = ev.seconds
            else:
                samples += trainer.batch_size
            last = ev.seconds
    return samples / (last - first), None, None


def app_window(graph, float_panels: bool = True):
    from PySide6.QtWidgets import QApplication, QMessageBox

    from visnet.core.fileformat import Document
    from visnet.ui.document import DocumentModel
    from visnet.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = MainWindow(DocumentModel(Document(graph)), remember=False)
    window.ask = lambda *a: QMessageBox.StandardButton.Discard
    window.resize(1280, 800)
    window.show()
    for i, panel in enumerate(window.training_panels.values()):  # every panel painting
        if not float_panels:
            break
        panel.setFloating(True)
        panel.resize(420, 300)
        panel.move(40 + 60 * i, 40 + 40 * i)
        panel.show()
    first = next(n for n in graph.nodes.values() if n.layer.weight_specs(n.resolved_params()))
    window.scene.select_nodes([first.id])  # histograms and activations of a layer too
    app.processEvents()
    return app, window


def in_app(graph, epochs: int, float_panels: bool = True) -> tuple[float, float | None, float]:
    """Samples per second in the app, seconds from Train to the first plotted point, and the
    frames per second the loss curves were painted at while it trained."""
    app, window = app_window(graph, float_panels)
    ctl = window.controller
    times: list[float] = []
    arrivals: list[float] = []
    batch = graph.training.batch_size

    def on_batches(block):
        times.append((block["seconds"], len(block["step"])))
        arrivals.append(time.perf_counter())

    ctl.batches.connect(on_batches)
    ctl.state_changed.connect(lambda state: state == "idle" and app.quit())
    frames = FrameCounter(window.training_panels["curves"].content)
    window.training_bar.train_button.click()
    app.exec()  # the event loop as the app runs it, until the run ends
    window.close()
    # blocks of batch points every 30 ms: from the end of the first block to the last one
    (t0, _), (t1, _) = times[0], times[-1]
    samples = sum(n for _, n in times[1:]) * batch
    return samples / (t1 - t0), ctl.first_point_seconds, frames.rate(arrivals[0], arrivals[-1])


class FrameCounter:
    """Counts the paint events a widget gets (an event filter), with their times."""

    def __init__(self, widget):
        from PySide6.QtCore import QEvent, QObject

        class Filter(QObject):
            def eventFilter(inner, obj, event):  # noqa: N805
                if event.type() == QEvent.Type.Paint:
                    self.times.append(time.perf_counter())
                return False

        self.times: list[float] = []
        self._filter = Filter()
        widget.viewport().installEventFilter(self._filter)

    def rate(self, start: float, end: float) -> float:
        n = sum(start <= t <= end for t in self.times)
        return n / max(end - start, 1e-9)


def soak(graph, minutes: float) -> None:
    app, window = app_window(graph)
    ctl = window.controller
    window.training_bar.train_button.click()
    start = time.perf_counter()
    marks = {1.0: None, minutes: None}
    while time.perf_counter() - start < minutes * 60:
        app.processEvents()
        time.sleep(0.005)
        elapsed = (time.perf_counter() - start) / 60
        for m in marks:
            if marks[m] is None and elapsed >= m:
                marks[m] = rss_mib()
                print(f"after {m:g} min: resident {marks[m]:.0f} MiB, step "
                      f"{ctl.model.optimizer.step if ctl.model else 0:,}", flush=True)
    ctl.stop()
    while ctl.state != "idle":
        app.processEvents()
        time.sleep(0.01)
    window.close()


PARTS = {"headless": "headless (visnet train)", "panels": "app, every panel open",
         "docked": "app, default layout"}


def measure_part(graph, part: str, epochs: int) -> tuple[float, float | None, float | None]:
    if part == "headless":
        return headless(graph, epochs)
    return in_app(graph, epochs, float_panels=part == "panels")


def run_part(template: str, part: str, epochs: int) -> dict:
    """One measurement in a fresh process."""
    out = subprocess.run([sys.executable, "-m", "benchmarks.app_training", template,
                          "--epochs", str(epochs), "--part", part],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.app_training")
    p.add_argument("template", nargs="?", default="digits_cnn")
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--soak", type=float, metavar="MINUTES")
    p.add_argument("--part", choices=list(PARTS), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if not os.environ.get("DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import visnet
    from visnet.resources import template_path

    graph = visnet.load(template_path(args.template)).graph
    if args.soak:
        graph.set_training(graph.training.updated(epochs=1_000_000))
        soak(graph, args.soak)
        return 0
    graph.set_training(graph.training.updated(epochs=args.epochs))
    if args.part:
        rate, first, fps = measure_part(graph, args.part, args.epochs)
        print(json.dumps({"rate": rate, "first": first, "fps": fps}))
        return 0
    rates: dict[str, list[float]] = {part: [] for part in PARTS}
    firsts: list[float] = []
    fps: dict[str, list[float]] = {"panels": [], "docked": []}
    print(f"{args.template}, {args.epochs} epochs, platform "
          f"{os.environ.get('QT_QPA_PLATFORM') or 'display'}, {args.rounds} rounds")
    for r in range(args.rounds):
        for part in PARTS:
            result = run_part(args.template, part, args.epochs)
            rates[part].append(result["rate"])
            if result["first"] is not None:
                firsts.append(result["first"])
            if result["fps"] is not None:
                fps[part].append(result["fps"])
        print(f"  round {r + 1}: " + ", ".join(
            f"{part} {rates[part][-1]:,.0f}" for part in PARTS)
            + f" samples/s; app/headless {rates['panels'][-1] / rates['headless'][-1]:.0%} "
              f"(panels), {rates['docked'][-1] / rates['headless'][-1]:.0%} (default)",
            flush=True)
    base = statistics.median(rates["headless"])
    for part, label in PARTS.items():
        med = statistics.median(rates[part])
        print(f"  {label + ':':26} median {med:,.0f} samples/s = {med / base:.0%} of headless"
              + (f"; loss curves painted at {statistics.median(fps[part]):.0f} frames/s"
                 if fps.get(part) else ""))
    print(f"  Train pressed to first plotted point: median {statistics.median(firsts):.2f} s "
          f"(kernels loaded in a fresh process)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
