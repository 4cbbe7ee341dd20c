"""Light and dark themes: the application palette and the canvas colours, in one place.

Views read ``current()`` when they paint, and repaint on ``changed`` (see ThemeNotifier)."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication


@dataclass(frozen=True)
class Theme:
    name: str
    window: str
    base: str
    text: str
    canvas: str
    grid: str
    node_fill: str
    node_header: str
    node_border: str
    node_text: str
    node_subtext: str
    port: str
    port_hover: str
    edge: str
    selection: str
    error: str
    warning: str


LIGHT = Theme("light", window="#f3f3f3", base="#ffffff", text="#1f1f1f", canvas="#fafafa",
              grid="#e6e6e6", node_fill="#ffffff", node_header="#e8eef7", node_border="#9aa5b1",
              node_text="#1f1f1f", node_subtext="#5f6b76", port="#5b7db1",
              port_hover="#2e7d32", edge="#6b7785", selection="#1e88e5", error="#c62828",
              warning="#b26a00")
DARK = Theme("dark", window="#2b2b2b", base="#1f1f1f", text="#e6e6e6", canvas="#232323",
             grid="#2f2f2f", node_fill="#30343a", node_header="#3b4656", node_border="#5d6873",
             node_text="#eeeeee", node_subtext="#aab4be", port="#8fb3e8", port_hover="#81c784",
             edge="#9aa5b1", selection="#64b5f6", error="#ef5350", warning="#ffb74d")
THEMES = {"light": LIGHT, "dark": DARK}


class ThemeNotifier(QObject):
    changed = Signal()


_current = LIGHT
notifier = ThemeNotifier()


def current() -> Theme:
    return _current


def apply_theme(name: str, app: QApplication | None = None) -> Theme:
    """Make ``name`` ("light" or "dark") the theme of the app and of every canvas."""
    global _current
    _current = THEMES.get(name, LIGHT)
    app = app or QApplication.instance()
    if app is not None:
        t = _current
        palette = QPalette()
        for role, colour in ((QPalette.ColorRole.Window, t.window),
                             (QPalette.ColorRole.Base, t.base),
                             (QPalette.ColorRole.AlternateBase, t.window),
                             (QPalette.ColorRole.Button, t.window),
                             (QPalette.ColorRole.Text, t.text),
                             (QPalette.ColorRole.WindowText, t.text),
                             (QPalette.ColorRole.ButtonText, t.text),
                             (QPalette.ColorRole.ToolTipBase, t.base),
                             (QPalette.ColorRole.ToolTipText, t.text),
                             (QPalette.ColorRole.Highlight, t.selection)):
            palette.setColor(role, QColor(colour))
        palette.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
        palette.setColor(QPalette.ColorRole.PlaceholderText, QColor(t.node_subtext))
        for role in (QPalette.ColorRole.Text, QPalette.ColorRole.WindowText,
                     QPalette.ColorRole.ButtonText):
            palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(t.node_subtext))
        app.setPalette(palette)
    notifier.changed.emit()
    return _current
