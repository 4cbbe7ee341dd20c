"""The canvas scene: one NodeItem per node and one EdgeItem per edge of the document's Graph.

The scene follows the document (``graph_replaced``: rebuild; ``changed``: one item at a time;
``checked``: shapes and problems) and never edits the Graph itself: every edit is a command
pushed on the document, and the scene sees its effect through the same notifications as any
other view.

While training, ``show_training`` makes the cards a live view (gradient-norm tint and health
badges) and ``clear_training`` ends it; the window feeds them from the training controller.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Mapping

from PySide6.QtCore import QLineF, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QGraphicsScene

from ...core.errors import GraphError
from ...core.graph import Change, Edge, Graph
from ...core.health import Badge, norm_colour_position
from ...core.layout import LAYOUT_DX, LAYOUT_DY, layered_layout
from ...core.layers import get as layer_type
from ...core.shapes import ShapeReport
from .. import theme
from ..commands import AddNode, MoveNodes, Paste, RemoveItems, copy_nodes
from ..document import DocumentModel
from .interactions import GRID, Interaction, MoveNodesInteraction, NewEdgeInteraction, snap
from .items import NODE_HEIGHT, NODE_WIDTH, EdgeItem, NodeItem, PortItem

MAJOR_GRID_EVERY = 5  # a stronger line every 100 px
SCENE_MARGIN = 5000.0  # room around the drawing to pan and zoom out into
PASTE_STEP = 40.0


class CanvasScene(QGraphicsScene):
    """The drawing of a DocumentModel.

    Signals: ``status_message(str)`` (why a connection was refused, hints),
    ``selection_changed_nodes(list)`` (the selected node ids, in the Graph's order),
    ``node_activated(str)`` (a card was double-clicked).
    """

    status_message = Signal(str)
    selection_changed_nodes = Signal(list)
    node_activated = Signal(str)

    def __init__(self, document: DocumentModel, parent=None):
        super().__init__(parent)
        self.plain_background = False
        self.document = document
        self.node_items: dict[str, NodeItem] = {}
        self.edge_items: dict[Edge, EdgeItem] = {}
        self.interaction: Interaction | None = None
        self._edges_of: dict[str, set[Edge]] = defaultdict(set)
        self._selection_batch = False
        self._last_selection: list[str] = []
        self._last_paste: tuple[str, int] | None = None  # (text, times pasted)
        document.graph_replaced.connect(self._on_graph_replaced)
        document.changed.connect(self._on_change)
        document.checked.connect(self.restyle)
        theme.notifier.changed.connect(self._on_theme_changed)
        self.rebuild()

    @property
    def graph(self) -> Graph:
        return self.document.graph

    # -- following the document --------------------------------------------------------------

    def rebuild(self, report: ShapeReport | None = None) -> None:
        """Drop every item and draw the document's Graph afresh, with the shapes and problems
        of ``report`` (the document's when None)."""
        if self.interaction is not None:
            self.interaction.cancel()
        self._selection_batch = True
        for item in list(self.edge_items.values()):
            self.removeItem(item)
        for item in list(self.node_items.values()):
            self.removeItem(item)
        self.edge_items.clear()
        self.node_items.clear()
        self._edges_of.clear()
        self._last_paste = None
        report = report if report is not None else self.document.report
        for node_id in self.graph.nodes:
            self._add_node_item(node_id, report)
        for edge in self.graph.edges:
            self._add_edge_item(edge)
        self._selection_batch = False
        self._on_selection_changed()
        self.restyle(report)
        self._grow_scene_rect(reset=True)

    def _on_graph_replaced(self) -> None:
        # The document checks the new Graph right after telling its views; until then its
        # report still describes the old Graph, whose shapes must not be read for this one.
        self.rebuild(ShapeReport())

    def _on_change(self, change: Change) -> None:
        kind, node_id, edge = change.kind, change.node_id, change.edge
        if kind == "reset":
            self.rebuild(ShapeReport())
        elif kind == "node_added":
            self._add_node_item(node_id, self.document.report)
            self._grow_scene_rect()
        elif kind == "node_removed":
            item = self.node_items.pop(node_id, None)
            if item is not None:
                self.removeItem(item)
            self._edges_of.pop(node_id, None)
            self._on_selection_changed()
        elif kind == "edge_added":
            self._add_edge_item(edge)
            self._sync_ports(edge.src, edge.dst)
        elif kind == "edge_removed":
            item = self.edge_items.pop(edge, None)
            if item is not None:
                self.removeItem(item)
            for end in (edge.src, edge.dst):
                self._edges_of[end].discard(edge)
            self._sync_ports(edge.src, edge.dst)
        elif kind == "params_changed":
            item = self.node_items.get(node_id)
            if item is not None:
                item.sync(self.graph.node(node_id), self.graph, self.document.report)
        elif kind == "node_moved":
            item = self.node_items.get(node_id)
            if item is not None:
                item.setPos(*self.graph.node(node_id).pos)
                self._grow_scene_rect()

    def restyle(self, report: ShapeReport | None = None) -> None:
        """Shapes, parameter counts and problems from ``report`` (the document's latest when
        None); edges in a cycle or into a port their layer lacks turn red."""
        report = report if report is not None else self.document.report
        for node_id, item in self.node_items.items():
            if node_id in self.graph.nodes:
                item.restyle(self.graph.nodes[node_id], report)
        in_cycle: dict[str, int] = {}
        for i, group in enumerate(self.graph.find_cycles()):
            for node_id in group:
                in_cycle[node_id] = i
        for edge, item in self.edge_items.items():
            item.set_error(self._edge_problem(edge, in_cycle))

    def _edge_problem(self, edge: Edge, in_cycle: dict[str, int]) -> str | None:
        if edge.src in in_cycle and in_cycle.get(edge.dst) == in_cycle[edge.src]:
            return "this connection is part of a cycle: remove it or another one of the cycle"
        dst = self.graph.nodes.get(edge.dst)
        if dst is not None and not dst.layer.variadic and edge.port >= dst.layer.max_inputs:
            return f"{dst.label} has no input port {edge.port}"
        return None

    def _on_theme_changed(self) -> None:
        self.restyle()
        for item in self.items():
            item.update()
        self.update()

    def _add_node_item(self, node_id: str, report: ShapeReport) -> NodeItem:
        node = self.graph.node(node_id)
        item = NodeItem(node_id, on_moved=self._node_item_moved,
                        on_selected=self._on_selection_changed)
        item.setPos(*node.pos)
        item.sync(node, self.graph, report)
        self.addItem(item)
        self.node_items[node_id] = item
        return item

    def _add_edge_item(self, edge: Edge) -> EdgeItem:
        item = EdgeItem(edge)
        self.addItem(item)
        self.edge_items[edge] = item
        self._edges_of[edge.src].add(edge)
        self._edges_of[edge.dst].add(edge)
        self._place_edge(edge)
        return item

    def _sync_ports(self, *node_ids: str) -> None:
        """Ports follow connections (Add and Concatenate grow a free port), and so do the ends
        of the edges at those ports."""
        for node_id in node_ids:
            item = self.node_items.get(node_id)
            if item is not None and node_id in self.graph.nodes:
                item.sync_ports(self.graph.nodes[node_id], self.graph)
                self._node_item_moved(node_id)

    def _node_item_moved(self, node_id: str) -> None:
        for edge in self._edges_of.get(node_id, ()):
            self._place_edge(edge)

    def _place_edge(self, edge: Edge) -> None:
        item = self.edge_items.get(edge)
        src, dst = self.node_items.get(edge.src), self.node_items.get(edge.dst)
        if item is not None and src is not None and dst is not None:
            item.set_ends(src.output_anchor(), dst.input_anchor(edge.port))

    def _grow_scene_rect(self, reset: bool = False) -> None:
        """Keep plenty of room around the drawing so the view can pan and zoom around the
        mouse anywhere; the rect only grows while editing, so the view never jumps."""
        bounds = self.itemsBoundingRect()
        if bounds.isNull():
            bounds = QRectF(-1, -1, 2, 2)
        wanted = bounds.adjusted(-SCENE_MARGIN, -SCENE_MARGIN, SCENE_MARGIN, SCENE_MARGIN)
        current = self.sceneRect()
        if reset:
            self.setSceneRect(wanted)
        elif not current.contains(bounds.adjusted(-SCENE_MARGIN / 2, -SCENE_MARGIN / 2,
                                                  SCENE_MARGIN / 2, SCENE_MARGIN / 2)):
            self.setSceneRect(current.united(wanted))

    # -- training ----------------------------------------------------------------------------

    def show_training(self, gradient_norms: Mapping[str, float],
                      badges: Mapping[str, list[Badge]] | None = None) -> int:
        """Show one training measurement on the cards: each layer in ``gradient_norms`` gets a
        header tint by where its norm sits among them all (log scale), layers in ``badges``
        get their badges, and every other card is cleared. Returns how many cards repainted
        (only those whose tint step or badges changed)."""
        badges = badges or {}
        norms = list(gradient_norms.values())
        repainted = 0
        for node_id, item in self.node_items.items():
            norm = gradient_norms.get(node_id)
            position = None if norm is None else norm_colour_position(norm, norms)
            repainted += item.set_live(position, norm, badges.get(node_id, []))
        return repainted

    def clear_training(self) -> None:
        """Back to the plain drawing: no tint, no badges, no training tooltip."""
        for item in self.node_items.values():
            if item.is_live:
                item.set_live(None, None, [])

    # -- selection ---------------------------------------------------------------------------

    def selected_node_ids(self) -> list[str]:
        """The selected layers, in the Graph's order."""
        chosen = {i.node_id for i in self.selectedItems() if isinstance(i, NodeItem)}
        return [n for n in self.graph.nodes if n in chosen]

    def selected_edges(self) -> list[Edge]:
        chosen = {i.edge for i in self.selectedItems() if isinstance(i, EdgeItem)}
        return [e for e in self.graph.edges if e in chosen]

    def select_nodes(self, node_ids) -> None:
        """Select exactly these layers (unknown ids are skipped)."""
        self._selection_batch = True
        try:
            self.clearSelection()
            for node_id in node_ids:
                item = self.node_items.get(node_id)
                if item is not None:
                    item.setSelected(True)
        finally:
            self._selection_batch = False
        self._on_selection_changed()

    def select_all(self) -> None:
        self.select_nodes(list(self.node_items))

    def _on_selection_changed(self) -> None:
        if self._selection_batch:
            return
        selected = self.selected_node_ids()
        if selected != self._last_selection:
            self._last_selection = selected
            self.selection_changed_nodes.emit(selected)

    # -- edits (each one command on the document) --------------------------------------------

    def delete_selection(self) -> bool:
        """Delete the selected layers (with their connections) and connections, as one undo
        step. Returns whether anything was deleted."""
        node_ids, edges = self.selected_node_ids(), self.selected_edges()
        if not node_ids and not edges:
            return False
        self.document.push(RemoveItems(self.graph, node_ids, edges))
        return True

    def copy_selection(self) -> str | None:
        """The selected layers and the connections between them as clipboard text (JSON), or
        None when no layer is selected."""
        node_ids = self.selected_node_ids()
        return copy_nodes(self.graph, node_ids) if node_ids else None

    def paste(self, text: str) -> list[str]:
        """Add the layers of clipboard text under fresh ids, shifted from where they were
        copied (further each time the same text is pasted again), and select them. Returns the
        new ids; [] with a status message when the text holds no VisNet layers."""
        times = self._last_paste[1] + 1 if self._last_paste and self._last_paste[0] == text \
            else 1
        offset = PASTE_STEP * times
        try:
            trial = Paste(self.graph.copy(), text, offset)
            trial.redo()  # a bad clipboard fails here, on a copy, not halfway through an edit
            command = Paste(self.graph, text, offset)
        except (ValueError, KeyError, TypeError, GraphError) as exc:
            reason = exc.message if isinstance(exc, GraphError) else "the clipboard holds no " \
                                                                      "VisNet layers"
            self.status_message.emit(f"Cannot paste: {reason}")
            return []
        self.document.push(command)
        self._last_paste = (text, times)
        new_ids = command.new_ids
        self.select_nodes(new_ids)
        return new_ids

    def duplicate_selection(self) -> list[str]:
        """Copy and paste the selected layers in one go; returns the new ids."""
        text = self.copy_selection()
        if text is None:
            return []
        try:
            command = Paste(self.graph, text, self._beside_selection())
        except (ValueError, KeyError, TypeError) as exc:
            self.status_message.emit(f"Cannot duplicate: {exc}")
            return []
        command.setText("Duplicate")
        self.document.push(command)
        self.select_nodes(command.new_ids)
        return command.new_ids

    def _beside_selection(self) -> tuple[float, float]:
        """The shift that puts a copy of the selected cards right of them, on free canvas."""
        chosen = [self.graph.nodes[n].pos for n in self.selected_node_ids()]
        others = [n.pos for n in self.graph.nodes.values()]
        dx = max(x for x, _ in chosen) - min(x for x, _ in chosen) + NODE_WIDTH + 2 * GRID
        while any(abs(x + dx - px) < NODE_WIDTH + GRID and abs(y - py) < NODE_HEIGHT
                  for x, y in chosen for px, py in others):
            dx += GRID
        return (snap(dx), 0.0)

    def add_layer(self, type_name: str, scene_pos: QPointF) -> str:
        """Add a layer of ``type_name`` (default params) centred at ``scene_pos``, snapped to
        the grid, and select it. Raises GraphError for an unknown type."""
        layer_type(type_name)
        command = AddNode(self.graph, type_name, (snap(scene_pos.x()), snap(scene_pos.y())))
        self.document.push(command)
        self.select_nodes([command.node_id])
        return command.node_id

    def free_position_near(self, scene_pos: QPointF) -> QPointF:
        """The grid point nearest ``scene_pos`` where a new card covers no other, stepping
        down and right along the grid."""
        x, y = snap(scene_pos.x()), snap(scene_pos.y())
        taken = [n.pos for n in self.graph.nodes.values()]
        while any(abs(x - px) < NODE_WIDTH and abs(y - py) < NODE_HEIGHT for px, py in taken):
            x, y = x + GRID, y + GRID
        return QPointF(x, y)

    def auto_layout(self) -> bool:
        """Arrange the drawing top to bottom, one row per longest-path depth from the inputs,
        as one undo step. Returns whether anything moved."""
        positions = layered_layout(self.graph, LAYOUT_DX, LAYOUT_DY)
        moves = {n: (tuple(self.graph.nodes[n].pos), pos) for n, pos in positions.items()
                 if tuple(self.graph.nodes[n].pos) != pos}
        if not moves:
            return False
        self.document.push(MoveNodes(self.graph, moves, "Auto layout"))
        return True

    # -- hit testing -------------------------------------------------------------------------

    def port_or_node_at(self, scene_pos: QPointF, exclude=None) -> tuple[PortItem | None,
                                                                         NodeItem | None]:
        """The topmost port at ``scene_pos`` (with its card), else the card there."""
        for item in self.items(scene_pos):
            if item is exclude:
                continue
            if isinstance(item, PortItem):
                return item, item.node_item
            if isinstance(item, NodeItem):
                return None, item
        return None, None

    # -- mouse and keys ----------------------------------------------------------------------

    def interaction_ended(self, interaction: Interaction) -> None:
        if self.interaction is interaction:
            self.interaction = None

    def cancel_interaction(self) -> None:
        if self.interaction is not None:
            self.interaction.cancel()

    def mousePressEvent(self, event) -> None:
        if self.interaction is not None and self.interaction.mouse_press(event):
            event.accept()
            return
        if event.button() == Qt.MouseButton.LeftButton:
            port, _ = self.port_or_node_at(event.scenePos())
            if port is not None:
                self.interaction = NewEdgeInteraction(self, port)
                event.accept()
                return
        super().mousePressEvent(event)
        grabber = self.mouseGrabberItem()
        if event.button() == Qt.MouseButton.LeftButton and isinstance(grabber, NodeItem):
            self.interaction = MoveNodesInteraction(self, grabber.node_id,
                                                    self.selected_node_ids())

    def mouseMoveEvent(self, event) -> None:
        if self.interaction is not None and self.interaction.mouse_move(event):
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event) -> None:
        if self.interaction is not None and self.interaction.mouse_release(event):
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def mouseDoubleClickEvent(self, event) -> None:
        _, node = self.port_or_node_at(event.scenePos())
        if node is not None and event.button() == Qt.MouseButton.LeftButton:
            self.node_activated.emit(node.node_id)
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def keyPressEvent(self, event) -> None:
        if self.interaction is not None and self.interaction.key_press(event):
            event.accept()
            return
        super().keyPressEvent(event)

    # -- background --------------------------------------------------------------------------

    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:
        t = theme.current()
        painter.fillRect(rect, QColor(t.canvas))
        if self.plain_background:  # an exported picture of the drawing: no grid
            return
        scale = painter.worldTransform().m11() or 1.0
        step = GRID if GRID * scale >= 8 else GRID * MAJOR_GRID_EVERY
        major = GRID * MAJOR_GRID_EVERY
        left = math.floor(rect.left() / step) * step
        top = math.floor(rect.top() / step) * step
        minor_lines, major_lines = [], []
        x = left
        while x <= rect.right():
            line = QLineF(x, rect.top(), x, rect.bottom())
            (major_lines if abs(x / major - round(x / major)) < 1e-6 else minor_lines).append(line)
            x += step
        y = top
        while y <= rect.bottom():
            line = QLineF(rect.left(), y, rect.right(), y)
            (major_lines if abs(y / major - round(y / major)) < 1e-6 else minor_lines).append(line)
            y += step
        grid = QColor(t.grid)
        faint = QColor(grid)
        faint.setAlphaF(0.45)
        for colour, lines in ((faint, minor_lines), (grid, major_lines)):
            if lines:
                pen = QPen(colour, 0)  # cosmetic: one pixel at any zoom
                painter.setPen(pen)
                painter.drawLines(lines)


def clipboard_text_is_layers(text: str | None) -> bool:
    """Whether ``text`` looks like copied VisNet layers (for enabling Paste)."""
    if not text:
        return False
    try:
        data = json.loads(text)
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("format") == "visnet-nodes"
