"""Built-in datasets: TensorFlow Playground's 2-D sets (spiral, moons, circles, xor, gaussians),
the 8x8 handwritten digits scikit-learn ships, sine-wave windows and next-character text.

The 2-D sets are generated from the spec's options (``samples``, ``noise``) and its seed, so a
drawing that names "spiral" trains on the same points on every machine. Points lie in about
[-1, 1] x [-1, 1]; ``noise`` is a standard deviation in those units.
"""

from __future__ import annotations

import numpy as np

from ...resources import resource_path
from .dataset import CLASSES, REGRESSION, DataError, Loaded
from .spec import Options, Spec

TWO_CLASSES = ("0", "1")
MAX_SAMPLES = 1_000_000


def _points(opts: Options, default_noise: float, default_samples: int = 1000
            ) -> tuple[int, float, np.random.Generator]:
    samples = opts.int("samples", default_samples, 4, MAX_SAMPLES)
    noise = opts.float("noise", default_noise, 0.0, 1.0)
    # The points are the same for every split: "spiral?seed=3" draws another train/validation
    # split of them.
    return samples, noise, np.random.default_rng(1_000_003)


def _two_d(name: str, x: np.ndarray, y: np.ndarray, noise: float) -> Loaded:
    return Loaded(x.astype(np.float32), y.astype(np.int64), CLASSES, TWO_CLASSES,
                  description=f"{name}: {len(x)} points in 2-D, 2 classes, noise {noise:g}")


def spiral(spec: Spec, opts: Options) -> Loaded:
    """Two spirals winding out from the centre, 1.75 turns each, half a turn apart."""
    n, noise, rng = _points(opts, 0.03)
    label = np.arange(n) % 2
    r = (np.arange(n) // 2 + 1) / ((n + 1) // 2)
    t = 1.75 * 2 * np.pi * r + np.pi * label
    x = np.stack([r * np.sin(t), r * np.cos(t)], axis=1)
    return _two_d("spiral", x + rng.normal(0, noise, x.shape), label, noise)


def moons(spec: Spec, opts: Options) -> Loaded:
    """Two interleaving half circles."""
    n, noise, rng = _points(opts, 0.1)
    label = np.arange(n) % 2
    t = rng.uniform(0, np.pi, n)
    x = np.where(label[:, None] == 0,
                 np.stack([np.cos(t), np.sin(t)], axis=1),
                 np.stack([1 - np.cos(t), 0.5 - np.sin(t)], axis=1))
    x = (x - [0.5, 0.25]) / 1.25
    return _two_d("moons", x + rng.normal(0, noise, x.shape), label, noise)


def circles(spec: Spec, opts: Options) -> Loaded:
    """A disc of one class inside a ring of the other."""
    n, noise, rng = _points(opts, 0.05)
    label = np.arange(n) % 2
    radius = np.where(label == 1, rng.uniform(0, 0.4, n), rng.uniform(0.6, 1.0, n))
    angle = rng.uniform(0, 2 * np.pi, n)
    x = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    return _two_d("circles", x + rng.normal(0, noise, x.shape), label, noise)


def xor(spec: Spec, opts: Options) -> Loaded:
    """Points in the four quadrants; the class is whether x and y have the same sign."""
    n, noise, rng = _points(opts, 0.05)
    x = rng.uniform(-1, 1, (n, 2))
    x += np.sign(x) * 0.05  # a small gap along the axes, as the Playground leaves
    label = (x[:, 0] * x[:, 1] > 0).astype(np.int64)
    return _two_d("xor", x + rng.normal(0, noise, x.shape), label, noise)


def gaussians(spec: Spec, opts: Options) -> Loaded:
    """Two round Gaussian blobs; noise widens them until they overlap."""
    n, noise, rng = _points(opts, 0.15)
    label = np.arange(n) % 2
    centre = np.where(label[:, None] == 0, [-0.5, -0.5], [0.5, 0.5])
    x = centre + rng.normal(0, 0.15 + noise, (n, 2))
    return _two_d("gaussians", x, label, noise)


def digits(spec: Spec, opts: Options) -> Loaded:
    """The 1,797 8x8 handwritten digits of the UCI optical-digits set, as scikit-learn ships
    them (values 0..16), as 1x8x8 images scaled to [0, 1]."""
    try:
        from sklearn.datasets import load_digits
    except ImportError:  # pragma: no cover - a dependency of the package
        raise DataError("digits: needs scikit-learn, which ships the images; "
                        "pip install scikit-learn") from None
    bunch = load_digits()
    x = bunch.images.astype(np.float32)[:, None, :, :]
    return Loaded(x, bunch.target.astype(np.int64), CLASSES, tuple(str(d) for d in range(10)),
                  normalization="scale", scale=1 / 16,
                  description="digits: 1,797 handwritten digits, 1x8x8 images, 10 classes")


def sine(spec: Spec, opts: Options) -> Loaded:
    """Windows of ``steps`` values of sine waves of random frequency and phase; the target is
    the next value. Inputs and targets lie in [-1, 1] (plus noise on the inputs)."""
    n = opts.int("samples", 2000, 4, MAX_SAMPLES)
    steps = opts.int("steps", 20, 2, 1000)
    noise = opts.float("noise", 0.0, 0.0, 1.0)
    rng = np.random.default_rng(2_000_003)
    freq = rng.uniform(0.1, 0.4, (n, 1))  # radians per step: 16 to 63 steps a period
    phase = rng.uniform(0, 2 * np.pi, (n, 1))
    t = np.arange(steps + 1)[None, :]
    wave = np.sin(freq * t + phase)
    x = wave[:, :steps, None] + rng.normal(0, noise, (n, steps, 1))
    return Loaded(x.astype(np.float32), wave[:, steps:].astype(np.float32), REGRESSION,
                  description=f"sine: {n} windows of {steps} steps, predict the next value")


# ---------------------------------------------------------------------------------------------
# Text

# The 40 symbols of the text dataset: newline, space, punctuation, letters; OTHER stands for any
# character outside them (upper case is folded to lower first).
ALPHABET = "\n !\"'(),-.:;?abcdefghijklmnopqrstuvwxyz#"
OTHER = "#"
TEXT_FILE = "text/fables.txt"


def encode_text(text: str) -> np.ndarray:
    """Indices into ALPHABET of each character of text (unknown ones as OTHER)."""
    lookup = {c: i for i, c in enumerate(ALPHABET)}
    other = lookup[OTHER]
    def code(c: str) -> int:  # one code per character, even where lower() makes two
        low = c.lower()
        return lookup.get(low if len(low) == 1 else c, other)

    return np.fromiter((code(c) for c in text), np.int64, len(text))


def one_hot(indices: np.ndarray, size: int = len(ALPHABET)) -> np.ndarray:
    out = np.zeros((*indices.shape, size), np.float32)
    np.put_along_axis(out, indices[..., None], 1.0, axis=-1)
    return out


def text(spec: Spec, opts: Options) -> Loaded:
    """Next-character prediction over a public-domain text shipped with VisNet: inputs are
    ``steps`` one-hot characters, targets the character after each (one class per step).
    Windows start every ``stride`` characters; the last part of the text is the validation
    set, so no window of it is seen in training."""
    steps = opts.int("steps", 32, 2, 1000)
    stride = opts.int("stride", 3, 1, 1000)
    codes = encode_text(resource_path(TEXT_FILE).read_text(encoding="utf-8"))
    starts = np.arange(0, len(codes) - steps, stride)
    windows = codes[starts[:, None] + np.arange(steps + 1)[None, :]]
    return Loaded(one_hot(windows[:, :steps]), windows[:, 1:], CLASSES, tuple(ALPHABET),
                  ordered=True,
                  description=f"text: {len(codes):,} characters in windows of {steps}, "
                              f"next character of {len(ALPHABET)}",
                  extras={"alphabet": ALPHABET, "steps": steps})
