"""The main window: the canvas in the middle, the palette, inspector, summary and problems
around it, the menus, and the life of the document (new, open, save, recent files, recovery).

Every dialog the window opens goes through a method or attribute a test can replace:
``ask`` (the Save / Discard / Cancel question), ``critical`` (errors), ``choose_open_path()``,
``choose_save_path()`` and ``choose_template()``.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QEvent, QMimeData, QObject, QPointF, Qt, QTimer
from PySide6.QtGui import (QAction, QActionGroup, QCloseEvent, QDragEnterEvent, QDropEvent,
                           QKeySequence)
from PySide6.QtWidgets import (QAbstractSpinBox, QApplication, QComboBox, QFileDialog, QLineEdit,
                               QMainWindow, QMenu, QMessageBox, QPlainTextEdit, QTextEdit,
                               QWidget)

from ..core.errors import FileFormatError, Problem
from ..core.fileformat import Document, load
from ..core.graph import Graph
from ..resources import TemplateInfo
from . import theme
from .autosave import Autosaver, Recovery, pending_recovery
from .canvas import CanvasScene, CanvasView
from .document import DocumentModel
from .exchange import ModelExchange
from .gallery import TemplateGallery
from .inspector import InspectorDock
from .palette import PaletteDock
from .panels import ProblemsDock, SummaryDock
from .settings import add_recent, app_settings, clear_recent, recent_files
from .training.controller import TrainingController
from .training.live import LiveTraining
from .training.panels import all_panels
from .training.toolbar import TrainingBar

APP_NAME = "VisNet"
FILE_FILTER = "VisNet drawings (*.visnet);;Bare drawing (*.json)"
OPEN_FILTER = "VisNet drawings (*.visnet *.json);;All files (*)"
OPENABLE_SUFFIXES = (".visnet", ".json")
IMPORTABLE_SUFFIXES = (".onnx",)
DEFAULT_SIZE = (1280, 800)
STATUS_TIMEOUT_MS = 5000
ZOOM_STEP = 1.25
Answer = QMessageBox.StandardButton


class MainWindow(QMainWindow):
    """One window editing one DocumentModel.

    ``remember``: restore and keep the geometry and dock layout in the settings (off for
    ``--screenshot``, so every screenshot shows the default layout).
    """

    def __init__(self, document: DocumentModel | Document | None = None,
                 path: Path | None = None, *, remember: bool = True,
                 recovery_dir: str | Path | None = None):
        super().__init__()
        if not isinstance(document, DocumentModel):
            document = DocumentModel(document, Path(path) if path else None)
        self.document = document
        document.setParent(self)
        self.remember = remember
        # Dialogs, replaceable in tests.
        self.ask = QMessageBox.question
        self.critical = QMessageBox.critical

        self.setObjectName("MainWindow")
        self.setAcceptDrops(True)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks
                            | QMainWindow.DockOption.AllowTabbedDocks)
        self.resize(*DEFAULT_SIZE)

        self.scene = CanvasScene(document, self)  # owned by the window: deleted with it
        self.exchange = ModelExchange(self)
        self.view = CanvasView(self.scene)
        self.setCentralWidget(self.view)
        self._canvas_viewport = self.view.viewport()
        self._canvas_viewport.installEventFilter(self)

        self.palette_dock = PaletteDock(self)
        self.inspector_dock = InspectorDock(document, self)
        self.summary_dock = SummaryDock(document, self)
        self.problems_dock = ProblemsDock(document, self)
        self.controller = TrainingController(document, self)
        self.training_bar = TrainingBar(document, self.controller, self)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.training_bar)
        self.statusBar().addPermanentWidget(self.training_bar.progress_label)
        self.statusBar().addPermanentWidget(self.training_bar.progress)
        self.training_panels = all_panels(self)
        self._layout_docks()
        self.live = LiveTraining(self.controller, self.scene, self.training_panels, self)
        self.controller.failed.connect(self._on_training_failed)
        self.live.show_saved_run()  # a drawing given at start shows its run as an opened one

        self.actions_by_name: dict[str, QAction] = {}
        self._build_menus()
        self._wire()
        self.autosaver = Autosaver(document, recovery_dir, parent=self)
        self.autosaver.failed.connect(self.show_status)
        if remember:
            self.autosaver.start()
        self._default_state = self.saveState()
        if remember:
            self._restore_settings()
        self._update_title()
        self._update_selection_actions([])
        self.statusBar().showMessage("Ready", STATUS_TIMEOUT_MS)

    # -- building ----------------------------------------------------------------------------

    def _action(self, name: str, text: str, slot, shortcuts=(), *, tip: str = "") -> QAction:
        action = QAction(text, self)
        action.setObjectName(name)
        if shortcuts:
            action.setShortcuts([QKeySequence(s) for s in shortcuts])
        # The window's shortcuts must work whichever child (canvas, dock) has the focus.
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        if tip:
            action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        self.actions_by_name[name] = action
        return action

    def action(self, name: str) -> QAction:
        """The window's action called ``name`` (its objectName), e.g. "action_save"."""
        return self.actions_by_name[name]

    def _build_menus(self) -> None:
        bar = self.menuBar()
        a = self._action

        file_menu = bar.addMenu("&File")
        file_menu.addAction(a("action_new", "&New", self.new_document, ["Ctrl+N"],
                              tip="Start an empty drawing"))
        file_menu.addAction(a("action_new_from_template", "New from &Template...",
                              self.new_from_template, ["Ctrl+Shift+N"],
                              tip="Start from one of the ready-made examples"))
        file_menu.addAction(a("action_open", "&Open...", self.open_file, ["Ctrl+O"]))
        self.recent_menu = QMenu("Open &Recent", self)
        self.recent_menu.setObjectName("menu_recent")
        self.recent_menu.aboutToShow.connect(self.update_recent_menu)
        file_menu.addMenu(self.recent_menu)
        file_menu.addSeparator()
        file_menu.addAction(a("action_save", "&Save", self.save, ["Ctrl+S"]))
        file_menu.addAction(a("action_save_as", "Save &As...", self.save_as, ["Ctrl+Shift+S"]))
        file_menu.addSeparator()
        file_menu.addAction(a("action_import_onnx", "&Import ONNX Model...", self.import_model,
                              tip="Turn an ONNX model into a drawing with its weights"))
        export_menu = file_menu.addMenu("&Export")
        export_menu.setObjectName("menu_export")
        export_menu.addAction(a("action_export_onnx", "&ONNX Model...",
                                lambda: self.exchange.export_onnx(),
                                tip="The network with its weights, for onnxruntime and "
                                    "other tools"))
        export_menu.addAction(a("action_export_pytorch", "&PyTorch Script...",
                                lambda: self.exchange.export_pytorch(),
                                tip="A standalone PyTorch module with its weights"))
        export_menu.addAction(a("action_export_picture", "Picture of the &Drawing...",
                                lambda: self.exchange.export_picture(),
                                tip="The drawing as a PNG or SVG image"))
        file_menu.addSeparator()
        quit_action = a("action_quit", "&Quit", self.close, ["Ctrl+Q"])
        quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        file_menu.addAction(quit_action)

        edit = bar.addMenu("&Edit")
        stack = self.document.undo_stack
        undo = stack.createUndoAction(self, "&Undo")
        undo.setObjectName("action_undo")
        undo.setShortcuts([QKeySequence("Ctrl+Z")])
        redo = stack.createRedoAction(self, "&Redo")
        redo.setObjectName("action_redo")
        redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
        for action in (undo, redo):
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            self.addAction(action)
            self.actions_by_name[action.objectName()] = action
            edit.addAction(action)
        edit.addSeparator()
        edit.addAction(a("action_cut", "Cu&t", self.cut, ["Ctrl+X"]))
        edit.addAction(a("action_copy", "&Copy", self.copy, ["Ctrl+C"]))
        edit.addAction(a("action_paste", "&Paste", self.paste, ["Ctrl+V"]))
        edit.addAction(a("action_duplicate", "D&uplicate", self.duplicate, ["Ctrl+D"]))
        edit.addAction(a("action_delete", "&Delete", self.delete, ["Delete", "Backspace"]))
        edit.addSeparator()
        edit.addAction(a("action_select_all", "Select &All", self.select_all, ["Ctrl+A"]))

        view = bar.addMenu("&View")
        view.addAction(a("action_fit", "&Fit to View", self.fit_view, ["Ctrl+0"]))
        view.addAction(a("action_zoom_in", "Zoom &In", lambda: self.view.zoom_by(ZOOM_STEP),
                         ["Ctrl+=", "Ctrl++"]))
        view.addAction(a("action_zoom_out", "Zoom &Out",
                         lambda: self.view.zoom_by(1 / ZOOM_STEP), ["Ctrl+-"]))
        view.addSeparator()
        view.addAction(a("action_auto_layout", "Auto-&layout", self.auto_layout, ["L"],
                         tip="Arrange the layers top to bottom in the order data flows"))
        view.addAction(a("action_find_layer", "Find &Layer...", self.find_layer, ["Ctrl+F"],
                         tip="Search the layer palette"))
        view.addSeparator()
        theme_menu = view.addMenu("&Theme")
        self.theme_group = QActionGroup(self)
        self.theme_group.setExclusive(True)
        for name, text in (("light", "&Light"), ("dark", "&Dark")):
            action = a(f"action_theme_{name}", text, lambda n=name: self.set_theme(n))
            action.setCheckable(True)
            action.setChecked(theme.current().name == name)
            self.theme_group.addAction(action)
            theme_menu.addAction(action)
        panels = view.addMenu("&Panels")
        for dock in (self.palette_dock, self.inspector_dock, self.summary_dock,
                     self.problems_dock, None, *self.training_panels.values()):
            if dock is None:
                panels.addSeparator()
                continue
            toggle = dock.toggleViewAction()
            toggle.setObjectName(f"action_toggle_{dock.objectName()}")
            panels.addAction(toggle)
        panels.addSeparator()
        panels.addAction(a("action_reset_panels", "&Reset Panels", self.reset_panels))

        help_menu = bar.addMenu("&Help")
        help_menu.addAction(a("action_shortcuts", "&Keyboard Shortcuts", self.show_shortcuts,
                              ["F1"], tip="Every shortcut of the window in one list"))
        about = a("action_about", "&About VisNet", self.about)
        about.setMenuRole(QAction.MenuRole.AboutRole)
        help_menu.addAction(about)

    def _wire(self) -> None:
        doc = self.document
        doc.modified_changed.connect(self._update_title)
        doc.path_changed.connect(self._update_title)
        self.scene.selection_changed_nodes.connect(self._on_selection)
        self.problems_dock.node_activated.connect(self.reveal_node)
        self.summary_dock.node_activated.connect(self.reveal_node)
        self.palette_dock.layer_activated.connect(self.add_layer)
        self.view.status_message.connect(self.show_status)
        self.scene.node_activated.connect(self.inspect_node)

    def _layout_docks(self) -> None:
        """The palette on the left; the inspector (with the histograms and activations of the
        selected layer) and the decision boundary (with the confusion matrix and predictions)
        on the right; the summary (with the problems) and the loss and gradient curves side by
        side at the bottom, where they are wide. Splits come before tabs: Qt adds a dock split
        against a tabbed one as another tab. Everything can be hidden, moved and floated, and
        the layout is remembered."""
        p = self.training_panels
        left = Qt.DockWidgetArea.LeftDockWidgetArea
        right = Qt.DockWidgetArea.RightDockWidgetArea
        bottom = Qt.DockWidgetArea.BottomDockWidgetArea
        self.addDockWidget(left, self.palette_dock)
        self.addDockWidget(right, self.inspector_dock)
        self.addDockWidget(right, p["boundary"])
        self.splitDockWidget(self.inspector_dock, p["boundary"], Qt.Orientation.Vertical)
        self.addDockWidget(bottom, self.summary_dock)
        self.addDockWidget(bottom, p["curves"])
        self.splitDockWidget(self.summary_dock, p["curves"], Qt.Orientation.Horizontal)
        self.addDockWidget(bottom, p["gradients"])
        self.splitDockWidget(p["curves"], p["gradients"], Qt.Orientation.Horizontal)
        for first, others in ((self.inspector_dock, ("histograms", "activations")),
                              (p["boundary"], ("confusion", "gallery")),
                              (self.summary_dock, ("problems",))):
            for key in others:
                dock = self.problems_dock if key == "problems" else p[key]
                self.tabifyDockWidget(first, dock)
            first.raise_()
        self.setCorner(Qt.Corner.BottomLeftCorner, left)
        self.setCorner(Qt.Corner.BottomRightCorner, right)
        self.resizeDocks([self.palette_dock, self.inspector_dock], [190, 300],
                         Qt.Orientation.Horizontal)
        self.resizeDocks([self.summary_dock, p["curves"], p["gradients"]], [330, 330, 260],
                         Qt.Orientation.Horizontal)
        self.resizeDocks([self.summary_dock], [230], Qt.Orientation.Vertical)
        self.resizeDocks([self.inspector_dock, p["boundary"]], [330, 330],
                         Qt.Orientation.Vertical)

    def _on_training_failed(self, message: str, node_id) -> None:
        """A run that could not start or diverged: the message in the status bar and as a
        row of the Problems list (raised), the layer at fault selected."""
        if node_id not in self.document.graph.nodes:
            node_id = None
        self.document.set_run_problem(Problem(node_id, message.splitlines()[0], "error",
                                              "training"))
        self.problems_dock.show()
        self.problems_dock.raise_()
        if node_id is not None:
            self.scene.select_nodes([node_id])

    def _restore_settings(self) -> None:
        settings = app_settings()
        geometry = settings.value("window/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        state = settings.value("window/state")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state)

    def save_settings(self) -> None:
        if not self.remember:
            return
        settings = app_settings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState())
        settings.setValue("theme", theme.current().name)
        settings.sync()

    # -- the title, the status bar -----------------------------------------------------------

    def _update_title(self, *_args) -> None:
        self.setWindowTitle(f"{self.document.title}[*] - {APP_NAME}")
        self.setWindowModified(self.document.modified)

    def show_status(self, message: str) -> None:
        self.statusBar().showMessage(message, STATUS_TIMEOUT_MS)

    # -- the document's life -----------------------------------------------------------------

    def maybe_save(self) -> bool:
        """Before the drawing goes away: True when it may (saved, unchanged or discarded),
        False when the user cancelled."""
        if self.controller.busy:  # a run ends before its drawing goes (its result is kept)
            self.controller.stop()
            self.controller.wait(10.0)
        if not self.document.modified:
            return True
        answer = self.ask(self, APP_NAME,
                          f"Save the changes to {self.document.title} before closing it?",
                          Answer.Save | Answer.Discard | Answer.Cancel, Answer.Save)
        if answer == Answer.Save:
            return self.save()
        if answer == Answer.Discard:
            self.autosaver.discard()
            return True
        return False

    def new_document(self) -> None:
        if self.maybe_save():
            self.document.set_document(Document(Graph()), None)
            self._after_load()
            self.show_status("New drawing")

    def new_from_template(self) -> None:
        info = self.choose_template()
        if info is not None and self.maybe_save():
            self.open_template(info)

    def choose_template(self) -> TemplateInfo | None:
        gallery = TemplateGallery(self)
        try:
            return gallery.chosen() if gallery.exec() == TemplateGallery.DialogCode.Accepted \
                else None
        finally:
            gallery.deleteLater()

    def open_template(self, info: TemplateInfo) -> bool:
        """Start an Untitled drawing from a template: Save then asks where to write it."""
        try:
            doc = load(info.path)
        except FileFormatError as exc:
            self.critical(self, APP_NAME, f"Cannot open the template {info.title}:\n{exc}")
            return False
        self.document.set_document(doc, None)
        self._after_load()
        self.show_status(f"New drawing from the template {info.title}")
        return True

    def open_file(self) -> None:
        if not self.maybe_save():
            return
        path = self.choose_open_path()
        if path:
            self.open_path(path)

    def open_recent(self, path: Path) -> None:
        if self.maybe_save():
            self.open_path(path)

    def open_path(self, path: str | Path) -> bool:
        """Open a drawing (without asking about the current one: call maybe_save first).
        A malformed file is reported and the current drawing stays."""
        path = Path(path)
        try:
            self.document.open(path)
        except FileFormatError as exc:
            self.critical(self, APP_NAME, f"Cannot open {path.name}:\n\n{exc}")
            return False
        add_recent(path)
        self._after_load()
        self.show_status(f"Opened {path}")
        return True

    def import_model(self, path: Path | None = None) -> bool:
        """File > Import ONNX Model (or an .onnx file dropped on the window)."""
        return self.maybe_save() and self.exchange.import_onnx(path)

    def _after_load(self) -> None:
        # The view fits again once the event loop has laid the window out (graph_replaced).
        self.fit_view()

    def save(self) -> bool:
        if self.document.path is None or self.document.path.suffix.lower() not in \
                OPENABLE_SUFFIXES:
            return self.save_as()
        return self._save_to(self.document.path)

    def save_as(self) -> bool:
        path = self.choose_save_path()
        if not path:
            return False
        path = Path(path)
        if path.suffix.lower() not in OPENABLE_SUFFIXES:
            path = path.with_name(path.name + ".visnet")
        return self._save_to(path)

    def _save_to(self, path: Path) -> bool:
        try:
            written = self.document.save(path)
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            self.critical(self, APP_NAME, f"Cannot save {path.name}:\n\n{reason}")
            return False
        self.autosaver.discard()
        add_recent(written)
        self.show_status(f"Saved {written}")
        return True

    def choose_open_path(self) -> str | None:
        path, _ = QFileDialog.getOpenFileName(self, "Open a drawing", self._dialog_dir(),
                                              OPEN_FILTER)
        return path or None

    def choose_save_path(self) -> str | None:
        stem = self.document.path.stem if self.document.path else "Untitled"
        suggested = str(Path(self._dialog_dir()) / f"{stem}.visnet")
        path, _ = QFileDialog.getSaveFileName(self, "Save the drawing", suggested, FILE_FILTER)
        return path or None

    def _dialog_dir(self) -> str:
        if self.document.path is not None:
            return str(self.document.path.parent)
        recent = recent_files()
        return str(recent[0].parent) if recent else str(Path.home())

    def update_recent_menu(self) -> None:
        menu = self.recent_menu
        menu.clear()
        files = recent_files()
        for i, path in enumerate(files):
            label = f"&{i + 1} {path.name}" if i < 9 else f"1&0 {path.name}"
            action = menu.addAction(label)
            action.setData(str(path))
            action.setToolTip(str(path))
            action.setStatusTip(str(path))
            action.triggered.connect(lambda _checked=False, p=path: self.open_recent(p))
        if not files:
            menu.addAction("No recent drawings").setEnabled(False)
        menu.addSeparator()
        clear = menu.addAction("&Clear Recent")
        clear.setObjectName("action_clear_recent")
        clear.setEnabled(bool(files))
        clear.triggered.connect(self._clear_recent)

    def _clear_recent(self) -> None:
        clear_recent()
        self.update_recent_menu()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.controller.busy:
            self.controller.stop()
            self.controller.wait(10.0)
        if not self.maybe_save():
            event.ignore()
            return
        self.controller.shutdown()
        self.autosaver.stop()
        self.autosaver.discard()
        self.save_settings()
        event.accept()

    # -- recovery ----------------------------------------------------------------------------

    def offer_recovery(self, pending: list[Recovery] | None = None) -> bool:
        """Offer back the drawings a crash left unsaved (newest first); True if one was
        restored. A declined copy is deleted; after a restored one, older ones wait for the
        next start."""
        pending = pending_recovery(self.autosaver.folder) if pending is None else pending
        for recovery in pending:
            what = recovery.original.name if recovery.original else "untitled drawing"
            answer = self.ask(self, APP_NAME,
                              f"VisNet closed unexpectedly. Restore the unsaved {what} from "
                              f"{recovery.when}?",
                              Answer.Yes | Answer.No, Answer.Yes)
            if answer != Answer.Yes:
                recovery.delete()
                continue
            if self.restore(recovery):
                return True
        return False

    def restore(self, recovery: Recovery) -> bool:
        """Open a recovery copy as a modified drawing tied to its original file."""
        try:
            doc = recovery.load()
        except FileFormatError as exc:
            self.critical(self, APP_NAME, f"The recovery copy cannot be read:\n\n{exc}")
            recovery.delete()
            return False
        self.document.set_document(doc, recovery.original)
        self.document.undo_stack.resetClean()
        recovery.delete()
        self.autosaver.save_now()
        self._after_load()
        self.show_status(f"Restored the drawing from {recovery.when}: save it to keep it")
        return True

    # -- editing -----------------------------------------------------------------------------

    def _on_selection(self, node_ids: list) -> None:
        self.live.select(node_ids[0] if len(node_ids) == 1 else None)
        ids = list(node_ids)
        self.inspector_dock.show_node(ids[0] if len(ids) == 1 else None)
        self._update_selection_actions(ids)

    def _update_selection_actions(self, ids: list) -> None:
        # Delete stays enabled: it also removes selected connections, which are not layers.
        for name in ("action_cut", "action_copy", "action_duplicate"):
            self.actions_by_name[name].setEnabled(bool(ids))

    def _text_field(self) -> QWidget | None:
        """The text field being typed in, if any: keys like L and Delete are its, not ours."""
        w = QApplication.focusWidget()
        if isinstance(w, (QLineEdit, QAbstractSpinBox, QTextEdit, QPlainTextEdit)):
            return w
        if isinstance(w, QComboBox) and w.isEditable():
            return w
        return None

    def cut(self) -> None:
        field = self._text_field()
        if field is not None:
            _call(field, "cut")
        elif self.view.cut_to_clipboard():
            self.show_status("Cut to the clipboard")

    def copy(self) -> None:
        field = self._text_field()
        if field is not None:
            _call(field, "copy")
            return
        n = len(self.scene.selected_node_ids())
        if self.view.copy_to_clipboard():
            self.show_status(f"Copied {n} layer{'s' * (n != 1)}")

    def paste(self) -> None:
        field = self._text_field()
        if field is not None:
            _call(field, "paste")
        else:
            self.view.paste_from_clipboard()  # a clipboard of no layers: the scene says so

    def duplicate(self) -> None:
        if self._text_field() is None:
            self.scene.duplicate_selection()

    def delete(self) -> None:
        field = self._text_field()
        if field is None:
            self.scene.delete_selection()

    def select_all(self) -> None:
        field = self._text_field()
        if field is not None:
            _call(field, "selectAll")
        else:
            self.scene.select_all()

    def auto_layout(self) -> None:
        if self._text_field() is None:
            self.scene.auto_layout()
            self.fit_view()

    def add_layer(self, type_name: str) -> None:
        self.view.add_layer_at_center(type_name)

    def reveal_node(self, node_id: str) -> None:
        """Select a layer and bring it to the middle of the canvas (a click in Problems or
        Summary)."""
        if node_id not in self.document.graph.nodes:
            return
        self.scene.select_nodes([node_id])
        self.view.centerOn(self._node_centre(node_id))

    def _node_centre(self, node_id: str) -> QPointF:
        item = self.scene.node_items.get(node_id)
        if item is not None:
            return item.sceneBoundingRect().center()
        x, y = self.document.graph.nodes[node_id].pos
        return QPointF(x, y)

    def inspect_node(self, node_id: str) -> None:
        """A double-clicked card: its parameters in the inspector, brought to the front."""
        self.inspector_dock.show()
        self.inspector_dock.raise_()
        self.inspector_dock.show_node(node_id)

    # -- view --------------------------------------------------------------------------------

    def fit_view(self) -> None:
        self.view.fit_all()

    def find_layer(self) -> None:
        self.palette_dock.show()
        self.palette_dock.raise_()
        self.palette_dock.focus_search()

    def set_theme(self, name: str) -> None:
        theme.apply_theme(name)
        action = self.actions_by_name.get(f"action_theme_{name}")
        if action is not None and not action.isChecked():
            action.setChecked(True)
        if self.remember:
            settings = app_settings()
            settings.setValue("theme", theme.current().name)
            settings.sync()

    def reset_panels(self) -> None:
        self.restoreState(self._default_state)
        for dock in (self.palette_dock, self.inspector_dock, self.summary_dock,
                     self.problems_dock):
            dock.show()
        self.summary_dock.raise_()

    def about(self) -> None:
        QMessageBox.about(self, f"About {APP_NAME}", about_text())

    def shortcuts(self) -> list[tuple[str, str]]:
        """(what it does, its keys) for every action with a shortcut, in menu order."""
        rows = []
        for action in self.actions_by_name.values():
            keys = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText)
                             for k in action.shortcuts())
            if keys:
                rows.append((action.text().replace("&", "").rstrip("."), keys))
        return rows

    def show_shortcuts(self) -> None:
        rows = "".join(f"<tr><td>{what}</td><td>&nbsp;&nbsp;<b>{keys}</b></td></tr>"
                       for what, keys in self.shortcuts())
        QMessageBox.information(self, f"{APP_NAME}: keyboard shortcuts",
                                f"<table>{rows}</table>")

    # -- drops from the file manager ---------------------------------------------------------

    @staticmethod
    def dropped_drawing(mime: QMimeData | None) -> Path | None:
        """The first local .visnet, .json or .onnx file among a drag's URLs."""
        if mime is None or not mime.hasUrls():
            return None
        for url in mime.urls():
            if url.isLocalFile():
                path = Path(url.toLocalFile())
                if path.suffix.lower() in OPENABLE_SUFFIXES + IMPORTABLE_SUFFIXES:
                    return path
        return None

    def _take_file_drag(self, event) -> bool:
        """Accept a drag of a drawing file, and open it when dropped; False for other drags
        (a layer from the palette, say), which go on to their usual handler."""
        path = self.dropped_drawing(event.mimeData())
        if path is None:
            return False
        event.acceptProposedAction()
        if event.type() == QEvent.Type.Drop:
            # Ask and open once the drop is over: a modal question inside the drop handler
            # would hold up the file manager's drag.
            if path.suffix.lower() in IMPORTABLE_SUFFIXES:
                QTimer.singleShot(0, self, lambda: self.import_model(path))
            else:
                QTimer.singleShot(0, self, lambda: self.open_recent(path))
        return True

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if not self._take_file_drag(event):
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event) -> None:
        if not self._take_file_drag(event):
            super().dragMoveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        if not self._take_file_drag(event):
            super().dropEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # The canvas takes every drag for its scene; a file dragged over it is the window's.
        if watched is getattr(self, "_canvas_viewport", None) and event.type() in _DRAG_EVENTS:
            return self._take_file_drag(event)
        return super().eventFilter(watched, event)


_DRAG_EVENTS = (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop)


def _call(widget: QWidget, method: str) -> None:
    """Run a text field's own edit action (copy, paste...) when the menu item was chosen."""
    target = widget.lineEdit() if isinstance(widget, QComboBox) else widget
    if hasattr(target, method):
        getattr(target, method)()


def about_text() -> str:
    """Help > About: what VisNet is and the versions of what it runs on (for bug reports)."""
    import platform

    import numba
    import numpy
    import PySide6
    from PySide6.QtCore import qVersion

    from .. import __version__

    versions = [("VisNet", __version__), ("Python", platform.python_version()),
                ("Qt", f"{qVersion()} (PySide6 {PySide6.__version__})"),
                ("numba", numba.__version__), ("numpy", numpy.__version__)]
    rows = "".join(f"<tr><td>{name}</td><td>{version}</td></tr>" for name, version in versions)
    return ("<b>VisNet</b><p>Draw neural networks, train them on a Numba core and watch every "
            f"layer learn.</p><table>{rows}</table>")
