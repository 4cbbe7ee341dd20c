"""The main window as a user drives it: templates, save and open, the unsaved-changes question,
recent files, drops from the file manager, shortcuts, recovery copies and the theme."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPointF, QSettings, Qt, QtMsgType, QUrl
from PySide6.QtGui import QColor, QDragEnterEvent, QDropEvent, QKeySequence, QPalette
from PySide6.QtWidgets import QApplication, QMessageBox

from visnet.core.fileformat import load
from visnet.resources import template_path, templates
from visnet.ui import settings as app_settings_module
from visnet.ui import theme
from visnet.ui.autosave import Autosaver, pending_recovery
from visnet.ui.commands import AddNode, MoveNodes, RemoveItems
from visnet.ui.document import DocumentModel
from visnet.ui.gallery import TemplateGallery
from visnet.ui.main_window import MainWindow

Answer = QMessageBox.StandardButton
# What the offscreen platform plugin says about any window with docks; nothing of ours.
PLATFORM_NOISE = {"This plugin does not support propagateSizeHints()"}


@pytest.fixture(autouse=True)
def settings_in_tmp(tmp_path):
    """Keep the user's real settings, recent files and recovery copies out of the tests."""
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                      str(tmp_path / "settings"))
    yield
    theme.apply_theme("light")


class Dialogs:
    """Stands in for the window's dialogs: records the questions and answers as told."""

    def __init__(self, answer=Answer.Discard):
        self.answer = answer
        self.questions: list[str] = []
        self.errors: list[str] = []
        self.save_path: Path | None = None
        self.open_path: Path | None = None
        self.opened_dialogs = 0

    def ask(self, _parent, _title, text, *_args):
        self.questions.append(text)
        return self.answer

    def critical(self, _parent, _title, text, *_args):
        self.errors.append(text)
        return Answer.Ok

    def choose_save(self):
        self.opened_dialogs += 1
        return str(self.save_path) if self.save_path else None

    def choose_open(self):
        self.opened_dialogs += 1
        return str(self.open_path) if self.open_path else None


def make_window(qtbot, path: Path | None = None, template: str = "spiral_mlp"):
    doc = DocumentModel()
    if path is not None:
        doc.open(path)
    else:
        doc.set_document(load(template_path(template)), None)
    window = MainWindow(doc, recovery_dir=None)
    dialogs = Dialogs()
    window.ask = dialogs.ask
    window.critical = dialogs.critical
    window.choose_save_path = dialogs.choose_save
    window.choose_open_path = dialogs.choose_open
    qtbot.addWidget(window)
    return window, dialogs


@pytest.fixture
def window(qtbot):
    window, dialogs = make_window(qtbot)
    window.dialogs = dialogs
    yield window
    dialogs.answer = Answer.Discard  # qtbot closes the window after the test: never block


def edit(window: MainWindow) -> str:
    """One undoable change, as a user's drop of a layer would make."""
    command = AddNode(window.document.graph, "Dense", (300.0, 40.0), {"units": 4})
    window.document.push(command)
    return command.node_id


def node_items(window: MainWindow) -> int:
    return len(window.scene.node_items)


def drag_and_drop(widget, mime: QMimeData) -> bool:
    """A drag from the file manager entering ``widget`` and dropped there (Qt delivers a drop
    only to a widget that accepted the drag's entry). Returns whether the entry was accepted."""
    enter = QDragEnterEvent(QPointF(20, 20).toPoint(), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    drop = QDropEvent(QPointF(20, 20), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, drop)
    return enter.isAccepted()


def copy_template(tmp_path: Path, name: str = "spiral_mlp") -> Path:
    target = tmp_path / f"{name}.visnet"
    shutil.copy(template_path(name), target)
    return target


# -- templates --------------------------------------------------------------------------------


def test_every_template_opens_without_qt_warnings_one_item_per_node(qtbot, qtlog, tmp_path):
    window, dialogs = make_window(qtbot)
    window.show()
    qtbot.waitExposed(window)
    for info in templates():
        assert window.open_template(info), dialogs.errors
        graph = load(info.path).graph
        assert window.document.graph.to_dict() == graph.to_dict()
        assert node_items(window) == len(graph.nodes), info.name
        assert window.document.path is None  # a template is not tied to its file
        assert window.windowTitle().startswith("Untitled")
        qtbot.wait(10)
    warnings = [r for r in qtlog.records if r.type != QtMsgType.QtDebugMsg
                and r.message not in PLATFORM_NOISE]
    assert not warnings, [r.message for r in warnings]
    assert not dialogs.errors


def test_the_gallery_lists_every_template_with_its_title_and_description(qtbot):
    gallery = TemplateGallery()
    qtbot.addWidget(gallery)
    infos = templates()
    assert gallery.list.count() == len(infos)
    for row, info in enumerate(infos):
        assert gallery.list.item(row).text() == info.title
        assert not gallery.list.item(row).icon().isNull()
    gallery.select("residual_block")
    assert gallery.chosen().name == "residual_block"
    assert gallery.description.text() == infos[gallery.list.currentRow()].description


def test_new_from_template_opens_the_chosen_one_untitled(window):
    info = next(t for t in templates() if t.name == "digits_cnn")
    window.choose_template = lambda: info
    window.new_from_template()
    assert window.document.graph.to_dict() == load(info.path).graph.to_dict()
    assert window.document.path is None and not window.document.modified


# -- save, close, open ------------------------------------------------------------------------


def test_save_close_and_open_gives_back_the_same_drawing(qtbot, window, tmp_path):
    edit(window)
    expected = window.document.graph.to_dict()
    window.dialogs.save_path = tmp_path / "mine"  # no suffix: .visnet is added
    assert window.save()
    saved = tmp_path / "mine.visnet"
    assert saved.is_file()
    assert window.document.path == saved and not window.document.modified
    assert window.close()

    again, _ = make_window(qtbot, saved)
    assert again.document.graph.to_dict() == expected
    assert node_items(again) == len(expected["nodes"])


def test_save_on_a_drawing_with_a_file_writes_there_without_asking(window, tmp_path):
    path = copy_template(tmp_path)
    window.open_path(path)
    edit(window)
    assert window.save()
    assert window.dialogs.opened_dialogs == 0
    assert len(load(path).graph.nodes) == len(window.document.graph.nodes)


def test_save_as_json_writes_the_bare_drawing(window, tmp_path):
    window.dialogs.save_path = tmp_path / "bare.json"
    assert window.save_as()
    assert json.loads((tmp_path / "bare.json").read_text())["format"] == "visnet"


def test_cancelling_the_save_dialog_keeps_the_drawing_modified(window):
    edit(window)
    assert not window.save()  # the dialog gave no path
    assert window.document.modified


# -- the unsaved-changes question --------------------------------------------------------------


def test_close_with_changes_asks_and_cancel_keeps_the_window(qtbot, window):
    window.show()
    qtbot.waitExposed(window)
    edit(window)
    window.dialogs.answer = Answer.Cancel
    assert not window.close()
    assert window.isVisible()
    assert len(window.dialogs.questions) == 1
    assert "Untitled" in window.dialogs.questions[0]


def test_close_with_changes_and_discard_closes(qtbot, window):
    window.show()
    qtbot.waitExposed(window)
    edit(window)
    window.dialogs.answer = Answer.Discard
    assert window.close()
    assert not window.isVisible()


def test_close_with_changes_and_save_writes_the_file(qtbot, window, tmp_path):
    window.show()
    qtbot.waitExposed(window)
    added = edit(window)
    window.dialogs.answer = Answer.Save
    window.dialogs.save_path = tmp_path / "closing.visnet"
    assert window.close()
    assert added in load(tmp_path / "closing.visnet").graph.nodes


def test_close_without_changes_does_not_ask(window):
    assert window.close()
    assert window.dialogs.questions == []


def test_new_and_open_ask_about_unsaved_changes(window, tmp_path):
    edit(window)
    before = window.document.graph.to_dict()
    window.dialogs.answer = Answer.Cancel
    window.new_document()
    window.dialogs.open_path = copy_template(tmp_path, "digits_cnn")
    window.open_file()
    assert window.document.graph.to_dict() == before
    assert len(window.dialogs.questions) == 2
    assert window.dialogs.opened_dialogs == 0  # Cancel: no file dialog either

    window.dialogs.answer = Answer.Discard
    window.open_file()
    assert window.document.path == tmp_path / "digits_cnn.visnet"
    assert len(window.document.graph.nodes) == len(load(template_path("digits_cnn")).graph.nodes)
    edit(window)
    window.new_document()
    assert len(window.document.graph.nodes) == 0 and window.document.path is None
    assert node_items(window) == 0
    assert len(window.dialogs.questions) == 4


def test_the_title_shows_the_file_name_and_the_modified_marker(window, tmp_path):
    assert window.windowTitle() == "Untitled[*] - VisNet"
    assert not window.isWindowModified()
    path = copy_template(tmp_path)
    window.open_path(path)
    assert window.windowTitle() == "spiral_mlp.visnet[*] - VisNet"
    edit(window)
    assert window.isWindowModified()
    window.document.undo_stack.undo()
    assert not window.isWindowModified()


# -- recent files, errors, drops ---------------------------------------------------------------


def test_open_recent_lists_the_saved_file(window, tmp_path):
    window.dialogs.save_path = tmp_path / "recent.visnet"
    window.save()
    window.update_recent_menu()
    listed = [a.data() for a in window.recent_menu.actions() if a.data()]
    assert listed == [str((tmp_path / "recent.visnet").resolve())]
    clear = window.recent_menu.findChild(type(window.action("action_save")), "action_clear_recent")
    clear.trigger()
    assert app_settings_module.recent_files() == []


def test_recent_files_keep_ten_most_recent_first_without_duplicates_or_missing(tmp_path):
    paths = []
    for i in range(12):
        p = tmp_path / f"d{i}.visnet"
        p.write_bytes(b"x")
        paths.append(p)
        app_settings_module.add_recent(p)
    app_settings_module.add_recent(paths[5])
    recent = app_settings_module.recent_files()
    assert recent[0] == paths[5].resolve()
    assert len(recent) == 10 and len(set(recent)) == 10
    paths[11].unlink()
    assert paths[11].resolve() not in app_settings_module.recent_files()


def test_a_malformed_file_shows_the_error_and_keeps_the_drawing(window, tmp_path):
    bad = tmp_path / "broken.visnet"
    bad.write_bytes(b"this is not a drawing")
    before = window.document.graph.to_dict()
    assert not window.open_path(bad)
    assert len(window.dialogs.errors) == 1 and "broken.visnet" in window.dialogs.errors[0]
    assert window.document.graph.to_dict() == before
    assert window.document.path is None
    assert node_items(window) == len(before["nodes"])


def test_dropping_a_visnet_file_on_the_window_opens_it(qtbot, window, tmp_path):
    path = copy_template(tmp_path, "residual_block")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    assert drag_and_drop(window, mime)
    qtbot.waitUntil(lambda: window.document.path == path)
    assert node_items(window) == len(load(path).graph.nodes)


def test_dropping_another_kind_of_file_is_refused(window, tmp_path):
    other = tmp_path / "notes.txt"
    other.write_text("hello")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(other))])
    enter = QDragEnterEvent(QPointF(20, 20).toPoint(), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    enter.ignore()
    QApplication.sendEvent(window, enter)
    assert not enter.isAccepted()


# -- menus and shortcuts -----------------------------------------------------------------------

SHORTCUTS = {
    "action_new": ["Ctrl+N"], "action_open": ["Ctrl+O"], "action_save": ["Ctrl+S"],
    "action_save_as": ["Ctrl+Shift+S"], "action_quit": ["Ctrl+Q"], "action_undo": ["Ctrl+Z"],
    "action_redo": ["Ctrl+Shift+Z", "Ctrl+Y"], "action_copy": ["Ctrl+C"],
    "action_paste": ["Ctrl+V"], "action_cut": ["Ctrl+X"], "action_duplicate": ["Ctrl+D"],
    "action_delete": ["Del", "Backspace"], "action_select_all": ["Ctrl+A"],
    "action_fit": ["Ctrl+0"], "action_zoom_in": ["Ctrl+=", "Ctrl++"],
    "action_zoom_out": ["Ctrl+-"], "action_auto_layout": ["L"], "action_find_layer": ["Ctrl+F"],
}


def test_menu_actions_have_their_shortcuts_in_the_whole_window(window):
    for name, keys in SHORTCUTS.items():
        action = window.action(name)
        assert [s.toString(QKeySequence.SequenceFormat.PortableText)
                for s in action.shortcuts()] == keys, name
        assert action.shortcutContext() == Qt.ShortcutContext.WindowShortcut, name
        assert action in window.actions(), name  # reachable when the canvas has the focus
    menus = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert menus[:3] == ["File", "Edit", "View"]


def test_each_dock_has_a_name_and_a_toggle(qtbot, window):
    window.show()
    qtbot.waitExposed(window)
    docks = (window.palette_dock, window.inspector_dock, window.summary_dock,
             window.problems_dock)
    assert all(d.objectName() for d in docks)
    assert len({d.objectName() for d in docks}) == 4
    assert window.dockWidgetArea(window.palette_dock) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert window.dockWidgetArea(window.inspector_dock) == Qt.DockWidgetArea.RightDockWidgetArea
    assert window.tabifiedDockWidgets(window.summary_dock) == [window.problems_dock]
    toggle = window.palette_dock.toggleViewAction()
    toggle.trigger()
    assert window.palette_dock.isHidden()


def test_undo_and_redo_follow_the_stack(window):
    node = edit(window)
    window.action("action_undo").trigger()
    assert node not in window.document.graph.nodes
    window.action("action_redo").trigger()
    assert node in window.document.graph.nodes


def test_window_state_is_remembered(qtbot, tmp_path):
    first, _ = make_window(qtbot)
    first.show()
    qtbot.waitExposed(first)
    first.palette_dock.hide()
    first.resize(700, 500)  # the offscreen screen is 800x600: smaller, or it is clamped
    qtbot.wait(100)  # (the toolbar and docks may hold it wider than asked)
    width = first.width()
    assert first.close()
    second, _ = make_window(qtbot)
    assert second.palette_dock.isHidden()
    assert second.size().width() == width


# -- recovery ----------------------------------------------------------------------------------


def test_the_autosaver_writes_a_recovery_copy_and_start_up_finds_it(qtbot, tmp_path):
    original = copy_template(tmp_path)
    doc = DocumentModel()
    doc.open(original)
    folder = tmp_path / "recovery"
    saver = Autosaver(doc, folder, interval_ms=50)
    saver.start()
    command = AddNode(doc.graph, "Dense", (0.0, 500.0))
    doc.push(command)
    qtbot.waitUntil(lambda: saver.recovery_path.is_file() and
                    saver.recovery_path.with_suffix(".json").is_file(), timeout=3000)
    saver.stop()
    pending = pending_recovery(folder)
    assert len(pending) == 1
    assert pending[0].original == original
    assert command.node_id in pending[0].load().graph.nodes

    # A clean save removes the copy.
    doc.save()
    assert pending_recovery(folder) == []


def test_the_autosaver_writes_nothing_while_the_drawing_is_unchanged(qtbot, tmp_path):
    doc = DocumentModel(load(template_path("spiral_mlp")))
    saver = Autosaver(doc, tmp_path / "recovery", interval_ms=20)
    saver.start()
    qtbot.wait(120)
    assert pending_recovery(tmp_path / "recovery") == []


def test_start_up_restores_a_recovery_copy_as_modified(qtbot, tmp_path):
    original = copy_template(tmp_path)
    doc = DocumentModel()
    doc.open(original)
    doc.push(MoveNodes(doc.graph, {"n1": ((0.0, 0.0), (77.0, 11.0))}))
    folder = tmp_path / "recovery"
    Autosaver(doc, folder).save_now()

    window, dialogs = make_window(qtbot)
    dialogs.answer = Answer.Yes
    assert window.offer_recovery(pending_recovery(folder))
    assert "closed unexpectedly" in dialogs.questions[0]
    assert window.document.path == original
    assert window.document.modified and window.isWindowModified()
    assert window.document.graph.nodes["n1"].pos == (77.0, 11.0)
    dialogs.answer = Answer.Discard


def test_declining_a_recovery_copy_deletes_it(qtbot, tmp_path):
    doc = DocumentModel(load(template_path("spiral_mlp")))
    doc.push(MoveNodes(doc.graph, {"n1": ((0.0, 0.0), (5.0, 5.0))}))
    folder = tmp_path / "recovery"
    Autosaver(doc, folder).save_now()
    window, dialogs = make_window(qtbot)
    dialogs.answer = Answer.No
    assert not window.offer_recovery(pending_recovery(folder))
    assert pending_recovery(folder) == []
    assert not window.document.modified


def test_recovery_copies_of_another_running_visnet_are_left_alone(tmp_path):
    folder = tmp_path / "recovery"
    doc = DocumentModel(load(template_path("spiral_mlp")))
    doc.push(MoveNodes(doc.graph, {"n1": ((0.0, 0.0), (5.0, 5.0))}))
    written = Autosaver(doc, folder).save_now()
    sidecar = written.with_suffix(".json")
    info = json.loads(sidecar.read_text())
    info["pid"] = os.getppid()  # the test runner's parent: alive, and not us
    sidecar.write_text(json.dumps(info))
    assert pending_recovery(folder) == []


# -- theme -------------------------------------------------------------------------------------


def test_switching_to_the_dark_theme_changes_the_palette_and_is_remembered(window):
    window.action("action_theme_dark").trigger()
    colour = QApplication.palette().color(QPalette.ColorRole.Window)
    assert colour == QColor(theme.DARK.window)
    assert window.action("action_theme_dark").isChecked()
    assert not window.action("action_theme_light").isChecked()
    assert app_settings_module.app_settings().value("theme") == "dark"
    window.action("action_theme_light").trigger()
    assert QApplication.palette().color(QPalette.ColorRole.Window) == QColor(theme.LIGHT.window)


# -- keys with the canvas focused, and the panels wired to it ---------------------------------


@pytest.fixture
def active(qtbot, window):
    window.show()
    window.activateWindow()
    qtbot.waitActive(window)
    window.view.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.view)
    return window


def test_shortcuts_work_with_the_canvas_focused(qtbot, active):
    window = active
    graph = window.document.graph
    n = len(graph.nodes)
    qtbot.keyClick(window.view, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert window.scene.selected_node_ids() == list(graph.nodes)
    qtbot.keyClick(window.view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert '"format": "visnet-nodes"' in QApplication.clipboard().text()
    qtbot.keyClick(window.view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert len(graph.nodes) == 2 * n
    qtbot.keyClick(window.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert len(graph.nodes) == n
    window.scene.select_nodes(["n2"])
    qtbot.keyClick(window.view, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert len(graph.nodes) == n + 1
    qtbot.keyClick(window.view, Qt.Key.Key_Delete)
    assert len(graph.nodes) == n
    window.document.push(MoveNodes(graph, {"n3": (graph.nodes["n3"].pos, (900.0, -300.0))}))
    qtbot.keyClick(window.view, Qt.Key.Key_L)
    assert graph.nodes["n3"].pos != (900.0, -300.0)


def test_typing_in_the_palette_search_does_not_edit_the_drawing(qtbot, active):
    window = active
    graph = window.document.graph
    window.scene.select_nodes(["n2"])
    window.document.push(MoveNodes(graph, {"n3": (graph.nodes["n3"].pos, (900.0, -300.0))}))
    before = graph.to_dict()
    qtbot.keyClick(window.view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    search = window.palette_dock.search
    assert QApplication.focusWidget() is search
    qtbot.keyClicks(search, "l")
    qtbot.keyClick(search, Qt.Key.Key_Backspace)
    qtbot.keyClicks(search, "dense")
    qtbot.keyClick(search, Qt.Key.Key_Delete)
    assert search.text() == "dense"
    assert graph.to_dict() == before
    # The menu item itself, chosen while the search box has the focus, leaves it alone too.
    window.action("action_auto_layout").trigger()
    window.action("action_delete").trigger()
    assert graph.to_dict() == before


def test_selecting_one_layer_shows_it_in_the_inspector(window):
    window.scene.select_nodes(["n3"])
    assert window.inspector_dock.node_id == "n3"
    window.scene.select_nodes(["n2", "n3"])
    assert window.inspector_dock.node_id is None
    assert window.action("action_copy").isEnabled()
    window.scene.select_nodes([])
    assert not window.action("action_copy").isEnabled()


def test_a_problem_clicked_selects_its_layer(window):
    graph = window.document.graph
    edge = next(e for e in graph.edges if e.dst == "n3")
    window.document.push(RemoveItems(graph, [], [edge]))  # n3 loses its input
    problems = window.problems_dock
    row = next(i for i in range(problems.list.count())
               if problems.list.item(i).data(Qt.ItemDataRole.UserRole))
    node_id = problems.list.item(row).data(Qt.ItemDataRole.UserRole)
    problems.node_activated.emit(node_id)
    assert window.scene.selected_node_ids() == [node_id]
    assert window.inspector_dock.node_id == node_id


def test_a_layer_activated_in_the_palette_is_added_to_the_canvas(window):
    n = len(window.document.graph.nodes)
    window.palette_dock.layer_activated.emit("Dropout")
    assert len(window.document.graph.nodes) == n + 1
    assert len(window.scene.node_items) == n + 1
    assert window.document.modified


def test_the_canvas_gets_most_of_the_window(qtbot):
    window, _ = make_window(qtbot)
    assert (window.width(), window.height()) == (1280, 800)
    window.show()
    qtbot.waitExposed(window)
    view = window.view.size()
    # The offscreen screen is 800x600: the window shrinks to it, the canvas still leads.
    assert view.width() > window.width() / 2
    assert view.height() > window.height() / 2


def test_a_drawing_dragged_over_the_canvas_is_taken_by_the_window(qtbot, window, tmp_path):
    path = copy_template(tmp_path, "digits_cnn")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    assert drag_and_drop(window.view.viewport(), mime)
    qtbot.waitUntil(lambda: window.document.path == path)


def test_dropping_a_file_on_a_modified_drawing_asks_first(qtbot, window, tmp_path):
    edit(window)
    before = window.document.graph.to_dict()
    window.dialogs.answer = Answer.Cancel
    path = copy_template(tmp_path, "digits_cnn")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    drag_and_drop(window, mime)
    qtbot.waitUntil(lambda: len(window.dialogs.questions) == 1)
    assert window.document.graph.to_dict() == before


def test_a_save_that_fails_says_why_and_keeps_the_changes(window, tmp_path):
    edit(window)
    window.dialogs.save_path = tmp_path / "no such folder" / "x.visnet"
    assert not window.save()
    assert len(window.dialogs.errors) == 1 and "x.visnet" in window.dialogs.errors[0]
    assert window.document.modified and window.document.path is None


def test_choosing_save_then_cancelling_the_file_dialog_keeps_the_window_open(qtbot, window):
    window.show()
    qtbot.waitExposed(window)
    edit(window)
    window.dialogs.answer = Answer.Save  # ... and the save dialog gives no path
    assert not window.close()
    assert window.isVisible()


def test_the_screenshot_window_leaves_the_settings_alone(qtbot, tmp_path):
    doc = DocumentModel(load(template_path("spiral_mlp")))
    window = MainWindow(doc, remember=False)
    qtbot.addWidget(window)
    assert not window.autosaver.timer.isActive()
    assert window.close()
    assert app_settings_module.app_settings().value("window/state") is None


def test_about_names_the_versions_a_bug_report_needs():
    import numba
    import numpy
    import PySide6

    from visnet import __version__
    from visnet.ui.main_window import about_text

    text = about_text()
    for name, version in (("VisNet", __version__), ("numba", numba.__version__),
                          ("numpy", numpy.__version__), ("PySide6", PySide6.__version__)):
        assert name in text and version in text
    assert "Python" in text and "Qt" in text


def test_help_lists_every_shortcut(window):
    rows = dict(window.shortcuts())
    assert rows["Save"] == QKeySequence("Ctrl+S").toString(
        QKeySequence.SequenceFormat.NativeText)
    assert "Open" in rows and "Keyboard Shortcuts" in rows and "Undo" in rows
    assert all(keys for keys in rows.values())
