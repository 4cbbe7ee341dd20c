"""What the canvas draws: a card per layer (NodeItem) with its ports (PortItem), and a curve per
connection (EdgeItem).

Items hold no data of the drawing. The scene tells them what to show (``NodeItem.sync``,
``EdgeItem.set_ends``, ``restyle``) from the Graph and the latest ShapeReport; what they keep
is only the text and state they paint. Every colour comes from ``theme.current()``, except the
training tint's two ends (``LIVE_TINTS``), which belong to the canvas alone.

While training, ``NodeItem.set_live`` turns a card into a live view: its header is tinted by
where the layer's gradient norm sits among the layers' (pale blue for the smallest, amber for
the largest), and a "!" in the theme's warning colour at its top right says the layer looks
unhealthy (``visnet.core.health`` decides; the tooltip says why).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
)
from PySide6.QtWidgets import QGraphicsItem, QGraphicsObject, QGraphicsPathItem

from ...core.errors import Problem
from ...core.graph import Edge, Graph, Node
from ...core.health import Badge, format_norm
from ...core.layers import fmt_shape
from ...core.shapes import ShapeReport
from .. import theme

NODE_WIDTH = 160.0
NODE_HEIGHT = 72.0
HEADER_HEIGHT = 20.0
CORNER_RADIUS = 6.0
PORT_RADIUS = 5.0
PORT_HIT_RADIUS = 9.0  # ports are small; a click a few pixels off still lands on them
TEXT_MARGIN = 8.0
SELECTION_GAP = 3.0
EDGE_HIT_WIDTH = 10.0

Z_EDGE = -1.0
Z_NODE = 0.0
Z_DRAG_LINE = 10.0

# Port and drop states, as the new-connection gesture sets them.
NORMAL, HOVER, ACCEPT, REFUSE = "normal", "hover", "accept", "refuse"

# The training tint of a card's header: (smallest gradient norm, largest), per theme name. Muted
# and sequential; the card's title stays readable on both ends (contrast 7:1 light, 5:1 dark).
LIVE_TINTS = {"light": ("#cfe0f3", "#e0a040"), "dark": ("#2f4a63", "#8a5a12")}
# The tint moves in this many steps: a card repaints when its colour visibly changes, not on
# every snapshot's small drift.
TINT_STEPS = 24
LIVE_BADGE_RADIUS = 6.5


# ---------------------------------------------------------------------------------------------
# What a card says


def describe_params(node: Node) -> list[str]:
    """Up to two short lines with the params a reader wants to see on the card."""
    return node.layer.card_lines(node.resolved_params())


def shape_text(report: ShapeReport, node_id: str) -> str:
    """The node's output shape as the card shows it: "?" where a problem leaves it unknown."""
    shape = report.shapes.get(node_id)
    if shape is None:
        return "?"
    return "scalar" if shape == () else fmt_shape(shape)


def params_text(node: Node, report: ShapeReport) -> str:
    """"1,290 params" for layers with parameter tensors, "" for the others."""
    if not node.layer.weights:
        return ""
    inputs = report.input_shapes.get(node.id)
    if inputs is None:
        return "? params"
    trainable, non_trainable = node.layer.param_count(node.resolved_params(), inputs)
    total = trainable + non_trainable
    return f"{total:,} param{'s' * (total != 1)}"


def input_ports_shown(node: Node, graph: Graph) -> list[int]:
    """The input ports the card draws: all of them for fixed layers; for variadic ones (Add,
    Concatenate) the connected ports plus free ones, at least one and enough for min_inputs."""
    layer = node.layer
    if not layer.variadic:
        return list(range(layer.max_inputs))
    taken = sorted({e.port for e in graph.inputs_of(node.id)})
    ports = list(taken)
    free = graph.free_port(node.id)
    while free is not None and (len(ports) < max(layer.min_inputs, len(taken) + 1)):
        ports.append(free)
        free += 1
    return ports


def tint_step(position: float) -> int:
    """Which of the ``TINT_STEPS + 1`` colours a position in [0, 1] gets."""
    return round(min(max(position, 0.0), 1.0) * TINT_STEPS)


def tint_colour(position: float, theme_name: str | None = None) -> QColor:
    """The header colour for a gradient norm at ``position`` (0: smallest of the layers, 1:
    largest), on the scale of ``theme_name`` (the current theme when None)."""
    low, high = LIVE_TINTS.get(theme_name or theme.current().name, LIVE_TINTS["light"])
    a, b = QColor(low).getRgbF()[:3], QColor(high).getRgbF()[:3]
    f = tint_step(position) / TINT_STEPS
    return QColor.fromRgbF(*(x + (y - x) * f for x, y in zip(a, b)))


def _font(size: float, bold: bool = False) -> QFont:
    font = QFont()
    font.setPointSizeF(size)
    font.setBold(bold)
    return font


# ---------------------------------------------------------------------------------------------
# Items


class PortItem(QGraphicsItem):
    """An input port (top edge of the card) or the output port (bottom edge)."""

    def __init__(self, parent: NodeItem, is_input: bool, index: int = 0):
        super().__init__(parent)
        self.node_id = parent.node_id
        self.is_input = is_input
        self.index = index
        self.connected = False
        self.state = NORMAL
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.CrossCursor)
        self._update_tooltip()

    @property
    def node_item(self) -> NodeItem:
        return self.parentItem()

    def _update_tooltip(self) -> None:
        if self.is_input:
            self.setToolTip(f"input {self.index} of {self.node_id}: drag from an output here")
        else:
            self.setToolTip(f"output of {self.node_id}: drag to another layer to connect")

    def set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.update()

    def set_connected(self, connected: bool) -> None:
        if connected != self.connected:
            self.connected = connected
            self.update()

    def boundingRect(self) -> QRectF:
        r = PORT_HIT_RADIUS
        return QRectF(-r, -r, 2 * r, 2 * r)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addEllipse(self.boundingRect())
        return path

    def paint(self, painter: QPainter, option, widget=None) -> None:
        t = theme.current()
        colour = QColor({ACCEPT: t.port_hover, HOVER: t.port_hover, REFUSE: t.error}
                        .get(self.state, t.port))
        radius = PORT_RADIUS + (1.5 if self.state != NORMAL else 0.0)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(colour, 1.5))
        painter.setBrush(QBrush(colour if self.connected or self.state != NORMAL
                                else QColor(t.node_fill)))
        painter.drawEllipse(QPointF(0, 0), radius, radius)

    def hoverEnterEvent(self, event) -> None:
        if self.state == NORMAL:
            self.set_state(HOVER)
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event) -> None:
        if self.state == HOVER:
            self.set_state(NORMAL)
        super().hoverLeaveEvent(event)


class NodeItem(QGraphicsObject):
    """The card of one layer. ``pos()`` is the card's centre and equals the node's ``pos`` in
    the Graph, except while a drag is under way (the Graph moves when the drag ends)."""

    def __init__(self, node_id: str, on_moved: Callable[[str], None] | None = None,
                 on_selected: Callable[[], None] | None = None):
        super().__init__()
        self.node_id = node_id
        self._on_moved = on_moved
        self._on_selected = on_selected
        self.type_name = ""
        self.title = node_id
        self.param_lines: list[str] = []
        self.shape_text = "?"
        self.params_text = ""
        self.problems: list[Problem] = []
        self.drop_state = NORMAL
        self.live_position: float | None = None
        self.live_norm: float | None = None
        self.live_badges: list[Badge] = []
        self._base_tooltip = ""
        self.input_ports: dict[int, PortItem] = {}
        self.output_port: PortItem | None = None
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsMovable)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemSendsScenePositionChanges)
        self.setZValue(Z_NODE)
        self.setAcceptHoverEvents(True)

    # -- state from the model ----------------------------------------------------------------

    def sync(self, node: Node, graph: Graph, report: ShapeReport) -> None:
        """Show what the model says about this node now: texts, ports, problems."""
        self.type_name = node.type
        self.title = f"{node.type}  {node.id}"
        self.param_lines = describe_params(node)
        self.sync_ports(node, graph)
        self.restyle(node, report)

    def sync_ports(self, node: Node, graph: Graph) -> None:
        """Make the port items match the layer and its connections; keeps existing items."""
        wanted = input_ports_shown(node, graph)
        for index in [i for i in self.input_ports if i not in wanted]:
            port = self.input_ports.pop(index)
            port.setParentItem(None)
            if port.scene() is not None:
                port.scene().removeItem(port)
        for index in wanted:
            if index not in self.input_ports:
                self.input_ports[index] = PortItem(self, True, index)
        spacing = NODE_WIDTH / (len(wanted) + 1)
        for i, index in enumerate(wanted):
            self.input_ports[index].setPos(-NODE_WIDTH / 2 + spacing * (i + 1), -NODE_HEIGHT / 2)
        connected = {e.port for e in graph.inputs_of(node.id)}
        for index, port in self.input_ports.items():
            port.set_connected(index in connected)
        if node.layer.has_output:
            if self.output_port is None:
                self.output_port = PortItem(self, False)
                self.output_port.setPos(0, NODE_HEIGHT / 2)
            self.output_port.set_connected(bool(graph.outputs_of(node.id)))

    def restyle(self, node: Node, report: ShapeReport) -> None:
        """Shape, parameter count and problems from the latest check."""
        self.shape_text = shape_text(report, node.id)
        self.params_text = params_text(node, report)
        self.problems = report.problems_for(node.id)
        self._base_tooltip = self.problem_text or f"{node.type} {node.id}: {node.layer.summary}"
        self._update_tooltip()
        self.update()

    @property
    def has_error(self) -> bool:
        return any(p.is_error for p in self.problems)

    @property
    def has_warning(self) -> bool:
        return any(not p.is_error for p in self.problems)

    @property
    def problem_text(self) -> str:
        """Every problem of this node, errors first, one per line ("" when none)."""
        ordered = sorted(self.problems, key=lambda p: not p.is_error)
        return "\n".join(p.message for p in ordered)

    def set_drop_state(self, state: str) -> None:
        if state != self.drop_state:
            self.drop_state = state
            self.update()

    # -- while training ----------------------------------------------------------------------

    def set_live(self, position: float | None, norm: float | None,
                 badges: list[Badge] | tuple[Badge, ...] = ()) -> bool:
        """Show the layer's state while training: ``position`` (0..1, see
        ``health.norm_colour_position``) tints the header, ``norm`` goes in the tooltip,
        ``badges`` put a "!" on the card and their text in the tooltip. ``set_live(None, None,
        [])`` clears it all. Returns whether the card had to repaint (the tooltip follows every
        call; a repaint only when the tint's step or the badges' kinds change)."""
        before = self._live_look()
        self.live_position, self.live_norm = position, norm
        self.live_badges = list(badges)
        self._update_tooltip()
        changed = self._live_look() != before
        if changed:
            self.update()
        return changed

    @property
    def is_live(self) -> bool:
        return self.live_position is not None or self.live_norm is not None or \
            bool(self.live_badges)

    @property
    def live_tint(self) -> QColor | None:
        """The header's training colour; None when not training, or when an error shows (an
        error's red border and fix must not compete with a gradient colour)."""
        if self.live_position is None or self.has_error:
            return None
        return tint_colour(self.live_position)

    @property
    def shows_live_badge(self) -> bool:
        return bool(self.live_badges) and not self.has_error

    def _live_look(self) -> tuple:
        """What set_live changes in the painting."""
        step = None if self.live_position is None else tint_step(self.live_position)
        return step, tuple(b.kind for b in self.live_badges)

    def live_text(self) -> str:
        """The tooltip's training section ("" when not training)."""
        if not self.is_live:
            return ""
        lines = []
        if self.live_norm is not None:
            lines.append(f"Training: gradient norm {format_norm(self.live_norm)}")
        else:
            lines.append("Training:")
        lines += [f"⚠ {b.text}: {b.detail}" for b in self.live_badges]
        return "\n".join(lines)

    def _update_tooltip(self) -> None:
        live = self.live_text()
        text = f"{self._base_tooltip}\n\n{live}" if live else self._base_tooltip
        if text != self.toolTip():
            self.setToolTip(text)

    # -- geometry ----------------------------------------------------------------------------

    def card_rect(self) -> QRectF:
        return QRectF(-NODE_WIDTH / 2, -NODE_HEIGHT / 2, NODE_WIDTH, NODE_HEIGHT)

    def boundingRect(self) -> QRectF:
        m = SELECTION_GAP + 2.0
        return self.card_rect().adjusted(-m, -m, m, m)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(self.card_rect(), CORNER_RADIUS, CORNER_RADIUS)
        return path

    def input_anchor(self, port: int) -> QPointF:
        """Where an edge into ``port`` ends, in scene coordinates."""
        item = self.input_ports.get(port)
        if item is not None:
            return item.scenePos()
        return self.mapToScene(QPointF(0, -NODE_HEIGHT / 2))  # a port the layer lacks

    def output_anchor(self) -> QPointF:
        return self.mapToScene(QPointF(0, NODE_HEIGHT / 2))

    def itemChange(self, change, value):
        # Callbacks rather than QGraphicsScene.selectionChanged: the scene emits that while
        # it is being destroyed, when no Python slot of it can run any more.
        if change == QGraphicsItem.GraphicsItemChange.ItemScenePositionHasChanged and \
                self._on_moved is not None:
            self._on_moved(self.node_id)
        elif change == QGraphicsItem.GraphicsItemChange.ItemSelectedHasChanged and \
                self._on_selected is not None:
            self._on_selected()
        return super().itemChange(change, value)

    # -- painting ----------------------------------------------------------------------------

    def paint(self, painter: QPainter, option, widget=None) -> None:
        t = theme.current()
        rect = self.card_rect()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.TextAntialiasing)

        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(t.node_fill))
        painter.drawRoundedRect(rect, CORNER_RADIUS, CORNER_RADIUS)
        painter.save()
        painter.setClipRect(QRectF(rect.left(), rect.top(), rect.width(), HEADER_HEIGHT))
        painter.setBrush(self.live_tint or QColor(t.node_header))
        painter.drawRoundedRect(rect, CORNER_RADIUS, CORNER_RADIUS)
        painter.restore()

        if self.drop_state in (ACCEPT, REFUSE):
            border, width = (t.port_hover if self.drop_state == ACCEPT else t.error), 2.5
        elif self.has_error:
            border, width = t.error, 2.0
        elif self.has_warning:
            border, width = t.warning, 1.5
        else:
            border, width = t.node_border, 1.0
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(QColor(border), width))
        painter.drawRoundedRect(rect, CORNER_RADIUS, CORNER_RADIUS)
        if self.isSelected():
            painter.setPen(QPen(QColor(t.selection), 2.0))
            gap = SELECTION_GAP
            painter.drawRoundedRect(rect.adjusted(-gap, -gap, gap, gap),
                                    CORNER_RADIUS + gap, CORNER_RADIUS + gap)

        inner = rect.adjusted(TEXT_MARGIN, 0, -TEXT_MARGIN, 0)
        title_width = inner.width()
        if self.shows_live_badge:
            self._paint_live_badge(painter, rect)
            title_width -= 2 * LIVE_BADGE_RADIUS + 4
        self._text(painter, _font(8.5, bold=True), t.node_text,
                   QRectF(inner.left(), rect.top(), title_width, HEADER_HEIGHT), self.title)
        small = _font(7.5)
        top = rect.top() + HEADER_HEIGHT + 3
        fix = self.short_problem()
        if fix:  # an error shows what to do on the card itself; the tooltip has it all
            painter.setFont(small)
            painter.setPen(QColor(t.error))
            painter.drawText(QRectF(inner.left(), top, inner.width(), 27),
                             int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop
                                 | Qt.TextFlag.TextWordWrap), fix)
        else:
            for line in self.param_lines:
                self._text(painter, small, t.node_subtext,
                           QRectF(inner.left(), top, inner.width(), 14), line)
                top += 13
        bottom = QRectF(inner.left(), rect.bottom() - 17, inner.width(), 14)
        shape_colour = t.error if self.has_error and self.shape_text == "?" else t.node_text
        self._text(painter, small, shape_colour, bottom, self.shape_text)
        if self.params_text:
            self._text(painter, small, t.node_subtext, bottom, self.params_text,
                       Qt.AlignmentFlag.AlignRight)

    def _paint_live_badge(self, painter: QPainter, rect: QRectF) -> None:
        """A "!" in a warning-coloured disc at the header's right end."""
        t = theme.current()
        colour = QColor(t.warning)
        r = LIVE_BADGE_RADIUS
        centre = QPointF(rect.right() - TEXT_MARGIN - r + 2, rect.top() + HEADER_HEIGHT / 2)
        painter.setPen(QPen(QColor(t.node_fill), 1.5))  # a ring keeps it apart from the tint
        painter.setBrush(colour)
        painter.drawEllipse(centre, r, r)
        mark = "#1f1f1f" if colour.lightnessF() > 0.6 else "#ffffff"
        painter.setFont(_font(7.5, bold=True))
        painter.setPen(QColor(mark))
        painter.drawText(QRectF(centre.x() - r, centre.y() - r, 2 * r, 2 * r),
                         int(Qt.AlignmentFlag.AlignCenter), "!")

    def short_problem(self) -> str:
        """The first error in a few words: its fix (what follows the last ': '), or the message
        without the layer's name."""
        errors = [p for p in self.problems if p.is_error]
        if not errors:
            return ""
        message = errors[0].message
        if ": " in message:
            return message.rsplit(": ", 1)[1]
        prefix = self.title.replace("  ", " ")
        return message[len(prefix):].strip() if message.startswith(prefix) else message

    @staticmethod
    def _text(painter: QPainter, font: QFont, colour: str, rect: QRectF, text: str,
              align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft) -> None:
        painter.setFont(font)
        painter.setPen(QColor(colour))
        elided = QFontMetricsF(font).elidedText(text, Qt.TextElideMode.ElideRight, rect.width())
        painter.drawText(rect, int(align | Qt.AlignmentFlag.AlignVCenter), elided)


class EdgeItem(QGraphicsPathItem):
    """A connection: a cubic curve from the output port of ``edge.src`` down to input
    ``edge.port`` of ``edge.dst``. Neutral unless the edge itself is wrong (part of a cycle, or
    into a port the layer does not have)."""

    def __init__(self, edge: Edge):
        super().__init__()
        self.edge = edge
        self.has_error = False
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setZValue(Z_EDGE)
        self.setAcceptHoverEvents(True)
        self._hovered = False
        self._tooltip = f"{edge.src} → {edge.dst} (input {edge.port})"
        self.setToolTip(self._tooltip)
        self.restyle()

    def set_ends(self, start: QPointF, end: QPointF) -> None:
        self.setPath(edge_path(start, end))

    def set_error(self, message: str | None) -> None:
        self.has_error = bool(message)
        self.setToolTip(f"{self._tooltip}\n{message}" if message else self._tooltip)
        self.restyle()

    def restyle(self) -> None:
        t = theme.current()
        if self.isSelected():
            colour, width = t.selection, 2.5
        elif self.has_error:
            colour, width = t.error, 2.0
        else:
            colour, width = t.edge, 2.0 if self._hovered else 1.5
        self.setPen(QPen(QColor(colour), width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(EDGE_HIT_WIDTH)
        return stroker.createStroke(self.path())

    def itemChange(self, change, value):
        if change == QGraphicsItem.GraphicsItemChange.ItemSelectedHasChanged:
            self.restyle()
        return super().itemChange(change, value)

    def hoverEnterEvent(self, event) -> None:
        self._hovered = True
        self.restyle()
        super().hoverEnterEvent(event)

    def hoverLeaveEvent(self, event) -> None:
        self._hovered = False
        self.restyle()
        super().hoverLeaveEvent(event)


def edge_path(start: QPointF, end: QPointF) -> QPainterPath:
    """A curve leaving ``start`` downwards and entering ``end`` from above; a connection that
    goes back up makes an S rather than cutting through the cards."""
    dy = end.y() - start.y()
    bend = max(40.0, abs(dy) / 2) if dy >= 0 else max(60.0, min(abs(dy) / 2, 160.0))
    path = QPainterPath(start)
    path.cubicTo(QPointF(start.x(), start.y() + bend), QPointF(end.x(), end.y() - bend), end)
    return path
