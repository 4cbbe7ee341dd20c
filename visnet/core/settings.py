"""Training settings kept with a drawing (the "training" object of a .visnet file)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from .errors import CompileError
from .optim import DEFAULTS
from .optim import resolve as resolve_optimizer

OPTIMIZERS = tuple(DEFAULTS)
BACKENDS = ("cpu", "serial", "cuda")


def _default_optimizer() -> dict[str, Any]:
    return {"type": "adam", "lr": 0.001}


@dataclass(frozen=True)
class TrainingSettings:
    """How a drawing trains by default; the app's training bar and `visnet train` start here."""

    optimizer: dict[str, Any] = field(default_factory=_default_optimizer)
    batch_size: int = 64
    epochs: int = 10
    seed: int = 0
    backend: str = "cpu"

    def __post_init__(self):
        check_settings(asdict(self))

    def to_dict(self) -> dict[str, Any]:
        return {"optimizer": dict(self.optimizer), "batch_size": self.batch_size,
                "epochs": self.epochs, "seed": self.seed, "backend": self.backend}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainingSettings:
        unknown = set(d) - {f for f in cls.__dataclass_fields__}
        if unknown:
            raise ValueError(f"unknown training setting {sorted(unknown)[0]!r}; known: "
                             + ", ".join(cls.__dataclass_fields__))
        opt = d.get("optimizer", _default_optimizer())
        return cls(**{**d, "optimizer": dict(opt) if isinstance(opt, dict) else opt})

    def updated(self, **changes: Any) -> TrainingSettings:
        return replace(self, **changes)


def _positive_int(name: str, value: Any, high: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= high:
        raise ValueError(f"{name} must be an integer in [1, {high}], not {value!r}")


def check_settings(d: dict[str, Any]) -> None:
    """Raise ValueError naming the first bad setting."""
    opt = d["optimizer"]
    if not isinstance(opt, dict):
        raise ValueError(f"optimizer must be an object like {{\"type\": \"adam\"}}, not {opt!r}")
    if opt.get("type") not in OPTIMIZERS:
        raise ValueError(f"optimizer.type must be one of {', '.join(OPTIMIZERS)}, "
                         f"not {opt.get('type')!r}")
    try:
        resolve_optimizer(opt)
    except CompileError as exc:
        raise ValueError(str(exc)) from None
    _positive_int("batch_size", d["batch_size"], 65536)
    _positive_int("epochs", d["epochs"], 1_000_000)
    seed = d["seed"]
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**32:
        raise ValueError(f"seed must be an integer in [0, 2**32), not {seed!r}")
    if d["backend"] not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, not {d['backend']!r}")
