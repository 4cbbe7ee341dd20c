"""``npz:FILE``: a NumPy .npz file with arrays x and y (and optionally class_names)."""

from __future__ import annotations

import zipfile
import zlib

import numpy as np

from .dataset import CLASSES, REGRESSION, TASKS, DataError, Loaded
from .paths import file_of, shown_path
from .spec import Options, Spec


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
    shown = shown_path(spec)
    task = opts.str("task", None, TASKS)
    normalize = opts.str("normalize", "none", ("none", "standard", "scale255"))
    path = file_of(spec, shown, "a NumPy .npz file with arrays x and y")
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
