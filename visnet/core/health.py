"""Layer health while training: which layers to flag on the canvas, and where a layer's gradient
norm sits among the others (for the card's tint).

Plain Python, no Qt: the canvas draws what this module decides. The thresholds are deliberately
calm. A flag should mean "look at this layer", not "training is a bit noisy", so each one asks
for a large effect (three orders of magnitude, or half of the layer), and ``HealthTracker``
shows a flag only once it has held for two measurements in a row.

Thresholds (a layer is flagged when):

- vanishing gradient: its gradient norm is below ``VANISHING_ABSOLUTE`` (1e-6), or below
  ``1 / RELATIVE_FACTOR`` (1/1000) of the median norm over the layers; the relative test needs
  at least ``MIN_LAYERS_FOR_MEDIAN`` (2) layers with a gradient.
- exploding gradient: its norm is above ``EXPLODING_ABSOLUTE`` (1e3), or above
  ``RELATIVE_FACTOR`` (1000) times the median (same two-layer condition), or not finite.
- dead ReLUs: at least ``DEAD_RELU_FRACTION`` (50%) of its units gave zero for every sample of
  the last batch.
- saturated: at least ``SATURATED_FRACTION`` (50%) of its sigmoid/tanh outputs of the last
  batch lie within 0.02 of the function's limits, where its gradient all but vanishes.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping
from dataclasses import dataclass, field

VANISHING_ABSOLUTE = 1e-6
EXPLODING_ABSOLUTE = 1e3
RELATIVE_FACTOR = 1e3
MIN_LAYERS_FOR_MEDIAN = 2
DEAD_RELU_FRACTION = 0.5
SATURATED_FRACTION = 0.5

# Hysteresis: a flag appears after this many assessments in a row that find it, and goes after
# this many in a row that do not.
CONFIRM_AFTER = 2
RELEASE_AFTER = 2

VANISHING, EXPLODING, DEAD_RELU, SATURATED = "vanishing", "exploding", "dead_relu", "saturated"
KINDS = (VANISHING, EXPLODING, DEAD_RELU, SATURATED)  # the order badges are listed in


@dataclass(frozen=True)
class Badge:
    """One flag on a layer: ``text`` for the card's tooltip heading ("vanishing gradient"),
    ``detail`` the figure behind it ("gradient norm 3.2e-08, 1/2,000 of the median layer's")."""

    kind: str
    text: str
    detail: str
    severity: str = "warning"


def format_norm(norm: float) -> str:
    """A gradient norm as the canvas writes it: "1.3e-02"."""
    return f"{norm:.1e}" if math.isfinite(norm) else str(norm)


def _format_ratio(ratio: float) -> str:
    """2,000 or 3.0e+07: two significant digits, plain while that stays short."""
    rounded = float(f"{ratio:.2g}")
    return f"{rounded:,.0f}" if rounded < 1e6 else f"{rounded:.1e}"


def _median(gradient_norms: Mapping[str, float]) -> float | None:
    """The median of the finite norms, or None when there are too few layers to compare."""
    finite = [v for v in gradient_norms.values() if math.isfinite(v)]
    if len(finite) < MIN_LAYERS_FOR_MEDIAN:
        return None
    return statistics.median(finite)


def _gradient_badge(norm: float, median: float | None, weight_norm: float | None
                    ) -> Badge | None:
    said = f"gradient norm {format_norm(norm)}"
    weights = f"; the weights' norm is {format_norm(weight_norm)}" \
        if weight_norm is not None else ""
    if not math.isfinite(norm):
        return Badge(EXPLODING, "exploding gradient", f"{said}: not a finite number{weights}")
    if norm < VANISHING_ABSOLUTE or (median is not None and norm < median / RELATIVE_FACTOR):
        if norm == 0.0:
            why = "no gradient reaches this layer"
        elif median is not None and norm < median / RELATIVE_FACTOR:
            why = f"1/{_format_ratio(median / norm)} of the median layer's"
        else:
            why = f"below {VANISHING_ABSOLUTE:g}"
        return Badge(VANISHING, "vanishing gradient", f"{said}, {why}{weights}")
    if norm > EXPLODING_ABSOLUTE or (median is not None and median > 0.0
                                     and norm > median * RELATIVE_FACTOR):
        if median is not None and median > 0.0 and norm > median * RELATIVE_FACTOR:
            why = f"{_format_ratio(norm / median)}x the median layer's"
        else:
            why = f"above {EXPLODING_ABSOLUTE:g}"
        return Badge(EXPLODING, "exploding gradient", f"{said}, {why}{weights}")
    return None


def assess(gradient_norms: Mapping[str, float] | None, dead_relu: Mapping[str, float] | None,
           saturated: Mapping[str, float] | None,
           weight_norms: Mapping[str, float] | None = None) -> dict[str, list[Badge]]:
    """The layers that look unhealthy in one measurement, each with its badges in ``KINDS``
    order; healthy layers are left out. Any mapping may be None (not measured).

    ``gradient_norms``: 2-norm of each layer's whole gradient; ``dead_relu``: fraction of units
    dead in the last batch, per ReLU layer; ``saturated``: fraction of saturated outputs, per
    sigmoid/tanh layer; ``weight_norms`` (optional): each layer's weight norm, quoted in the
    gradient badges' detail for scale (the thresholds do not use it).
    """
    gradient_norms = gradient_norms or {}
    weight_norms = weight_norms or {}
    median = _median(gradient_norms)
    found: dict[str, list[Badge]] = {}
    for node_id, norm in gradient_norms.items():
        badge = _gradient_badge(float(norm), median, weight_norms.get(node_id))
        if badge is not None:
            found.setdefault(node_id, []).append(badge)
    for node_id, fraction in (dead_relu or {}).items():
        if fraction >= DEAD_RELU_FRACTION:
            found.setdefault(node_id, []).append(Badge(
                DEAD_RELU, "dead ReLUs",
                f"{fraction:.0%} of the units gave zero for every sample of the last batch"))
    for node_id, fraction in (saturated or {}).items():
        if fraction >= SATURATED_FRACTION:
            found.setdefault(node_id, []).append(Badge(
                SATURATED, "saturated",
                f"{fraction:.0%} of the outputs sit within 0.02 of the activation's limits, "
                "where its gradient all but vanishes"))
    for badges in found.values():
        badges.sort(key=lambda b: KINDS.index(b.kind))
    return found


def norm_colour_position(norm: float, all_norms) -> float:
    """Where ``norm`` sits between the smallest and the largest of ``all_norms`` on a log scale:
    0.0 at the smallest, 1.0 at the largest, 0.5 when they are all equal. Zero and negative
    norms count as the smallest; an infinite one as the largest."""
    positive = [v for v in all_norms if v > 0.0 and math.isfinite(v)]
    if math.isnan(norm):
        return 0.5
    if norm <= 0.0:
        return 0.0
    if math.isinf(norm):
        return 1.0
    if not positive:
        return 0.5
    low, high = math.log10(min(positive)), math.log10(max(positive))
    if high - low < 1e-12:
        return 0.5
    return min(max((math.log10(norm) - low) / (high - low), 0.0), 1.0)


@dataclass
class _Track:
    badge: Badge
    seen: int = 0  # assessments in a row that found it
    missed: int = 0  # assessments in a row that measured the layer and did not find it
    shown: bool = False


@dataclass
class HealthTracker:
    """Badges that do not flicker: a badge is shown once ``confirm`` assessments in a row found
    it, and hidden once ``release`` assessments in a row did not. An assessment that did not
    measure a layer for a kind (the layer missing from that mapping, or the mapping None)
    leaves that badge as it was; so gradient snapshots and the less frequent saturation
    measurements can feed the same tracker. ``reset()`` for a new run."""

    confirm: int = CONFIRM_AFTER
    release: int = RELEASE_AFTER
    _tracks: dict[tuple[str, str], _Track] = field(default_factory=dict, repr=False)

    def update(self, gradient_norms: Mapping[str, float] | None,
               dead_relu: Mapping[str, float] | None,
               saturated: Mapping[str, float] | None = None,
               weight_norms: Mapping[str, float] | None = None) -> dict[str, list[Badge]]:
        """Take one measurement (as for ``assess``); returns the badges to show now."""
        found = assess(gradient_norms, dead_relu, saturated, weight_norms)
        measured = {VANISHING: gradient_norms or {}, EXPLODING: gradient_norms or {},
                    DEAD_RELU: dead_relu or {}, SATURATED: saturated or {}}
        fresh = {(node_id, b.kind): b for node_id, badges in found.items() for b in badges}
        for key, badge in fresh.items():
            track = self._tracks.setdefault(key, _Track(badge))
            track.badge, track.seen, track.missed = badge, track.seen + 1, 0
            track.shown = track.shown or track.seen >= self.confirm
        for key in [k for k in self._tracks if k not in fresh]:
            node_id, kind = key
            if node_id not in measured[kind]:
                continue
            track = self._tracks[key]
            track.seen, track.missed = 0, track.missed + 1
            if not track.shown or track.missed >= self.release:
                del self._tracks[key]
        return self.badges

    @property
    def badges(self) -> dict[str, list[Badge]]:
        """The badges shown now, per layer, in ``KINDS`` order."""
        out: dict[str, list[Badge]] = {}
        for (node_id, _), track in self._tracks.items():
            if track.shown:
                out.setdefault(node_id, []).append(track.badge)
        for badges in out.values():
            badges.sort(key=lambda b: KINDS.index(b.kind))
        return out

    def reset(self) -> None:
        self._tracks.clear()
