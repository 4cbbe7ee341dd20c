"""Optimizers as torch.optim defines them: SGD (momentum, Nesterov), Adam, AdamW, RMSprop;
L2 weight decay (decoupled for AdamW); clipping by global norm; learning-rate schedules.

The update itself runs in the backend over the flat vector of every trainable value; this module
keeps the settings and the step count and computes each step's hyper-parameters.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


from .errors import CompileError

DEFAULTS: dict[str, dict[str, Any]] = {
    "sgd": {"lr": 0.01, "momentum": 0.0, "nesterov": False, "weight_decay": 0.0},
    "adam": {"lr": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8, "weight_decay": 0.0},
    "adamw": {"lr": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-8,
              "weight_decay": 0.01},
    "rmsprop": {"lr": 0.001, "rho": 0.99, "epsilon": 1e-8, "momentum": 0.0,
                "weight_decay": 0.0},
}
COMMON = {"clipnorm": None, "schedule": None}
SCHEDULES = {
    "constant": {},
    "step": {"step_size": 1000, "gamma": 0.1},
    "cosine": {"total_steps": 1000, "min_lr": 0.0},
}
HYPER_SIZE = 8
STEP_SLOT = 7  # where the step count lives in the hyper block


@dataclass
class Optimizer:
    """An optimizer's settings and progress. ``config`` is the "optimizer" object of a file:
    {"type": "adam", "lr": 0.001, ...}, with every option left out taking its default."""

    config: dict[str, Any]
    step: int = 0
    settings: dict[str, Any] = field(init=False)

    def __post_init__(self):
        self.settings = resolve(self.config)

    @property
    def type(self) -> str:
        return self.settings["type"]

    def update_config(self, **changes: Any) -> None:
        """Change settings between steps (the learning rate while paused, say); the state and
        the step count carry on."""
        self.config = {**self.config, **changes}
        self.settings = resolve(self.config)

    def learning_rate(self, step: int | None = None) -> float:
        """The learning rate of a step (0-based), after the schedule."""
        s = self.settings
        step = self.step if step is None else step
        lr = s["lr"]
        sched = s["schedule"]
        if sched is None or sched["type"] == "constant":
            return lr
        if sched["type"] == "step":
            return lr * sched["gamma"] ** (step // sched["step_size"])
        progress = min(step, sched["total_steps"]) / sched["total_steps"]
        return sched["min_lr"] + 0.5 * (lr - sched["min_lr"]) * (1 + math.cos(math.pi * progress))

    def hyper(self) -> tuple[float, ...]:
        """The hyper-parameters of the next step as the update kernels read them, but for the
        last slot, the step count, which the kernels keep (see backends/cpu/updates.py)."""
        s = self.settings
        lr = self.learning_rate()
        if self.type == "sgd":
            return (lr, s["momentum"], float(s["nesterov"]), s["weight_decay"])
        if self.type in ("adam", "adamw"):
            return (lr, s["beta_1"], s["beta_2"], s["epsilon"], s["weight_decay"],
                    float(self.type == "adamw"))
        return (lr, s["rho"], s["epsilon"], s["momentum"], s["weight_decay"])

    @property
    def clipnorm(self) -> float:
        return self.settings["clipnorm"] or 0.0


def resolve(config: dict[str, Any]) -> dict[str, Any]:
    """Defaults overlaid with the given settings, checked; CompileError names a bad one."""
    kind = config.get("type", "adam")
    if kind not in DEFAULTS:
        raise CompileError(f"optimizer type must be one of {', '.join(DEFAULTS)}, not {kind!r}")
    allowed = {**DEFAULTS[kind], **COMMON}
    unknown = sorted(set(config) - set(allowed) - {"type"})
    if unknown:
        raise CompileError(f"optimizer {kind} has no setting {unknown[0]!r}; its settings are: "
                           f"{', '.join(allowed)}")
    s = {**allowed, **config, "type": kind}
    for key, default in DEFAULTS[kind].items():
        value = s[key]
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise CompileError(f"optimizer.{key} must be true or false, not {value!r}")
        elif not _finite_number(value) or value < 0:
            raise CompileError(f"optimizer.{key} must be a number >= 0, not {value!r}")
    if not 0 < s["lr"] <= 10:
        raise CompileError(f"optimizer.lr must be a number in (0, 10], not {s['lr']!r}")
    for key in ("beta_1", "beta_2", "rho"):
        if key in s and not 0 <= s[key] < 1:
            raise CompileError(f"optimizer.{key} must be in [0, 1), not {s[key]!r}")
    if s["clipnorm"] is not None and (not _finite_number(s["clipnorm"]) or s["clipnorm"] <= 0):
        raise CompileError(f"optimizer.clipnorm must be a number above 0, not {s['clipnorm']!r}")
    if s["schedule"] is not None:
        s["schedule"] = _resolve_schedule(s["schedule"])
    return s


def _resolve_schedule(sched: Any) -> dict[str, Any]:
    if isinstance(sched, str):
        sched = {"type": sched}
    if not isinstance(sched, dict) or sched.get("type") not in SCHEDULES:
        raise CompileError(f"optimizer.schedule must be one of {', '.join(SCHEDULES)} (or "
                           f"{{\"type\": ...}} with its settings), not {sched!r}")
    defaults = SCHEDULES[sched["type"]]
    unknown = sorted(set(sched) - set(defaults) - {"type"})
    if unknown:
        raise CompileError(f"schedule {sched['type']} has no setting {unknown[0]!r}")
    out = {**defaults, **sched}
    for key in defaults:
        if not _finite_number(out[key]) or out[key] < 0:
            raise CompileError(f"schedule.{key} must be a number >= 0, not {out[key]!r}")
    for key in ("step_size", "total_steps"):
        if key in out and out[key] < 1:
            raise CompileError(f"schedule.{key} must be at least 1, not {out[key]!r}")
    return out


def _finite_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer too large for a float
        return False
