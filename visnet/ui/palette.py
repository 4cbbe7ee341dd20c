"""The layer palette: the catalogue grouped by category, searchable, to drag onto the canvas.

Every entry comes from the catalogue (visnet.core.layers), so a new layer type appears here
without touching this file. A drag carries the type name under ``LAYER_MIME``; double-click or
Enter asks for the layer through ``layer_activated`` (the main window adds it at the canvas
centre).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QMimeData, QObject, Qt, Signal
from PySide6.QtGui import QColor, QDrag, QFont, QFontMetrics, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QDockWidget, QLineEdit, QTreeWidget,
                               QTreeWidgetItem, QVBoxLayout, QWidget)

from ..core import layers
from . import theme

from .mime import LAYER_MIME
TYPE_ROLE = Qt.ItemDataRole.UserRole


class _LayerTree(QTreeWidget):
    """The tree of layer types; a drag from it carries the type name, never an item."""

    def __init__(self, palette: PaletteDock):
        super().__init__()
        self._palette = palette
        self.setHeaderHidden(True)
        self.setRootIsDecorated(True)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)

    def startDrag(self, supported_actions) -> None:
        item = self.currentItem()
        type_name = item.data(0, TYPE_ROLE) if item is not None else None
        if not type_name:
            return
        drag = QDrag(self)
        drag.setMimeData(self._palette.mime_data_for(type_name))
        pixmap = _drag_pixmap(type_name, self.font())
        drag.setPixmap(pixmap)
        drag.setHotSpot(pixmap.rect().center())
        drag.exec(Qt.DropAction.CopyAction)


def _drag_pixmap(type_name: str, font: QFont) -> QPixmap:
    """A small node-like badge with the layer's name, shown under the cursor while dragging."""
    t = theme.current()
    bold = QFont(font)
    bold.setBold(True)
    metrics = QFontMetrics(bold)
    width = metrics.horizontalAdvance(type_name) + 24
    height = metrics.height() + 12
    pixmap = QPixmap(width, height)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(QColor(t.node_border), 1))
    painter.setBrush(QColor(t.node_header))
    painter.drawRoundedRect(0.5, 0.5, width - 1, height - 1, 5, 5)
    painter.setPen(QColor(t.node_text))
    painter.setFont(bold)
    painter.drawText(pixmap.rect(), Qt.AlignmentFlag.AlignCenter, type_name)
    painter.end()
    return pixmap


class PaletteDock(QDockWidget):
    """The "Layers" dock.

    Signal ``layer_activated(type_name)``: the user double-clicked a layer or pressed Enter on
    it (or in the search box, for the first match).
    """

    layer_activated = Signal(str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Layers", parent)
        self.setObjectName("PaletteDock")

        self.search = QLineEdit()
        self.search.setPlaceholderText("Search layers (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter)
        self.search.returnPressed.connect(self._activate_first_match)
        self.search.installEventFilter(self)

        self.tree = _LayerTree(self)
        self.tree.itemActivated.connect(self._on_item_activated)
        self._items: dict[str, QTreeWidgetItem] = {}
        self._categories: dict[str, QTreeWidgetItem] = {}
        self._fill()

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        self.setWidget(body)

    # -- building ----------------------------------------------------------------------------

    def _fill(self) -> None:
        for category, types in layers.by_category().items():
            if not types:
                continue
            group = QTreeWidgetItem([category])
            font = group.font(0)
            font.setBold(True)
            group.setFont(0, font)
            # A heading: it can be expanded and collapsed, not selected or dragged.
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.tree.addTopLevelItem(group)
            self._categories[category] = group
            for t in types:
                item = QTreeWidgetItem([t.name])
                item.setData(0, TYPE_ROLE, t.name)
                item.setToolTip(0, t.summary)
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                              | Qt.ItemFlag.ItemIsDragEnabled)
                group.addChild(item)
                self._items[t.name] = item
            group.setExpanded(True)

    # -- the public side ---------------------------------------------------------------------

    def mime_data_for(self, type_name: str) -> QMimeData:
        """What a drag of ``type_name`` carries: the type name, UTF-8, under LAYER_MIME."""
        mime = QMimeData()
        mime.setData(LAYER_MIME, type_name.encode("utf-8"))
        return mime

    def focus_search(self) -> None:
        """Put the cursor in the search box with its text selected (Ctrl+F)."""
        if not self.isVisible():
            self.show()
        self.raise_()
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def item_for(self, type_name: str) -> QTreeWidgetItem:
        return self._items[type_name]

    def category_item(self, category: str) -> QTreeWidgetItem:
        return self._categories[category]

    def visible_layers(self) -> list[str]:
        """The layer types the current search leaves shown, in the palette's order."""
        return [name for name, item in self._items.items()
                if not item.isHidden() and not item.parent().isHidden()]

    # -- behaviour ---------------------------------------------------------------------------

    def _filter(self, text: str) -> None:
        query = text.strip().casefold()
        for category, group in self._categories.items():
            shown = 0
            for i in range(group.childCount()):
                item = group.child(i)
                t = layers.get(item.data(0, TYPE_ROLE))
                match = not query or any(query in s.casefold()
                                         for s in (t.name, t.category, t.summary))
                item.setHidden(not match)
                shown += match
            group.setHidden(shown == 0)
            if query and shown:
                group.setExpanded(True)

    def _on_item_activated(self, item: QTreeWidgetItem, _column: int) -> None:
        type_name = item.data(0, TYPE_ROLE)
        if type_name:
            self.layer_activated.emit(type_name)

    def _activate_first_match(self) -> None:
        shown = self.visible_layers()
        if self.search.text().strip() and shown:
            self.layer_activated.emit(shown[0])

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Down in the search box walks into the matches, as in a launcher; Escape clears.
        if watched is self.search and event.type() == QEvent.Type.KeyPress:
            if event.key() == Qt.Key.Key_Down:
                shown = self.visible_layers()
                if shown:
                    self.tree.setCurrentItem(self._items[shown[0]])
                    self.tree.setFocus(Qt.FocusReason.TabFocusReason)
                    return True
            elif event.key() == Qt.Key.Key_Escape and self.search.text():
                self.search.clear()
                return True
        return super().eventFilter(watched, event)
