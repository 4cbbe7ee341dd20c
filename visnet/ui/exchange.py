"""File > Export (ONNX, PyTorch script, a picture of the drawing) and File > Import (ONNX): the
window's side of visnet.core.interop. An export of an untrained drawing goes ahead with its
initial weights and says so; an import that cannot be done names every operator at fault and
leaves the current drawing as it is."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QFileDialog, QMessageBox

from ..core.errors import VisNetError

if TYPE_CHECKING:
    from .main_window import MainWindow

APP_NAME = "VisNet"
PICTURE_MARGIN = 24
PICTURE_SCALE = 2  # PNG pixels per scene unit: sharp on high-density screens


class ModelExchange:
    """Exports and imports for a main window; ``choose_path`` and ``warn`` can be replaced in
    tests (they default to file dialogs and message boxes)."""

    def __init__(self, window: MainWindow):
        self.window = window
        self.choose_path = self._dialog
        self.warn = QMessageBox.warning

    # -- export -------------------------------------------------------------------------------

    def export_onnx(self) -> Path | None:
        from ..core.interop.onnx_export import export_onnx

        return self._export("ONNX model (*.onnx)", ".onnx",
                            lambda g, w, p: [export_onnx(g, w, p)])

    def export_pytorch(self) -> Path | None:
        from ..core.interop.torch_export import export_torch

        return self._export("PyTorch script (*.py)", ".py",
                            lambda g, w, p: list(export_torch(g, w, p)))

    def export_picture(self) -> Path | None:
        path = self.choose_path(True, "Export a picture of the drawing",
                                "PNG image (*.png);;SVG drawing (*.svg)", ".png")
        if path is None:
            return None
        try:
            written = write_picture(self.window.scene, path)
        except OSError as exc:
            self._fail(f"Cannot write {path.name}:\n\n{exc}")
            return None
        self.window.show_status(f"Exported the drawing to {written}")
        return written

    def _export(self, filter_: str, suffix: str, write) -> Path | None:
        doc = self.window.document
        path = self.choose_path(True, "Export the network", filter_, suffix)
        if path is None:
            return None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                written = write(doc.graph, doc.weights, path)
            except (VisNetError, OSError) as exc:
                self._fail(f"Cannot export to {path.name}:\n\n{exc}")
                return None
        names = ", ".join(p.name for p in written)
        if caught:
            self.warn(self.window, APP_NAME, f"Exported {names}, but the drawing is untrained: "
                      "the file holds its initial weights. Train it first to export what it "
                      "learned.")
        self.window.show_status(f"Exported {names} to {written[0].parent}")
        return written[0]

    # -- import -------------------------------------------------------------------------------

    def import_onnx(self, path: Path | None = None) -> bool:
        """An ONNX model as a new, untitled drawing (the current one stays if it cannot be
        imported). Call the window's maybe_save first."""
        from ..core.interop.onnx_import import import_onnx

        if path is None:
            path = self.choose_path(False, "Import an ONNX model", "ONNX model (*.onnx)",
                                    ".onnx")
            if path is None:
                return False
        try:
            doc = import_onnx(path)
        except VisNetError as exc:
            self._fail(f"Cannot import {Path(path).name}:\n\n{exc}")
            return False
        self.window.document.set_document(doc, None)
        self.window.fit_view()
        self.window.show_status(f"Imported {Path(path).name}: {len(doc.graph.nodes)} layers "
                                "with their weights. Pick a dataset to train it.")
        return True

    # -- helpers ------------------------------------------------------------------------------

    def _fail(self, message: str) -> None:
        self.window.critical(self.window, APP_NAME, message)

    def _dialog(self, save: bool, title: str, filter_: str, suffix: str) -> Path | None:
        doc = self.window.document
        folder = Path(self.window._dialog_dir())
        if save:
            stem = doc.path.stem if doc.path else "Untitled"
            chosen, picked = QFileDialog.getSaveFileName(self.window, title,
                                                         str(folder / f"{stem}{suffix}"), filter_)
        else:
            chosen, picked = QFileDialog.getOpenFileName(self.window, title, str(folder), filter_)
        if not chosen:
            return None
        path = Path(chosen)
        if save and not path.suffix:
            path = path.with_suffix(".svg" if "svg" in (picked or "").lower() else suffix)
        return path


def write_picture(scene, path: Path) -> Path:
    """The drawing (its cards and connections, no grid) as a PNG or SVG file."""
    path = Path(path)
    bounds = scene.itemsBoundingRect().adjusted(-PICTURE_MARGIN, -PICTURE_MARGIN,
                                                PICTURE_MARGIN, PICTURE_MARGIN)
    if bounds.isEmpty():
        bounds = QRectF(0, 0, 200, 100)
    selected = scene.selectedItems()
    for item in selected:
        item.setSelected(False)
    scene.plain_background = True
    try:
        if path.suffix.lower() == ".svg":
            from PySide6.QtSvg import QSvgGenerator

            generator = QSvgGenerator()
            generator.setFileName(str(path))
            generator.setSize(QSize(int(bounds.width()), int(bounds.height())))
            generator.setViewBox(QRectF(0, 0, bounds.width(), bounds.height()))
            generator.setTitle(path.stem)
            painter = QPainter(generator)
            scene.render(painter, QRectF(0, 0, bounds.width(), bounds.height()), bounds)
            painter.end()
        else:
            size = QSize(int(bounds.width() * PICTURE_SCALE), int(bounds.height() * PICTURE_SCALE))
            image = QImage(size, QImage.Format.Format_ARGB32)
            image.fill(Qt.GlobalColor.transparent)
            painter = QPainter(image)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)
            scene.render(painter, QRectF(0, 0, size.width(), size.height()), bounds)
            painter.end()
            if not image.save(str(path)):
                raise OSError(f"could not write {path}")
    finally:
        scene.plain_background = False
        for item in selected:
            item.setSelected(True)
    return path
