"""Dataset specs: the string a drawing stores and `visnet train --dataset` takes.

``NAME`` (a built-in: "spiral", "digits", ...), ``KIND:PATH`` (the user's own data: "csv:FILE",
"npz:FILE", "mnist:DIR", "images:DIR"), either followed by options ``?key=value&key=value``
("spiral?noise=0.3&samples=500", "csv:iris.csv?label=species").
"""

from __future__ import annotations

from dataclasses import dataclass

from .dataset import DataError


@dataclass(frozen=True)
class Spec:
    text: str
    name: str
    path: str | None
    options: dict[str, str]


def parse(text: str) -> Spec:
    if not isinstance(text, str) or not text.strip():
        raise DataError("a dataset spec must be a non-empty string such as 'spiral' or "
                        "'csv:FILE'")
    body, _, query = text.strip().partition("?")
    options: dict[str, str] = {}
    for part in filter(None, query.split("&")):
        key, eq, value = part.partition("=")
        if not eq or not key:
            raise DataError(f"dataset {text!r}: option {part!r} is not key=value")
        options[key.strip().lower()] = value.strip()
    name, colon, path = body.partition(":")
    if len(name) == 1 and colon and path.startswith(("\\", "/")):  # a Windows drive, no kind
        name, path, colon = body, "", ""
    return Spec(text, name.strip().lower(), path if colon else None, options)


class Options:
    """Typed access to a spec's options; anything left unread is reported as unknown."""

    def __init__(self, spec: Spec):
        self.spec = spec
        self._left = dict(spec.options)

    def _raw(self, key: str) -> str | None:
        return self._left.pop(key, None)

    def _bad(self, key: str, value: str, want: str) -> DataError:
        return DataError(f"dataset {self.spec.text!r}: option {key}={value!r} must be {want}")

    def int(self, key: str, default: int, lo: int, hi: int) -> int:
        raw = self._raw(key)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise self._bad(key, raw, f"a whole number in {lo}..{hi}") from None
        if not lo <= value <= hi:
            raise self._bad(key, raw, f"a whole number in {lo}..{hi}")
        return value

    def float(self, key: str, default: float, lo: float, hi: float) -> float:
        raw = self._raw(key)
        if raw is None:
            return default
        try:
            value = float(raw)
        except ValueError:
            raise self._bad(key, raw, f"a number in [{lo}, {hi}]") from None
        if not lo <= value <= hi:
            raise self._bad(key, raw, f"a number in [{lo}, {hi}]")
        return value

    def str(self, key: str, default: str | None, choices: tuple[str, ...] | None = None
            ) -> str | None:
        raw = self._raw(key)
        if raw is None:
            return default
        if choices is not None and raw.lower() not in choices:
            raise self._bad(key, raw, "one of " + ", ".join(choices))
        return raw.lower() if choices is not None else raw

    def done(self) -> None:
        if self._left:
            raise DataError(f"dataset {self.spec.text!r}: unknown option "
                            f"{sorted(self._left)[0]!r}")
