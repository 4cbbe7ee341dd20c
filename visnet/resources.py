"""Where the files shipped with the package live (templates, their index, the fables text).

The repository keeps them in its top-level `resources/` folder; `visnet/_resources` is a link to
it, which the wheel and the sdist turn into a real folder inside the package (pyproject.toml's
package-data). So one lookup, `importlib.resources`, finds them in a clone, an editable install
and an installed wheel alike.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

RESOURCES = Path(str(files("visnet").joinpath("_resources")))
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


def drawing_path(argument: str) -> Path:
    """A drawing named on the command line: a file, or else the name of a template shipped with
    VisNet (`visnet train spiral_mlp`), so an installed VisNet can run its examples from any
    folder. A name that is neither stays as it is, for the loader's error to name."""
    path = Path(argument)
    if path.exists() or path.suffix or len(path.parts) > 1:
        return path
    shipped = template_path(argument)
    return shipped if shipped.exists() else path


def resource_path(relative: str) -> Path:
    """A file shipped in resources/, e.g. "text/fables.txt"."""
    return RESOURCES / relative
