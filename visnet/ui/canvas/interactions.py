"""Mouse gestures on the canvas, one small object each (as orange-canvas-core does it).

The scene routes its mouse and key events to the interaction under way. Each handler returns
True when it used the event (the scene then stops there) or False to let the scene's default
handling run as well. A gesture ends with ``finish`` (its edit is pushed) or ``cancel``, after
which the scene forgets it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsPathItem, QGraphicsRectItem, QGraphicsTextItem

from ...core.graph import Edge, Graph
from ...core.layout import GRID, snap  # noqa: F401  (the canvas grid, used by the scene)
from ...core.shapes import connection_shape_problem
from .. import theme
from ..commands import Connect, MoveNodes, RemoveItems
from .items import ACCEPT, NORMAL, REFUSE, Z_DRAG_LINE, NodeItem, PortItem, edge_path

if TYPE_CHECKING:
    from .scene import CanvasScene

MOVE_THRESHOLD = 2.0  # scene px: a click that jiggles a card this little moves nothing
DRAG_HINT = "Drop the connection on an input port or on a layer"


CALLOUT_WIDTH = 260.0  # scene px: the refusal's text wraps at this width


class RefusalCallout(QGraphicsRectItem):
    """Why a connection is refused, in a box beside the port it would go to."""

    def __init__(self):
        super().__init__()
        self.setZValue(Z_DRAG_LINE + 1)
        self.text = QGraphicsTextItem(self)
        self.text.setTextWidth(CALLOUT_WIDTH)
        self.hide()

    def show_at(self, text: str, anchor: QPointF) -> None:
        t = theme.current()
        self.text.setPlainText(text)
        self.text.setDefaultTextColor(QColor(t.text))
        bounds = self.text.boundingRect()
        self.setRect(bounds)
        self.setBrush(QColor(t.base))
        self.setPen(QPen(QColor(t.error), 1.5))
        self.setPos(anchor + QPointF(14, -bounds.height() / 2))
        self.show()


class Interaction:
    """A gesture in progress on ``scene``."""

    def __init__(self, scene: CanvasScene):
        self.scene = scene
        self.done = False

    def mouse_press(self, event) -> bool:
        return False

    def mouse_move(self, event) -> bool:
        return False

    def mouse_release(self, event) -> bool:
        return False

    def key_press(self, event) -> bool:
        if event.key() == Qt.Key.Key_Escape:
            self.cancel()
            return True
        return False

    def finish(self) -> None:
        self._end()

    def cancel(self) -> None:
        self._end()

    def _end(self) -> None:
        if not self.done:
            self.done = True
            self.cleanup()
            self.scene.interaction_ended(self)

    def cleanup(self) -> None:
        """Take away whatever the gesture drew."""


class MoveNodesInteraction(Interaction):
    """Dragging one or many cards. Qt moves the items while the mouse moves; the Graph moves
    only when the button is released, by one MoveNodes command, so the whole drag is one undo
    step. The card under the mouse (``lead``) lands on the grid and the others move by the same
    offset, keeping the arrangement; a click that moves nothing edits nothing."""

    def __init__(self, scene: CanvasScene, lead: str, node_ids: list[str]):
        super().__init__(scene)
        graph = scene.document.graph
        self.lead = lead
        self.before = {n: tuple(graph.node(n).pos) for n in {lead, *node_ids}
                       if n in graph.nodes}

    def mouse_release(self, event) -> bool:
        if event.button() == Qt.MouseButton.LeftButton:
            self.finish()
        return False  # the scene still ends Qt's own grab and selection handling

    def finish(self) -> None:
        if self.done:
            return
        items = {n: self.scene.node_items.get(n) for n in self.before}
        items = {n: item for n, item in items.items() if item is not None}
        lead = items.get(self.lead)
        dx = dy = 0.0
        if lead is not None and any(_distance(item.pos().toTuple(), self.before[n])
                                    > MOVE_THRESHOLD for n, item in items.items()):
            (x0, y0), pos = self.before[self.lead], lead.pos()
            dx, dy = snap(pos.x()) - x0, snap(pos.y()) - y0
        moves = {}
        for node_id, item in items.items():
            old = self.before[node_id]
            new = (old[0] + dx, old[1] + dy)
            item.setPos(*new)  # the command's redo then finds the item already there
            if new != old:
                moves[node_id] = (old, new)
        if moves:
            n = len(moves)
            self.scene.document.push(MoveNodes(self.scene.document.graph, moves,
                                               f"Move {n} layer{'s' * (n != 1)}"))
        super().finish()

    def cancel(self) -> None:
        grabber = self.scene.mouseGrabberItem()
        if grabber is not None:  # or Qt would go on moving the cards with the mouse
            grabber.ungrabMouse()
        for node_id, old in self.before.items():  # put the cards back where the Graph has them
            item = self.scene.node_items.get(node_id)
            if item is not None:
                item.setPos(*old)
        super().cancel()


def _distance(a: tuple[float, float], b: tuple[float, float]) -> float:
    return max(abs(a[0] - b[0]), abs(a[1] - b[1]))


class NewEdgeInteraction(Interaction):
    """Drawing a connection.

    From an output port the line follows the mouse to an input port (or a card: its next free
    input). From a free input port it goes backwards to an output port or a card. From an input
    port that is already connected it picks up that connection's end, to drop it on another
    input. Hovering a target the Graph or the shapes refuse shows it in the error colour and
    tells why (``scene.status_message``); releasing there cancels.
    """

    def __init__(self, scene: CanvasScene, port: PortItem):
        super().__init__(scene)
        self.graph = scene.document.graph
        self.detached: Edge | None = None
        if port.is_input:
            existing = [e for e in self.graph.inputs_of(port.node_id) if e.port == port.index]
            if existing:
                self.detached = existing[0]
        self.forward = not port.is_input or self.detached is not None
        if self.detached is not None:
            self.anchor = scene.node_items[self.detached.src].output_anchor()
            edge_item = scene.edge_items.get(self.detached)
            if edge_item is not None:
                edge_item.setVisible(False)
        else:
            self.anchor = port.scenePos()
            port.set_state(ACCEPT)
        self.origin = port
        self.moved = False
        self.candidate: tuple[str, str, int | None] | None = None
        self.problem: str | None = None
        self._problems: dict[tuple[str, str, int | None], str | None] = {}
        self._marked: list[PortItem | NodeItem] = []
        self._check_graph: Graph | None = None

        self.line = QGraphicsPathItem()
        self.line.setZValue(Z_DRAG_LINE)
        self._style_line(None)
        scene.addItem(self.line)
        self.callout = RefusalCallout()
        scene.addItem(self.callout)
        self._draw_to(self.anchor)

    # -- what a drop would do ----------------------------------------------------------------

    @property
    def fixed_node(self) -> str:
        return self.detached.src if self.detached else self.origin.node_id

    def _graph_for_checks(self) -> Graph:
        """The Graph as it would be once the picked-up connection is gone."""
        if self.detached is None:
            return self.graph
        if self._check_graph is None:
            self._check_graph = self.graph.copy()
            self._check_graph.disconnect(self.detached)
        return self._check_graph

    def target_at(self, scene_pos: QPointF) -> tuple[tuple[str, str, int | None] | None,
                                                      PortItem | None, NodeItem | None]:
        """(src, dst, port) of a drop at ``scene_pos``, with the port or card it lands on."""
        port_item, node_item = self.scene.port_or_node_at(scene_pos, exclude=self.line)
        graph = self._graph_for_checks()
        if port_item is not None and port_item.is_input == self.forward:
            if self.forward:
                return (self.fixed_node, port_item.node_id, port_item.index), port_item, None
            return (port_item.node_id, self.origin.node_id, self.origin.index), port_item, None
        if port_item is not None:
            node_item = port_item.node_item
        if node_item is None or node_item.node_id == self.fixed_node:
            return None, None, None  # empty canvas, or the card the line starts from
        node_id = node_item.node_id
        if self.forward:
            port = graph.free_port(node_id) if graph.node(node_id).layer.max_inputs != 0 \
                else None
            return (self.fixed_node, node_id, port), node_item.input_ports.get(port), node_item
        out = node_item.output_port
        return (node_id, self.origin.node_id, self.origin.index), out, node_item

    def problem_of(self, candidate: tuple[str, str, int | None]) -> str | None:
        if candidate not in self._problems:
            graph = self._graph_for_checks()
            src, dst, port = candidate
            self._problems[candidate] = (graph.connection_problem(src, dst, port)
                                         or connection_shape_problem(graph, src, dst, port))
        return self._problems[candidate]

    # -- events ------------------------------------------------------------------------------

    def mouse_press(self, event) -> bool:
        return True  # another button while dragging: ignore it

    def mouse_move(self, event) -> bool:
        self.moved = True
        pos = event.scenePos()
        candidate, port_item, node_item = self.target_at(pos)
        if candidate != self.candidate:
            self._unmark()
            self.candidate = candidate
            self.problem = self.problem_of(candidate) if candidate else None
            state = REFUSE if self.problem else ACCEPT
            if port_item is not None:
                port_item.set_state(state)
                self._marked.append(port_item)
            if node_item is not None:
                node_item.set_drop_state(state)
                self._marked.append(node_item)
            if self.problem:
                self.scene.status_message.emit(self.problem)
                where = port_item.scenePos() if port_item is not None else pos
                self.callout.show_at(self.problem, where)
            else:
                self.callout.hide()
            self._style_line(self.problem if candidate else None)
        end = port_item.scenePos() if port_item is not None and candidate else pos
        self._draw_to(end)
        return True

    def mouse_release(self, event) -> bool:
        if event.button() != Qt.MouseButton.LeftButton:
            return True
        candidate, _, _ = self.target_at(event.scenePos())
        if candidate is None:
            self.scene.status_message.emit(DRAG_HINT if self.moved else
                                           "Drag from a port to another layer to connect")
            self.cancel()
            return True
        problem = self.problem_of(candidate)
        if problem:
            self.scene.status_message.emit(problem)
            self.cancel()
            return True
        self.candidate = candidate
        self.finish()
        return True

    # -- ending ------------------------------------------------------------------------------

    def finish(self) -> None:
        if self.done:
            return
        src, dst, port = self.candidate
        document = self.scene.document
        if self.detached is None:
            document.push(Connect(self.graph, src, dst, port))
        elif (src, dst, port) != (self.detached.src, self.detached.dst, self.detached.port):
            document.undo_stack.beginMacro(f"Reconnect {src} to {dst}")
            document.push(RemoveItems(self.graph, [], [self.detached]))
            document.push(Connect(self.graph, src, dst, port))
            document.undo_stack.endMacro()
        super().finish()

    def cleanup(self) -> None:
        self._unmark()
        if self.origin.scene() is not None:
            self.origin.set_state(NORMAL)
        if self.detached is not None:
            edge_item = self.scene.edge_items.get(self.detached)
            if edge_item is not None:
                edge_item.setVisible(True)
        self.scene.removeItem(self.line)
        self.scene.removeItem(self.callout)

    def _unmark(self) -> None:
        for item in self._marked:
            if item.scene() is None:
                continue
            if isinstance(item, PortItem):
                item.set_state(ACCEPT if item is self.origin else NORMAL)
            else:
                item.set_drop_state(NORMAL)
        self._marked.clear()

    # -- drawing -----------------------------------------------------------------------------

    def _draw_to(self, pos: QPointF) -> None:
        start, end = (self.anchor, pos) if self.forward else (pos, self.anchor)
        self.line.setPath(edge_path(start, end))

    def _style_line(self, problem: str | None) -> None:
        t = theme.current()
        colour = t.error if problem else (t.port_hover if self.candidate else t.edge)
        self.line.setPen(QPen(QColor(colour), 1.5, Qt.PenStyle.DashLine))
