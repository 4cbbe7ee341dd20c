"""``mnist:DIR``: MNIST or Fashion-MNIST as published, IDX files raw or gzipped."""

from __future__ import annotations

import gzip
import math
import struct
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

from .dataset import CLASSES, DataError, Loaded
from .paths import folder_of, inside, shown_path
from .spec import Options, Spec


DIGIT_NAMES = tuple(str(i) for i in range(10))
FASHION_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                 "Sneaker", "Bag", "Ankle boot")
IDX_LIMIT = 2**31          # bytes of data one IDX file may claim


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
    images_shown = inside(shown, images_path.name)
    labels_shown = inside(shown, labels_path.name)
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
    shown = shown_path(spec)
    names_option = opts.str("names", None, ("digits", "fashion"))
    folder = folder_of(spec, shown, f"a folder holding {_MNIST_EXPECTED}")
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
            raise DataError(f"{inside(shown, test_images.name)}: images are "
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
