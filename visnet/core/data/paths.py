"""Where a user's data file or folder is, and how to name it in an error: as the user wrote it
in the dataset spec, so that every DataError points where the user will look."""

from __future__ import annotations

import os
from pathlib import Path

from .dataset import DataError
from .spec import Spec, parse



def shown_path(spec: Spec) -> str:
    """The path as the user wrote it in the spec (the resolved one when it cannot be told)."""
    if not spec.path:
        raise DataError(f"dataset {spec.text!r} names no file or folder")
    try:
        given = parse(spec.text).path
    except DataError:
        given = None
    return given or spec.path


def inside(shown: str, *parts: str) -> str:
    """A file inside a folder the user named, written from the user's spelling of the folder."""
    return os.path.join(shown, *parts)


def folder_of(spec: Spec, shown: str, what: str) -> Path:
    path = Path(spec.path)
    if not path.exists():
        raise DataError(f"{shown}: no such folder; expected {what}")
    if not path.is_dir():
        raise DataError(f"{shown}: is a file, not a folder; expected {what}")
    return path


def file_of(spec: Spec, shown: str, what: str) -> Path:
    path = Path(spec.path)
    if not path.exists():
        raise DataError(f"{shown}: no such file; expected {what}")
    if path.is_dir():
        raise DataError(f"{shown}: is a folder, not a file; expected {what}")
    return path


def plural(n: int, word: str, words: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else words or word + 's'}"
