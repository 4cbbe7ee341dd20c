"""Recovery copies of unsaved work, so a crash loses at most a minute of drawing.

While the document is modified, an Autosaver writes it every ``interval_ms`` (when something
changed since the last copy) to ``<recovery dir>/<name>-<pid>.visnet``, with a sidecar
``<name>-<pid>.json`` saying which file it was ({"original": path or null, "saved_at": ISO
time, "pid": process id}). A clean save, an undo back to the saved state or a discarded close
removes the copy. Whatever is left at the next start was left by a crash: ``pending_recovery()``
lists it, newest first, leaving out copies that belong to another VisNet still running.

The recovery dir sits beside the settings file (so redirecting the settings in a test moves it
too); ``Autosaver(directory=...)`` and ``pending_recovery(directory)`` take another.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from ..core.fileformat import Document, load, save
from .document import DocumentModel
from .settings import settings_dir

DEFAULT_INTERVAL_MS = 60_000
_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def recovery_dir() -> Path:
    return settings_dir() / "recovery"


@dataclass(frozen=True)
class Recovery:
    """A recovery copy left behind: the drawing, its sidecar, and what it was a copy of."""

    path: Path
    sidecar: Path
    original: Path | None
    saved_at: datetime
    pid: int | None

    def load(self) -> Document:
        return load(self.path)

    def delete(self) -> None:
        for p in (self.path, self.sidecar):
            p.unlink(missing_ok=True)

    @property
    def when(self) -> str:
        return self.saved_at.strftime("%H:%M on %d %b %Y")


class Autosaver(QObject):
    """Writes recovery copies of ``document`` while it has unsaved changes.

    Signals: ``written(Path)`` after each copy, ``failed(str)`` when one could not be written.
    """

    written = Signal(object)
    failed = Signal(str)

    def __init__(self, document: DocumentModel, directory: str | Path | None = None,
                 interval_ms: int = DEFAULT_INTERVAL_MS, parent: QObject | None = None):
        super().__init__(parent)
        self.document = document
        self.directory = Path(directory) if directory is not None else None
        self._dirty = False
        self._written: set[Path] = set()
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)
        document.changed.connect(self._mark_dirty)
        document.graph_replaced.connect(self._mark_dirty)
        document.undo_stack.indexChanged.connect(self._mark_dirty)
        document.modified_changed.connect(self._on_modified_changed)

    def start(self) -> None:
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()

    def set_interval(self, interval_ms: int) -> None:
        self.timer.setInterval(interval_ms)

    @property
    def folder(self) -> Path:
        return self.directory if self.directory is not None else recovery_dir()

    @property
    def recovery_path(self) -> Path:
        """Where this window's copy goes: one name per process, so two running VisNets never
        write over each other's copies."""
        stem = _UNSAFE.sub("_", self.document.path.stem if self.document.path else "Untitled")
        return self.folder / f"{stem}-{os.getpid()}.visnet"

    def save_now(self) -> Path | None:
        """Write the copy now (if the document is modified); the path written, or None."""
        if not self.document.modified:
            return None
        target = self.recovery_path
        sidecar = target.with_suffix(".json")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            save(target, self.document.graph, self.document.fitting_weights(),
                 self.document.history)
            info = {"original": str(self.document.path) if self.document.path else None,
                    "saved_at": datetime.now().astimezone().isoformat(timespec="seconds"),
                    "pid": os.getpid()}
            partial = sidecar.with_suffix(".json.part")
            partial.write_text(json.dumps(info), encoding="utf-8")
            os.replace(partial, sidecar)
        except OSError as exc:
            self.failed.emit(f"Could not write the recovery copy: {exc.strerror or exc}")
            return None
        # A Save As renames the document: the copy under the old name is stale now.
        for old in self._written - {target}:
            Recovery(old, old.with_suffix(".json"), None, datetime.now(), None).delete()
        self._written = {target}
        self._dirty = False
        self.written.emit(target)
        return target

    def discard(self) -> None:
        """Remove this window's copies: the work was saved, or the user threw it away."""
        for path in self._written | {self.recovery_path}:
            Recovery(path, path.with_suffix(".json"), None, datetime.now(), None).delete()
        self._written = set()

    def _mark_dirty(self, *_args) -> None:
        self._dirty = True

    def _on_modified_changed(self, modified: bool) -> None:
        if modified:
            self._dirty = True
        else:
            self.discard()

    def _tick(self) -> None:
        if not self.document.modified:
            self.discard()
        elif self._dirty:
            self.save_now()


def pending_recovery(directory: str | Path | None = None) -> list[Recovery]:
    """Recovery copies left by a VisNet that did not close cleanly, newest first."""
    folder = Path(directory) if directory is not None else recovery_dir()
    if not folder.is_dir():
        return []
    found = []
    for sidecar in folder.glob("*.json"):
        path = sidecar.with_suffix(".visnet")
        try:
            info = json.loads(sidecar.read_text(encoding="utf-8"))
            saved_at = datetime.fromisoformat(info["saved_at"]).astimezone()
            original = Path(info["original"]) if info.get("original") else None
            pid = info.get("pid")
            pid = pid if isinstance(pid, int) else None
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if not path.is_file() or (pid is not None and _another_live_process(pid)):
            continue
        found.append(Recovery(path, sidecar, original, saved_at, pid))
    return sorted(found, key=lambda r: r.saved_at, reverse=True)


def _another_live_process(pid: int) -> bool:
    """Whether ``pid`` is another process still running (its copies are still in use)."""
    if pid == os.getpid() or os.name != "posix":
        # On Windows os.kill would terminate the process; offering a copy twice is harmless.
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True
