"""The inspector: the parameters of the selected layer, its output shape, size and problems.

The form is built from the layer's ParamSpecs, one editor per kind. A value the user enters is
checked by the layer's own declaration first: a bad one is refused (the drawing is untouched,
the reason shows in red and the editor goes back to the current value), a good one becomes one
SetParams command on the document. The inspector never writes to the Graph itself, and it
re-reads everything when the document is checked, so undo and redo show through.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDockWidget, QFormLayout, QFrame, QLabel,
                               QLineEdit, QScrollArea, QSpinBox, QVBoxLayout, QWidget)

from ..core.errors import GraphError
from ..core.graph import Node
from ..core.layers import fmt_shape
from ..core.params import ParamSpec
from . import theme
from .commands import SetParams
from .document import DocumentModel

NO_NODE_HINT = "Select a layer to edit its parameters"
INT_BOUND = 2**31 - 1  # QSpinBox holds a C int
AXIS_RANGE = (-4, 3)  # what ParamSpec accepts for kind "axis"

Commit = Callable[[str, Any], None]


# ---------------------------------------------------------------------------------------------
# Reading and writing values as the user types them. A text that does not parse is passed on
# as it is, so the declaration's own message quotes exactly what the user typed.


def format_value(spec: ParamSpec, value: Any) -> str:
    if value is None:
        return ""
    if spec.kind in ("shape", "size2") and isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    if spec.kind == "float":
        return repr(float(value))
    return str(value)


def _parse_int(text: str) -> int | None:
    try:
        return int(text.strip())
    except ValueError:
        return None


def _int_list(text: str) -> list[int] | None:
    """ "1, 28, 28", "(1, 28, 28)", "[1 28 28]" -> [1, 28, 28]; None if any part is no int."""
    body = text.strip().strip("()[]").strip()
    if not body:
        return []
    parts = [p for p in re.split(r"[,\s]+", body) if p]
    values = [_parse_int(p) for p in parts]
    return None if None in values else values


def parse_text(spec: ParamSpec, text: str) -> Any:
    """The value a user means by ``text`` for a text-edited kind (float, shape, size2, and an
    int that may be null)."""
    if spec.kind == "int":  # a nullable int: empty means None
        t = text.strip()
        return None if not t else (int(t) if t.lstrip("-").isdigit() else text)
    if spec.kind == "float":
        t = text.strip()
        if "," in t and "." not in t:
            t = t.replace(",", ".")  # a decimal comma, as many keyboards type it
        try:
            return float(t)
        except ValueError:
            return text
    values = _int_list(text)
    if values is None:
        return text
    if spec.kind == "shape":
        return values
    # size2: empty means None, one number both sides, two numbers (height, width)
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return values if len(values) == 2 else text


# ---------------------------------------------------------------------------------------------
# Editors: one per row, each owning its widget. ``show`` displays a value without committing;
# ``enter`` puts a value in as a user would and commits it.


class _NoWheelSpinBox(QSpinBox):
    """Scrolling the inspector must not change the values it scrolls past."""

    def wheelEvent(self, event) -> None:
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()


class _AxisSpinBox(_NoWheelSpinBox):
    """Steps over 0, which is never an axis (Keras counts the batch axis as 0)."""

    def stepBy(self, steps: int) -> None:
        target = self.value() + steps
        if target == 0:
            target += 1 if steps > 0 else -1
        self.setValue(max(self.minimum(), min(self.maximum(), target)))


class _NoWheelComboBox(QComboBox):
    def wheelEvent(self, event) -> None:
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()


class _Editor:
    widget: QWidget

    def __init__(self, spec: ParamSpec, commit: Commit):
        self.spec = spec
        self._commit = commit
        self.active = True  # False once the form is torn down: late signals commit nothing

    def commit(self, value: Any) -> None:
        if self.active:
            self._commit(self.spec.name, value)

    def show(self, value: Any) -> None:
        raise NotImplementedError

    def enter(self, value: Any) -> None:
        raise NotImplementedError

    def is_being_edited(self) -> bool:
        return False


class _IntEditor(_Editor):
    """int and axis: a spin box over the allowed range. Arrows and Enter commit; a typed value
    outside the range (which the spin box itself would silently drop) is refused with a reason."""

    def __init__(self, spec: ParamSpec, commit: Commit):
        super().__init__(spec, commit)
        spin = _AxisSpinBox() if spec.kind == "axis" else _NoWheelSpinBox()
        spin.setRange(*self._range())
        spin.setKeyboardTracking(False)
        spin.setAccelerated(True)
        spin.valueChanged.connect(self._on_value)
        spin.lineEdit().textEdited.connect(self._on_typed)
        spin.editingFinished.connect(self._on_finished)
        self.widget = spin
        self._typed: str | None = None

    def _range(self) -> tuple[int, int]:
        if self.spec.kind == "axis":
            return AXIS_RANGE
        s = self.spec
        low = -INT_BOUND if s.low is None else int(s.low) + (1 if s.low_open else 0)
        high = INT_BOUND if s.high is None else int(s.high) - (1 if s.high_open else 0)
        return max(low, -INT_BOUND), min(high, INT_BOUND)

    def show(self, value: Any) -> None:
        self._typed = None
        with QSignalBlocker(self.widget):
            self.widget.setValue(int(value))

    def enter(self, value: Any) -> None:
        if isinstance(value, str):
            parsed = _parse_int(value)
            value = value if parsed is None else parsed
        spin = self.widget
        if isinstance(value, int) and not isinstance(value, bool) \
                and spin.minimum() <= value <= spin.maximum():
            spin.setValue(value)  # commits through valueChanged, as typing and Enter do
        else:
            self.commit(value)  # the spin box would not take it: the refusal says why

    def is_being_edited(self) -> bool:
        return self.widget.hasFocus() and self._typed is not None

    def _on_typed(self, text: str) -> None:
        self._typed = text

    def _on_value(self, value: int) -> None:
        self._typed = None
        self.commit(value)

    def _on_finished(self) -> None:
        typed, self._typed = self._typed, None
        if typed is None:
            return
        parsed = _parse_int(typed)
        if parsed != self.widget.value():
            self.commit(typed if parsed is None else parsed)


class _TextEditor(_Editor):
    """float, shape and size2: free text, read when the user presses Enter or leaves it."""

    def __init__(self, spec: ParamSpec, commit: Commit):
        super().__init__(spec, commit)
        line = QLineEdit()
        if spec.kind == "shape":
            line.setPlaceholderText("e.g. 1, 28, 28")
        elif spec.kind in ("size2", "int"):
            line.setPlaceholderText("none" if spec.nullable else "e.g. 3 or 3, 3")
        line.editingFinished.connect(self._on_finished)
        self.widget = line

    def show(self, value: Any) -> None:
        self.widget.setText(format_value(self.spec, value))  # also clears isModified
        self.widget.setCursorPosition(0)

    def enter(self, value: Any) -> None:
        text = value if isinstance(value, str) else format_value(self.spec, value)
        self.widget.setText(text)
        self.widget.setModified(True)
        self._on_finished()

    def is_being_edited(self) -> bool:
        return self.widget.hasFocus() and self.widget.isModified()

    def _on_finished(self) -> None:
        # Enter and then leaving the field both finish an edit; only a changed text counts.
        if not self.widget.isModified():
            return
        self.widget.setModified(False)
        self.commit(parse_text(self.spec, self.widget.text()))


class _BoolEditor(_Editor):
    def __init__(self, spec: ParamSpec, commit: Commit):
        super().__init__(spec, commit)
        self.widget = QCheckBox()
        self.widget.toggled.connect(self.commit)

    def show(self, value: Any) -> None:
        with QSignalBlocker(self.widget):
            self.widget.setChecked(bool(value))

    def enter(self, value: Any) -> None:
        if isinstance(value, str):
            value = {"true": True, "false": False}.get(value.strip().lower(), value)
        if isinstance(value, bool):
            if value == self.widget.isChecked():
                self.commit(value)
            else:
                self.widget.setChecked(value)  # commits through toggled, as a click does
        else:
            self.commit(value)


class _ChoiceEditor(_Editor):
    def __init__(self, spec: ParamSpec, commit: Commit):
        super().__init__(spec, commit)
        combo = _NoWheelComboBox()
        combo.addItems(list(spec.choices))
        combo.activated.connect(lambda index: self.commit(combo.itemText(index)))
        self.widget = combo

    def show(self, value: Any) -> None:
        with QSignalBlocker(self.widget):
            self.widget.setCurrentIndex(self.widget.findText(str(value)))

    def enter(self, value: Any) -> None:
        index = self.widget.findText(value) if isinstance(value, str) else -1
        if index >= 0:
            with QSignalBlocker(self.widget):
                self.widget.setCurrentIndex(index)
        self.commit(value)


EDITORS: dict[str, type[_Editor]] = {
    "int": _IntEditor, "axis": _IntEditor, "float": _TextEditor, "shape": _TextEditor,
    "size2": _TextEditor, "bool": _BoolEditor, "choice": _ChoiceEditor,
}


def editor_for(spec: ParamSpec) -> type[_Editor]:
    """The editor of a param: a spin box for an int, free text for one that may be null."""
    return _TextEditor if spec.kind == "int" and spec.nullable else EDITORS[spec.kind]


def tooltip_for(spec: ParamSpec) -> str:
    default = "none" if spec.default is None else format_value(spec, spec.default)
    return f"{spec.help}\nAllowed: {spec.describe_range()}\nDefault: {default}"


# ---------------------------------------------------------------------------------------------


class InspectorDock(QDockWidget):
    """The "Inspector" dock: edits the parameters of one node of ``document``."""

    def __init__(self, document: DocumentModel, parent: QWidget | None = None):
        super().__init__("Inspector", parent)
        self.setObjectName("InspectorDock")
        self.document = document
        self.node_id: str | None = None
        self._shown_type: str | None = None
        self._editors: dict[str, _Editor] = {}
        self._form: QWidget | None = None
        self._error = ""

        self.hint = QLabel(NO_NODE_HINT)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setWordWrap(True)
        self.hint.setEnabled(False)  # drawn greyed: it is a hint, not content

        self.header = QLabel()
        font = self.header.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.header.setFont(font)
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.description = QLabel()
        self.description.setWordWrap(True)

        self._form_host = QVBoxLayout()
        self._form_host.setContentsMargins(0, 0, 0, 0)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        rule = QFrame()
        rule.setFrameShape(QFrame.Shape.HLine)
        rule.setFrameShadow(QFrame.Shadow.Sunken)
        self.shape_label = QLabel()
        self.params_label = QLabel()
        self.weights_label = QLabel()
        self.weights_label.setWordWrap(True)
        self.problems_label = QLabel()
        self.problems_label.setWordWrap(True)
        self.problems_label.setTextFormat(Qt.TextFormat.RichText)

        self._details = QWidget()
        details = QVBoxLayout(self._details)
        details.setContentsMargins(0, 0, 0, 0)
        details.addWidget(self.header)
        details.addWidget(self.description)
        details.addLayout(self._form_host)
        details.addWidget(self.error_label)
        details.addWidget(rule)
        for label in (self.shape_label, self.params_label, self.weights_label,
                      self.problems_label):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            details.addWidget(label)

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addWidget(self.hint)
        layout.addWidget(self._details)
        layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        self.setWidget(scroll)

        document.checked.connect(self.refresh)
        document.graph_replaced.connect(self._on_graph_replaced)
        theme.notifier.changed.connect(self.refresh)
        self.show_node(None)

    # -- the public side ---------------------------------------------------------------------

    def show_node(self, node_id: str | None) -> None:
        """Inspect ``node_id`` (None, or an id not in the drawing, shows the hint)."""
        if node_id is not None and node_id not in self.document.graph.nodes:
            node_id = None
        if node_id is not None and node_id == self.node_id:
            self.refresh()  # selected again: keep an edit in progress and its message
            return
        self.node_id = node_id
        self._set_error("")
        self._build_form(self._node())
        self.refresh()

    def widget_for(self, param_name: str) -> QWidget:
        """The editor widget of a parameter of the inspected node (KeyError if it has none)."""
        return self._editors[param_name].widget

    def error_text(self) -> str:
        """Why the last value entered was refused; "" when it was not."""
        return self._error

    def set_value(self, param_name: str, value: Any) -> None:
        """Enter ``value`` (a text as typed, or a value) in a parameter's editor, as a user
        would, and commit it: the same checks and the same one command as a real edit."""
        self._editors[param_name].enter(value)

    def problem_texts(self) -> list[str]:
        node = self._node()
        return [p.message for p in self.document.report.problems_for(node.id)] if node else []

    # -- keeping up with the document --------------------------------------------------------

    def refresh(self) -> None:
        """Re-read the inspected node (its values may have changed by undo) and its shapes."""
        node = self._node()
        if node is None:  # none chosen, or it was deleted
            self.node_id = None
            if self._shown_type is not None:
                self._build_form(None)
            self._details.setVisible(False)
            self.hint.setVisible(True)
            return
        if node.type != self._shown_type:
            self._build_form(node)
        self.hint.setVisible(False)
        self._details.setVisible(True)
        self.header.setText(node.label)
        self.description.setText(node.layer.summary)
        values = node.resolved_params()
        for name, editor in self._editors.items():
            if not editor.is_being_edited():
                editor.show(values[name])
        self._show_error()
        self._show_details(node)

    def _on_graph_replaced(self) -> None:
        self.show_node(None)  # another drawing: its n3 is not the n3 we were showing

    def _node(self) -> Node | None:
        return self.document.graph.nodes.get(self.node_id) if self.node_id else None

    def _build_form(self, node: Node | None) -> None:
        for editor in self._editors.values():
            editor.active = False
        self._editors = {}
        if self._form is not None:
            self._form_host.removeWidget(self._form)
            self._form.hide()
            self._form.deleteLater()
            self._form = None
        self._shown_type = node.type if node else None
        if node is None:
            return
        self._form = QWidget()
        form = QFormLayout(self._form)
        form.setContentsMargins(0, 4, 0, 4)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        if not node.layer.params:
            form.addRow(QLabel("This layer has no parameters."))
        for spec in node.layer.params:
            editor = editor_for(spec)(spec, self._commit)
            label = QLabel(spec.name)
            tip = tooltip_for(spec)
            label.setToolTip(tip)
            editor.widget.setToolTip(tip)
            label.setBuddy(editor.widget)
            form.addRow(label, editor.widget)
            self._editors[spec.name] = editor
        self._form_host.addWidget(self._form)

    def _show_details(self, node: Node) -> None:
        report = self.document.report
        shape = report.shapes.get(node.id)
        if not node.layer.has_output:
            shape_text = "scalar (the value training minimises)" if shape is not None else \
                "unknown: see the problems below"
        elif shape is None:
            shape_text = "unknown: see the problems below"
        else:
            shape_text = fmt_shape(shape)
        self.shape_label.setText(f"Output shape: {shape_text}")

        inputs = report.input_shapes.get(node.id)
        resolved = node.resolved_params()
        if not node.layer.weights:
            self.params_label.setText("Parameters: 0")
            self.weights_label.setVisible(False)
        elif inputs is None:
            self.params_label.setText("Parameters: unknown until its input shape is known")
            self.weights_label.setVisible(False)
        else:
            trainable, frozen = node.layer.param_count(resolved, inputs)
            text = f"Parameters: {trainable + frozen:,}"
            if frozen:
                text += f" ({trainable:,} trainable, {frozen:,} not trained)"
            self.params_label.setText(text)
            shapes = node.layer.weight_shapes(resolved, inputs)
            self.weights_label.setText("Weights: " + ", ".join(
                f"{name} {fmt_shape(s)}" for name, s in shapes.items()))
            self.weights_label.setVisible(bool(shapes))

        problems = report.problems_for(node.id)
        t = theme.current()
        lines = [f'<span style="color:{t.error if p.is_error else t.warning}">'
                 f'{"Error" if p.is_error else "Warning"}: {html.escape(p.message)}</span>'
                 for p in problems]
        self.problems_label.setText("<br>".join(lines))
        self.problems_label.setVisible(bool(lines))

    # -- edits -------------------------------------------------------------------------------

    def _commit(self, name: str, value: Any) -> None:
        node = self._node()
        if node is None:
            return
        editor = self._editors[name]
        current = node.resolved_params()[name]
        try:
            canonical = node.layer.check_param(name, value, node.id)
        except GraphError as exc:
            self._set_error(exc.message)
            editor.show(current)
            return
        self._set_error("")
        if canonical == current and type(canonical) is type(current):
            editor.show(current)  # the same value, perhaps typed differently: nothing to undo
            return
        self.document.push(SetParams(self.document.graph, node.id, {name: canonical}))

    def _set_error(self, message: str) -> None:
        self._error = message
        self._show_error()

    def _show_error(self) -> None:
        self.error_label.setText(self._error)
        self.error_label.setStyleSheet(f"color: {theme.current().error};")
        self.error_label.setVisible(bool(self._error))
