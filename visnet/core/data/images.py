"""``images:DIR``: a folder with one subfolder of images per class."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .dataset import CLASSES, DataError, Loaded
from .paths import folder_of, inside, shown_path
from .spec import Options, Spec


IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")


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
    shown = shown_path(spec)
    size = opts.int("size", 28, 4, 512)
    channels = int(opts.str("channels", "1", ("1", "3")))
    expected = "a folder with one subfolder of images per class"
    folder = folder_of(spec, shown, expected)
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
            raise DataError(f"{inside(shown, class_folder.name)}: class folder "
                            f"{class_folder.name!r} holds no PNG or JPEG images")
        for path in files:
            images.append(_read_image(path, inside(shown, class_folder.name, path.name), mode,
                                      size))
            labels.append(label)
    x = np.stack(images)
    y = np.asarray(labels, np.int64)
    names = tuple(p.name for p in classes)
    colour = "grayscale" if channels == 1 else "colour"
    return Loaded(x, y, CLASSES, names, normalization="scale", scale=1 / 255,
                  description=f"image folder {shown}: {len(x):,} images in {len(names)} classes, "
                              f"{colour} at {size}x{size}")
