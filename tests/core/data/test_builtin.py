"""The built-in datasets through the public ``load``: the 2-D Playground sets, digits, sine and
text; their options, determinism, splits and errors, and ``Dataset.prepare`` for new samples."""

from __future__ import annotations

import re

import numpy as np
import pytest

from visnet.core.data import BUILTINS, CLASSES, FILE_KINDS, REGRESSION, DataError, load
from visnet.core.data.builtin import ALPHABET, OTHER, encode_text, one_hot

TWO_D = ["spiral", "moons", "circles", "xor", "gaussians"]


def all_points(ds):
    """Every sample of a dataset (train and validation) with its label, in a canonical order."""
    x = np.concatenate([ds.x_train, ds.x_val]).reshape(len(ds), -1)
    y = np.concatenate([ds.y_train, ds.y_val]).reshape(len(ds), -1).astype(x.dtype)
    rows = np.concatenate([x, y], axis=1)
    return rows[np.lexsort(rows.T[::-1])]


# ---------------------------------------------------------------------------------------------
# The 2-D sets


@pytest.mark.parametrize("name", TWO_D)
def test_two_d_set_shape_classes_and_split(name):
    ds = load(name)
    assert ds.input_shape == (2,)
    assert ds.task == CLASSES and ds.is_classes
    assert ds.n_classes == 2 and ds.class_names == ("0", "1")
    assert ds.x_train.dtype == np.float32 and ds.x_val.dtype == np.float32
    assert ds.y_train.dtype == np.int64 and ds.y_val.dtype == np.int64
    assert ds.y_train.shape == (len(ds.x_train),) and ds.y_val.shape == (len(ds.x_val),)
    assert ds.target_shape == ()
    assert set(np.unique(ds.y_train)) == {0, 1}
    assert set(np.unique(ds.y_val)) == {0, 1}
    assert len(ds) == 1000
    assert len(ds.x_val) == pytest.approx(0.2 * len(ds), abs=1)
    assert ds.validation == 0.2
    assert np.isfinite(ds.x_train).all() and np.isfinite(ds.x_val).all()


@pytest.mark.parametrize("name", TWO_D)
def test_two_d_set_is_deterministic(name):
    a, b = load(name), load(name)
    np.testing.assert_array_equal(a.x_train, b.x_train)
    np.testing.assert_array_equal(a.y_train, b.y_train)
    np.testing.assert_array_equal(a.x_val, b.x_val)
    np.testing.assert_array_equal(a.y_val, b.y_val)


@pytest.mark.parametrize("name", TWO_D)
def test_other_split_seed_splits_the_same_points_differently(name):
    a, b = load(name, seed=0), load(name, seed=1)
    assert a.seed == 0 and b.seed == 1
    assert len(a.x_val) == len(b.x_val)
    assert not np.array_equal(a.x_val, b.x_val)
    np.testing.assert_array_equal(all_points(a), all_points(b))


def test_validation_fraction_argument_and_option():
    assert len(load("spiral", validation=0.5).x_val) == 500
    assert len(load("spiral?validation=0.1").x_val) == 100
    assert len(load("spiral", validation=0.0).x_val) == 0


def test_samples_option_sets_the_number_of_points():
    ds = load("spiral?samples=200")
    assert len(ds) == 200
    assert len(ds.x_train) == 160 and len(ds.x_val) == 40
    assert len(load("moons?samples=51")) == 51


def test_spiral_without_noise_lies_within_unit_radius():
    ds = load("spiral?noise=0")
    radius = np.hypot(*np.concatenate([ds.x_train, ds.x_val]).T)
    assert radius.max() <= 1.0 + 1e-6
    assert radius.max() > 0.99  # the spirals reach the rim


def test_noise_option_changes_the_points():
    clean, noisy = load("spiral?noise=0"), load("spiral?noise=0.2")
    assert not np.allclose(clean.x_train, noisy.x_train)
    # the same labels, only the positions move
    np.testing.assert_array_equal(clean.y_train, noisy.y_train)
    spread = np.abs(clean.x_train - noisy.x_train).mean()
    assert 0.05 < spread < 0.5


@pytest.mark.parametrize("spec, option", [
    ("spiral?noise=abc", "noise"),
    ("spiral?noise=2", "noise"),
    ("spiral?samples=0", "samples"),
    ("spiral?samples=many", "samples"),
    ("sine?steps=1", "steps"),
    ("text?stride=0", "stride"),
])
def test_bad_option_value_names_the_option(spec, option):
    with pytest.raises(DataError, match=rf"option {option}="):
        load(spec)


def test_unknown_option_is_named():
    with pytest.raises(DataError, match=r"unknown option 'colour'"):
        load("spiral?colour=red")


def test_option_without_value_is_refused():
    with pytest.raises(DataError, match=r"'noise' is not key=value"):
        load("spiral?noise")


def test_unknown_dataset_lists_the_built_ins():
    with pytest.raises(DataError, match=r"unknown dataset 'spirals'") as info:
        load("spirals")
    message = str(info.value)
    for name in BUILTINS:
        assert name in message
    for kind in FILE_KINDS:
        assert f"{kind}:PATH" in message


def test_file_kind_without_a_path_is_refused():
    with pytest.raises(DataError, match=re.escape("names no file or folder after 'csv:'")):
        load("csv:")


def test_empty_spec_is_refused():
    with pytest.raises(DataError, match="non-empty"):
        load("  ")


# ---------------------------------------------------------------------------------------------
# digits


def test_digits():
    ds = load("digits")
    assert len(ds) == 1797
    assert ds.input_shape == (1, 8, 8)
    assert ds.x_train.dtype == np.float32 and ds.y_train.dtype == np.int64
    for x in (ds.x_train, ds.x_val):
        assert x.min() >= 0.0 and x.max() <= 1.0
    assert ds.x_train.max() == 1.0
    assert ds.task == CLASSES
    assert ds.class_names == tuple(str(d) for d in range(10)) == tuple("0123456789")
    assert set(np.unique(ds.y_train)) == set(range(10))
    assert set(np.unique(ds.y_val)) == set(range(10))
    assert len(ds.x_val) == pytest.approx(0.2 * 1797, abs=1)
    assert ds.normalization.kind == "scale"


def test_digits_prepare_scales_raw_images_as_training_data():
    from sklearn.datasets import load_digits

    ds = load("digits")
    raw = load_digits().images[:50, None].astype(np.float64)  # values 0..16
    prepared = ds.prepare(raw)
    assert prepared.dtype == np.float32 and prepared.shape == (50, 1, 8, 8)
    np.testing.assert_allclose(prepared, raw / 16, rtol=0, atol=1e-7)
    # a single sample without the batch axis becomes a batch of one
    one = ds.prepare(raw[0])
    assert one.shape == (1, 1, 8, 8)
    np.testing.assert_allclose(one[0], raw[0] / 16, atol=1e-7)
    # the whole set again, prepared, is what training and validation hold
    everything = np.sort(ds.prepare(load_digits().images[:, None]).reshape(1797, -1), axis=0)
    held = np.sort(np.concatenate([ds.x_train, ds.x_val]).reshape(1797, -1), axis=0)
    np.testing.assert_allclose(everything, held, atol=1e-7)


@pytest.mark.parametrize("shape", [(5, 8, 8), (5, 1, 8, 7), (5, 64), (8, 8)])
def test_digits_prepare_refuses_a_wrong_shape(shape):
    ds = load("digits")
    with pytest.raises(DataError, match=re.escape("(1, 8, 8)")):
        ds.prepare(np.zeros(shape))


def test_two_d_prepare_keeps_values_and_refuses_wrong_shape():
    ds = load("moons")
    pts = np.array([[0.1, -0.2], [0.3, 0.4]])
    np.testing.assert_allclose(ds.prepare(pts), pts.astype(np.float32))
    assert ds.prepare(np.array([0.5, 0.5])).shape == (1, 2)
    with pytest.raises(DataError, match="do not fit"):
        ds.prepare(np.zeros((4, 3)))


# ---------------------------------------------------------------------------------------------
# sine


def test_sine_shapes_and_targets():
    ds = load("sine")
    assert ds.task == REGRESSION and not ds.is_classes
    assert ds.input_shape == (20, 1)
    assert ds.target_shape == (1,)
    assert ds.y_train.dtype == np.float32 and ds.x_train.dtype == np.float32
    assert ds.class_names == ()
    assert len(ds) == 2000
    for y in (ds.y_train, ds.y_val):
        assert y.min() >= -1.0 and y.max() <= 1.0
    for x in (ds.x_train, ds.x_val):
        assert x.min() >= -1.0 and x.max() <= 1.0  # no noise by default


def test_sine_target_continues_the_wave():
    """A sampled sinusoid obeys s[t+1] = 2 cos(w) s[t] - s[t-1]; recover 2 cos(w) from the
    window and extrapolate one step: that must be the target."""
    ds = load("sine?samples=200")
    for x, y in ((ds.x_train, ds.y_train), (ds.x_val, ds.y_val)):
        s = x[:, :, 0].astype(np.float64)
        lhs = s[:, 2:] + s[:, :-2]
        mid = s[:, 1:-1]
        c = (lhs * mid).sum(axis=1) / (mid * mid).sum(axis=1)  # least squares for 2 cos(w)
        # frequencies lie in 0.1..0.4 radians per step
        assert (c <= 2 * np.cos(0.1) + 1e-3).all() and (c >= 2 * np.cos(0.4) - 1e-3).all()
        predicted = c * s[:, -1] - s[:, -2]
        np.testing.assert_allclose(predicted, y[:, 0], atol=2e-4)


def test_sine_steps_option_sets_the_window():
    ds = load("sine?steps=7&samples=100")
    assert ds.input_shape == (7, 1)
    assert ds.target_shape == (1,)
    assert len(ds) == 100


def test_sine_noise_option_moves_inputs_not_targets():
    clean, noisy = load("sine?samples=100"), load("sine?samples=100&noise=0.1")
    assert not np.allclose(clean.x_train, noisy.x_train)
    np.testing.assert_array_equal(clean.y_train, noisy.y_train)


# ---------------------------------------------------------------------------------------------
# text


@pytest.fixture(scope="module")
def text_ds():
    return load("text")


def test_text_shapes_and_one_hot(text_ds):
    ds = text_ds
    assert ds.task == CLASSES
    assert ds.input_shape == (32, 40)
    assert ds.n_classes == 40 and ds.class_names == tuple(ALPHABET)
    assert ds.y_train.shape == (len(ds.x_train), 32) and ds.y_val.shape == (len(ds.x_val), 32)
    assert ds.target_shape == (32,)
    assert ds.y_train.dtype == np.int64
    for x in (ds.x_train, ds.x_val):
        assert set(np.unique(x)) <= {0.0, 1.0}
        np.testing.assert_array_equal(x.sum(axis=-1), 1.0)


def test_text_targets_are_the_next_character(text_ds):
    ds = text_ds
    for x, y in ((ds.x_train, ds.y_train), (ds.x_val, ds.y_val)):
        np.testing.assert_array_equal(y[:, :-1], x[:, 1:].argmax(axis=-1))
        assert y.min() >= 0 and y.max() < 40


def test_text_validation_is_the_last_part(text_ds):
    ds = text_ds
    assert len(ds.x_val) == round(0.2 * len(ds))
    assert len(ds.extras["alphabet"]) == 40 and ds.extras["alphabet"] == ALPHABET
    assert ds.extras["steps"] == 32
    # windows start every 3 characters: the first validation window follows the last training one
    np.testing.assert_array_equal(ds.x_val[0, :-3], ds.x_train[-1, 3:])
    np.testing.assert_array_equal(ds.x_train[1, :-3], ds.x_train[0, 3:])
    # the split is by position, so the seed does not change it
    other = load("text", seed=5)
    np.testing.assert_array_equal(other.y_val, ds.y_val)


def test_text_steps_and_stride_options():
    ds = load("text?steps=8&stride=50")
    assert ds.input_shape == (8, 40) and ds.target_shape == (8,)
    np.testing.assert_array_equal(ds.y_train[:, :-1], ds.x_train[:, 1:].argmax(axis=-1))


def test_alphabet():
    assert len(ALPHABET) == 40 and len(set(ALPHABET)) == 40
    assert ALPHABET[-1] == OTHER


def test_encode_text_folds_case_and_maps_unknown_to_other():
    other = ALPHABET.index(OTHER)
    np.testing.assert_array_equal(encode_text("Hello"), encode_text("hello"))
    np.testing.assert_array_equal(encode_text("hi!"),
                                  [ALPHABET.index("h"), ALPHABET.index("i"), ALPHABET.index("!")])
    for c in ["Ü", "ü", "7", "0", "@", "\t", "é"]:
        np.testing.assert_array_equal(encode_text(c), [other])
    codes = encode_text("a7B Ü\n")
    assert codes.dtype == np.int64
    np.testing.assert_array_equal(codes, [ALPHABET.index("a"), other, ALPHABET.index("b"),
                                          ALPHABET.index(" "), other, ALPHABET.index("\n")])
    assert encode_text("").shape == (0,)


def test_encode_text_keeps_one_code_per_character():
    """Some capitals lower-case to two characters ('İ' to 'i' + a combining dot): the codes
    must still be one per character of the text, with the letters after it kept."""
    text = "İzmir and"
    codes = encode_text(text)
    assert codes.shape == (len(text),)
    assert "".join(ALPHABET[c] for c in codes[1:]) == "zmir and"


def test_one_hot_rows():
    idx = np.array([[0, 3], [39, 1]])
    oh = one_hot(idx)
    assert oh.shape == (2, 2, 40) and oh.dtype == np.float32
    np.testing.assert_array_equal(oh.argmax(axis=-1), idx)
    np.testing.assert_array_equal(oh.sum(axis=-1), 1.0)


def test_target_input_makes_each_sample_its_own_target():
    from visnet.core.data import REGRESSION, load

    ds = load("digits?target=input")
    assert ds.task == REGRESSION and ds.class_names == ()
    np.testing.assert_array_equal(ds.y_train, ds.x_train)
    np.testing.assert_array_equal(ds.y_val, ds.x_val)
    assert ds.y_train.dtype == np.float32 and not np.shares_memory(ds.y_train, ds.x_train)
    plain = load("digits")
    np.testing.assert_array_equal(plain.x_train, ds.x_train)  # the same split and scaling


def test_an_unknown_target_is_named():
    from visnet.core.data import DataError, load

    with pytest.raises(DataError, match="target"):
        load("digits?target=labelz")
