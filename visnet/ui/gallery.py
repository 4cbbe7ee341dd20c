"""New from Template: the ready-made examples, each with a small schematic of its layers."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QHBoxLayout, QLabel, QListWidget,
                               QListWidgetItem, QVBoxLayout, QWidget)

from ..core.errors import FileFormatError
from ..core.fileformat import load
from ..core.graph import Graph
from ..resources import TemplateInfo, templates
from . import theme
from .canvas.items import NODE_HEIGHT, NODE_WIDTH

ICON_SIZE = QSize(48, 64)
PREVIEW_SIZE = QSize(180, 260)


def render_schematic(graph: Graph, size: QSize) -> QPixmap:
    """A tiny picture of the drawing: one box per layer where it sits (a node's pos is its
    card's centre), a line per connection."""
    t = theme.current()
    pixmap = QPixmap(size)
    pixmap.fill(QColor(t.canvas))
    if not graph.nodes:
        return pixmap
    xs = [n.pos[0] for n in graph.nodes.values()]
    ys = [n.pos[1] for n in graph.nodes.values()]
    w, h = NODE_WIDTH, NODE_HEIGHT
    bounds = QRectF(min(xs) - w / 2, min(ys) - h / 2, max(xs) - min(xs) + w,
                    max(ys) - min(ys) + h)
    margin = 6.0
    scale = min((size.width() - 2 * margin) / bounds.width(),
                (size.height() - 2 * margin) / bounds.height())
    # Centre the drawing in the picture.
    dx = margin + (size.width() - 2 * margin - bounds.width() * scale) / 2
    dy = margin + (size.height() - 2 * margin - bounds.height() * scale) / 2

    def box(node_id: str) -> QRectF:
        x, y = graph.nodes[node_id].pos
        return QRectF(dx + (x - w / 2 - bounds.left()) * scale,
                      dy + (y - h / 2 - bounds.top()) * scale, w * scale, h * scale)

    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(QPen(QColor(t.edge), 1))
    for edge in graph.edges:
        a, b = box(edge.src), box(edge.dst)
        painter.drawLine(QPointF(a.center().x(), a.bottom()), QPointF(b.center().x(), b.top()))
    painter.setPen(QPen(QColor(t.node_border), 1))
    for node_id, node in graph.nodes.items():
        accent = {"Input": t.port, "Loss": t.warning}.get(node.type, t.node_header)
        painter.setBrush(QColor(accent))
        painter.drawRoundedRect(box(node_id), 2, 2)
    painter.end()
    return pixmap


class TemplateGallery(QDialog):
    """Pick one of resources/templates: a list on the left, its picture and description on
    the right. ``chosen()`` is the picked template (after exec() returns Accepted)."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("New from Template")
        self.setObjectName("template_gallery")
        self.templates = templates()
        self.graphs: dict[str, Graph | None] = {}

        self.list = QListWidget()
        self.list.setIconSize(ICON_SIZE)
        self.list.setSpacing(2)
        self.list.setMinimumWidth(260)
        for info in self.templates:
            item = QListWidgetItem(self._icon(info), info.title)
            item.setToolTip(info.description)
            item.setData(Qt.ItemDataRole.UserRole, info.name)
            self.list.addItem(item)

        self.preview = QLabel()
        self.preview.setFixedSize(PREVIEW_SIZE)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title = QLabel()
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.title.setFont(font)
        self.description = QLabel()
        self.description.setWordWrap(True)
        self.description.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.details = QLabel()
        self.details.setWordWrap(True)

        side = QVBoxLayout()
        side.addWidget(self.title)
        side.addWidget(self.description)
        side.addWidget(self.details)
        side.addStretch(1)
        right = QHBoxLayout()
        right.addWidget(self.preview, 0, Qt.AlignmentFlag.AlignTop)
        right.addLayout(side, 1)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Open")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)

        body = QHBoxLayout()
        body.addWidget(self.list, 0)
        body.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addWidget(buttons)
        self.resize(720, 380)

        self.list.currentRowChanged.connect(self._show)
        self.list.itemActivated.connect(lambda _item: self.accept())
        if self.templates:
            self.list.setCurrentRow(0)
        self.ok_button.setEnabled(bool(self.templates))

    def chosen(self) -> TemplateInfo | None:
        row = self.list.currentRow()
        return self.templates[row] if 0 <= row < len(self.templates) else None

    def select(self, name: str) -> None:
        """Make the template called ``name`` the current one."""
        for row, info in enumerate(self.templates):
            if info.name == name:
                self.list.setCurrentRow(row)

    def _graph(self, info: TemplateInfo) -> Graph | None:
        if info.name not in self.graphs:
            try:
                self.graphs[info.name] = load(info.path).graph
            except FileFormatError:
                self.graphs[info.name] = None
        return self.graphs[info.name]

    def _icon(self, info: TemplateInfo) -> QIcon:
        graph = self._graph(info)
        return QIcon(render_schematic(graph, ICON_SIZE)) if graph is not None else QIcon()

    def _show(self, row: int) -> None:
        info = self.chosen()
        if info is None:
            return
        graph = self._graph(info)
        self.title.setText(info.title)
        self.description.setText(info.description)
        if graph is None:
            self.preview.clear()
            self.details.setText("This template cannot be read.")
            self.ok_button.setEnabled(False)
            return
        self.preview.setPixmap(render_schematic(graph, PREVIEW_SIZE))
        n = len(graph.nodes)
        self.details.setText(f"{n} layer{'s' * (n != 1)}"
                             + (f" · dataset: {graph.dataset}" if graph.dataset else ""))
        self.ok_button.setEnabled(True)
