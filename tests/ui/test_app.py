import os
import subprocess
import sys

import pytest
from PySide6.QtCore import QSettings

from visnet.core.fileformat import load
from visnet.resources import templates
from visnet.ui.app import FIRST_TEMPLATE, open_document
from visnet.ui.main_window import MainWindow


@pytest.fixture(autouse=True)
def settings_in_tmp(tmp_path):
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope,
                      str(tmp_path / "settings"))


def test_the_window_shows_the_layer_table_of_every_template(qtbot):
    for t in templates():
        doc = load(t.path)
        window = MainWindow(doc, t.path)
        qtbot.addWidget(window)
        assert window.summary_dock.table.rowCount() == len(doc.graph.nodes)
        assert len(window.scene.node_items) == len(doc.graph.nodes)
        assert t.path.name in window.windowTitle()
        assert window.problems_dock.row_texts() == ["No problems"]


def test_with_no_file_the_app_starts_on_the_first_template_untitled():
    doc, path = open_document(None)
    assert path is None
    assert doc.graph.to_dict() == load(next(t.path for t in templates()
                                            if t.name == FIRST_TEMPLATE)).graph.to_dict()


def _visnet(tmp_path, *args):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_CONFIG_HOME": str(tmp_path),
           "HOME": str(tmp_path)}
    return subprocess.run([sys.executable, "-m", "visnet", *args], capture_output=True,
                          text=True, timeout=120, env=env, check=False)


def test_screenshot_writes_a_png(tmp_path):
    png = tmp_path / "shot.png"
    result = _visnet(tmp_path, "--screenshot", str(png))
    assert result.returncode == 0, result.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_screenshot_of_a_file_given_on_the_command_line(tmp_path):
    png = tmp_path / "residual.png"
    drawing = next(t.path for t in templates() if t.name == "residual_block")
    result = _visnet(tmp_path, str(drawing), "--screenshot", str(png))
    assert result.returncode == 0, result.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_screenshot_of_a_malformed_file_fails_in_one_line(tmp_path):
    bad = tmp_path / "bad.visnet"
    bad.write_text("nonsense")
    result = _visnet(tmp_path, str(bad), "--screenshot", str(tmp_path / "x.png"))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "bad.visnet" in result.stderr
