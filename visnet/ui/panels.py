"""The Summary dock (the layer table of `visnet info`, with totals and a memory estimate) and
the Problems dock (every error and warning of the drawing; a click leads to the layer).

Both only read the document, and re-read it whenever it is checked."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QAbstractItemView, QDockWidget, QHeaderView, QLabel, QListWidget,
                               QListWidgetItem, QStyle, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from ..core import layers
from ..core.errors import Problem
from ..core.summary import Summary, human_bytes, summarize
from . import theme
from .document import DocumentModel

SUMMARY_COLUMNS = ("Layer", "Type", "Output shape", "Params", "Inputs")
NODE_ROLE = Qt.ItemDataRole.UserRole
NO_PROBLEMS = "No problems"


def totals_text(summary: Summary, batch_size: int) -> str:
    """Totals and a training memory estimate, as the line under the table reads."""
    memory = summary.memory_bytes(batch_size)
    text = (f"Total params: {summary.total:,}   Trainable: {summary.trainable:,}   "
            f"Non-trainable: {summary.non_trainable:,}\n"
            f"Training memory at batch {batch_size}: about {human_bytes(sum(memory.values()))} "
            f"(weights {human_bytes(memory['weights'])}, gradients and optimizer "
            f"{human_bytes(memory['gradients_and_optimizer'])}, activations "
            f"{human_bytes(memory['activations'])})")
    return text


class SummaryDock(QDockWidget):
    """The "Summary" dock. Signal ``node_activated(node_id)``: a row was clicked."""

    node_activated = Signal(str)

    def __init__(self, document: DocumentModel, parent: QWidget | None = None):
        super().__init__("Summary", parent)
        self.setObjectName("SummaryDock")
        self.document = document
        self.summary: Summary | None = None

        self.table = QTableWidget(0, len(SUMMARY_COLUMNS))
        self.table.setHorizontalHeaderLabels(SUMMARY_COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 6)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.table.cellClicked.connect(self._on_cell)
        self.table.cellActivated.connect(self._on_cell)

        self.totals = QLabel()
        self.totals.setWordWrap(True)
        self.totals.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.table)
        layout.addWidget(self.totals)
        self.setWidget(body)

        document.checked.connect(self.refresh)
        theme.notifier.changed.connect(self.refresh)
        self.refresh()

    def totals_text(self) -> str:
        return self.totals.text()

    def refresh(self) -> None:
        graph = self.document.graph
        summary = self.summary = summarize(graph)
        faulty = {p.node_id for p in summary.problems if p.is_error}
        error = QBrush(QColor(theme.current().error))
        self.table.setRowCount(len(summary.rows))
        for i, row in enumerate(summary.rows):
            # Without its input shape a layer's weights have no size yet: "?", not 0.
            unknown = row.output_shape is None and bool(layers.get(row.type).weights)
            cells = (row.node_id, row.type, row.shape_text,
                     "?" if unknown else f"{row.params:,}", ", ".join(row.inputs))
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setData(NODE_ROLE, row.node_id)
                if j == 3:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                if row.node_id in faulty:
                    item.setForeground(error)
                self.table.setItem(i, j, item)
            if row.output_shape is None:
                self.table.item(i, 2).setToolTip("unknown: see Problems")
            if row.non_trainable:
                self.table.item(i, 3).setToolTip(f"{row.trainable:,} trainable, "
                                                 f"{row.non_trainable:,} not trained")
        self.totals.setText(totals_text(summary, graph.training.batch_size))

    def _on_cell(self, row: int, _column: int) -> None:
        item = self.table.item(row, 0)
        if item is not None:
            self.node_activated.emit(item.data(NODE_ROLE))


class ProblemsDock(QDockWidget):
    """The "Problems" dock. Signal ``node_activated(node_id)``: a problem of that node was
    clicked or activated (problems of the whole network have no node and emit nothing)."""

    node_activated = Signal(str)

    def __init__(self, document: DocumentModel, parent: QWidget | None = None):
        super().__init__("Problems", parent)
        self.setObjectName("ProblemsDock")
        self.document = document

        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.itemClicked.connect(self._on_item)
        self.list.itemActivated.connect(self._on_item)
        self.setWidget(self.list)

        document.checked.connect(self.refresh)
        theme.notifier.changed.connect(self.refresh)
        self.refresh()

    def row_texts(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def refresh(self) -> None:
        self.list.clear()
        problems = list(self.document.report.problems)
        run = getattr(self.document, "run_problem", None)
        # The last run's problem, unless the check says the same or its layer is gone.
        if run is not None and all(p.message != run.message for p in problems) and (
                run.node_id is None or run.node_id in self.document.graph.nodes):
            problems.append(run)
        self.setWindowTitle(f"Problems ({len(problems)})" if problems else "Problems")
        if not problems:
            item = QListWidgetItem(NO_PROBLEMS)
            item.setFlags(Qt.ItemFlag.NoItemFlags)  # a note, not a row to click
            self.list.addItem(item)
            return
        for problem in problems:
            self.list.addItem(self._item_for(problem))

    def _item_for(self, problem: Problem) -> QListWidgetItem:
        t = theme.current()
        text = f"{'Error' if problem.is_error else 'Warning'}: {problem.message}"
        node = self.document.graph.nodes.get(problem.node_id) if problem.node_id else None
        if node is not None and node.label not in problem.message:
            text += f" ({node.label})"
        icon = (QStyle.StandardPixmap.SP_MessageBoxCritical if problem.is_error
                else QStyle.StandardPixmap.SP_MessageBoxWarning)
        item = QListWidgetItem(self.style().standardIcon(icon), text)
        item.setForeground(QBrush(QColor(t.error if problem.is_error else t.warning)))
        item.setToolTip(problem.message)
        item.setData(NODE_ROLE, node.id if node is not None else None)
        return item

    def _on_item(self, item: QListWidgetItem) -> None:
        node_id = item.data(NODE_ROLE)
        if node_id:
            self.node_activated.emit(node_id)
