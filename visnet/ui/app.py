"""Starting the app: the QApplication, the first window, and `--screenshot`."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from ..core.errors import FileFormatError
from ..core.fileformat import Document, load
from ..resources import template_path
from .main_window import MainWindow

FIRST_TEMPLATE = "spiral_mlp"
SCREENSHOT_DELAY_MS = 300


def open_document(path: str | None) -> tuple[Document, Path | None]:
    """The document to start with: the given file, or the first template (not tied to a path,
    so Save asks where)."""
    if path:
        return load(path), Path(path)
    return load(template_path(FIRST_TEMPLATE)), None


def run_app(path: str | None = None, screenshot: str | None = None) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("VisNet")
    app.setOrganizationName("VisNet")
    try:
        doc, doc_path = open_document(path)
    except FileFormatError as exc:
        if screenshot:
            raise
        QMessageBox.critical(None, "VisNet", f"Cannot open the file:\n{exc}")
        doc, doc_path = open_document(None)
    window = MainWindow(doc, doc_path)
    window.show()
    if screenshot:
        def shoot():
            window.grab().save(screenshot)
            app.quit()
        QTimer.singleShot(SCREENSHOT_DELAY_MS, shoot)
    return app.exec()
