"""Training in the app against training headless, on the same drawing, in one process.

    python -m benchmarks.app_training [TEMPLATE] [--epochs N]   # speed: app / headless
    python -m benchmarks.app_training [TEMPLATE] --soak MINUTES  # resident memory over a run

Headless is what `visnet train` runs: the Trainer loop with no snapshots. In the app every live
panel is open (floating, so each one paints), the canvas is a live view, and the window drains
events at 30 Hz; the run is timed from the first to the last batch in both cases. Also prints
the time from pressing Train to the first plotted point. Needs a display (use xvfb-run) or
QT_QPA_PLATFORM=offscreen.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from . import TORCH_THREADS  # noqa: F401  (sets OPENBLAS_NUM_THREADS before numpy loads)


def rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def headless(graph, epochs: int) -> float:
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
            now = time.perf_counter()
            if first is None:
                first = now
            else:
                samples += trainer.batch_size
            last = now
    return samples / (last - first)


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


def in_app(graph, epochs: int, float_panels: bool = True) -> tuple[float, float | None]:
    """Samples per second in the app, and seconds from Train to the first plotted point."""
    app, window = app_window(graph, float_panels)
    ctl = window.controller
    times: list[float] = []
    batch = graph.training.batch_size
    ctl.batches.connect(lambda block: times.append((time.perf_counter(), len(block["step"]))))
    ctl.state_changed.connect(lambda state: state == "idle" and app.quit())
    window.training_bar.train_button.click()
    app.exec()  # the event loop as the app runs it, until the run ends
    window.close()
    # blocks arrive every 30 ms: time from the end of the first block to the last one
    (t0, _), (t1, _) = times[0], times[-1]
    samples = sum(n for _, n in times[1:]) * batch
    return samples / (t1 - t0), ctl.first_point_seconds


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


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m benchmarks.app_training")
    p.add_argument("template", nargs="?", default="digits_cnn")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--soak", type=float, metavar="MINUTES")
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
    headless(graph, 1)  # load the kernels and the data once before timing
    base = headless(graph, args.epochs)
    app_rate, first = in_app(graph, args.epochs)
    docked, _ = in_app(graph, args.epochs, float_panels=False)
    print(f"{args.template}, {args.epochs} epochs, platform "
          f"{os.environ.get('QT_QPA_PLATFORM') or 'display'}")
    print(f"  headless (visnet train): {base:,.0f} samples/s")
    print(f"  app, every panel open:   {app_rate:,.0f} samples/s = {app_rate / base:.0%} of "
          f"headless")
    print(f"  app, default layout:     {docked:,.0f} samples/s = {docked / base:.0%} of "
          f"headless (tabbed panels do not paint)")
    if first is not None:
        print(f"  Train pressed to first plotted point: {first:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
