"""The user's own data: MNIST-style IDX folders, CSV files, NumPy .npz files and folders of
images with one subfolder per class.

Each loader takes the parsed spec (its ``path`` already resolved) and the typed options, and
returns a :class:`Loaded` of raw arrays; :func:`visnet.core.data.load` splits and normalises it.
Every :class:`DataError` starts with the file or folder as the user wrote it in the spec (and
the line, column, array or image inside it where that applies), so the user knows where to look.
"""

from __future__ import annotations

import csv
import gzip
import itertools
import math
import os
import struct
import zipfile
import zlib
from array import array
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .dataset import CLASSES, REGRESSION, TASKS, DataError, Loaded
from .spec import Options, Spec, parse

DIGIT_NAMES = tuple(str(i) for i in range(10))
FASHION_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                 "Sneaker", "Bag", "Ankle boot")

IDX_LIMIT = 2**31          # bytes of data one IDX file may claim
CSV_LIMIT = 2**30          # bytes of one CSV file
CSV_GUESS_CLASSES = 50     # whole-number labels with at most this many values are classes
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")


# ---------------------------------------------------------------------------------------------
# Paths


def _shown(spec: Spec) -> str:
    """The path as the user wrote it in the spec (the resolved one when it cannot be told)."""
    if not spec.path:
        raise DataError(f"dataset {spec.text!r} names no file or folder")
    try:
        given = parse(spec.text).path
    except DataError:
        given = None
    return given or spec.path


def _inside(shown: str, *parts: str) -> str:
    """A file inside a folder the user named, written from the user's spelling of the folder."""
    return os.path.join(shown, *parts)


def _folder(spec: Spec, shown: str, what: str) -> Path:
    path = Path(spec.path)
    if not path.exists():
        raise DataError(f"{shown}: no such folder; expected {what}")
    if not path.is_dir():
        raise DataError(f"{shown}: is a file, not a folder; expected {what}")
    return path


def _file(spec: Spec, shown: str, what: str) -> Path:
    path = Path(spec.path)
    if not path.exists():
        raise DataError(f"{shown}: no such file; expected {what}")
    if path.is_dir():
        raise DataError(f"{shown}: is a folder, not a file; expected {what}")
    return path


# ---------------------------------------------------------------------------------------------
# MNIST: IDX files

_IDX_TYPES = {0x08: "unsigned bytes", 0x09: "signed bytes", 0x0B: "16-bit integers",
              0x0C: "32-bit integers", 0x0D: "32-bit floats", 0x0E: "64-bit floats"}

_MNIST_FILES = {
    "train images": "train-images-idx3-ubyte",
    "train labels": "train-labels-idx1-ubyte",
    "test images": "t10k-images-idx3-ubyte",
    "test labels": "t10k-labels-idx1-ubyte",
}

_MNIST_EXPECTED = ("train-images-idx3-ubyte and train-labels-idx1-ubyte (and optionally "
                   "t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte), each raw or as .gz")


def read_idx(path: Path, shown: str) -> np.ndarray:
    """The array in an IDX file of unsigned bytes, raw or gzipped (told by its content).

    The file must hold exactly the bytes its header promises: a truncated file or one with
    bytes left over raises :class:`DataError` naming ``shown`` and both sizes.
    """
    gzipped = False
    try:
        with open(path, "rb") as raw:
            gzipped = raw.read(2) == b"\x1f\x8b"
            raw.seek(0)
            if not gzipped:
                return _read_idx(raw, shown, path.stat().st_size)
            with gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
                return _read_idx(unzipped, shown, None)
    except (OSError, EOFError, zlib.error) as e:
        what = "is a damaged gzip file" if gzipped else "cannot be read"
        raise DataError(f"{shown}: {what} ({e})") from None


def _read_idx(stream: BinaryIO, shown: str, file_size: int | None) -> np.ndarray:
    head = stream.read(4)
    if len(head) < 4:
        raise DataError(f"{shown}: is too short to be an IDX file ({len(head)} bytes)")
    if head[0] or head[1]:
        raise DataError(f"{shown}: is not an IDX file (it must start with two zero bytes, not "
                        f"{head[:2].hex(' ')})")
    code, ndim = head[2], head[3]
    if code != 0x08:
        kind = _IDX_TYPES.get(code, f"data of unknown type 0x{code:02x}")
        raise DataError(f"{shown}: holds {kind}; only IDX files of unsigned bytes (type 0x08) "
                        f"can be read")
    if ndim == 0:
        raise DataError(f"{shown}: its IDX header gives no dimensions")
    dims_raw = stream.read(4 * ndim)
    if len(dims_raw) < 4 * ndim:
        raise DataError(f"{shown}: is truncated inside its IDX header")
    dims = struct.unpack(f">{ndim}I", dims_raw)
    size = math.prod(dims)
    shape = "x".join(str(d) for d in dims)
    if size > IDX_LIMIT:
        raise DataError(f"{shown}: its header claims {size:,} bytes of data (shape {shape}), "
                        f"more than the {IDX_LIMIT:,} VisNet reads from one IDX file")
    if file_size is not None:  # a raw file: compare sizes before reading anything
        held = file_size - 4 - 4 * ndim
        if held != size:
            _idx_size_error(shown, size, held, shape)
    data = bytearray(size)
    view = memoryview(data)
    got = 0
    while got < size:
        n = stream.readinto(view[got:])
        if not n:
            break
        got += n
    if got < size:
        _idx_size_error(shown, size, got, shape)
    extra = 0
    while chunk := stream.read(1 << 20):
        extra += len(chunk)
        if extra > IDX_LIMIT:
            break
    if extra:
        _idx_size_error(shown, size, size + extra, shape)
    return np.frombuffer(data, np.uint8).reshape(dims)


def _idx_size_error(shown: str, want: int, held: int, shape: str) -> None:
    what = "is truncated" if held < want else "has bytes left over"
    raise DataError(f"{shown}: {what}: its header promises {want:,} bytes of data (shape "
                    f"{shape}) but the file holds {held:,}")


def _find_idx(folder: Path, stem: str) -> Path | None:
    """The file for one of MNIST's names, also spelled as some mirrors do
    (train-images.idx3-ubyte, train-images-idx3.ubyte), raw or gzipped."""
    names = (stem, stem.replace("-idx", ".idx"), stem.replace("-ubyte", ".ubyte"))
    for name in names:
        for suffix in ("", ".gz"):
            path = folder / (name + suffix)
            if path.is_file():
                return path
    return None


def _idx_pair(images_path: Path, labels_path: Path, shown: str
              ) -> tuple[np.ndarray, np.ndarray]:
    images_shown = _inside(shown, images_path.name)
    labels_shown = _inside(shown, labels_path.name)
    images = read_idx(images_path, images_shown)
    labels = read_idx(labels_path, labels_shown)
    if images.ndim != 3:
        raise DataError(f"{images_shown}: holds an array of {images.ndim} dimensions; MNIST "
                        f"images are (count, rows, columns)")
    if labels.ndim != 1:
        raise DataError(f"{labels_shown}: holds an array of {labels.ndim} dimensions; MNIST "
                        f"labels are one list of numbers")
    if len(images) != len(labels):
        raise DataError(f"{images_shown}: holds {len(images):,} images but {labels_shown} "
                        f"holds {len(labels):,} labels")
    if len(images) == 0:
        raise DataError(f"{images_shown}: holds no images")
    bad = np.flatnonzero(labels > 9)
    if bad.size:
        i = int(bad[0])
        raise DataError(f"{labels_shown}: label {int(labels[i])} (number {i:,}) lies outside "
                        f"0..9")
    return images[:, None, :, :], labels.astype(np.int64)


def _looks_fashion(folder: Path) -> bool:
    """Whether a folder is Fashion-MNIST by its name (or its parent's, for torchvision's
    FashionMNIST/raw layout)."""
    folder = folder.resolve()
    names = [folder.name]
    if folder.name.lower() == "raw":
        names.append(folder.parent.name)
    return any("fashion" in name.lower() for name in names)


def load_mnist(spec: Spec, opts: Options) -> Loaded:
    """``mnist:DIR``: MNIST or Fashion-MNIST as published, raw or gzipped IDX files. The t10k
    files, when there, are the validation part. Option ``names=digits|fashion`` picks the class
    names (default: fashion when the folder's name says so)."""
    shown = _shown(spec)
    names_option = opts.str("names", None, ("digits", "fashion"))
    folder = _folder(spec, shown, f"a folder holding {_MNIST_EXPECTED}")
    found = {key: _find_idx(folder, stem) for key, stem in _MNIST_FILES.items()}
    missing = [_MNIST_FILES[k] for k in ("train images", "train labels") if found[k] is None]
    if missing:
        raise DataError(f"{shown}: holds no {' and no '.join(missing)}; an MNIST folder holds "
                        f"{_MNIST_EXPECTED}")
    x, y = _idx_pair(found["train images"], found["train labels"], shown)
    x_val = y_val = None
    test_images, test_labels = found["test images"], found["test labels"]
    if (test_images is None) != (test_labels is None):
        has, lacks = (("t10k images", "t10k-labels-idx1-ubyte") if test_labels is None
                      else ("t10k labels", "t10k-images-idx3-ubyte"))
        raise DataError(f"{shown}: has the {has} but no {lacks} (raw or .gz); add it, or "
                        f"remove both t10k files to hold out part of the training data")
    if test_images is not None:
        x_val, y_val = _idx_pair(test_images, test_labels, shown)
        if x_val.shape[1:] != x.shape[1:]:
            raise DataError(f"{_inside(shown, test_images.name)}: images are "
                            f"{x_val.shape[2]}x{x_val.shape[3]} but the training images "
                            f"{x.shape[2]}x{x.shape[3]}")
    fashion = names_option == "fashion" if names_option else _looks_fashion(folder)
    kind = "Fashion-MNIST" if fashion else "MNIST"
    rows, cols = x.shape[2:]
    if x_val is None:
        counts = f"{len(x):,} training images of {rows}x{cols} (no t10k files)"
    else:
        counts = f"{len(x):,} training and {len(x_val):,} test images of {rows}x{cols}"
    return Loaded(x, y, CLASSES, FASHION_NAMES if fashion else DIGIT_NAMES,
                  normalization="scale", scale=1 / 255, x_val=x_val, y_val=y_val,
                  description=f"{kind}-style IDX files in {shown}: {counts}")


# ---------------------------------------------------------------------------------------------
# CSV


def _delimiter(spec: Spec, opts: Options) -> str | None:
    raw = opts.str("delimiter", None)
    if raw is None:
        return None
    words = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "space": " "}
    value = words.get(raw.lower(), raw)
    if len(value) != 1 or value in "\r\n\"":
        raise DataError(f"dataset {spec.text!r}: option delimiter={raw!r} must be one "
                        f"character (or tab, comma, semicolon, space)")
    return value


def _guess_delimiter(header_line: str) -> str:
    """Comma, unless the header has none but has semicolons or tabs."""
    if "," in header_line:
        return ","
    semicolons, tabs = header_line.count(";"), header_line.count("\t")
    if semicolons or tabs:
        return ";" if semicolons >= tabs else "\t"
    return ","


def _is_blank(row: list[str]) -> bool:
    return not row or (len(row) == 1 and not row[0].strip())


def _to_float(text: str) -> float | None:
    """The finite number a cell holds, or None."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _number_name(value: float) -> str:
    return str(int(value)) if value.is_integer() else repr(value)


def _first_non_utf8_line(path: Path) -> int:
    """The 1-based number of the first line that is not UTF-8 (0 when none is found)."""
    with open(path, "rb") as f:
        for number, line in enumerate(f, 1):
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                return number
    return 0


def _plural(n: int, word: str, words: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else words or word + 's'}"


class _CsvTable:
    """One pass over a CSV file: numeric features, label strings, and each row's line number."""

    def __init__(self, path: Path, shown: str, delimiter: str | None, label: str | None):
        self.shown = shown
        self.features = array("d")
        self.labels: list[str] = []
        self.lines = array("q")
        self._line = 0
        try:
            with open(path, encoding="utf-8-sig", newline="") as f:
                self._read(f, delimiter, label)
        except UnicodeDecodeError:
            raise DataError(f"{shown}: line {_first_non_utf8_line(path)} is not UTF-8 text; "
                            f"save the file as UTF-8 CSV") from None
        except csv.Error as e:
            raise DataError(f"{shown}: line {self._line}: {e}") from None
        except OSError as e:
            raise DataError(f"{shown}: cannot be read ({e.strerror or e})") from None

    def _read(self, f, delimiter: str | None, label: str | None) -> None:
        skipped = 0
        first = ""
        for first in f:  # blank lines before the header are skipped
            if first.strip():
                break
            skipped += 1
            first = ""
        if not first:
            raise DataError(f"{self.shown}: is empty; a CSV file needs a header row and rows "
                            f"of data")
        reader = csv.reader(itertools.chain([first], f),
                            delimiter=delimiter or _guess_delimiter(first))
        header = next(reader)
        self._line = skipped + reader.line_num
        self.columns = [name.strip() or f"column {i + 1}" for i, name in enumerate(header)]
        if len(self.columns) < 2:
            raise DataError(f"{self.shown}: has only one column ({self.columns[0]!r}); it needs "
                            f"at least one feature column besides the label")
        self.label_index = self._label_index(label)
        self.feature_columns = [i for i in range(len(self.columns)) if i != self.label_index]
        width = len(self.columns)
        for row in reader:
            self._line = skipped + reader.line_num
            if _is_blank(row):
                continue
            if len(row) != width:
                raise DataError(f"{self.shown}: line {self._line} has {len(row)} values but the "
                                f"header has {width} columns")
            for j in self.feature_columns:
                self.features.append(self._feature(row[j], j))
            cell = row[self.label_index].strip()
            if not cell:
                raise DataError(f"{self.shown}: line {self._line}, column "
                                f"{self.columns[self.label_index]!r} is empty")
            self.labels.append(cell)
            self.lines.append(self._line)
        if not self.labels:
            raise DataError(f"{self.shown}: holds a header row but no rows of data")

    def _label_index(self, label: str | None) -> int:
        """The label column: by name (exact, else ignoring case), or the last."""
        if label is None:
            return len(self.columns) - 1
        hits = [i for i, name in enumerate(self.columns) if name == label]
        if not hits:
            hits = [i for i, name in enumerate(self.columns) if name.lower() == label.lower()]
        if len(hits) > 1:
            raise DataError(f"{self.shown}: has {len(hits)} columns named {label!r}; rename "
                            f"them so that the label column is unique")
        if not hits:
            listed = ", ".join(repr(c) for c in self.columns)
            raise DataError(f"{self.shown}: has no column {label!r}; its columns are {listed}")
        return hits[0]

    def _feature(self, cell: str, j: int) -> float:
        text = cell.strip()
        where = f"{self.shown}: line {self._line}, column {self.columns[j]!r}"
        if not text:
            raise DataError(f"{where} is empty")
        try:
            value = float(text)
        except ValueError:
            raise DataError(f"{where}: {text!r} is not a number") from None
        if not math.isfinite(value):
            raise DataError(f"{where}: {text!r} is not a finite number")
        return value

    def x(self) -> np.ndarray:
        x64 = np.frombuffer(self.features, np.float64).reshape(len(self.labels), -1)
        with np.errstate(over="ignore"):
            x = x64.astype(np.float32)
        bad = np.argwhere(~np.isfinite(x))
        if len(bad):
            i, j = (int(v) for v in bad[0])
            column = self.columns[self.feature_columns[j]]
            raise DataError(f"{self.shown}: line {self.lines[i]}, column {column!r}: "
                            f"{float(x64[i, j])!r} is too large for 32-bit floats")
        return x


def load_csv(spec: Spec, opts: Options) -> Loaded:
    """``csv:FILE``: a header row, numeric feature columns and one label column (option
    ``label=NAME``, else the last). Option ``task=classes|regression`` (default: classes when
    the labels hold text, or at most 50 distinct whole numbers) and ``delimiter`` (default: a
    comma, or a semicolon or tab when the header has no comma)."""
    shown = _shown(spec)
    label = opts.str("label", None)
    task = opts.str("task", None, TASKS)
    delimiter = _delimiter(spec, opts)
    path = _file(spec, shown, "a CSV file with a header row")
    try:
        size = path.stat().st_size
    except OSError as e:
        raise DataError(f"{shown}: cannot be read ({e.strerror or e})") from None
    if size > CSV_LIMIT:
        raise DataError(f"{shown}: is {size / 2**30:.1f} GiB; VisNet reads CSV files up to "
                        f"1 GiB (save larger data as a NumPy .npz file)")
    table = _CsvTable(path, shown, delimiter, label)
    x = table.x()
    label_name = table.columns[table.label_index]
    numbers = [_to_float(s) for s in table.labels]
    numeric = all(v is not None for v in numbers)
    if task is None:
        whole = numeric and all(v.is_integer() for v in numbers)
        task = CLASSES if not numeric or (whole and len(set(numbers)) <= CSV_GUESS_CLASSES) \
            else REGRESSION
    if task == REGRESSION:
        if not numeric:
            i = next(i for i, v in enumerate(numbers) if v is None)
            raise DataError(f"{shown}: line {table.lines[i]}, column {label_name!r}: "
                            f"{table.labels[i]!r} is not a number, so it cannot be a "
                            f"regression target; use task=classes")
        y = np.asarray(numbers, np.float32).reshape(-1, 1)
        names: tuple[str, ...] = ()
        what = f"regression on {label_name!r}"
    else:
        if numeric:
            values = sorted(set(numbers))
            index = {v: i for i, v in enumerate(values)}
            y = np.fromiter((index[v] for v in numbers), np.int64, len(numbers))
            names = tuple(_number_name(v) for v in values)
        else:
            names = tuple(sorted(set(table.labels)))
            index = {s: i for i, s in enumerate(names)}
            y = np.fromiter((index[s] for s in table.labels), np.int64, len(table.labels))
        what = f"{_plural(len(names), 'class', 'classes')} in {label_name!r}"
    return Loaded(x, y, task, names, normalization="standard",
                  description=f"CSV file {shown}: {_plural(len(x), 'row')} of "
                              f"{_plural(x.shape[1], 'feature')}, {what}")


# ---------------------------------------------------------------------------------------------
# NumPy .npz


def _npz_array(data: np.lib.npyio.NpzFile, name: str, shown: str) -> np.ndarray:
    try:
        return np.asarray(data[name])
    except ValueError as e:
        if "allow_pickle" in str(e) or "Object arrays" in str(e):
            raise DataError(f"{shown}: array {name!r} holds Python objects, which VisNet does "
                            f"not load (they could run code); save numbers, and class names as "
                            f"an array of strings") from None
        raise DataError(f"{shown}: array {name!r} cannot be read ({e})") from None
    except (OSError, EOFError, zlib.error, zipfile.BadZipFile) as e:
        raise DataError(f"{shown}: array {name!r} is damaged ({e})") from None


def _kind_of(a: np.ndarray) -> str:
    """An array's values in words, for messages."""
    words = {"U": "strings", "S": "byte strings", "c": "complex numbers", "O": "Python objects",
             "M": "dates", "m": "time spans", "V": "records"}
    return words.get(a.dtype.kind, f"{a.dtype} values")


def _npz_labels(y: np.ndarray, shown: str, task: str | None) -> tuple[np.ndarray, str]:
    """y as class indices (int64) or regression targets (float32, at least 2-D), and the task."""
    if y.dtype.kind not in "biuf":
        raise DataError(f"{shown}: y holds {_kind_of(y)}; save class indices as integers "
                        f"(names in class_names) or regression targets as floats")
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise DataError(f"{shown}: y holds NaN or infinite values")
    if task is None:
        task = REGRESSION if y.dtype.kind == "f" else CLASSES
    if task == REGRESSION:
        y = y.astype(np.float32)
        return (y.reshape(-1, 1) if y.ndim == 1 else y), task
    if y.dtype.kind == "f":
        fraction = np.flatnonzero(y.ravel() != np.round(y.ravel()))
        if fraction.size:
            value = float(y.ravel()[fraction[0]])
            raise DataError(f"{shown}: y holds {value!r}, not a whole number; task=classes "
                            f"needs class indices 0, 1, 2, ...")
    y = y.astype(np.int64)
    if y.size and y.min() < 0:
        raise DataError(f"{shown}: y holds the negative label {int(y.min())}; class indices "
                        f"start at 0")
    return y, task


def _npz_class_names(data: np.lib.npyio.NpzFile, shown: str, y: np.ndarray
                     ) -> tuple[str, ...]:
    top = int(y.max()) if y.size else 0
    if "class_names" not in data.files:
        return tuple(str(i) for i in range(top + 1))
    raw = _npz_array(data, "class_names", shown)
    if raw.ndim != 1 or raw.dtype.kind not in "US":
        raise DataError(f"{shown}: class_names must be a 1-D array of strings, not "
                        f"{_kind_of(raw)} of shape {raw.shape}")
    names = tuple(v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v)
                  for v in raw.tolist())
    if len(names) < top + 1:
        raise DataError(f"{shown}: class_names has {len(names)} names but y holds labels up to "
                        f"{top} (it needs at least {top + 1})")
    return names


def load_npz(spec: Spec, opts: Options) -> Loaded:
    """``npz:FILE``: arrays ``x`` (samples first) and ``y`` and optionally ``class_names``.
    Integer y are classes, float y regression (option ``task`` overrides). The arrays are used
    as given unless option ``normalize=standard|scale255``."""
    shown = _shown(spec)
    task = opts.str("task", None, TASKS)
    normalize = opts.str("normalize", "none", ("none", "standard", "scale255"))
    path = _file(spec, shown, "a NumPy .npz file with arrays x and y")
    try:
        data = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zlib.error, zipfile.BadZipFile) as e:
        raise DataError(f"{shown}: is not a NumPy .npz file ({e}); save one with "
                        f"numpy.savez(FILE, x=..., y=...)") from None
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise DataError(f"{shown}: holds a single array (a .npy file), not an .npz file with "
                        f"arrays x and y; save one with numpy.savez(FILE, x=..., y=...)")
    with data:
        missing = [name for name in ("x", "y") if name not in data.files]
        if missing:
            held = ", ".join(repr(n) for n in data.files) or "none"
            raise DataError(f"{shown}: holds no array {' and no '.join(map(repr, missing))} "
                            f"(its arrays: {held})")
        x = _npz_array(data, "x", shown)
        y = _npz_array(data, "y", shown)
        if x.dtype.kind not in "biuf":
            raise DataError(f"{shown}: x holds {_kind_of(x)}; it must hold real numbers")
        if x.ndim < 2:
            raise DataError(f"{shown}: x has shape {x.shape}; it must be (samples, ...) "
                            f"(for one feature per sample, save x.reshape(-1, 1))")
        if len(x) == 0:
            raise DataError(f"{shown}: x holds no samples")
        if y.ndim == 0 or len(y) != len(x):
            count = "one value" if y.ndim == 0 else f"{len(y):,} samples"
            raise DataError(f"{shown}: x has {len(x):,} samples but y has {count}")
        if x.dtype.kind == "f" and not np.isfinite(x).all():
            finite = np.isfinite(x.reshape(len(x), -1)).all(axis=1)
            first = int(np.flatnonzero(~finite)[0])
            raise DataError(f"{shown}: x holds NaN or infinite values (first in sample "
                            f"{first:,})")
        y, task = _npz_labels(y, shown, task)
        names = _npz_class_names(data, shown, y) if task == CLASSES else ()
    kind, scale = {"none": ("none", 1.0), "standard": ("standard", 1.0),
                   "scale255": ("scale", 1 / 255)}[normalize]
    what = f"{len(names)} classes" if task == CLASSES else "regression"
    return Loaded(x, y, task, names, normalization=kind, scale=scale,
                  description=f"NumPy file {shown}: {len(x):,} samples of shape "
                              f"{tuple(x.shape[1:])}, {what}")


# ---------------------------------------------------------------------------------------------
# Folders of images


def _image_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir()
                  if not p.name.startswith(".") and p.suffix.lower() in IMAGE_EXTENSIONS
                  and p.is_file())


def _read_image(path: Path, shown: str, mode: str, size: int) -> np.ndarray:
    """One image as uint8 (channels, size, size)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            im.load()
            pixels = im.convert(mode).resize((size, size), Image.Resampling.BILINEAR)
    except Image.DecompressionBombError:
        raise DataError(f"{shown}: is too large an image to read") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError) as e:
        raise DataError(f"{shown}: cannot be read as an image ({e})") from None
    a = np.asarray(pixels, dtype=np.uint8)
    return a[None] if a.ndim == 2 else a.transpose(2, 0, 1)


def load_images(spec: Spec, opts: Options) -> Loaded:
    """``images:DIR``: one subfolder of PNG, JPEG, BMP or GIF images per class (the folders'
    sorted names are the class names), resized to ``size`` x ``size`` (option, default 28) in
    grayscale (``channels=1``, default) or colour (``channels=3``)."""
    shown = _shown(spec)
    size = opts.int("size", 28, 4, 512)
    channels = int(opts.str("channels", "1", ("1", "3")))
    expected = "a folder with one subfolder of images per class"
    folder = _folder(spec, shown, expected)
    classes = sorted((p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")),
                     key=lambda p: p.name)
    if not classes:
        raise DataError(f"{shown}: holds no subfolders; put one subfolder of images per class "
                        f"in {shown}")
    if len(classes) < 2:
        raise DataError(f"{shown}: holds only one class folder ({classes[0].name!r}); a "
                        f"classifier needs at least two")
    mode = "L" if channels == 1 else "RGB"
    images: list[np.ndarray] = []
    labels: list[int] = []
    for label, class_folder in enumerate(classes):
        files = _image_files(class_folder)
        if not files:
            raise DataError(f"{_inside(shown, class_folder.name)}: class folder "
                            f"{class_folder.name!r} holds no PNG or JPEG images")
        for path in files:
            images.append(_read_image(path, _inside(shown, class_folder.name, path.name), mode,
                                      size))
            labels.append(label)
    x = np.stack(images)
    y = np.asarray(labels, np.int64)
    names = tuple(p.name for p in classes)
    colour = "grayscale" if channels == 1 else "colour"
    return Loaded(x, y, CLASSES, names, normalization="scale", scale=1 / 255,
                  description=f"image folder {shown}: {len(x):,} images in {len(names)} classes, "
                              f"{colour} at {size}x{size}")
