"""The canvas view: zoom, pan, rubber-band selection, drops from the palette, and the keys
that edit the selection."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QPainter
from PySide6.QtWidgets import QGraphicsView

from ...core.errors import GraphError
from .scene import CanvasScene

from ..mime import LAYER_MIME
ZOOM_STEP = 1.15  # per wheel notch
MIN_ZOOM = 0.2
MAX_ZOOM = 4.0
FIT_MARGIN = 40.0
FIT_MAX_ZOOM = 1.5  # fitting a small drawing does not blow it up


class CanvasView(QGraphicsView):
    """Shows a CanvasScene. The wheel zooms around the mouse; the middle button, or Space with
    the left button, pans; the left button on empty canvas draws a selection rectangle.

    ``status_message(str)`` carries the scene's messages (refused connections, hints) and the
    view's own (an unknown layer dropped), for the window's status bar.
    """

    status_message = Signal(str)

    def __init__(self, scene: CanvasScene, parent=None):
        super().__init__(scene, parent)
        self.setRenderHints(QPainter.RenderHint.Antialiasing |
                            QPainter.RenderHint.TextAntialiasing |
                            QPainter.RenderHint.SmoothPixmapTransform)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setRubberBandSelectionMode(Qt.ItemSelectionMode.IntersectsItemShape)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setAcceptDrops(True)
        self.viewport().setAcceptDrops(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._pan_from: QPoint | None = None
        self._space_held = False
        self._shown_once = False
        # A new drawing (open, new, template) is fitted once the event loop has laid out the
        # window; a timer owned by the view dies with it.
        self._fit_timer = QTimer(self)
        self._fit_timer.setSingleShot(True)
        self._fit_timer.setInterval(0)
        self._fit_timer.timeout.connect(self.fit_all)
        scene.status_message.connect(self.status_message)
        scene.document.graph_replaced.connect(self._fit_timer.start)

    def canvas_scene(self) -> CanvasScene:
        return self.scene()

    # -- zoom --------------------------------------------------------------------------------

    @property
    def zoom(self) -> float:
        """The current scale (1.0: one scene pixel per screen pixel)."""
        return self.transform().m11()

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        """Scale by ``factor`` (kept within 0.2..4) around ``anchor``, a viewport position that
        stays over the same point of the drawing (the viewport's centre when None)."""
        target = min(max(self.zoom * factor, MIN_ZOOM), MAX_ZOOM)
        if abs(target - self.zoom) < 1e-9:
            return
        anchor = anchor if anchor is not None else QPointF(self.viewport().rect().center())
        before = self.mapToScene(anchor.toPoint())
        factor = target / self.zoom
        self.scale(factor, factor)
        after = self.mapFromScene(before)
        self._scroll_by(after - anchor.toPoint())

    def reset_zoom(self) -> None:
        self.zoom_by(1.0 / self.zoom)

    def fit_all(self) -> None:
        """Show the whole drawing with a margin (zoom kept within 0.2..1.5)."""
        rect = self.scene().itemsBoundingRect()
        if rect.isNull():
            self.centerOn(0, 0)
            return
        rect = rect.adjusted(-FIT_MARGIN, -FIT_MARGIN, FIT_MARGIN, FIT_MARGIN)
        view = self.viewport().rect()
        fit = min(view.width() / rect.width(), view.height() / rect.height())
        target = min(max(fit, MIN_ZOOM), FIT_MAX_ZOOM)
        self.scale(target / self.zoom, target / self.zoom)
        self.centerOn(rect.center())

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._shown_once:
            self._shown_once = True
            self._fit_timer.start()

    def wheelEvent(self, event) -> None:
        notches = event.angleDelta().y() / 120.0
        if notches == 0:
            event.ignore()
            return
        self.zoom_by(ZOOM_STEP ** notches, event.position())
        event.accept()

    # -- pan ---------------------------------------------------------------------------------

    def _scroll_by(self, delta: QPoint) -> None:
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + delta.x())
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + delta.y())

    def mousePressEvent(self, event) -> None:
        pan = event.button() == Qt.MouseButton.MiddleButton or (
            event.button() == Qt.MouseButton.LeftButton and self._space_held)
        if pan:
            self._pan_from = event.position().toPoint()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:
        if self._pan_from is not None:
            pos = event.position().toPoint()
            self._scroll_by(self._pan_from - pos)
            self._pan_from = pos
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self._pan_from is not None and event.button() in (Qt.MouseButton.MiddleButton,
                                                               Qt.MouseButton.LeftButton):
            self._pan_from = None
            self._restore_cursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def _restore_cursor(self) -> None:
        if self._space_held:
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
        else:
            self.viewport().unsetCursor()

    # -- keys --------------------------------------------------------------------------------

    def keyPressEvent(self, event) -> None:
        key = event.key()
        if key == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_held = True
            self._restore_cursor()
            event.accept()
            return
        if key == Qt.Key.Key_Space:
            event.accept()
            return
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and \
                self.canvas_scene().interaction is None:
            self.delete_selection()
            event.accept()
            return
        if key == Qt.Key.Key_Escape and self.canvas_scene().interaction is None:
            self.scene().clearSelection()
            event.accept()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_held = False
            if self._pan_from is None:
                self._restore_cursor()
            event.accept()
            return
        super().keyReleaseEvent(event)

    def focusOutEvent(self, event) -> None:
        self._space_held = False  # the key release goes elsewhere
        super().focusOutEvent(event)

    # -- edits -------------------------------------------------------------------------------

    def delete_selection(self) -> bool:
        return self.canvas_scene().delete_selection()

    def add_layer_at_center(self, type_name: str) -> str | None:
        """Add a layer in the middle of what is shown (the palette's double-click), on a grid
        point no card occupies. Returns its id, or None with a status message."""
        centre = self.mapToScene(self.viewport().rect().center())
        scene = self.canvas_scene()
        return self._add_layer(type_name, scene.free_position_near(centre))

    def _add_layer(self, type_name: str, scene_pos: QPointF) -> str | None:
        try:
            node_id = self.canvas_scene().add_layer(type_name, scene_pos)
        except GraphError as exc:
            self.status_message.emit(exc.message)
            return None
        self.status_message.emit(f"Added {type_name} {node_id}")
        return node_id

    def copy_to_clipboard(self) -> bool:
        """Put the selected layers on the system clipboard. Returns whether any were."""
        text = self.canvas_scene().copy_selection()
        if text is None:
            return False
        # Plain text (the JSON of the layers): a QMimeData made in Python would be owned by
        # the clipboard and destroyed by Qt after Python has shut down, crashing the exit.
        QGuiApplication.clipboard().setText(text)
        return True

    def paste_from_clipboard(self) -> list[str]:
        return self.canvas_scene().paste(QGuiApplication.clipboard().text())

    def cut_to_clipboard(self) -> bool:
        if not self.copy_to_clipboard():
            return False
        return self.delete_selection()

    # -- drops from the palette --------------------------------------------------------------

    def dragEnterEvent(self, event) -> None:
        if event.mimeData().hasFormat(LAYER_MIME):
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event) -> None:
        if event.mimeData().hasFormat(LAYER_MIME):
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event) -> None:
        mime = event.mimeData()
        if not mime.hasFormat(LAYER_MIME):
            super().dropEvent(event)
            return
        type_name = bytes(mime.data(LAYER_MIME)).decode("utf-8", "replace").strip()
        scene_pos = self.mapToScene(event.position().toPoint())
        if self._add_layer(type_name, scene_pos) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()
        self.setFocus()

    def visible_scene_rect(self) -> QRectF:
        return self.mapToScene(self.viewport().rect()).boundingRect()
