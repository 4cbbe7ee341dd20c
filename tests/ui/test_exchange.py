"""File > Export and File > Import in the window: ONNX and PyTorch files written (with a warning
for an untrained drawing), pictures of the drawing, an ONNX model opened as a drawing (menu or
drop), and a model that cannot be imported leaving the current drawing as it was."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
from PySide6.QtCore import QMimeData, QSettings, QUrl
from PySide6.QtGui import QImage

from test_main_window import make_window
from visnet.core.interop.onnx_export import export_onnx
from visnet.core.initializers import init_graph


def use_paths(window, path, warnings):
    window.exchange.choose_path = lambda *args: path
    window.exchange.warn = lambda _parent, _title, text: warnings.append(text)


def test_export_onnx_writes_a_model_and_says_when_it_is_untrained(qtbot, tmp_path):
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))
    window, _ = make_window(qtbot)
    warnings: list[str] = []
    use_paths(window, tmp_path / "spiral.onnx", warnings)
    written = window.exchange.export_onnx()
    assert written == tmp_path / "spiral.onnx" and written.stat().st_size > 0
    assert len(warnings) == 1 and "untrained" in warnings[0]
    session = ort.InferenceSession(str(written), providers=["CPUExecutionProvider"])
    assert session.run(None, {"input": np.zeros((2, 2), np.float32)})[0].shape == (2, 1)

    window.document.weights = init_graph(window.document.graph, seed=1)  # as after training
    warnings.clear()
    use_paths(window, tmp_path / "spiral.py", warnings)
    assert window.exchange.export_pytorch() == tmp_path / "spiral.py"
    assert (tmp_path / "spiral.npz").exists() and not warnings


def test_a_picture_of_the_drawing(qtbot, tmp_path):
    window, _ = make_window(qtbot)
    for name in ("drawing.png", "drawing.svg"):
        use_paths(window, tmp_path / name, [])
        written = window.exchange.export_picture()
        assert written.stat().st_size > 1000
    image = QImage(str(tmp_path / "drawing.png"))
    assert image.width() > 200 and image.height() > 200
    assert "<svg" in (tmp_path / "drawing.svg").read_text()


def test_import_onnx_opens_the_model_as_a_drawing_and_a_drop_does_too(qtbot, tmp_path):
    from visnet.core.fileformat import load
    from visnet.resources import template_path

    doc = load(template_path("digits_cnn"))
    weights = init_graph(doc.graph, seed=2)
    model = export_onnx(doc.graph, weights, tmp_path / "digits.onnx")
    window, dialogs = make_window(qtbot)
    assert window.import_model(model)
    graph = window.document.graph
    assert sorted(n.type for n in graph.nodes.values()) == sorted(
        n.type for n in doc.graph.nodes.values())
    assert window.document.weights and window.document.path is None
    assert len(window.scene.node_items) == len(graph.nodes)

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(model))])
    assert window.dropped_drawing(mime) == model


def test_a_model_that_cannot_be_imported_leaves_the_drawing(qtbot, tmp_path):
    window, dialogs = make_window(qtbot)
    before = window.document.graph.to_dict()
    bad = tmp_path / "broken.onnx"
    bad.write_bytes(b"not a model")
    assert not window.import_model(bad)
    assert len(dialogs.errors) == 1 and "broken.onnx" in dialogs.errors[0]
    assert window.document.graph.to_dict() == before
