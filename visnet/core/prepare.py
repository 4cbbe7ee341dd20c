"""Before a run: the dataset loaded and checked against the drawing, then the drawing compiled.
The app's training worker and `visnet train` both start this way, so both refuse a drawing that
does not fit its data with the same message, before any kernel is compiled."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from .data import load as load_dataset
from .data.dataset import Dataset
from .data.fit import check_fit
from .graph import Graph
from .model import Model, compile as compile_model


def load_and_compile(graph: Graph, dataset_spec: str, base_dir: Path | None = None,
                     weights: dict[str, Any] | None = None,
                     on_compiling: Callable[[], None] | None = None) -> tuple[Dataset, Model]:
    """The dataset ``dataset_spec`` names (relative paths from ``base_dir``) and ``graph``
    compiled with its own training settings (backend, seed), starting from ``weights`` where
    given (a subset of the tensors is fine; the rest start fresh).

    Raises DataError when the data do not fit the drawing, GraphError or CompileError when the
    drawing cannot be compiled. ``on_compiling`` is called once the data fit, just before the
    compile, which can take a while.
    """
    settings = graph.training
    dataset = load_dataset(dataset_spec, base_dir=base_dir, seed=settings.seed)
    check_fit(graph, dataset)
    if on_compiling is not None:
        on_compiling()
    model = compile_model(graph, backend=settings.backend, seed=settings.seed)
    if weights:
        model.set_weights(weights, strict=False)
    return dataset, model
