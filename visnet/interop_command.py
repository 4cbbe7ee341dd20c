"""`visnet export FILE --onnx OUT.onnx | --pytorch OUT.py` and `visnet import MODEL.onnx --out
FILE.visnet`: models out of VisNet and into it (see visnet/core/interop)."""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from .resources import drawing_path


def add_export_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", help="a .visnet or .json drawing, or a template's name")
    p.add_argument("--onnx", metavar="OUT.onnx", help="write an ONNX model (opset 17) with the "
                   "trained weights; its output is what predict gives")
    p.add_argument("--pytorch", metavar="OUT.py", help="write a standalone PyTorch script, its "
                   "weights beside it as OUT.npz")


def add_import_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help="an .onnx file")
    p.add_argument("--out", metavar="FILE.visnet", required=True,
                   help="write the drawing with its weights here")


def run_export(args: argparse.Namespace) -> int:
    from .core.errors import InteropError
    from .core.fileformat import load

    if not args.onnx and not args.pytorch:
        raise InteropError("say what to write: --onnx OUT.onnx and/or --pytorch OUT.py")
    doc = load(drawing_path(args.file))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        written = []
        if args.onnx:
            from .core.interop.onnx_export import export_onnx

            written.append(export_onnx(doc.graph, doc.weights, args.onnx))
        if args.pytorch:
            from .core.interop.torch_export import export_torch

            written.extend(export_torch(doc.graph, doc.weights, args.pytorch))
    for w in {str(w.message) for w in caught}:
        print(f"visnet: warning: {w}", file=sys.stderr)
    for path in written:
        print(f"wrote {path}")
    return 0


def run_import(args: argparse.Namespace) -> int:
    from .core.fileformat import save
    from .core.interop.onnx_import import import_onnx

    doc = import_onnx(args.model)
    out = Path(args.out)
    save(out, doc.graph, doc.weights)
    print(f"wrote {out}: {len(doc.graph.nodes)} layers from {args.model}")
    return 0
