"""Reading and writing .visnet files.

A .visnet file is a zip holding ``visnet.json`` (the drawing, its training settings and dataset),
optionally ``weights.npz`` (one float32 array per "{node_id}/{name}") and ``history.json`` (the
metrics of past runs). It is written to a temporary file and renamed, so a crash never leaves
half a file. A bare ``visnet.json`` saved as a ``.json`` file is read too.

Loading trusts nothing: every fault (not a zip, bad JSON, wrong format tag, newer version, unknown
layer types or params, dangling edges, duplicate ids, weights of the wrong shape, object arrays,
absurd sizes, member names with paths) raises FileFormatError naming the file, the member and
the place inside it. Nothing is ever executed or unpickled.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .errors import FileFormatError
from .graph import Graph, graph_from_dict
from .json_checks import expect_object, json_type, only_keys, short
from .settings import TrainingSettings
from .shapes import weight_shapes

FORMAT = "visnet"
VERSION = 1

# MIGRATIONS[v] turns a version-v document dict into a version v+1 one. Loading applies them in
# turn up to VERSION, so every file ever written keeps opening.
MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {}

MIB = 1 << 20
MAX_JSON_BYTES = 16 * MIB
MAX_HISTORY_BYTES = 64 * MIB
MAX_WEIGHT_BYTES = 4096 * MIB
MAX_MEMBERS = 64
MAX_WEIGHT_ARRAYS = 100_000
MAX_DATASET_CHARS = 4096

GRAPH_MEMBER = "visnet.json"
WEIGHTS_MEMBER = "weights.npz"
HISTORY_MEMBER = "history.json"
CHECKPOINT_MEMBER = "checkpoint.json"
CHECKPOINT_ARRAYS_MEMBER = "checkpoint.npz"

_WEIGHT_KEY = re.compile(r"^([A-Za-z0-9_.-]{1,64})/([A-Za-z_][A-Za-z0-9_]{0,63})$")


@dataclass
class Document:
    """What a file holds: the drawing (with its training settings and dataset), weights keyed
    "{node_id}/{name}" (or None) and the training history (or None)."""

    graph: Graph
    weights: dict[str, np.ndarray] | None = None
    history: dict[str, Any] | None = None
    # Where a run stands, to continue it exactly: (the JSON state, the arrays: optimizer slots
    # "slot0", "slot1" and early stopping's best weights "best/{node_id}/{name}"). See
    # visnet.core.training.Checkpoint.
    checkpoint: tuple[dict[str, Any], dict[str, np.ndarray]] | None = None


# ---------------------------------------------------------------------------------------------
# Writing


def document_dict(graph: Graph) -> dict[str, Any]:
    """The visnet.json object for a drawing."""
    return {"format": FORMAT, "version": VERSION, "graph": graph.to_dict(),
            "training": graph.training.to_dict(), "dataset": graph.dataset}


def save(path: str | os.PathLike, graph: Graph, weights: dict[str, Any] | None = None,
         history: dict[str, Any] | None = None,
         checkpoint: tuple[dict[str, Any], dict[str, np.ndarray]] | None = None) -> Path:
    """Write a drawing, and optionally its weights, history and a training checkpoint (as
    ``Checkpoint.state()``, ``Checkpoint.arrays()``), atomically to ``path``.

    A path ending in .json gets the bare drawing; the rest needs a .visnet file.
    """
    path = Path(path)
    text = json.dumps(document_dict(graph), indent=1, allow_nan=False)
    if path.suffix.lower() == ".json":
        if weights is not None or history is not None or checkpoint is not None:
            raise ValueError(f"{path.name}: a .json file holds only the drawing; save as "
                             f".visnet to keep weights and history")
        _write_atomically(path, lambda f: f.write(text.encode("utf-8")))
        return path

    members: list[tuple[str, bytes]] = [(GRAPH_MEMBER, text.encode("utf-8"))]
    if weights is not None:
        arrays = _check_weights(graph, weights, f"{path.name}: weights")
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        members.append((WEIGHTS_MEMBER, buffer.getvalue()))
    if history is not None:
        if not isinstance(history, dict):
            raise ValueError(f"{path.name}: history must be a dict, not {type(history).__name__}")
        members.append((HISTORY_MEMBER, json.dumps(_finite_or_none(history),
                                                   allow_nan=False).encode("utf-8")))
    if checkpoint is not None:
        state, arrays = checkpoint
        _check_checkpoint_state(state, f"{path.name}: checkpoint")
        members.append((CHECKPOINT_MEMBER, json.dumps(_finite_or_none(state),
                                                      allow_nan=False).encode("utf-8")))
        buffer = io.BytesIO()
        np.savez(buffer, **{k: np.asarray(v, np.float32) for k, v in arrays.items()})
        members.append((CHECKPOINT_ARRAYS_MEMBER, buffer.getvalue()))

    def write(f):
        with zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in members:
                zf.writestr(name, data)

    _write_atomically(path, write)
    return path


def _write_atomically(path: Path, write: Callable[[Any], None]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    try:  # make the rename itself durable where the platform allows it
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError:
        pass


def _finite_or_none(value: Any) -> Any:
    """JSON has no NaN or infinity: a diverged run's metrics are stored as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _finite_or_none(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite_or_none(v) for v in value]
    if isinstance(value, np.generic):
        return _finite_or_none(value.item())
    return value


# ---------------------------------------------------------------------------------------------
# Reading


def load(path: str | os.PathLike) -> Document:
    """Read a .visnet (zip) or bare .json file; FileFormatError for anything malformed."""
    path = Path(path)
    name = path.name
    try:
        if path.is_dir():
            raise FileFormatError(f"{name}: is a folder, not a .visnet file")
        is_zip = zipfile.is_zipfile(path)
        if not is_zip:
            with open(path, "rb") as f:
                data = f.read(MAX_JSON_BYTES + 1)
            if len(data) > MAX_JSON_BYTES:
                raise FileFormatError(f"{name}: is neither a .visnet zip nor a JSON file of at "
                                      f"most {_size(MAX_JSON_BYTES)}")
            return Document(parse_document(_parse_json(data, name), name))
    except OSError as exc:
        raise FileFormatError(f"{name}: cannot be read: {exc.strerror or exc}") from None
    return _load_zip(path)


def _load_zip(path: Path) -> Document:
    name = path.name
    try:
        with zipfile.ZipFile(path) as zf:
            members = _check_members(zf, name)
            if GRAPH_MEMBER not in members:
                raise FileFormatError(f"{name}: has no {GRAPH_MEMBER}; it is a zip but not a "
                                      f".visnet file")
            where = f"{name}: {GRAPH_MEMBER}"
            raw = _read_member(zf, members[GRAPH_MEMBER], MAX_JSON_BYTES, name)
            graph = parse_document(_parse_json(raw, where), where)
            weights = history = None
            if WEIGHTS_MEMBER in members:
                raw = _read_member(zf, members[WEIGHTS_MEMBER], MAX_WEIGHT_BYTES, name)
                weights = _check_weights(graph, _read_npz(raw, f"{name}: {WEIGHTS_MEMBER}"),
                                         f"{name}: {WEIGHTS_MEMBER}")
            if HISTORY_MEMBER in members:
                where = f"{name}: {HISTORY_MEMBER}"
                raw = _read_member(zf, members[HISTORY_MEMBER], MAX_HISTORY_BYTES, name)
                history = _parse_json(raw, where)
                if not isinstance(history, dict):
                    raise FileFormatError(f"{where}: must hold a JSON object, not "
                                          f"{json_type(history)}")
            checkpoint = None
            if CHECKPOINT_MEMBER in members:
                where = f"{name}: {CHECKPOINT_MEMBER}"
                raw = _read_member(zf, members[CHECKPOINT_MEMBER], MAX_JSON_BYTES, name)
                state = _parse_json(raw, where)
                _check_checkpoint_state(state, where)
                arrays = {}
                if CHECKPOINT_ARRAYS_MEMBER in members:
                    raw = _read_member(zf, members[CHECKPOINT_ARRAYS_MEMBER], MAX_WEIGHT_BYTES,
                                       name)
                    arrays = _read_npz(raw, f"{name}: {CHECKPOINT_ARRAYS_MEMBER}")
                if weights is None:
                    raise FileFormatError(f"{where}: a checkpoint needs the weights, but the "
                                          f"file has no {WEIGHTS_MEMBER}")
                checkpoint = (state, arrays)
            return Document(graph, weights, history, checkpoint)
    except zipfile.BadZipFile as exc:
        raise FileFormatError(f"{name}: is not a valid zip: {exc}") from None
    except OSError as exc:
        raise FileFormatError(f"{name}: cannot be read: {exc.strerror or exc}") from None


def _check_members(zf: zipfile.ZipFile, name: str) -> dict[str, zipfile.ZipInfo]:
    infos = zf.infolist()
    if len(infos) > MAX_MEMBERS:
        raise FileFormatError(f"{name}: holds {len(infos)} members; a .visnet file holds at "
                              f"most {MAX_MEMBERS}")
    members: dict[str, zipfile.ZipInfo] = {}
    for info in infos:
        member = info.filename
        if "/" in member or "\\" in member or ":" in member or member.startswith(".") \
                or not member:
            raise FileFormatError(f"{name}: member {member!r} has a path; a .visnet file holds "
                                  f"only plain names ({GRAPH_MEMBER}, {WEIGHTS_MEMBER}, "
                                  f"{HISTORY_MEMBER})")
        if member in members:
            raise FileFormatError(f"{name}: member {member!r} appears twice")
        if info.flag_bits & 0x1:
            raise FileFormatError(f"{name}: member {member!r} is encrypted")
        members[member] = info
    return members


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, name: str) -> bytes:
    """A member's bytes, refusing any that would unpack to more than ``limit`` (zip bombs),
    whatever size the archive claims."""
    if info.file_size > limit:
        raise FileFormatError(f"{name}: member {info.filename!r} would unpack to "
                              f"{_size(info.file_size)}, more than the {_size(limit)} allowed")
    chunks, total = [], 0
    try:
        with zf.open(info) as f:
            while chunk := f.read(1 << 20):
                total += len(chunk)
                if total > limit:
                    raise FileFormatError(f"{name}: member {info.filename!r} unpacks to more "
                                          f"than the {_size(limit)} allowed")
                chunks.append(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError) as exc:
        raise FileFormatError(f"{name}: member {info.filename!r} is corrupt: {exc}") from None
    return b"".join(chunks)


def _parse_json(data: bytes, where: str) -> Any:
    def no_duplicates(pairs):
        out = {}
        for key, value in pairs:
            if key in out:
                raise FileFormatError(f"{where}: key {key!r} appears twice in one object")
            out[key] = value
        return out

    def no_nan(token):
        raise FileFormatError(f"{where}: {token} is not a JSON number")

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FileFormatError(f"{where}: is not UTF-8 text (byte {exc.start}); it is neither a "
                              f".visnet zip nor JSON") from None
    try:
        return json.loads(text, object_pairs_hook=no_duplicates, parse_constant=no_nan)
    except json.JSONDecodeError as exc:
        raise FileFormatError(f"{where}: is not valid JSON: {exc.msg} at line {exc.lineno} "
                              f"column {exc.colno}") from None
    except ValueError as exc:  # e.g. an integer of thousands of digits
        raise FileFormatError(f"{where}: is not valid JSON: {exc}") from None
    except RecursionError:
        raise FileFormatError(f"{where}: is nested too deeply") from None


def parse_document(d: Any, where: str) -> Graph:
    """Check a visnet.json object in full and build its Graph; FileFormatError names the place
    of the first fault as a path like ``graph.nodes[2].params.units``."""
    expect_object(d, where, "the file")
    fmt = d.get("format")
    if fmt != FORMAT:
        raise FileFormatError(f"{where}: is not a VisNet document (format is {fmt!r}, expected "
                              f"{FORMAT!r})")
    version = d.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise FileFormatError(f"{where}: version must be a positive integer, not {version!r}")
    if version > VERSION:
        raise FileFormatError(f"{where}: was written by a newer VisNet (format version "
                              f"{version}; this one reads up to {VERSION}): update VisNet")
    d = migrate(d, where)
    only_keys(d, {"format", "version", "graph", "training", "dataset"}, where, "")

    try:
        training = TrainingSettings.from_dict(expect_object(d.get("training", {}), where,
                                                            "training"))
    except (ValueError, TypeError) as exc:
        raise FileFormatError(f"{where}: training: {exc}") from None

    dataset = d.get("dataset")
    if dataset is not None and (not isinstance(dataset, str) or len(dataset) > MAX_DATASET_CHARS):
        raise FileFormatError(f"{where}: dataset must be a name like \"digits\" or "
                              f"\"csv:FILE\", not {short(dataset)}")

    return graph_from_dict(d.get("graph"), where, training, dataset)


def migrate(d: dict[str, Any], where: str) -> dict[str, Any]:
    """Bring a document dict of an older version up to VERSION."""
    while d["version"] < VERSION:
        step = MIGRATIONS.get(d["version"])
        if step is None:
            raise FileFormatError(f"{where}: format version {d['version']} cannot be read by "
                                  f"this VisNet (no migration to version {d['version'] + 1})")
        d = {**step(d), "version": d["version"] + 1}
    return d


def _read_npz(raw: bytes, where: str) -> dict[str, np.ndarray]:
    """Arrays of a weights.npz, read header first so that nothing is unpickled and no array is
    allocated before its size is known to be sane."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
    except zipfile.BadZipFile as exc:
        raise FileFormatError(f"{where}: is not a valid .npz archive: {exc}") from None
    infos = zf.infolist()
    if len(infos) > MAX_WEIGHT_ARRAYS:
        raise FileFormatError(f"{where}: holds {len(infos)} arrays; at most "
                              f"{MAX_WEIGHT_ARRAYS} are allowed")
    arrays: dict[str, np.ndarray] = {}
    budget = MAX_WEIGHT_BYTES
    for info in infos:
        if not info.filename.endswith(".npy"):
            raise FileFormatError(f"{where}: member {info.filename!r} is not an .npy array")
        key = info.filename[:-4]
        raw_array = _read_member(zf, info, budget, where)
        arrays[key] = _parse_npy(raw_array, f"{where}: {key!r}")
        budget -= len(raw_array)
    return arrays


def _parse_npy(raw: bytes, where: str) -> np.ndarray:
    f = io.BytesIO(raw)
    try:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        elif version in ((2, 0), (3, 0)):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise ValueError(f"unsupported .npy version {version}")
    except (ValueError, OSError, SyntaxError, TypeError) as exc:
        raise FileFormatError(f"{where}: is not a valid .npy array: {exc}") from None
    if any(not isinstance(d, int) or d < 0 for d in shape):
        raise FileFormatError(f"{where}: has an impossible shape {tuple(shape)}")
    if dtype.hasobject or dtype.kind not in "fiu":
        raise FileFormatError(f"{where}: holds {dtype} values; weights must be float32 numbers "
                              f"(nothing is ever unpickled)")
    count = math.prod(shape)
    data = f.read()
    if len(data) != count * dtype.itemsize:
        raise FileFormatError(f"{where}: is truncated: shape {tuple(shape)} needs "
                              f"{count * dtype.itemsize} bytes but {len(data)} are there")
    array = np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C")
    return np.ascontiguousarray(array, dtype=np.float32)


def _check_weights(graph: Graph, weights: dict[str, Any], where: str) -> dict[str, np.ndarray]:
    """Weights as contiguous float32 arrays, each named "{node_id}/{name}" after a parameter
    tensor of the graph and shaped as the graph needs (where its shapes are known)."""
    if not isinstance(weights, dict):
        raise FileFormatError(f"{where}: must be a dict of arrays, not {type(weights).__name__}")
    expected = weight_shapes(graph)
    out: dict[str, np.ndarray] = {}
    for key, value in weights.items():
        m = _WEIGHT_KEY.match(key) if isinstance(key, str) else None
        if not m:
            raise FileFormatError(f"{where}: {key!r} is not named \"{{node_id}}/{{tensor}}\"")
        node_id, tensor = m.groups()
        node = graph.nodes.get(node_id)
        if node is None:
            raise FileFormatError(f"{where}: {key!r} names node {node_id!r}, which is not in the "
                                  f"network")
        names = [w.name for w in node.layer.weight_specs(node.resolved_params())]
        if tensor not in names:
            has = ", ".join(names) if names else "no weights"
            raise FileFormatError(f"{where}: {key!r}: {node.label} has no weight {tensor!r} "
                                  f"(it has {has})")
        array = np.asarray(value)
        if array.dtype.hasobject or array.dtype.kind not in "fiu":
            raise FileFormatError(f"{where}: {key!r} holds {array.dtype} values; weights must "
                                  f"be float32 numbers")
        if key in expected and tuple(array.shape) != expected[key]:
            raise FileFormatError(f"{where}: {key!r} has shape {tuple(array.shape)} but "
                                  f"{node.label} needs {expected[key]}")
        out[key] = np.ascontiguousarray(array, dtype=np.float32)
    return out


def _check_checkpoint_state(state: Any, where: str) -> None:
    """The JSON part of a checkpoint: where the run stands. Arrays are checked when used."""
    d = expect_object(state, where, "the checkpoint")
    only_keys(d, {"epoch", "batch", "seed", "epoch_sums", "best", "dataset", "finished",
                  "optimizer"}, where, "the checkpoint")
    for key in ("epoch", "batch", "seed"):
        value = d.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**63:
            raise FileFormatError(f"{where}: {key!r} must be a whole number >= 0, not "
                                  f"{short(value)}")
    opt = expect_object(d.get("optimizer"), where, "optimizer")
    expect_object(opt.get("config"), where, "optimizer.config")
    step = opt.get("step")
    if not isinstance(step, int) or isinstance(step, bool) or step < 0:
        raise FileFormatError(f"{where}: optimizer.step must be a whole number >= 0, not "
                              f"{short(step)}")
    sums = d.get("epoch_sums") or {}
    if not isinstance(sums, dict) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in sums.values()):
        raise FileFormatError(f"{where}: epoch_sums must map names to numbers")
    best = d.get("best")
    if best is not None:
        b = expect_object(best, where, "best")
        if not isinstance(b.get("epoch"), int) or not isinstance(b.get("wait"), int) or \
                not isinstance(b.get("value"), (int, float)):
            raise FileFormatError(f"{where}: best must hold epoch, value and wait numbers")
    if d.get("dataset") is not None and not isinstance(d.get("dataset"), str):
        raise FileFormatError(f"{where}: dataset must be a string")


# ---------------------------------------------------------------------------------------------
# Sizes in messages.


def _size(n: int) -> str:
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if n < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} bytes"
