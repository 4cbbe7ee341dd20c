import os
import subprocess
import sys

from visnet.core.fileformat import load
from visnet.resources import templates
from visnet.ui.main_window import MainWindow


def test_the_window_shows_the_layer_table_of_every_template(qtbot):
    for t in templates():
        doc = load(t.path)
        window = MainWindow(doc, t.path)
        qtbot.addWidget(window)
        assert window.table.rowCount() == len(doc.graph.nodes)
        assert t.path.name in window.windowTitle()
        assert window.problems.text() == "No problems."


def test_screenshot_writes_a_png(tmp_path):
    png = tmp_path / "shot.png"
    result = subprocess.run([sys.executable, "-m", "visnet", "--screenshot", str(png)],
                            capture_output=True, text=True, timeout=120,
                            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    assert result.returncode == 0, result.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
