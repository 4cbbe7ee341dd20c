"""What the app remembers between runs: one QSettings in INI format, reached only through
``app_settings()``, so a test can move all of it with ``QSettings.setPath`` (IniFormat, UserScope).

Keys: ``window/geometry``, ``window/state`` (the docks), ``theme`` ("light" or "dark") and
``recent_files`` (a JSON list, most recent first).
"""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QSettings

ORGANISATION = "VisNet"
APPLICATION = "VisNet"
MAX_RECENT = 10
RECENT_KEY = "recent_files"


def app_settings() -> QSettings:
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, ORGANISATION,
                     APPLICATION)


def settings_dir() -> Path:
    """The folder holding the settings file (recovery copies live beside it)."""
    return Path(app_settings().fileName()).parent


def _stored_recent() -> list[str]:
    # Kept as JSON text: an INI list of one element reads back as a plain string.
    try:
        value = json.loads(str(app_settings().value(RECENT_KEY, "[]")))
    except ValueError:
        return []
    return [p for p in value if isinstance(p, str)] if isinstance(value, list) else []


def _store_recent(paths: list[str]) -> None:
    settings = app_settings()
    settings.setValue(RECENT_KEY, json.dumps(paths[:MAX_RECENT]))
    settings.sync()


def recent_files() -> list[Path]:
    """The recently opened or saved drawings that still exist, most recent first."""
    return [Path(p) for p in _stored_recent() if Path(p).is_file()][:MAX_RECENT]


def add_recent(path: str | Path) -> list[Path]:
    """Put ``path`` first in the list (once), keeping at most MAX_RECENT that still exist."""
    path = str(Path(path).resolve())
    kept = [p for p in _stored_recent() if p != path and Path(p).is_file()]
    _store_recent([path, *kept])
    return recent_files()


def clear_recent() -> None:
    _store_recent([])
