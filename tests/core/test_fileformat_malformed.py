"""Malformed files: every fault raises FileFormatError, and the message names what is wrong.

Each file is built by hand (zipfile, json, numpy) rather than through visnet.save, so the tests
can write what save never would. The reference drawing is

    x: Input (64,)  ->  d: Dense(units=10)  ->  loss: Loss

so graph.nodes[0] is the Input, graph.nodes[1] the Dense and graph.edges[0] goes x -> d.
"""

from __future__ import annotations

import copy
import io
import json
import os
import re
import struct
import zipfile

import numpy as np
import pytest

import visnet
from visnet import FileFormatError
from visnet.core import fileformat

# ---------------------------------------------------------------------------------------------
# Building files


def reference_graph() -> visnet.Graph:
    g = visnet.Graph()
    g.add("Input", id="x", shape=[64])
    g.add("Dense", id="d", units=10)
    g.add("Loss", id="loss")
    g.connect("x", "d")
    g.connect("d", "loss")
    return g


def document() -> dict:
    """A fresh, valid visnet.json object of the reference drawing."""
    return copy.deepcopy(fileformat.document_dict(reference_graph()))


def good_weights() -> dict[str, np.ndarray]:
    return {"d/kernel": np.zeros((64, 10), np.float32), "d/bias": np.zeros((10,), np.float32)}


def write_zip(path, members: dict[str, bytes | str], compression=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def npz_bytes(members: dict[str, bytes]) -> bytes:
    """An .npz archive holding the given raw .npy members ("d/kernel" -> "d/kernel.npy")."""
    buffer = io.BytesIO()
    write_zip(buffer, {f"{key}.npy": raw for key, raw in members.items()}, zipfile.ZIP_STORED)
    return buffer.getvalue()


def npy_bytes(array: np.ndarray, allow_pickle: bool = False) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def npy_with_header(shape: tuple, descr: str = "<f4", data: bytes = b"") -> bytes:
    """An .npy file whose header says anything we like, followed by ``data``."""
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": descr, "fortran_order": False, "shape": shape})
    return buffer.getvalue() + data


def visnet_file(tmp_path, doc=None, *, weights: bytes | None = None, history=None,
                name="net.visnet", **extra: bytes):
    """A .visnet zip of ``doc`` (the reference document by default) and optional members."""
    doc = document() if doc is None else doc
    members: dict[str, bytes | str] = {
        "visnet.json": doc if isinstance(doc, (str, bytes)) else json.dumps(doc)}
    if weights is not None:
        members["weights.npz"] = weights
    if history is not None:
        members["history.json"] = history if isinstance(history, (str, bytes)) \
            else json.dumps(history)
    members.update(extra)
    return write_zip(tmp_path / name, members)


def json_file(tmp_path, doc, name="net.json"):
    path = tmp_path / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc), encoding="utf-8")
    return path


def load_fails(path, match: str) -> FileFormatError:
    """Load ``path``, asserting that it raises FileFormatError (nothing else) matching ``match``."""
    with pytest.raises(FileFormatError, match=match) as err:
        visnet.load(path)
    return err.value


def test_the_reference_files_load(tmp_path):
    """The faults below are each one change away from files that load."""
    doc = visnet.load(visnet_file(tmp_path, weights=npz_bytes(
        {k: npy_bytes(v) for k, v in good_weights().items()}), history={"loss": [1.0, 0.5]}))
    assert doc.graph == reference_graph()
    assert set(doc.weights) == {"d/kernel", "d/bias"}
    assert doc.history == {"loss": [1.0, 0.5]}
    assert visnet.load(json_file(tmp_path, document())).graph == reference_graph()


# ---------------------------------------------------------------------------------------------
# Not a VisNet file at all


def test_random_bytes_are_neither_zip_nor_json(tmp_path):
    path = tmp_path / "noise.visnet"
    path.write_bytes(bytes(range(256)) * 4)
    error = load_fails(path, "neither a .visnet zip nor JSON")
    assert "noise.visnet" in str(error)


def test_invalid_json_names_line_and_column(tmp_path):
    path = json_file(tmp_path, '{\n  "format": "visnet",\n  "version": 1,,\n}')
    load_fails(path, r"not valid JSON: .* at line 3 column 16")


def test_zip_without_visnet_json(tmp_path):
    path = write_zip(tmp_path / "other.visnet", {"readme.txt": "hello"})
    load_fails(path, "has no visnet.json")


def test_wrong_format_tag(tmp_path):
    doc = document()
    doc["format"] = "keras"
    load_fails(visnet_file(tmp_path, doc), "not a VisNet document .*'keras'")


def test_version_newer_than_this_visnet(tmp_path):
    doc = document()
    doc["version"] = fileformat.VERSION + 1
    load_fails(visnet_file(tmp_path, doc), f"newer VisNet .*version {fileformat.VERSION + 1}")


@pytest.mark.parametrize("version", [0, -1, "1", 1.0, 1.5, True, None],
                         ids=["zero", "negative", "text", "float-1.0", "float-1.5", "bool", "null"])
def test_version_must_be_a_positive_integer(tmp_path, version):
    doc = document()
    doc["version"] = version
    load_fails(visnet_file(tmp_path, doc), "version must be a positive integer")


def test_missing_version(tmp_path):
    doc = document()
    del doc["version"]
    load_fails(visnet_file(tmp_path, doc), "version must be a positive integer, not None")


def test_unknown_top_level_key(tmp_path):
    doc = document()
    doc["layers"] = []
    load_fails(visnet_file(tmp_path, doc), "layers: unknown key")


def test_top_level_must_be_an_object(tmp_path):
    load_fails(json_file(tmp_path, "[1, 2, 3]"), "must be a JSON object, not a list")


# ---------------------------------------------------------------------------------------------
# Faults inside the drawing, named by their JSON path. Each runs both as a .visnet zip and as a
# bare .json file: the two share one parser and must report the same place.


def set_node(i, **fields):
    def edit(doc):
        doc["graph"]["nodes"][i].update(fields)
    return edit


def set_params(i, type_name=None, **params):
    def edit(doc):
        node = doc["graph"]["nodes"][i]
        if type_name:
            node["type"] = type_name
        node["params"] = params
    return edit


def add_edge(**edge):
    def edit(doc):
        doc["graph"]["edges"].append(edge)
    return edit


def set_edge(i, **fields):
    def edit(doc):
        doc["graph"]["edges"][i].update(fields)
    return edit


def set_training(**fields):
    def edit(doc):
        doc["training"].update(fields)
    return edit


def set_top(key, value):
    def edit(doc):
        doc[key] = value
    return edit


def duplicate_dense(doc):
    doc["graph"]["nodes"][2]["id"] = "d"


DOCUMENT_FAULTS = [
    pytest.param(set_node(1, type="Dens"),
                 r"graph\.nodes\[1\]\.type: unknown layer type 'Dens' \(did you mean 'Dense'\?\)",
                 id="unknown-layer-type-did-you-mean"),
    pytest.param(set_node(1, type="Transformer"),
                 r"graph\.nodes\[1\]\.type: unknown layer type 'Transformer'",
                 id="unknown-layer-type"),
    pytest.param(set_node(1, type=7), r"graph\.nodes\[1\]\.type: must be a layer type name",
                 id="layer-type-not-text"),
    pytest.param(set_params(1, unitz=8),
                 r"graph\.nodes\[1\]\.params\.unitz: .*no parameter 'unitz' "
                 r"\(did you mean 'units'\?\)", id="unknown-param"),
    pytest.param(set_params(1, units=-3), r"graph\.nodes\[1\]\.params\.units: .*-3",
                 id="units-negative"),
    pytest.param(set_params(1, units=0), r"graph\.nodes\[1\]\.params\.units", id="units-zero"),
    pytest.param(set_params(1, "Dropout", rate=1.0),
                 r"graph\.nodes\[1\]\.params\.rate: .*rate must be a number in \[0, 1\)",
                 id="dropout-rate-1"),
    pytest.param(set_params(1, "Conv2D", kernel_size=0),
                 r"graph\.nodes\[1\]\.params\.kernel_size: .*not 0", id="kernel-size-0"),
    pytest.param(set_params(1, "Conv2D", padding="full"),
                 r"graph\.nodes\[1\]\.params\.padding: .*one of 'valid', 'same', not 'full'",
                 id="padding-full"),
    pytest.param(set_params(1, units="8"), r"graph\.nodes\[1\]\.params\.units: .*not '8'",
                 id="units-as-text"),
    pytest.param(set_params(1, units=8.0), r"graph\.nodes\[1\]\.params\.units: .*not 8\.0",
                 id="units-as-float"),
    pytest.param(set_params(1, use_bias=1),
                 r"graph\.nodes\[1\]\.params\.use_bias: .*true or false, not 1",
                 id="use-bias-as-1"),
    pytest.param(set_node(1, params=[10]), r"graph\.nodes\[1\]\.params: must be a JSON object",
                 id="params-not-object"),
    pytest.param(set_node(1, colour="red"), r"graph\.nodes\[1\]\.colour: unknown key",
                 id="unknown-node-key"),
    pytest.param(set_edge(0, src="ghost"),
                 r"graph\.edges\[0\]\.src: 'ghost' is not a node", id="dangling-src"),
    pytest.param(set_edge(0, dst="ghost"),
                 r"graph\.edges\[0\]\.dst: 'ghost' is not a node", id="dangling-dst"),
    pytest.param(duplicate_dense, r"graph\.nodes\[2\]\.id: the id 'd' is used by two nodes",
                 id="duplicate-node-id"),
    pytest.param(set_edge(0, port=1), r"graph\.edges\[0\]\.port: Dense d has no input port 1",
                 id="port-out-of-range"),
    pytest.param(set_edge(0, port=-1), r"graph\.edges\[0\]\.port: must be an integer >= 0",
                 id="port-negative"),
    pytest.param(set_edge(0, port="0"), r"graph\.edges\[0\]\.port: must be an integer >= 0",
                 id="port-as-text"),
    pytest.param(add_edge(src="x", dst="loss", port=0),
                 r"graph\.edges\[2\]: input 0 of loss is connected twice",
                 id="same-port-twice"),
    pytest.param(add_edge(src="loss", dst="d", port=0),
                 r"graph\.edges\[2\]: Loss loss has no output", id="edge-out-of-loss"),
    pytest.param(add_edge(src="d", dst="x", port=0),
                 r"graph\.edges\[2\]\.port: Input x has no input port 0", id="edge-into-input"),
    pytest.param(set_node(0, id="a/b"), r"graph\.nodes\[0\]\.id: .*not 'a/b'",
                 id="id-with-slash"),
    pytest.param(set_node(0, id=""), r"graph\.nodes\[0\]\.id", id="id-empty"),
    pytest.param(set_node(0, id=12), r"graph\.nodes\[0\]\.id: .*not 12", id="id-number"),
    pytest.param(set_node(0, id="x" * 65), r"graph\.nodes\[0\]\.id", id="id-too-long"),
    pytest.param(set_node(0, pos=[1.0]), r"graph\.nodes\[0\]\.pos: must be \[x, y\]",
                 id="pos-one-number"),
    pytest.param(set_node(0, pos=[1, 2, 3]), r"graph\.nodes\[0\]\.pos: must be \[x, y\]",
                 id="pos-three-numbers"),
    pytest.param(set_node(0, pos=[1, "2"]), r"graph\.nodes\[0\]\.pos: must be \[x, y\]",
                 id="pos-text"),
    pytest.param(set_node(0, pos=[True, 0]), r"graph\.nodes\[0\]\.pos: must be \[x, y\]",
                 id="pos-bool"),
    pytest.param(set_node(0, pos={"x": 1, "y": 2}), r"graph\.nodes\[0\]\.pos: must be \[x, y\]",
                 id="pos-object"),
    pytest.param(set_top("graph", {"nodes": [], "edges": [], "groups": []}),
                 r"graph\.groups: unknown key", id="unknown-graph-key"),
    pytest.param(set_top("graph", {"nodes": {}, "edges": []}),
                 r"graph\.nodes: must be a JSON list", id="nodes-not-list"),
    pytest.param(set_top("graph", None), r"graph: must be a JSON object", id="graph-null"),
    pytest.param(set_training(batch_size=0), r"training: batch_size must be .*not 0",
                 id="batch-size-0"),
    pytest.param(set_training(batch_size=32.0), r"training: batch_size", id="batch-size-float"),
    pytest.param(set_training(optimizer={"type": "sgdd", "lr": 0.1}),
                 r"training: optimizer\.type must be one of .*not 'sgdd'",
                 id="unknown-optimizer"),
    pytest.param(set_training(optimizer={"type": "adam", "lr": 0}),
                 r"training: optimizer\.lr", id="learning-rate-0"),
    pytest.param(set_training(momentum=0.9),
                 r"training: unknown training setting 'momentum'", id="unknown-training-key"),
    pytest.param(set_training(backend="tpu"), r"training: backend must be one of",
                 id="unknown-backend"),
    pytest.param(set_top("training", [64]), r"training: must be a JSON object",
                 id="training-not-object"),
    pytest.param(set_top("dataset", 5), r"dataset must be a name .*not 5",
                 id="dataset-number"),
    pytest.param(set_top("dataset", ["digits"]), r"dataset must be a name",
                 id="dataset-list"),
    pytest.param(set_top("dataset", "d" * 5000), r"dataset must be a name",
                 id="dataset-too-long"),
]


@pytest.mark.parametrize("container", ["visnet", "json"])
@pytest.mark.parametrize("edit, match", DOCUMENT_FAULTS)
def test_document_fault_is_named_by_its_path(tmp_path, container, edit, match):
    doc = document()
    edit(doc)
    path = visnet_file(tmp_path, doc) if container == "visnet" else json_file(tmp_path, doc)
    error = load_fails(path, match)
    assert str(error).startswith(path.name), "the message starts with the file's name"


# Numbers that JSON can spell but Python cannot turn into a float: each must still be a
# FileFormatError naming the place, not an OverflowError or ValueError from deep inside.

HUGE = "9" * 400  # an integer literal far beyond the float range


@pytest.mark.parametrize("old, new, match", [
    pytest.param('"pos": [0.0, 0.0]', '"pos": [1e400, 0]', r"graph\.nodes\[0\]\.pos: must be",
                 id="pos-float-overflowing-to-infinity"),
    pytest.param('"pos": [0.0, 0.0]', f'"pos": [{HUGE}, 0]', r"graph\.nodes\[0\]\.pos",
                 id="pos-huge-integer"),
    pytest.param('"lr": 0.001', f'"lr": {HUGE}', r"training: optimizer\.lr",
                 id="learning-rate-huge-integer"),
    pytest.param('"pos": [0.0, 0.0]', '"pos": [' + "9" * 5000 + ', 0]', r"visnet\.json",
                 id="integer-longer-than-python-parses"),
])
def test_huge_integer_literals_are_file_format_errors(tmp_path, old, new, match):
    text = json.dumps(document())
    assert old in text
    load_fails(visnet_file(tmp_path, text.replace(old, new, 1)), match)


def test_huge_integer_dropout_rate_is_a_file_format_error(tmp_path):
    doc = document()
    doc["graph"]["nodes"][1] = {"id": "d", "type": "Dropout", "params": {"rate": 0.5}}
    text = json.dumps(doc).replace('"rate": 0.5', f'"rate": {HUGE}')
    load_fails(visnet_file(tmp_path, text), r"graph\.nodes\[1\]\.params\.rate")


def test_nan_in_visnet_json(tmp_path):
    doc = document()
    doc["graph"]["nodes"][0]["pos"] = [float("nan"), 0.0]
    text = json.dumps(doc)  # Python writes the non-JSON token NaN
    assert "NaN" in text
    load_fails(visnet_file(tmp_path, text), "NaN is not a JSON number")


def test_infinity_in_visnet_json(tmp_path):
    text = json.dumps(document()).replace('"lr": 0.001', '"lr": Infinity')
    load_fails(visnet_file(tmp_path, text), "Infinity is not a JSON number")


def test_duplicate_key_in_an_object(tmp_path):
    text = json.dumps(document()).replace('"units": 10', '"units": 10, "units": 12')
    load_fails(visnet_file(tmp_path, text), "key 'units' appears twice")


def test_deeply_nested_json(tmp_path):
    text = json.dumps(document())[:-1] + ', "dataset": ' + "[" * 100_000 + "]" * 100_000 + "}"
    load_fails(visnet_file(tmp_path, text), "nested too deeply")


def test_visnet_json_not_utf8(tmp_path):
    text = json.dumps(document()).replace('"x"', '"\xe9"', 1).encode("latin-1")
    load_fails(visnet_file(tmp_path, text), "visnet.json: is not UTF-8")


# ---------------------------------------------------------------------------------------------
# weights.npz


def weights_file(tmp_path, members: dict[str, bytes]):
    return visnet_file(tmp_path, weights=npz_bytes(members))


def test_weight_of_the_wrong_shape_names_key_and_both_shapes(tmp_path):
    members = {k: npy_bytes(v) for k, v in good_weights().items()}
    members["d/kernel"] = npy_bytes(np.zeros((10, 64), np.float32))
    load_fails(weights_file(tmp_path, members),
               r"weights\.npz: 'd/kernel' has shape \(10, 64\) but Dense d needs \(64, 10\)")


def test_weight_naming_an_unknown_node(tmp_path):
    members = {"ghost/kernel": npy_bytes(np.zeros((64, 10), np.float32))}
    load_fails(weights_file(tmp_path, members), "'ghost/kernel' names node 'ghost', which is not")


def test_weight_naming_an_unknown_tensor(tmp_path):
    members = {"d/gamma": npy_bytes(np.zeros((10,), np.float32))}
    load_fails(weights_file(tmp_path, members),
               "'d/gamma': Dense d has no weight 'gamma' \\(it has kernel, bias\\)")


def test_weight_of_a_layer_without_weights(tmp_path):
    members = {"x/kernel": npy_bytes(np.zeros((1,), np.float32))}
    load_fails(weights_file(tmp_path, members), "Input x has no weight 'kernel' .*no weights")


def test_weight_key_without_a_tensor_name(tmp_path):
    load_fails(weights_file(tmp_path, {"kernel": npy_bytes(np.zeros(3, np.float32))}),
               r"'kernel' is not named")


def test_bias_of_a_layer_without_bias(tmp_path):
    doc = document()
    doc["graph"]["nodes"][1]["params"]["use_bias"] = False
    path = visnet_file(tmp_path, doc, weights=npz_bytes(
        {k: npy_bytes(v) for k, v in good_weights().items()}))
    load_fails(path, "Dense d has no weight 'bias' \\(it has kernel\\)")


class Trap:
    """Unpickling this makes a folder: proof that something was unpickled."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


def test_object_array_is_refused_and_never_unpickled(tmp_path):
    marker = tmp_path / "unpickled"
    array = np.empty(1, dtype=object)
    array[0] = Trap(marker)
    raw = npy_bytes(array, allow_pickle=True)

    # The trap is armed: numpy would spring it when allowed to unpickle.
    armed = tmp_path / "armed"
    array[0] = Trap(armed)
    np.load(io.BytesIO(npy_bytes(array, allow_pickle=True)), allow_pickle=True)
    assert armed.exists()

    load_fails(weights_file(tmp_path, {"d/kernel": raw}), r"'d/kernel'.* holds object values")
    assert not marker.exists(), "loading a .visnet file unpickled an object"


def test_string_array_is_refused(tmp_path):
    raw = npy_bytes(np.array(["0.5"] * 10))
    load_fails(weights_file(tmp_path, {"d/bias": raw}), r"'d/bias'.* holds <U3 values")


@pytest.mark.parametrize("dtype", ["complex64", "bool", "datetime64[s]", "V4"])
def test_other_non_number_dtypes_are_refused(tmp_path, dtype):
    raw = npy_bytes(np.zeros(10, dtype=dtype))
    load_fails(weights_file(tmp_path, {"d/bias": raw}), r"'d/bias'.* holds .* values")


def test_truncated_npy_data(tmp_path):
    raw = npy_bytes(np.zeros((64, 10), np.float32))[:-100]
    load_fails(weights_file(tmp_path, {"d/kernel": raw}),
               r"'d/kernel': is truncated: shape \(64, 10\) needs 2560 bytes but 2460 are there")


def test_truncated_npy_header(tmp_path):
    raw = npy_bytes(np.zeros((64, 10), np.float32))[:20]
    load_fails(weights_file(tmp_path, {"d/kernel": raw}), r"'d/kernel': is not a valid \.npy")


def test_npy_without_magic(tmp_path):
    load_fails(weights_file(tmp_path, {"d/kernel": b"just some bytes" * 10}),
               r"'d/kernel': is not a valid \.npy")


def test_npy_with_too_much_data(tmp_path):
    raw = npy_bytes(np.zeros((64, 10), np.float32)) + b"\0" * 4
    load_fails(weights_file(tmp_path, {"d/kernel": raw}), r"'d/kernel'.* needs 2560 bytes")


@pytest.mark.parametrize("shape, data", [
    ((-1,), b""),
    ((0, -1), b""),
    ((-2, -3), b"\0" * 24),
], ids=["minus-one", "zero-and-minus-one", "two-negatives"])
def test_npy_header_with_negative_dimensions(tmp_path, shape, data):
    raw = npy_with_header(shape, "<f4", data)
    load_fails(weights_file(tmp_path, {"d/kernel": raw}), r"'d/kernel'")


def test_npz_member_that_is_not_npy(tmp_path):
    buffer = io.BytesIO()
    write_zip(buffer, {"d/kernel.txt": "0 0 0"})
    load_fails(visnet_file(tmp_path, weights=buffer.getvalue()),
               r"member 'd/kernel.txt' is not an \.npy array")


def test_weights_npz_that_is_not_a_zip(tmp_path):
    load_fails(visnet_file(tmp_path, weights=b"not a zip at all"),
               r"weights\.npz: is not a valid \.npz archive")


# ---------------------------------------------------------------------------------------------
# The zip container


def test_member_declaring_more_than_the_json_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(fileformat, "MAX_JSON_BYTES", 1000)
    text = " " * 5000 + json.dumps(document())
    path = visnet_file(tmp_path, text)
    assert zipfile.ZipFile(path).getinfo("visnet.json").compress_size < 1000, "a real bomb"
    load_fails(path, r"member 'visnet\.json' would unpack to .* more than the 1000 bytes allowed")


def test_member_lying_about_its_size(tmp_path, monkeypatch):
    """The central directory claims 500 bytes; the data inflates to far more."""
    monkeypatch.setattr(fileformat, "MAX_JSON_BYTES", 1000)
    path = visnet_file(tmp_path, " " * 5000 + json.dumps(document()))
    data = bytearray(path.read_bytes())
    true_size = struct.pack("<I", zipfile.ZipFile(path).getinfo("visnet.json").file_size)
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.index(signature) + offset
        assert data[at:at + 4] == true_size
        data[at:at + 4] = struct.pack("<I", 500)
    path.write_bytes(bytes(data))
    load_fails(path, r"member 'visnet\.json' (is corrupt|unpacks to more than)")


def test_bare_json_beyond_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(fileformat, "MAX_JSON_BYTES", 1000)
    path = json_file(tmp_path, " " * 5000 + json.dumps(document()))
    load_fails(path, r"neither a \.visnet zip nor a JSON file of at most 1000 bytes")


def test_history_beyond_its_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(fileformat, "MAX_HISTORY_BYTES", 100)
    path = visnet_file(tmp_path, history={"loss": [0.5] * 100})
    load_fails(path, r"member 'history\.json' would unpack to .* more than the 100 bytes")


def test_too_many_members(tmp_path):
    extra = {f"m{i}": b"" for i in range(fileformat.MAX_MEMBERS)}
    load_fails(visnet_file(tmp_path, **extra), f"at most {fileformat.MAX_MEMBERS}")


@pytest.mark.parametrize("member", ["../evil", "dir/visnet.json", "/abs", "..\\evil", "C:x",
                                    ".hidden"])
def test_member_name_with_a_path(tmp_path, member):
    path = write_zip(tmp_path / "net.visnet",
                     {"visnet.json": json.dumps(document()), member: b"{}"})
    assert member in zipfile.ZipFile(path).namelist(), "zipfile kept the name as written"
    load_fails(path, f"member {re.escape(repr(member))} has a path")


def test_member_appearing_twice(tmp_path):
    path = tmp_path / "net.visnet"
    with pytest.warns(UserWarning, match="Duplicate name"):
        write_zip(path, {"visnet.json": json.dumps(document())})
        with zipfile.ZipFile(path, "a") as zf:
            zf.writestr("visnet.json", "{}")
    load_fails(path, "member 'visnet.json' appears twice")


def test_encrypted_member(tmp_path):
    path = visnet_file(tmp_path)
    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        data[data.index(signature) + offset] |= 0x1  # the "encrypted" flag bit
    path.write_bytes(bytes(data))
    load_fails(path, "member 'visnet.json' is encrypted")


def test_corrupt_compressed_member(tmp_path):
    path = visnet_file(tmp_path)
    info = zipfile.ZipFile(path).getinfo("visnet.json")
    assert info.compress_type == zipfile.ZIP_DEFLATED
    data = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for i in range(start + 10, start + info.compress_size - 10):
        data[i] ^= 0x5A
    path.write_bytes(bytes(data))
    load_fails(path, "member 'visnet.json' is corrupt")


def test_bad_crc(tmp_path):
    path = visnet_file(tmp_path)
    data = bytearray(path.read_bytes())
    for signature, offset in ((b"PK\x03\x04", 14), (b"PK\x01\x02", 16)):
        data[data.index(signature) + offset] ^= 0xFF  # one byte of the stored CRC-32
    path.write_bytes(bytes(data))
    load_fails(path, "member 'visnet.json' is corrupt")


def test_truncated_zip(tmp_path):
    path = visnet_file(tmp_path, weights=npz_bytes(
        {k: npy_bytes(v) for k, v in good_weights().items()}))
    data = path.read_bytes()
    (tmp_path / "cut.visnet").write_bytes(data[:len(data) // 2] + data[-22:])
    load_fails(tmp_path / "cut.visnet", "cut.visnet")


def test_history_that_is_a_list(tmp_path):
    path = visnet_file(tmp_path, history=[{"loss": 1.0}])
    load_fails(path, r"history\.json: must hold a JSON object, not a list")


def test_history_with_invalid_json(tmp_path):
    path = visnet_file(tmp_path, history='{"loss": [1.0, }')
    load_fails(path, r"history\.json: is not valid JSON")


def test_history_with_nan(tmp_path):
    path = visnet_file(tmp_path, history='{"loss": [NaN]}')
    load_fails(path, r"history\.json: NaN is not a JSON number")


# ---------------------------------------------------------------------------------------------
# Paths


def test_a_folder(tmp_path):
    folder = tmp_path / "project.visnet"
    folder.mkdir()
    load_fails(folder, "project.visnet: is a folder")


def test_a_path_that_does_not_exist(tmp_path):
    load_fails(tmp_path / "missing.visnet", "missing.visnet: cannot be read")


def test_an_empty_file(tmp_path):
    path = tmp_path / "empty.visnet"
    path.write_bytes(b"")
    load_fails(path, "empty.visnet: is not valid JSON")


# ---------------------------------------------------------------------------------------------
# A legal but long drawing must load too (MAX_NODES allows 10,000 layers).


def test_long_chain_with_weights_loads(tmp_path):
    doc = document()
    nodes = [{"id": "x", "type": "Input", "params": {"shape": [4]}, "pos": [0, 0]}]
    edges = []
    for i in range(2000):
        nodes.append({"id": f"n{i}", "type": "Dense", "params": {"units": 4}, "pos": [0, i]})
        edges.append({"src": nodes[-2]["id"], "dst": f"n{i}", "port": 0})
    nodes.append({"id": "loss", "type": "Loss", "params": {"kind": "mse"}, "pos": [0, 0]})
    edges.append({"src": "n1999", "dst": "loss", "port": 0})
    doc["graph"] = {"nodes": nodes, "edges": edges}
    weights = npz_bytes({"n0/kernel": npy_bytes(np.ones((4, 4), np.float32))})
    loaded = visnet.load(visnet_file(tmp_path, doc, weights=weights))
    assert len(loaded.graph.nodes) == 2002
    assert loaded.weights["n0/kernel"].shape == (4, 4)


# ---------------------------------------------------------------------------------------------
# Migrations


def version_1_file(tmp_path):
    """A version-1 document that spells batch_size as "batch", as an imagined version 1 did."""
    doc = document()
    doc["version"] = 1
    doc["training"]["batch"] = doc["training"].pop("batch_size")
    doc["training"]["batch"] = 7
    return visnet_file(tmp_path, doc, name="old.visnet")


def test_migration_brings_an_old_file_up_to_date(tmp_path, monkeypatch):
    seen = []

    def rename_batch(d):
        seen.append(d["version"])
        training = dict(d["training"])
        training["batch_size"] = training.pop("batch")
        return {**d, "training": training}

    monkeypatch.setattr(fileformat, "VERSION", 2)
    monkeypatch.setattr(fileformat, "MIGRATIONS", {1: rename_batch})
    loaded = visnet.load(version_1_file(tmp_path))
    assert seen == [1]
    assert loaded.graph.training.batch_size == 7
    assert loaded.graph.to_dict() == reference_graph().to_dict()


def test_without_the_migration_the_old_file_would_not_parse(tmp_path, monkeypatch):
    """The migration above is what makes the file readable, not a no-op."""
    monkeypatch.setattr(fileformat, "VERSION", 1)
    load_fails(version_1_file(tmp_path), "unknown training setting 'batch'")


def test_missing_migration(tmp_path, monkeypatch):
    monkeypatch.setattr(fileformat, "VERSION", 2)
    monkeypatch.setattr(fileformat, "MIGRATIONS", {})
    load_fails(version_1_file(tmp_path),
               "format version 1 cannot be read by this VisNet \\(no migration to version 2\\)")


def test_migrations_chain(tmp_path, monkeypatch):
    seen = []

    def step(d):
        seen.append(d["version"])
        return d

    monkeypatch.setattr(fileformat, "VERSION", 3)
    monkeypatch.setattr(fileformat, "MIGRATIONS", {1: step, 2: step})
    doc = document()
    doc["version"] = 1
    visnet.load(visnet_file(tmp_path, doc))
    assert seen == [1, 2]
