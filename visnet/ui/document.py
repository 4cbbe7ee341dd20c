"""The open drawing as the window sees it: the core Graph, the file it came from, the undo stack
and the latest shape check. Every edit is a command pushed here (see commands.py); after each
one the drawing is checked again and ``checked`` tells the views.

The Graph stays plain Python: this QObject only adapts its listeners to Qt signals.
"""

from __future__ import annotations

import weakref
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from ..core.fileformat import Document, load, save
from ..core.graph import Change, Graph
from ..core.shapes import ShapeReport, check, weight_shapes


def _weak_listener(model: "DocumentModel"):
    ref = weakref.ref(model)

    def listener(change: Change) -> None:
        target = ref()
        if target is not None:
            target._on_change(change)

    return listener


class DocumentModel(QObject):
    """Owns the Graph being edited.

    Signals: ``graph_replaced`` (a new Graph: views rebuild), ``changed(Change)`` (one change of
    the Graph, as its listeners get it), ``checked`` (``report`` holds fresh shapes and
    problems), ``modified_changed(bool)``, ``path_changed``.
    """

    graph_replaced = Signal()
    run_changed = Signal()  # new weights/history from training
    changed = Signal(object)
    checked = Signal()
    modified_changed = Signal(bool)
    path_changed = Signal()

    def __init__(self, document: Document | None = None, path: Path | None = None,
                 parent: QObject | None = None):
        super().__init__(parent)
        # Not our Qt child: when Qt deletes a child stack, its destructor emits indexChanged
        # into the slots of its parent while that is being destroyed, which crashed.
        self.undo_stack = QUndoStack()
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)
        self.undo_stack.indexChanged.connect(self._on_index_changed)
        self._unsubscribe = None
        self.graph = Graph()
        self.path: Path | None = None
        self.weights: dict[str, Any] | None = None
        self.history: dict[str, Any] | None = None
        self.checkpoint = None
        self._run_unsaved = False
        self._run_index = 0  # the undo index the checkpoint belongs to
        self.run_problem = None  # why the last training run failed
        self.report = ShapeReport()
        self.set_document(document or Document(Graph()), path)

    def __del__(self):
        # When the garbage collector breaks a cycle, the stack may go after this wrapper: its
        # destructor must not emit into our slots.
        try:
            self.undo_stack.blockSignals(True)
        except RuntimeError:  # the C++ side is gone already
            pass

    # -- the document ------------------------------------------------------------------------

    def set_document(self, document: Document, path: Path | None) -> None:
        """Start editing another drawing (New, Open, a template): the undo history restarts."""
        if self._unsubscribe is not None:
            self._unsubscribe()
        self.graph = document.graph
        self.weights = document.weights
        self.history = document.history
        self.checkpoint = document.checkpoint
        self.run_problem = None
        self._run_unsaved = False
        self._run_index = 0
        # A weak reference: the Graph must not keep this QObject alive in a reference cycle
        # (PySide crashed collecting such cycles at exit).
        self._unsubscribe = self.graph.subscribe(_weak_listener(self))
        self.undo_stack.clear()
        self.undo_stack.setClean()
        self.report = check(self.graph)  # views that rebuild read it
        self.set_path(path)
        self.graph_replaced.emit()
        self.checked.emit()
        self.modified_changed.emit(False)

    def open(self, path: str | Path) -> None:
        """Load a file (FileFormatError if it is malformed: nothing changes then)."""
        path = Path(path)
        self.set_document(load(path), path)

    def save(self, path: str | Path | None = None) -> Path:
        """Write the drawing (with the weights and history that still fit it) and mark it
        clean. A .json path gets the bare drawing."""
        target = Path(path) if path is not None else self.path
        if target is None:
            raise ValueError("no file name: use Save As")
        if target.suffix.lower() == ".json":
            save(target, self.graph)
        else:
            weights = self.fitting_weights()
            keep_checkpoint = self.checkpoint if weights is not None and \
                self.undo_stack.index() == self._run_index else None
            save(target, self.graph, weights, self.history, keep_checkpoint)
        self.undo_stack.setClean()
        self._run_index = self.undo_stack.index()
        if self._run_unsaved:
            self._run_unsaved = False
            self.modified_changed.emit(False)
        self.set_path(target)
        return target

    def set_run(self, weights: dict[str, Any] | None, history: dict[str, Any] | None,
                checkpoint=None) -> None:
        """Keep what a training run produced; the document is modified until saved."""
        self.weights, self.history, self.checkpoint = weights, history, checkpoint
        self._run_index = self.undo_stack.index()
        self._run_unsaved = True
        self.modified_changed.emit(True)
        self.run_changed.emit()

    def set_run_problem(self, problem) -> None:
        """Why the last run failed (a Problem), or None; listed with the drawing's problems."""
        self.run_problem = problem
        self.checked.emit()

    def reset_weights(self) -> None:
        """Forget trained weights, history and checkpoint (the next run starts fresh)."""
        if self.weights is None and self.history is None and self.checkpoint is None:
            return
        self.set_run(None, None, None)

    def fitting_weights(self) -> dict[str, Any] | None:
        """The saved weights whose tensors still exist with the same shapes after edits."""
        if not self.weights:
            return None
        shapes = weight_shapes(self.graph, self.report)
        kept = {k: v for k, v in self.weights.items()
                if k in shapes and tuple(v.shape) == tuple(shapes[k])}
        return kept or None

    def set_path(self, path: Path | None) -> None:
        self.path = path
        self.path_changed.emit()

    @property
    def modified(self) -> bool:
        try:
            clean = self.undo_stack.isClean()
        except RuntimeError:  # at exit the stack may go first and tell us as it goes
            clean = True
        return not clean or self._run_unsaved

    @property
    def title(self) -> str:
        return self.path.name if self.path else "Untitled"

    # -- editing -----------------------------------------------------------------------------

    def push(self, command: QUndoCommand) -> None:
        """Run an edit so that it can be undone."""
        self.undo_stack.push(command)

    def recheck(self) -> None:
        self.report = check(self.graph)
        self.checked.emit()

    def _on_clean_changed(self, clean: bool) -> None:
        self.modified_changed.emit(not clean or self._run_unsaved)

    def _on_index_changed(self, _index: int) -> None:
        self.recheck()

    def _on_change(self, change: Change) -> None:
        if self.run_problem is not None and change.kind != "node_moved":
            self.run_problem = None  # it was about the drawing as it was then
        self.changed.emit(change)
