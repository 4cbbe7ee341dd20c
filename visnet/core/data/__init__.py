"""Datasets: built-in ones (TensorFlow Playground's 2-D sets, digits, sine, text) and the user's
own files. ``load(spec)`` returns a :class:`Dataset`; see :mod:`.spec` for the spec syntax.

Each loader (:mod:`.builtin`, and one module per kind of file: :mod:`.mnist`,
:mod:`.csv_file`, :mod:`.npz_file`, :mod:`.images`) takes the parsed spec and its typed options
and returns a :class:`Loaded` of raw arrays, which ``load`` splits and normalises. A file
loader's DataError starts with the file or folder as the user wrote it (:mod:`.paths`), and
the line, column, array or image inside it where that applies."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Callable

from . import builtin, csv_file, images, mnist, npz_file
from .dataset import CLASSES, REGRESSION, DataError, Dataset, Loaded, Normalization, finish
from .spec import Options, Spec, parse

Loader = Callable[[Spec, Options], Loaded]

BUILTINS: dict[str, tuple[str, Loader]] = {
    "spiral": ("two interleaved spirals of 2-D points (options: samples, noise)",
               builtin.spiral),
    "moons": ("two interleaving half circles (options: samples, noise)", builtin.moons),
    "circles": ("a circle inside a ring (options: samples, noise)", builtin.circles),
    "xor": ("the four quadrants, opposite ones alike (options: samples, noise)", builtin.xor),
    "gaussians": ("two Gaussian blobs (options: samples, noise)", builtin.gaussians),
    "digits": ("1,797 handwritten digits as 1x8x8 images, 10 classes", builtin.digits),
    "sine": ("windows of sine waves; predict the next value (options: samples, steps, noise)",
             builtin.sine),
    "text": ("next character of a public-domain text, one-hot over 40 characters "
             "(options: steps, stride)", builtin.text),
}

FILE_KINDS: dict[str, tuple[str, Loader]] = {
    "mnist": ("a folder of IDX files as MNIST and Fashion-MNIST publish them (raw or .gz)",
              mnist.load_mnist),
    "csv": ("a CSV file with a header row; the label column by name (label=NAME) or the last "
            "(options: label, task=classes|regression)", csv_file.load_csv),
    "npz": ("a NumPy .npz file with arrays x and y (and optionally class_names)",
            npz_file.load_npz),
    "images": ("a folder with one subfolder of PNG/JPEG images per class (options: size, "
               "channels=1|3)", images.load_images),
}


def load(spec: str, base_dir: str | os.PathLike | None = None, validation: float = 0.2,
         seed: int = 0) -> Dataset:
    """Load a dataset by spec: a built-in name, or KIND:PATH for the user's own files.

    Relative paths are taken from ``base_dir`` (the folder of the .visnet file that names the
    dataset) when given, else the working directory. Options ``validation`` and ``seed`` in the
    spec override the arguments. Raises :class:`DataError` with a message naming what is wrong.
    """
    parsed = parse(spec)
    opts = Options(parsed)
    validation = opts.float("validation", validation, 0.0, 0.9)
    seed = opts.int("seed", seed, 0, 2**31 - 1)
    target = opts.str("target", "labels", TARGETS)
    if parsed.path is None:
        if parsed.name not in BUILTINS:
            kinds = ", ".join(f"{k}:PATH" for k in FILE_KINDS)
            raise DataError(f"unknown dataset {spec!r}: built in are "
                            f"{', '.join(BUILTINS)}; your own data as {kinds}")
        loader = BUILTINS[parsed.name][1]
    else:
        if parsed.name not in FILE_KINDS:
            raise DataError(f"unknown kind of data {parsed.name!r} in {spec!r}: use one of "
                            f"{', '.join(k + ':PATH' for k in FILE_KINDS)}")
        if not parsed.path:
            raise DataError(f"dataset {spec!r} names no file or folder after "
                            f"'{parsed.name}:'")
        path = Path(parsed.path).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = Path(base_dir) / path
        parsed = Spec(parsed.text, parsed.name, str(path), parsed.options)
        opts.spec = parsed
        loader = FILE_KINDS[parsed.name][1]
    loaded = loader(parsed, opts)
    opts.done()
    dataset = finish(spec, loaded, validation, seed)
    return reconstruct_inputs(dataset) if target == "input" else dataset


# What a model learns to output: the dataset's labels, or (an autoencoder) its own inputs.
TARGETS = ("labels", "input")


def reconstruct_inputs(dataset: Dataset) -> Dataset:
    """The dataset with each sample's target its own (normalised) input: regression onto the
    input, what an autoencoder trains on."""
    return replace(dataset, y_train=dataset.x_train.copy(), y_val=dataset.x_val.copy(),
                   task=REGRESSION, class_names=(),
                   description=f"{dataset.description}; targets: the inputs themselves")


__all__ = ["BUILTINS", "CLASSES", "DataError", "Dataset", "FILE_KINDS", "Loaded",
           "Normalization", "REGRESSION", "load"]
