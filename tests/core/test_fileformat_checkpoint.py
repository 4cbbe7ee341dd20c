"""The checkpoint members of a .visnet file: written by save, read back by load, and every
malformed one refused with a message that names it."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest

import visnet
from visnet import FileFormatError


def graph() -> visnet.Graph:
    g = visnet.Graph()
    g.add("Input", id="x", shape=[4])
    g.add("Dense", id="d", units=2)
    g.add("Loss", id="loss")
    g.connect("x", "d")
    g.connect("d", "loss")
    return g


WEIGHTS = {"d/kernel": np.ones((4, 2), np.float32), "d/bias": np.zeros(2, np.float32)}


def state(**changes):
    s = {"epoch": 2, "batch": 3, "seed": 0, "epoch_sums": {"n": 48.0, "loss": 30.5},
         "best": {"epoch": 1, "value": 0.5, "wait": 1}, "dataset": "spiral", "finished": False,
         "optimizer": {"config": {"type": "adam", "lr": 0.01}, "step": 40}}
    s.update(changes)
    return s


ARRAYS = {"slot0": np.full(10, 0.5, np.float32), "slot1": np.full(10, 2.0, np.float32),
          "best/d/kernel": np.zeros((4, 2), np.float32)}


def test_a_checkpoint_round_trips(tmp_path):
    path = tmp_path / "run.visnet"
    visnet.save(path, graph(), WEIGHTS, {"epochs": []}, (state(), ARRAYS))
    doc = visnet.load(path)
    s, arrays = doc.checkpoint
    assert s == state()
    assert set(arrays) == set(ARRAYS)
    for k, v in ARRAYS.items():
        np.testing.assert_array_equal(arrays[k], v)


def test_a_file_without_one_has_none(tmp_path):
    path = tmp_path / "plain.visnet"
    visnet.save(path, graph(), WEIGHTS)
    assert visnet.load(path).checkpoint is None


def test_save_refuses_a_bad_state(tmp_path):
    with pytest.raises(FileFormatError, match="'epoch' must be a whole number"):
        visnet.save(tmp_path / "x.visnet", graph(), WEIGHTS, None, (state(epoch=-1), {}))


def write_zip(path, members):
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def members(checkpoint_json, arrays=None, weights=True):
    from visnet.core.fileformat import document_dict

    out = {"visnet.json": json.dumps(document_dict(graph())),
           "checkpoint.json": checkpoint_json}
    if weights:
        buf = io.BytesIO()
        np.savez(buf, **WEIGHTS)
        out["weights.npz"] = buf.getvalue()
    if arrays is not None:
        out["checkpoint.npz"] = arrays
    return out


@pytest.mark.parametrize("content, fragment", [
    ("[1, 2]", "must be a JSON object"),
    (json.dumps(state(epoch="two")), "'epoch' must be a whole number >= 0, not 'two'"),
    (json.dumps(state(batch=True)), "'batch' must be a whole number"),
    (json.dumps(state(optimizer={"step": 1})), "optimizer.config"),
    (json.dumps(state(optimizer={"config": {}, "step": -3})), "optimizer.step"),
    (json.dumps(state(epoch_sums={"loss": "x"})), "epoch_sums"),
    (json.dumps(state(best={"epoch": 1})), "best must hold"),
    (json.dumps(state(colour="red")), "colour: unknown key"),
    ("{not json", "checkpoint.json"),
])
def test_malformed_checkpoint_json_is_refused(tmp_path, content, fragment):
    path = tmp_path / "bad.visnet"
    write_zip(path, members(content))
    with pytest.raises(FileFormatError, match="checkpoint") as info:
        visnet.load(path)
    assert fragment in str(info.value)


def test_a_checkpoint_without_weights_is_refused(tmp_path):
    path = tmp_path / "bad.visnet"
    write_zip(path, members(json.dumps(state()), weights=False))
    with pytest.raises(FileFormatError, match="needs the weights"):
        visnet.load(path)


def test_checkpoint_arrays_that_are_not_an_npz_are_refused(tmp_path):
    path = tmp_path / "bad.visnet"
    write_zip(path, members(json.dumps(state()), arrays=b"not a zip"))
    with pytest.raises(FileFormatError, match="checkpoint.npz"):
        visnet.load(path)
