import subprocess
import sys
from pathlib import Path

import visnet


def test_importing_the_core_does_not_import_qt():
    code = ("import sys, visnet, visnet.core.fileformat, visnet.core.summary, "
            "visnet.core.layer_docs, visnet.core.initializers;"
            "bad = [m for m in ('PySide6', 'pyqtgraph', 'shiboken6') if m in sys.modules];"
            "print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_module_under_core_names_qt():
    core = Path(visnet.__file__).parent / "core"
    for path in core.rglob("*.py"):
        for line in path.read_text().splitlines():
            words = line.split()
            if words[:1] in (["import"], ["from"]):
                assert not any(q in words[1] for q in ("PySide6", "pyqtgraph", "shiboken6")), path
