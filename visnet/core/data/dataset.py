"""What every dataset is, whatever it was loaded from: float32 inputs of a known shape, targets
for a task (classes with names, or regression), a deterministic train/validation split and the
normalisation fitted on the training part, kept so that new samples get the same.

Loaders produce a :class:`Loaded` (raw arrays and what they mean); :func:`finish` splits it by
seed, fits the normalisation on the training part and returns the :class:`Dataset`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import VisNetError

CLASSES = "classes"
REGRESSION = "regression"
TASKS = (CLASSES, REGRESSION)


class DataError(VisNetError):
    """A dataset cannot be loaded, or does not fit the network: the message names the file (and
    row, column or member) or the layer, and what to change."""


# ---------------------------------------------------------------------------------------------
# Normalisation


@dataclass(frozen=True)
class Normalization:
    """How raw inputs become what the network sees: ``(raw * scale - mean) / std``.

    kind "none" keeps values; "scale" multiplies by ``scale`` (1/255 for 8-bit images);
    "standard" subtracts the training part's per-feature mean and divides by its standard
    deviation (features of zero spread are divided by 1).
    """

    kind: str = "none"
    scale: float = 1.0
    mean: np.ndarray | None = None
    std: np.ndarray | None = None

    @staticmethod
    def fit(kind: str, x: np.ndarray, scale: float = 1.0) -> Normalization:
        if kind == "none":
            return Normalization()
        if kind == "scale":
            return Normalization("scale", float(scale))
        if kind != "standard":
            raise ValueError(f"unknown normalisation {kind!r}")
        scaled = x.astype(np.float64) * scale
        mean = scaled.mean(axis=0)
        std = scaled.std(axis=0)
        std = np.where(std > 1e-12, std, 1.0)
        return Normalization("standard", float(scale), mean.astype(np.float32),
                             std.astype(np.float32))

    def apply(self, raw: np.ndarray) -> np.ndarray:
        """Normalised float32 inputs for raw samples of the dataset's input shape."""
        x = np.asarray(raw, dtype=np.float32)
        if self.kind == "none":
            return np.ascontiguousarray(x)
        x = x * np.float32(self.scale)
        if self.kind == "standard":
            x = (x - self.mean) / self.std
        return np.ascontiguousarray(x, dtype=np.float32)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": self.kind, "scale": self.scale}
        if self.mean is not None:
            d["mean"] = self.mean.tolist()
            d["std"] = self.std.tolist()
        return d

    @staticmethod
    def from_dict(d: dict[str, Any]) -> Normalization:
        mean = d.get("mean")
        std = d.get("std")
        return Normalization(str(d.get("kind", "none")), float(d.get("scale", 1.0)),
                             None if mean is None else np.asarray(mean, np.float32),
                             None if std is None else np.asarray(std, np.float32))


# ---------------------------------------------------------------------------------------------
# What loaders return


@dataclass
class Loaded:
    """Raw arrays from a loader.

    x : (N, *input_shape) numbers, not yet normalised.
    y : int class indices (N,) or (N, steps) for classes; float targets (N, *shape) for
        regression.
    normalization : "none", "scale" (with ``scale``) or "standard"; fitted on the training part.
    x_val, y_val : a validation set the source provides itself (MNIST's test files); when given,
        x and y are all training data and no split is made.
    ordered : samples overlap their neighbours (windows of one text): the validation part is
        the last fraction, not a random draw, so that no validation sample is seen in training.
    extras : what a dataset needs besides (the text dataset's alphabet, ...).
    """

    x: np.ndarray
    y: np.ndarray
    task: str
    class_names: tuple[str, ...] = ()
    normalization: str = "none"
    scale: float = 1.0
    x_val: np.ndarray | None = None
    y_val: np.ndarray | None = None
    description: str = ""
    extras: dict[str, Any] = field(default_factory=dict)
    ordered: bool = False


@dataclass
class Dataset:
    """A dataset split into training and validation parts, inputs normalised.

    ``spec`` is what :func:`visnet.datasets.load` was given (it is what a .visnet file stores).
    """

    spec: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    task: str
    class_names: tuple[str, ...]
    normalization: Normalization
    seed: int
    validation: float
    description: str = ""
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def input_shape(self) -> tuple[int, ...]:
        return tuple(self.x_train.shape[1:])

    @property
    def target_shape(self) -> tuple[int, ...]:
        """Shape of one sample's target: () for one class index, (steps,) for one per step."""
        return tuple(self.y_train.shape[1:])

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def is_classes(self) -> bool:
        return self.task == CLASSES

    def __len__(self) -> int:
        return len(self.x_train) + len(self.x_val)

    def prepare(self, raw: np.ndarray) -> np.ndarray:
        """New raw samples, normalised as the training data were."""
        x = np.asarray(raw)
        if x.shape[1:] != self.input_shape:
            if x.shape == self.input_shape:
                x = x[None]
            else:
                raise DataError(f"{self.spec}: samples of shape {x.shape[1:]} do not fit; "
                                f"this dataset's samples have shape {self.input_shape}")
        return self.normalization.apply(x)

    def summary(self) -> str:
        what = (f"{self.n_classes} class{'es' if self.n_classes != 1 else ''}" if self.is_classes
                else f"regression to {self.target_shape or 'one value'}")
        return (f"{self.spec}: {len(self.x_train)} training + {len(self.x_val)} validation "
                f"samples of shape {self.input_shape}, {what}")


def split_indices(n: int, validation: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic shuffled split of range(n): (train, validation) indices."""
    if not 0.0 <= validation < 1.0:
        raise DataError(f"the validation fraction must be in [0, 1), not {validation}")
    order = np.random.default_rng(seed).permutation(n)
    n_val = int(round(n * validation))
    if validation > 0 and n >= 2:
        n_val = min(max(n_val, 1), n - 1)
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def finish(spec: str, loaded: Loaded, validation: float = 0.2, seed: int = 0) -> Dataset:
    """Check a loader's arrays, split them, fit the normalisation on the training part."""
    x, y = np.asarray(loaded.x), np.asarray(loaded.y)
    _check_arrays(spec, x, y, loaded.task, loaded.class_names)
    if loaded.x_val is not None:
        xv, yv = np.asarray(loaded.x_val), np.asarray(loaded.y_val)
        _check_arrays(spec + " (validation part)", xv, yv, loaded.task, loaded.class_names)
        if xv.shape[1:] != x.shape[1:]:
            raise DataError(f"{spec}: validation samples have shape {xv.shape[1:]} but training "
                            f"samples {x.shape[1:]}")
        x_train, y_train, x_val, y_val = x, y, xv, yv
        validation = len(xv) / (len(x) + len(xv))
    else:
        if loaded.ordered:
            n_val = int(round(len(x) * validation))
            train, val = np.arange(len(x) - n_val), np.arange(len(x) - n_val, len(x))
        else:
            train, val = split_indices(len(x), validation, seed)
        x_train, y_train, x_val, y_val = x[train], y[train], x[val], y[val]
    norm = Normalization.fit(loaded.normalization, x_train, loaded.scale)
    target_dtype = np.int64 if loaded.task == CLASSES else np.float32
    return Dataset(spec, norm.apply(x_train), np.ascontiguousarray(y_train, target_dtype),
                   norm.apply(x_val), np.ascontiguousarray(y_val, target_dtype), loaded.task,
                   tuple(loaded.class_names), norm, seed, validation, loaded.description,
                   dict(loaded.extras))


def _check_arrays(spec: str, x: np.ndarray, y: np.ndarray, task: str,
                  class_names: tuple[str, ...]) -> None:
    if task not in TASKS:
        raise DataError(f"{spec}: unknown task {task!r}")
    if x.ndim < 2 or len(x) == 0:
        raise DataError(f"{spec}: holds no samples")
    if len(x) != len(y):
        raise DataError(f"{spec}: {len(x)} samples but {len(y)} targets")
    if x.dtype.kind not in "fiub":
        raise DataError(f"{spec}: inputs are {x.dtype}, not numbers")
    if not np.isfinite(x).all():
        raise DataError(f"{spec}: inputs hold NaN or infinite values")
    if task == CLASSES:
        if y.dtype.kind not in "iub":
            raise DataError(f"{spec}: class labels must be integers, not {y.dtype}")
        if not class_names:
            raise DataError(f"{spec}: has classes but no class names")
        if y.size and (y.min() < 0 or y.max() >= len(class_names)):
            raise DataError(f"{spec}: class labels must lie in 0..{len(class_names) - 1}, "
                            f"found {int(y.min())}..{int(y.max())}")
    else:
        if y.dtype.kind not in "fiu" or not np.isfinite(y).all():
            raise DataError(f"{spec}: regression targets must be finite numbers")
