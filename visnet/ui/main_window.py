"""The main window. For now it shows the open drawing's layer table and its problems."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (QHeaderView, QLabel, QMainWindow, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from ..core.fileformat import Document
from ..core.summary import human_bytes, summarize

COLUMNS = ("Layer", "Type", "Output shape", "Params", "Inputs")


class MainWindow(QMainWindow):
    def __init__(self, doc: Document, path: Path | None = None):
        super().__init__()
        self.doc = doc
        self.path = path
        self.setWindowTitle(f"{path.name if path else 'Untitled'} - VisNet")
        self.resize(900, 560)

        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.totals = QLabel()
        self.problems = QLabel()
        self.problems.setWordWrap(True)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(self.table)
        layout.addWidget(self.totals)
        layout.addWidget(self.problems)
        self.setCentralWidget(central)
        self.refresh()

    def refresh(self) -> None:
        graph = self.doc.graph
        summary = summarize(graph)
        self.table.setRowCount(len(summary.rows))
        for i, row in enumerate(summary.rows):
            cells = (row.node_id, row.type, row.shape_text, f"{row.params:,}", ", ".join(row.inputs))
            for j, text in enumerate(cells):
                self.table.setItem(i, j, QTableWidgetItem(text))
        memory = summary.memory_bytes(graph.training.batch_size)
        self.totals.setText(
            f"Total params: {summary.total:,}   Trainable: {summary.trainable:,}   "
            f"Dataset: {graph.dataset or 'none'}   Training memory at batch "
            f"{graph.training.batch_size}: about {human_bytes(sum(memory.values()))}")
        self.problems.setText("\n".join(f"{p.severity}: {p.message}" for p in summary.problems)
                              or "No problems.")
        has_errors = any(p.is_error for p in summary.problems)
        self.problems.setStyleSheet("color: #c62828;" if has_errors else "")
