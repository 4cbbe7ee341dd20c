"""`visnet train`: JSON lines, the trained file, bad input, and Ctrl-C writing a checkpoint that
a second run continues."""

import json
import shutil
import signal
import subprocess
import sys
import time

import pytest

import visnet
from visnet.cli import main
from visnet.resources import template_path

KEYS = {"epoch", "loss", "accuracy", "val_loss", "val_accuracy", "seconds"}


def copy_template(tmp_path, name):
    return shutil.copy(template_path(name), tmp_path / f"{name}.visnet")


def json_lines(text):
    return [json.loads(line) for line in text.splitlines()]


def test_json_lines_per_epoch_and_the_trained_file(tmp_path, capsys):
    src = copy_template(tmp_path, "spiral_mlp")
    out = tmp_path / "trained.visnet"
    assert main(["train", str(src), "--json", "--epochs", "3", "--lr", "0.02",
                 "--out", str(out)]) == 0
    captured = capsys.readouterr()
    rows = json_lines(captured.out)
    assert [r["epoch"] for r in rows] == [1, 2, 3]
    assert all(KEYS <= set(r) for r in rows)
    assert "wrote" in captured.err
    doc = visnet.load(out)
    assert doc.graph.training.epochs == 3 and doc.graph.training.optimizer["lr"] == 0.02
    assert len(doc.history["epochs"]) == 3 and doc.weights is not None
    state, arrays = doc.checkpoint
    assert state["finished"] and state["epoch"] == 3 and "slot0" in arrays
    # training again starts from the trained weights and keeps the earlier history
    assert main(["train", str(out), "--json", "--epochs", "2", "--out", str(out)]) == 0
    assert len(visnet.load(out).history["epochs"]) == 5


def test_regression_lines_carry_mae_and_null_accuracy(tmp_path, capsys):
    src = copy_template(tmp_path, "sine_lstm")
    assert main(["train", str(src), "--json", "--epochs", "1", "--dataset",
                 "sine?samples=300"]) == 0
    (row,) = json_lines(capsys.readouterr().out)
    assert row["accuracy"] is None and row["val_accuracy"] is None and "val_mae" in row


@pytest.mark.parametrize("extra, fragment", [
    (["--dataset", "nope"], "unknown dataset 'nope'"),
    (["--dataset", "digits"], "set the Input's shape to [1, 8, 8]"),
    (["--epochs", "0"], "invalid whole number >= 1 value"),
    (["--lr", "-1"], "invalid positive number value"),
    (["--backend", "tpu"], "invalid choice"),
])
def test_bad_input_exits_2_with_one_line(tmp_path, capsys, extra, fragment):
    src = copy_template(tmp_path, "spiral_mlp")
    assert main(["train", str(src), *extra]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and fragment in err[0], err


def test_cuda_without_a_gpu_exits_2_with_the_reason(tmp_path, capsys, monkeypatch):
    from visnet.core.backends.cuda import backend

    monkeypatch.setattr(backend, "unavailable_reason",
                        lambda: "no NVIDIA GPU with a working CUDA driver was found")
    src = copy_template(tmp_path, "spiral_mlp")
    assert main(["train", str(src), "--backend", "cuda", "--epochs", "1"]) == 2
    (err,) = capsys.readouterr().err.strip().splitlines()
    assert "cuda backend cannot run here: no NVIDIA GPU" in err and "'cpu'" in err


def test_a_file_without_a_dataset_asks_for_one(tmp_path, capsys):
    g = visnet.load(template_path("spiral_mlp")).graph
    g.set_dataset(None)
    path = tmp_path / "bare.visnet"
    visnet.save(path, g)
    assert main(["train", str(path)]) == 2
    assert "--dataset" in capsys.readouterr().err


def test_ctrl_c_writes_a_checkpoint_that_the_next_run_continues(tmp_path):
    src = copy_template(tmp_path, "digits_cnn")
    proc = subprocess.Popen([sys.executable, "-m", "visnet", "train", str(src), "--json",
                             "--epochs", "100000"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        first = json.loads(proc.stdout.readline())
        assert first["epoch"] == 1
        time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0, err
    assert "stopped after" in err and "Traceback" not in err
    done = 1 + len(out.splitlines())
    checkpoint = tmp_path / "digits_cnn.checkpoint.visnet"
    state, _ = visnet.load(checkpoint).checkpoint
    assert not state["finished"] and state["epoch"] in (done - 1, done)
    result = subprocess.run([sys.executable, "-m", "visnet", "train", str(checkpoint), "--json",
                             "--epochs", str(state["epoch"] + 2), "--out",
                             str(tmp_path / "done.visnet")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "continuing from the checkpoint" in result.stderr
    rows = json_lines(result.stdout)
    assert rows[0]["epoch"] == state["epoch"] + 1 and rows[-1]["epoch"] == state["epoch"] + 2
    history = visnet.load(tmp_path / "done.visnet").history
    assert [e["epoch"] for e in history["epochs"]] == list(range(1, state["epoch"] + 3))
