"""Where the files shipped beside the package live (templates, icons, styles)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
TEMPLATES = RESOURCES / "templates"


@dataclass(frozen=True)
class TemplateInfo:
    name: str
    title: str
    description: str
    path: Path


def templates() -> list[TemplateInfo]:
    """The ready-made examples, in the gallery's order."""
    index = json.loads((TEMPLATES / "index.json").read_text(encoding="utf-8"))
    return [TemplateInfo(t["name"], t["title"], t["description"], TEMPLATES / f"{t['name']}.visnet")
            for t in index]


def template_path(name: str) -> Path:
    return TEMPLATES / f"{name}.visnet"


def resource_path(relative: str) -> Path:
    """A file shipped in resources/, e.g. "text/fables.txt"."""
    return RESOURCES / relative
