"""The user's own data: mnist:DIR, csv:FILE, npz:FILE and images:DIR, loaded through the public
``load`` so that the registry, the options and ``finish`` (split, normalisation) all take part.

Every test writes its own small files under tmp_path. Each broken case checks that the
DataError names the file or folder (and the line, column, array or image) where it applies.
"""

from __future__ import annotations

import gzip
import re
import struct

import numpy as np
import pytest
from PIL import Image

from visnet.core.data import CLASSES, REGRESSION, DataError, load

# ---------------------------------------------------------------------------------------------
# MNIST: IDX files


def idx_bytes(a: np.ndarray) -> bytes:
    """An IDX file of unsigned bytes, as MNIST publishes them."""
    a = np.asarray(a, np.uint8)
    return bytes([0, 0, 0x08, a.ndim]) + struct.pack(f">{a.ndim}I", *a.shape) + a.tobytes()


def write_idx(path, a: np.ndarray, gz: bool) -> None:
    data = idx_bytes(a)
    if gz:
        path = path.with_name(path.name + ".gz")
        data = gzip.compress(data)
    path.write_bytes(data)


def mnist_folder(folder, n_train=20, n_test=5, gz=True, test=True, rows=6, cols=5):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (n_train, rows, cols), dtype=np.uint8)
    labels = np.arange(n_train, dtype=np.uint8) % 10
    write_idx(folder / "train-images-idx3-ubyte", images, gz)
    write_idx(folder / "train-labels-idx1-ubyte", labels, gz)
    if test:
        write_idx(folder / "t10k-images-idx3-ubyte",
                  rng.integers(0, 256, (n_test, rows, cols), dtype=np.uint8), gz)
        write_idx(folder / "t10k-labels-idx1-ubyte", np.arange(n_test, dtype=np.uint8), gz)
    return folder, images, labels


@pytest.mark.parametrize("gz", [True, False])
def test_mnist_with_test_files(tmp_path, gz):
    folder, images, labels = mnist_folder(tmp_path / "mnist", gz=gz)
    ds = load(f"mnist:{folder}")
    assert ds.x_train.shape == (20, 1, 6, 5) and ds.x_val.shape == (5, 1, 6, 5)
    assert ds.input_shape == (1, 6, 5)
    assert ds.x_train.dtype == np.float32
    assert ds.task == CLASSES and ds.class_names == tuple("0123456789")
    np.testing.assert_allclose(ds.x_train[:, 0], images / 255, rtol=1e-6)  # no shuffling
    np.testing.assert_array_equal(ds.y_train, labels)
    assert ds.y_train.dtype == np.int64 and ds.x_val.max() <= 1.0
    assert ds.validation == pytest.approx(5 / 25)
    assert "20 training and 5 test images" in ds.description


def test_mnist_without_test_files_splits(tmp_path):
    folder, _, _ = mnist_folder(tmp_path / "m", test=False)
    ds = load(f"mnist:{folder}?validation=0.25")
    assert (len(ds.x_train), len(ds.x_val)) == (15, 5)
    assert 0.0 <= ds.x_train.min() and ds.x_train.max() <= 1.0


def test_mnist_mirror_names(tmp_path):
    folder = tmp_path / "m"
    folder.mkdir()
    write_idx(folder / "train-images.idx3-ubyte", np.zeros((4, 3, 3)), gz=False)
    write_idx(folder / "train-labels.idx1-ubyte", np.arange(4), gz=True)
    assert load(f"mnist:{folder}").input_shape == (1, 3, 3)


def test_mnist_fashion_names(tmp_path):
    folder, _, _ = mnist_folder(tmp_path / "Fashion-MNIST")
    assert load(f"mnist:{folder}").class_names[0] == "T-shirt/top"
    digits = load(f"mnist:{folder}?names=digits")
    assert digits.class_names[0] == "0"
    plain, _, _ = mnist_folder(tmp_path / "clothes")
    assert load(f"mnist:{plain}?names=fashion").class_names[-1] == "Ankle boot"


def test_mnist_truncated(tmp_path):
    folder, _, _ = mnist_folder(tmp_path / "m", gz=False, test=False)
    path = folder / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-7])
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte: is truncated: .* 600 bytes "
                                        r".* holds 593"):
        load(f"mnist:{folder}")


def test_mnist_truncated_gzip_and_trailing_bytes(tmp_path):
    folder, images, _ = mnist_folder(tmp_path / "m", gz=True, test=False)
    path = folder / "train-images-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(idx_bytes(images) + b"xyz"))
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte\.gz: has bytes left over"):
        load(f"mnist:{folder}")
    path.write_bytes(gzip.compress(idx_bytes(images))[:-30])
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte\.gz: is a damaged gzip"):
        load(f"mnist:{folder}")


def test_mnist_count_mismatch(tmp_path):
    folder, _, _ = mnist_folder(tmp_path / "m", test=False)
    write_idx(folder / "train-labels-idx1-ubyte", np.zeros(19), gz=True)
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte\.gz: holds 20 images but "
                                        r".*train-labels-idx1-ubyte\.gz holds 19 labels"):
        load(f"mnist:{folder}")


def test_mnist_broken_headers_and_labels(tmp_path):
    folder, _, _ = mnist_folder(tmp_path / "m", gz=False, test=False)
    write_idx(folder / "train-labels-idx1-ubyte", np.full(20, 12), gz=False)
    with pytest.raises(DataError, match=r"train-labels-idx1-ubyte: label 12 .* outside 0..9"):
        load(f"mnist:{folder}")
    (folder / "train-images-idx3-ubyte").write_bytes(bytes([0, 0, 0x0D, 1, 0, 0, 0, 1]) +
                                                     b"\0" * 4)
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte: holds 32-bit floats"):
        load(f"mnist:{folder}")
    (folder / "train-images-idx3-ubyte").write_bytes(bytes([0, 0, 8, 3]) +
                                                     struct.pack(">3I", 2**16, 2**16, 2**16))
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte: its header claims"):
        load(f"mnist:{folder}")


def test_mnist_missing(tmp_path):
    with pytest.raises(DataError, match=r"nowhere: no such folder; .*train-images-idx3-ubyte"):
        load(f"mnist:{tmp_path / 'nowhere'}")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match=r"empty: holds no train-images-idx3-ubyte and no "
                                        r"train-labels-idx1-ubyte"):
        load(f"mnist:{tmp_path / 'empty'}")


# ---------------------------------------------------------------------------------------------
# CSV


def write(path, text: str):
    path.write_text(text, encoding="utf-8")
    return path


IRIS = """sepal_length,sepal_width,species,petal_length
5.1,3.5,setosa,1.4
4.9,3.0,setosa,1.4
7.0,3.2,versicolor,4.7
6.4,3.2,versicolor,4.5
6.3,3.3,virginica,6.0
5.8,2.7,virginica,5.1
5.0,3.6,setosa,1.4
6.9,3.1,versicolor,4.9
7.1,3.0,virginica,5.9
5.5,2.3,versicolor,4.0

"""


def test_csv_label_by_name(tmp_path):
    path = write(tmp_path / "iris.csv", IRIS)
    ds = load(f"csv:{path}?label=species")
    assert ds.task == CLASSES
    assert ds.class_names == ("setosa", "versicolor", "virginica")
    assert (len(ds.x_train), len(ds.x_val)) == (8, 2)
    assert ds.input_shape == (3,) and ds.x_train.dtype == np.float32
    np.testing.assert_allclose(ds.x_train.mean(axis=0), 0, atol=1e-5)  # standardised
    assert ds.normalization.kind == "standard"
    assert sorted(np.concatenate([ds.y_train, ds.y_val]).tolist()) == [0] * 3 + [1] * 4 + [2] * 3


def test_csv_last_column_numeric_classes(tmp_path):
    rows = "".join(f"{i},{i * 2 % 7},{i % 3 + 1}\n" for i in range(12))
    path = write(tmp_path / "d.csv", "a,b,c\n" + rows)
    ds = load(f"csv:{path}")
    assert ds.task == CLASSES and ds.class_names == ("1", "2", "3")
    assert ds.input_shape == (2,)


def test_csv_regression_and_semicolons(tmp_path):
    rows = "".join(f"{i};{i * 0.5};{i * 1.25 + 0.1}\n" for i in range(10))
    path = write(tmp_path / "r.csv", "x1;x2;target\n" + rows)
    ds = load(f"csv:{path}?validation=0.3")
    assert ds.task == REGRESSION and ds.class_names == ()
    assert ds.y_train.shape == (7, 1) and ds.y_train.dtype == np.float32
    assert ds.x_val.shape == (3, 2)
    whole = load(f"csv:{path}?label=x1&delimiter=;&task=regression")
    assert whole.task == REGRESSION and whole.target_shape == (1,)


def test_csv_task_classes_forced(tmp_path):
    rows = "".join(f"{i},{i * 0.25}\n" for i in range(6))
    path = write(tmp_path / "f.csv", "x,y\n" + rows)
    ds = load(f"csv:{path}?task=classes")
    assert ds.class_names == ("0", "0.25", "0.5", "0.75", "1", "1.25")


@pytest.mark.parametrize("text, spec_options, pattern", [
    ("a,b,c\n1,2,0\n1,2,1\n1,2\n", "", r"bad\.csv: line 4 has 2 values but the header has 3 "
                                       r"columns"),
    ("a,petal_width,c\n1,2,0\n1,abc,1\n", "", r"bad\.csv: line 3, column 'petal_width': 'abc' "
                                             r"is not a number"),
    ("a,b,c\n1,,0\n", "", r"bad\.csv: line 2, column 'b' is empty"),
    ("a,b,c\n1,nan,0\n", "", r"bad\.csv: line 2, column 'b': 'nan' is not a finite number"),
    ("a,b,c\n1,2,0\n", "?label=species", r"bad\.csv: has no column 'species'; its columns are "
                                         r"'a', 'b', 'c'"),
    ("a,b,c\n", "", r"bad\.csv: holds a header row but no rows of data"),
    ("", "", r"bad\.csv: is empty"),
    ("label\n1\n2\n", "", r"bad\.csv: has only one column \('label'\)"),
    ("a,b,c\n1,2,cat\n", "?task=regression", r"bad\.csv: line 2, column 'c': 'cat' is not a "
                                             r"number"),
])
def test_csv_broken(tmp_path, text, spec_options, pattern):
    path = write(tmp_path / "bad.csv", text)
    with pytest.raises(DataError, match=pattern):
        load(f"csv:{path}{spec_options}")


def test_csv_missing_and_not_utf8(tmp_path):
    with pytest.raises(DataError, match=r"gone\.csv: no such file"):
        load(f"csv:{tmp_path / 'gone.csv'}")
    (tmp_path / "latin.csv").write_bytes("a,b\n1,\xe9\n".encode("latin-1"))
    with pytest.raises(DataError, match=r"latin\.csv: line 2 is not UTF-8 text"):
        load(f"csv:{tmp_path / 'latin.csv'}")


def test_csv_relative_path_shown_as_given(tmp_path):
    write(tmp_path / "broken.csv", "a,b\n1\n")
    with pytest.raises(DataError, match=r"^broken\.csv: line 2"):
        load("csv:broken.csv", base_dir=tmp_path)


# ---------------------------------------------------------------------------------------------
# NumPy .npz


def test_npz_classes(tmp_path):
    x = np.random.default_rng(0).normal(size=(20, 3, 4)).astype(np.float32)
    y = np.arange(20) % 3
    np.savez(tmp_path / "d.npz", x=x, y=y, class_names=np.array(["cat", "dog", "fox"]))
    ds = load(f"npz:{tmp_path / 'd.npz'}?seed=3")
    assert ds.task == CLASSES and ds.class_names == ("cat", "dog", "fox")
    assert ds.input_shape == (3, 4) and (len(ds.x_train), len(ds.x_val)) == (16, 4)
    assert ds.normalization.kind == "none"
    assert any(np.allclose(ds.x_train[0], row) for row in x)  # used as given

    np.savez(tmp_path / "plain.npz", x=(x * 100).astype(np.uint8), y=y.astype(np.int32))
    plain = load(f"npz:{tmp_path / 'plain.npz'}?normalize=scale255")
    assert plain.class_names == ("0", "1", "2") and plain.x_train.max() <= 1.0


def test_npz_regression(tmp_path):
    x = np.linspace(0, 1, 30).reshape(15, 2)
    np.savez(tmp_path / "r.npz", x=x, y=x.sum(axis=1))
    ds = load(f"npz:{tmp_path / 'r.npz'}?normalize=standard")
    assert ds.task == REGRESSION and ds.y_train.shape == (12, 1)
    assert ds.x_train.dtype == np.float32
    np.testing.assert_allclose(ds.x_train.mean(axis=0), 0, atol=1e-5)
    forced = load(f"npz:{tmp_path / 'r.npz'}?task=regression")
    assert forced.task == REGRESSION


@pytest.mark.parametrize("arrays, pattern", [
    ({"x": np.zeros((4, 2)), "labels": np.zeros(4, int)},
     r"bad\.npz: holds no array 'y' \(its arrays: 'x', 'labels'\)"),
    ({"x": np.zeros((100, 2)), "y": np.zeros(99, int)},
     r"bad\.npz: x has 100 samples but y has 99 samples"),
    ({"x": np.zeros((3, 2)), "y": np.array([0, 1, 2]), "class_names": np.array(["a", "b"])},
     r"bad\.npz: class_names has 2 names but y holds labels up to 2"),
    ({"x": np.array([[0.0, np.nan], [1, 2]]), "y": np.array([0, 1])},
     r"bad\.npz: x holds NaN or infinite values \(first in sample 0\)"),
    ({"x": np.zeros(5), "y": np.zeros(5, int)}, r"bad\.npz: x has shape \(5,\)"),
])
def test_npz_broken(tmp_path, arrays, pattern):
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(DataError, match=pattern):
        load(f"npz:{tmp_path / 'bad.npz'}")


def test_npz_object_array_and_not_npz(tmp_path):
    y = np.empty(2, dtype=object)
    y[:] = ["a", 1]
    np.savez(tmp_path / "obj.npz", x=np.zeros((2, 2)), y=y)
    with pytest.raises(DataError, match=r"obj\.npz: array 'y' holds Python objects"):
        load(f"npz:{tmp_path / 'obj.npz'}")
    write(tmp_path / "text.npz", "a,b\n1,2\n")
    with pytest.raises(DataError, match=r"text\.npz: is not a NumPy \.npz file"):
        load(f"npz:{tmp_path / 'text.npz'}")
    np.savez(tmp_path / "frac.npz", x=np.zeros((2, 2)), y=np.array([0.5, 1.0]))
    with pytest.raises(DataError, match=r"frac\.npz: y holds 0\.5, not a whole number"):
        load(f"npz:{tmp_path / 'frac.npz'}?task=classes")


# ---------------------------------------------------------------------------------------------
# Folders of images


def image_folder(root, extra=True):
    """cats: 3 PNG of 10x8 (one palette, one RGBA), dogs: 2 JPEG of 12x12; noise to skip."""
    (root / "cats").mkdir(parents=True)
    (root / "dogs").mkdir()
    Image.new("L", (10, 8), 200).save(root / "cats" / "a.png")
    Image.new("RGBA", (10, 8), (255, 0, 0, 255)).save(root / "cats" / "b.PNG")
    Image.new("P", (10, 8), 3).save(root / "cats" / "c.png")
    for name in ("a.jpg", "b.jpeg"):
        Image.new("RGB", (12, 12), (0, 0, 255)).save(root / "dogs" / name)
    if extra:
        (root / "cats" / "notes.txt").write_text("not an image")
        (root / "cats" / ".hidden.png").write_bytes(b"garbage")
        (root / ".thumbnails").mkdir()
    return root


def test_images_grayscale(tmp_path):
    root = image_folder(tmp_path / "pets")
    ds = load(f"images:{root}?size=6&validation=0.4")
    assert ds.class_names == ("cats", "dogs") and ds.task == CLASSES
    assert ds.input_shape == (1, 6, 6) and ds.x_train.dtype == np.float32
    assert (len(ds.x_train), len(ds.x_val)) == (3, 2)
    assert 0.0 <= min(ds.x_train.min(), ds.x_val.min())
    assert max(ds.x_train.max(), ds.x_val.max()) <= 1.0
    assert ds.normalization.kind == "scale"


def test_images_colour(tmp_path):
    root = image_folder(tmp_path / "pets", extra=False)
    ds = load(f"images:{root}?channels=3&size=4&validation=0")
    assert ds.input_shape == (3, 4, 4) and len(ds.x_train) == 5
    dogs = ds.x_train[ds.y_train == 1]
    assert dogs[:, 2].min() > 0.9 and dogs[:, 0].max() < 0.1  # blue survives, channels first


def test_images_broken(tmp_path):
    with pytest.raises(DataError, match=r"none: no such folder"):
        load(f"images:{tmp_path / 'none'}")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match=r"empty: holds no subfolders; put one subfolder of "
                                        r"images per class"):
        load(f"images:{tmp_path / 'empty'}")
    (tmp_path / "empty" / "only").mkdir()
    with pytest.raises(DataError, match=r"empty: holds only one class folder \('only'\)"):
        load(f"images:{tmp_path / 'empty'}")

    root = image_folder(tmp_path / "pets")
    (root / "birds").mkdir()
    (root / "birds" / "readme.txt").write_text("no images here")
    with pytest.raises(DataError, match=r"birds: class folder 'birds' holds no PNG or JPEG"):
        load(f"images:{root}")
    (root / "birds" / "x.png").write_bytes(b"\x89PNG garbage, not an image")
    with pytest.raises(DataError, match=re.escape(str(root / "birds" / "x.png")) +
                       r": cannot be read as an image"):
        load(f"images:{root}")


def test_images_truncated_file(tmp_path):
    root = image_folder(tmp_path / "pets", extra=False)
    good = (root / "dogs" / "a.jpg").read_bytes()
    (root / "dogs" / "a.jpg").write_bytes(good[: len(good) // 2])
    with pytest.raises(DataError, match=r"a\.jpg: cannot be read as an image"):
        load(f"images:{root}")


def test_unknown_option_is_reported(tmp_path):
    root = image_folder(tmp_path / "pets", extra=False)
    with pytest.raises(DataError, match=r"unknown option 'colour'"):
        load(f"images:{root}?colour=1")
