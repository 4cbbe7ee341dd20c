"""Imports every kernel family of this package, so that each registers the ops it runs; a new
family module is found without an edit here."""

import importlib
import pkgutil
from pathlib import Path

for _module in pkgutil.iter_modules([str(Path(__file__).parent)]):
    if _module.name not in ("backend", "kernels"):
        importlib.import_module(f"{__package__}.{_module.name}")
