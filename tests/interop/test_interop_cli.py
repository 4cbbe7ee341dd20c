"""`visnet export` and `visnet import` on the command line: files written, warnings and bad
input in one line (exit 2), never a traceback."""

import subprocess
import sys

import numpy as np
import onnxruntime as ort


def visnet(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "visnet", *args], capture_output=True,
                          text=True, timeout=300, cwd=cwd)


def test_export_writes_onnx_and_a_pytorch_script_and_warns_when_untrained(tmp_path):
    result = visnet("export", "spiral_mlp", "--onnx", str(tmp_path / "m.onnx"), "--pytorch",
                    str(tmp_path / "m.py"))
    assert result.returncode == 0, result.stderr
    assert "untrained" in result.stderr and "Traceback" not in result.stderr
    for name in ("m.onnx", "m.py", "m.npz"):
        assert (tmp_path / name).stat().st_size > 0
        assert f"wrote {tmp_path / name}" in result.stdout
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    out = session.run(None, {"input": np.zeros((3, 2), np.float32)})[0]
    assert out.shape == (3, 1)
    script = subprocess.run([sys.executable, str(tmp_path / "m.py")], capture_output=True,
                            text=True, timeout=300)
    assert script.returncode == 0, script.stderr
    assert "torch.Size([2, 1])" in script.stdout


def test_export_of_a_trained_file_does_not_warn(tmp_path):
    trained = tmp_path / "t.visnet"
    result = visnet("train", "spiral_mlp", "--epochs", "1", "--out", str(trained))
    assert result.returncode == 0, result.stderr
    result = visnet("export", str(trained), "--onnx", str(tmp_path / "t.onnx"))
    assert result.returncode == 0 and "untrained" not in result.stderr


def test_export_needs_a_format_and_says_so_in_one_line(tmp_path):
    result = visnet("export", "spiral_mlp")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "--onnx" in result.stderr


def test_import_turns_an_onnx_file_into_a_drawing_that_trains(tmp_path):
    assert visnet("export", "digits_cnn", "--onnx", str(tmp_path / "d.onnx")).returncode == 0
    result = visnet("import", str(tmp_path / "d.onnx"), "--out", str(tmp_path / "d.visnet"))
    assert result.returncode == 0, result.stderr
    assert f"wrote {tmp_path / 'd.visnet'}" in result.stdout
    info = visnet("info", str(tmp_path / "d.visnet"))
    assert info.returncode == 0 and "Conv2D" in info.stdout and "Weights:" in info.stdout
    trained = visnet("train", str(tmp_path / "d.visnet"), "--dataset", "digits", "--epochs", "1",
                     "--out", str(tmp_path / "t.visnet"))
    assert trained.returncode == 0, trained.stderr


def test_import_of_a_bad_file_is_one_line_with_exit_2(tmp_path):
    (tmp_path / "bad.onnx").write_bytes(b"\x08\x07garbage")
    result = visnet("import", str(tmp_path / "bad.onnx"), "--out", str(tmp_path / "x.visnet"))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "bad.onnx" in result.stderr
    assert not (tmp_path / "x.visnet").exists()
