"""Parameter declarations: what values a layer parameter takes, its default, and one line of help.

A ParamSpec checks a value and returns it in the form the file keeps (lists, not tuples; floats
as floats), with a message that quotes the bad value and says what would be accepted.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

KINDS = ("int", "float", "bool", "choice", "shape", "size2", "axis")


@dataclass(frozen=True)
class ParamSpec:
    """One parameter of a layer type.

    kind:
        "int", "float", "bool", "choice" (one of ``choices``), "shape" (a list of positive
        integers, ``min_len`` to ``max_len`` long, where ``allow_infer`` admits one -1),
        "size2" (an integer or a pair of integers, as Keras' kernel_size), "axis" (a non-zero
        integer axis counted with the batch axis, as in Keras).
        ``nullable`` admits None for an int or a size2 (Keras' strides=None).
    low, high:
        The allowed range for numbers; ``low_open``/``high_open`` exclude the bound itself.
    """

    name: str
    kind: str
    default: Any
    help: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple[str, ...] = ()
    min_len: int = 1
    max_len: int = 3
    allow_infer: bool = False
    nullable: bool = False

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown param kind {self.kind!r}")

    def describe_range(self) -> str:
        """The allowed values in words, for errors, tooltips and the layer reference."""
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        if self.kind == "bool":
            return "true or false"
        if self.kind == "shape":
            what = "positive integers" + (" (one may be -1, inferred)" if self.allow_infer else "")
            if self.min_len == self.max_len:
                return f"a list of {self.min_len} {what}"
            return f"a list of {self.min_len} to {self.max_len} {what}"
        if self.kind == "size2":
            text = f"an integer or a pair of integers {self._interval()}"
            return text + (", or null" if self.nullable else "")
        if self.kind == "axis":
            return "a non-zero integer axis (counted with the batch axis, -1 is the last)"
        noun = "an integer" if self.kind == "int" else "a number"
        return f"{noun} {self._interval()}".rstrip() + (", or null" if self.nullable else "")

    def _interval(self) -> str:
        if self.low is None and self.high is None:
            return ""
        left = "(" if self.low_open else "["
        right = ")" if self.high_open else "]"
        low = "-inf" if self.low is None else _num(self.low)
        high = "inf" if self.high is None else _num(self.high)
        return f"in {left}{low}, {high}{right}"

    def validate(self, value: Any) -> Any:
        """Return ``value`` in canonical form, or raise ValueError saying what is accepted."""
        bad = ValueError(f"{self.name} must be {self.describe_range()}, not {value!r}")
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise bad
            return value
        if self.kind == "choice":
            if not isinstance(value, str) or value not in self.choices:
                raise bad
            return value
        if self.kind == "int":
            if value is None and self.nullable:
                return None
            if not _is_int(value) or not self._in_range(value):
                raise bad
            return int(value)
        if self.kind == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise bad
            try:
                value = float(value)
            except OverflowError:
                raise bad from None
            if not math.isfinite(value) or not self._in_range(value):
                raise bad
            return value
        if self.kind == "axis":
            if not _is_int(value) or value == 0 or not -4 <= value <= 3:
                raise bad
            return int(value)
        if self.kind == "size2":
            if value is None and self.nullable:
                return None
            if _is_int(value):
                if not self._in_range(value):
                    raise bad
                return int(value)
            if isinstance(value, (list, tuple)) and len(value) == 2:
                if all(_is_int(v) and self._in_range(v) for v in value):
                    return [int(v) for v in value]
            raise bad
        # shape
        if not isinstance(value, (list, tuple)) or not self.min_len <= len(value) <= self.max_len:
            raise bad
        if not all(_is_int(v) for v in value):
            raise bad
        inferred = [v for v in value if v == -1]
        if any(v < 1 and v != -1 for v in value) or len(inferred) > (1 if self.allow_infer else 0):
            raise bad
        if any(v > 1_000_000 for v in value):
            raise bad
        return [int(v) for v in value]

    def _in_range(self, v: float) -> bool:
        if self.low is not None and (v < self.low or (self.low_open and v == self.low)):
            return False
        if self.high is not None and (v > self.high or (self.high_open and v == self.high)):
            return False
        return True


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(x)


def pair(value: int | list[int]) -> tuple[int, int]:
    """A size2 value as (height, width)."""
    if isinstance(value, int):
        return (value, value)
    return (int(value[0]), int(value[1]))
