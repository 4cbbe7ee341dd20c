"""Starting the app: the QApplication, the theme, the first window, the offer to restore
unsaved work after a crash, and `--screenshot`."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from ..core.errors import FileFormatError
from ..core.fileformat import Document, load
from ..resources import template_path
from . import theme
from .document import DocumentModel
from .main_window import MainWindow
from .settings import APPLICATION, ORGANISATION, add_recent, app_settings

FIRST_TEMPLATE = "spiral_mlp"
SCREENSHOT_DELAY_MS = 300


def open_document(path: str | None) -> tuple[Document, Path | None]:
    """The document to start with: the given file, or the first template (not tied to a path,
    so Save asks where)."""
    if path:
        return load(path), Path(path)
    return load(template_path(FIRST_TEMPLATE)), None


def application() -> QApplication:
    """The QApplication, made once, with the names QSettings and the dialogs use."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName(APPLICATION)
    app.setOrganizationName(ORGANISATION)
    app.setApplicationDisplayName(APPLICATION)
    return app


def run_app(path: str | None = None, screenshot: str | None = None) -> int:
    """Open the window (on ``path``, or on the first template) and run until it closes.

    With ``screenshot``, the window is drawn once it has started, written to that PNG, and the
    app exits; nothing is read from or written to the remembered window layout, and no
    recovery is offered, so screenshots are reproducible.
    """
    app = application()
    theme.apply_theme(str(app_settings().value("theme", "light")), app)
    try:
        doc, doc_path = open_document(path)
    except FileFormatError as exc:
        if screenshot:
            raise
        QMessageBox.critical(None, APPLICATION, f"Cannot open the file:\n\n{exc}")
        doc, doc_path = open_document(None)
    window = MainWindow(DocumentModel(doc, doc_path), remember=not screenshot)
    window.show()
    if screenshot:
        def shoot() -> None:
            window.fit_view()
            app.processEvents()
            window.grab().save(screenshot)
            app.quit()
        QTimer.singleShot(SCREENSHOT_DELAY_MS, shoot)
    else:
        if doc_path is not None:
            add_recent(doc_path)
        # Once the window is up, so the question appears over it.
        QTimer.singleShot(0, window.offer_recovery)
    return app.exec()
