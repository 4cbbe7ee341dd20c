"""Does a dataset fit a drawing? Before training starts, compare the dataset's sample shape, task
and classes with the Input, the loss and the layer feeding it, and say what to change when they
do not match."""

from __future__ import annotations

from ..graph import Graph
from ..layers import fmt_shape
from ..shapes import check
from .dataset import CLASSES, DataError, Dataset


def _shape_list(shape: tuple[int, ...]) -> str:
    return "[" + ", ".join(map(str, shape)) + "]"


def check_fit(graph: Graph, dataset: Dataset) -> None:
    """Raise DataError naming the mismatch and its fix, or return when the data fit."""
    report = check(graph)
    nodes = graph.nodes
    inputs = [n for n in nodes.values() if n.type == "Input"]
    losses = [n for n in nodes.values() if n.type == "Loss"]
    if len(inputs) != 1 or len(losses) != 1:
        return  # the drawing's own problems are reported by shape checking
    inp, loss = inputs[0], losses[0]
    name = dataset.spec
    want = tuple(inp.resolved_params()["shape"])
    have = dataset.input_shape
    if want != have:
        what = "images" if len(have) == 3 else "sequences" if len(have) == 2 else "samples"
        fix = f"set the Input's shape to {_shape_list(have)}"
        if len(have) > 1 and len(want) == 1:
            fix += ", and add a Flatten after it"
        raise DataError(f"{name} gives {what} of shape {fmt_shape(have)} but {inp.label} expects "
                        f"{fmt_shape(want)}: {fix}")

    kind = loss.resolved_params()["kind"]
    feeds = graph.inputs_of(loss.id)
    if not feeds or feeds[0].src not in report.shapes:
        return
    feed = nodes[feeds[0].src]
    out = tuple(report.shapes[feed.id])
    target = dataset.target_shape
    if dataset.task == CLASSES:
        n = dataset.n_classes
        if kind == "mse":
            raise DataError(f"{name} has {n} classes but {loss.label} is mse, a loss for "
                            f"regression: set its kind to cross_entropy")
        if kind == "binary_cross_entropy":
            if n != 2:
                raise DataError(f"{name} has {n} classes; binary_cross_entropy tells two "
                                f"apart: set {loss.label}'s kind to cross_entropy and give "
                                f"{feed.label} {n} outputs")
            if out[-1] != 1 or out[:-1] != target:
                raise DataError(f"binary_cross_entropy needs one output per sample, but "
                                f"{feed.label} gives {fmt_shape(out)}: "
                                f"{_units_fix(feed, 1)}")
            return
        if out[-1] != n:
            raise DataError(f"{name} has {n} classes but {feed.label} gives {out[-1]} outputs: "
                            f"{_units_fix(feed, n)}")
        if out[:-1] != target:
            steps = f"one class per step of {target[0]}" if target else "one class per sample"
            hint = ("turn on return_sequences of the recurrent layer" if target
                    else "add a Flatten or turn off return_sequences before it")
            raise DataError(f"{name} gives {steps} but {feed.label} gives {fmt_shape(out)}: "
                            f"{hint}")
        return
    # regression
    if kind != "mse":
        raise DataError(f"{name} is a regression dataset but {loss.label} is {kind}, a loss for "
                        f"classes: set its kind to mse")
    if _size(out) != _size(target):
        raise DataError(f"{name} has targets of shape {fmt_shape(target)} but {feed.label} "
                        f"gives {fmt_shape(out)}: {_units_fix(feed, _size(target))}")


def _size(shape: tuple[int, ...]) -> int:
    n = 1
    for s in shape:
        n *= s
    return n


def _units_fix(feed, n: int) -> str:
    if feed.type == "Dense":
        return f"set its units to {n}"
    return f"end the network in a Dense layer of {n} units"
