"""Sampling text from a model trained on the text dataset: feed the last ``steps`` characters,
draw the next from the network's distribution for the last step, repeat."""

from __future__ import annotations

import numpy as np

from .data.dataset import DataError, Dataset
from .data.builtin import encode_text, one_hot
from .metrics import softmax


def sample_text(model, dataset: Dataset, prompt: str = "the ", length: int = 200,
                temperature: float = 0.8, seed: int = 0) -> str:
    """``prompt`` followed by ``length`` characters the model writes.

    temperature < 1 makes the choice more certain, > 1 more adventurous; 0 always takes the most
    likely character.
    """
    alphabet = dataset.extras.get("alphabet")
    if not alphabet:
        raise DataError(f"{dataset.spec} is not a text dataset: there is no alphabet to sample")
    steps, size = dataset.input_shape
    if temperature < 0:
        raise ValueError("temperature must be >= 0")
    rng = np.random.default_rng(seed)
    codes = list(encode_text(prompt or " "))
    out = []
    for _ in range(length):
        window = np.asarray(codes[-steps:], np.int64)
        if len(window) < steps:  # pad a short prompt with spaces on the left
            window = np.concatenate([np.full(steps - len(window), alphabet.index(" ")), window])
        x = one_hot(window[None, :], size)
        scores = model.predict(x)[0, -1].astype(np.float64)
        p = _distribution(scores, temperature, model.outputs_probabilities)
        nxt = int(p.argmax()) if temperature == 0 else int(rng.choice(len(p), p=p))
        codes.append(nxt)
        out.append(alphabet[nxt])
    return prompt + "".join(out)


def _distribution(scores: np.ndarray, temperature: float, probabilities: bool) -> np.ndarray:
    """The next character's distribution from the last layer's outputs (logits, or
    probabilities when the layer ends in a softmax), sharpened or flattened by temperature."""
    logits = np.log(np.maximum(scores, 1e-12)) if probabilities else scores
    return softmax(logits if temperature == 0 else logits / temperature)
