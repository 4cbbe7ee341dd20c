"""The `visnet` command: no arguments (or a file) opens the app; subcommands work headless.

Bad input exits with status 2 and one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from . import __version__, interop_command, train_command
from .core.errors import VisNetError

EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad option in one line instead of usage plus error."""

    def error(self, message: str):
        raise _BadInput(f"{self.prog}: {message} (see {self.prog} --help)")


class _BadInput(Exception):
    pass


def _info(args: argparse.Namespace) -> int:
    from .core.fileformat import load
    from .core.summary import format_table, summarize
    from .resources import drawing_path

    doc = load(drawing_path(args.file))
    summary = summarize(doc.graph)
    print(format_table(summary, title=f"{args.file}  (dataset: {doc.graph.dataset or 'none'})"))
    if doc.weights is not None:
        print(f"Weights: {len(doc.weights)} tensors saved")
    return 0 if not [p for p in summary.problems if p.is_error] else 1


def _app(args: argparse.Namespace) -> int:
    from .ui.app import run_app

    from .resources import drawing_path

    return run_app(args.file and str(drawing_path(args.file)), screenshot=args.screenshot)


def _parsers() -> tuple[argparse.ArgumentParser, dict[str, tuple[argparse.ArgumentParser,
                                                                    Callable[..., int]]]]:
    app = _Parser(prog="visnet", description="Draw, train and watch neural networks. "
                  "Commands: info FILE (layer table), train FILE (train headless), export FILE "
                  "(to ONNX or PyTorch), import MODEL.onnx. With no command, opens the app.")
    app.add_argument("file", nargs="?", help="a .visnet or .json drawing to open, or the name "
                     "of a shipped template (e.g. spiral_mlp)")
    app.add_argument("--version", action="version", version=f"visnet {__version__}")
    app.add_argument("--screenshot", metavar="PNG",
                     help="render the window once it has started, write it to PNG and exit")
    info = _Parser(prog="visnet info", description="Print a drawing's layers, output shapes "
                   "and parameter counts.")
    info.add_argument("file", help="a .visnet or .json drawing, or a template's name")
    train = _Parser(prog="visnet train", description="Train a drawing headless on its dataset "
                    "(or --dataset) and write the trained file with --out.")
    train_command.add_arguments(train)
    export = _Parser(prog="visnet export", description="Write a drawing with its weights as an "
                     "ONNX model or a PyTorch script.")
    interop_command.add_export_arguments(export)
    import_ = _Parser(prog="visnet import", description="Turn an ONNX model into a drawing with "
                      "its weights.")
    interop_command.add_import_arguments(import_)
    return app, {"info": (info, _info), "train": (train, train_command.run),
                 "export": (export, interop_command.run_export),
                 "import": (import_, interop_command.run_import)}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    app, commands = _parsers()
    try:
        if argv and argv[0] in commands:
            parser, run = commands[argv[0]]
            args = parser.parse_args(argv[1:])
        else:
            args = app.parse_args(argv)
            run = _app
        return run(args)
    except (_BadInput, VisNetError) as exc:
        print(f"visnet: error: {_one_line(exc)}" if not isinstance(exc, _BadInput)
              else str(exc), file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130


def _one_line(exc: Exception) -> str:
    lines = str(exc).splitlines()
    extra = f" (and {len(lines) - 1} more problems)" if len(lines) > 1 else ""
    return (lines[0] if lines else type(exc).__name__) + extra


if __name__ == "__main__":
    sys.exit(main())
