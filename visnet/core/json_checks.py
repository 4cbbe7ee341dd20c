"""Checks of values read from JSON (a file's, or a dict given to Graph.from_dict), each raising
FileFormatError with a message that names the place: ``where`` is the file and member,
``at`` the path inside it (``graph.nodes[2].params``)."""

from __future__ import annotations

from typing import Any

from .errors import FileFormatError


def expect_object(value: Any, where: str, at: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FileFormatError(f"{where}: {at}: must be a JSON object, not {json_type(value)}")
    return value


def expect_list(value: Any, where: str, at: str) -> list[Any]:
    if not isinstance(value, list):
        raise FileFormatError(f"{where}: {at}: must be a JSON list, not {json_type(value)}")
    return value


def only_keys(d: dict[str, Any], allowed: set[str], where: str, at: str) -> None:
    unknown = sorted(set(d) - allowed)
    if unknown:
        place = f"{at}." if at else ""
        raise FileFormatError(f"{where}: {place}{unknown[0]}: unknown key; allowed here: "
                              f"{', '.join(sorted(allowed))}")


def json_type(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false",
            type(None): "null", int: "a number", float: "a number"}.get(type(value),
                                                                       type(value).__name__)


def short(value: Any) -> str:
    """A value as a message quotes it: its repr, cut to 60 characters."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
