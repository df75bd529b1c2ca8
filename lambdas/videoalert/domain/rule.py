"""The per-camera decision rule: turn per-frame (per-region) person scores into ALERT or NO_ALERT."""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from videoalert.domain.types import Aggregate, Decision
from videoalert_contract.inference import (
    DEFAULT_REGIONS,
    REGION_MODES,
    FrameScore,
    Region,
    RegionMode,
    region_key,
)
from videoalert_contract.zones import Polygon, polygons, region_counts, to_lists

# Cosine distance within which a detection matches a remembered false positive. Whole-frame ResNet embeddings
# of one scene sit close together (measured in bench/false_alerts: the same statue minutes <= 0.005 apart, a
# person beside it 0.03 away, a person on the background of a remembered false positive ~0.02 away), so the
# default is tight; recalibrate with the bench when the model changes.
DEFAULT_FP_DISTANCE = 0.01
# The same for a region's crop embedding (detect mode), in the same place (domain.memory): chosen with the place's
# overlap and the detector guard on the training split's scenes by replaying the learning curve per option
# (bench/memory_options.py, bench/README.md "False-positive memory"): the most later clips kept quiet over 1-3 taps
# with at least 96 % of the clips whose person the rule finds still alerting. A person's crop in front of a remembered
# region is near it (median 0.11 there, a later moment's 0.02). Chosen again with detect mode's fitted region score
# (2026-12-07): 0.05, with IoU >= 0.3 and a detector margin of 0.2 (0.07 with 0.2 and 0.4 muted 8 % of those people).
DEFAULT_FP_REGION_DISTANCE = 0.05

# Fields a user may change (`videoalert tune --apply`, the table); version is managed by the store.
EDITABLE_FIELDS = ("threshold", "min_frames", "aggregate", "top_k", "cooldown_s", "max_event_s", "fp_distance",
                   "fp_region_distance", "enabled", "regions", "timezone", "zones", "masks", "zone_names")
# An IANA name ("Europe/Paris", "America/Argentina/Buenos_Aires", "UTC"); whether this machine knows it is the
# CLI's check (domain code reads no time zone files): the alert falls back to UTC, saying so, for one it does not.
TIMEZONE_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_+-]{0,30}(/[A-Za-z0-9_+-]{1,30}){0,2}$")
MAX_ZONE_NAME = 32


def zone_names(names: Sequence[str] | None, zones: int) -> tuple[str, ...]:
    """A name per zone ("" for an unnamed one, shown as "zone N"), or none at all: printable, at most MAX_ZONE_NAME
    characters, no two alike."""
    out = tuple(" ".join(str(n).split()) for n in (names or ()))
    if not any(out):
        return ()
    if len(out) != zones:
        raise ValueError(f"zone_names has {len(out)} names for {zones} zones")
    for name in out:
        if len(name) > MAX_ZONE_NAME or not name.isprintable():
            raise ValueError(f"a zone name is printable text of at most {MAX_ZONE_NAME} characters, got {name!r}")
    named = [n.casefold() for n in out if n]
    if len(set(named)) != len(named):
        raise ValueError("two zones have the same name")
    return out


@dataclass(frozen=True)
class Rule:
    """ALERT when min_frames frames of one region reach the threshold and the region's aggregate does too.

    threshold None means the model card's. cooldown_s: a detection that starts within cooldown_s of the
    camera's previous detection continues the same event (one alert per event); an event longer than
    max_event_s alerts again, so a person never goes unreported for long. fp_distance: cosine distance
    within which a whole-frame detection matches the camera's false-positive memory (0 turns the memory off);
    fp_region_distance: the same for a proposed region's crop, in the same place (detect mode).
    regions: "detect" (the default): the person detector proposes person regions and the ResNet scores each one's
    crop, a moment's score being its best region; or classify the whole frame ("full"), only the regions that moved
    ("motion": a small person far away is seen, a still object never alerts), both, or the whole frame and its
    overlapping tiles ("tiles": a small person is seen whether or not it moves).
    timezone: the camera's IANA time zone, for the alert's local time. zones, masks: polygons in normalized
    coordinates (videoalert_contract.zones): a person must be in a zone (none: anywhere), masks are ignored; the
    inference function blanks what is not looked at, and motion regions or tiles mostly outside it do not count.
    """

    threshold: float | None = None
    min_frames: int = 2
    aggregate: Aggregate = Aggregate.MAX
    top_k: int = 3
    cooldown_s: int = 300
    max_event_s: int = 1800
    fp_distance: float = DEFAULT_FP_DISTANCE
    fp_region_distance: float = DEFAULT_FP_REGION_DISTANCE
    enabled: bool = True
    version: int = 1
    regions: RegionMode = DEFAULT_REGIONS
    timezone: str = "UTC"
    zones: tuple[Polygon, ...] = ()
    masks: tuple[Polygon, ...] = ()
    zone_names: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.min_frames < 1:
            raise ValueError("min_frames must be at least 1")
        if self.threshold is not None and not 0.0 < self.threshold < 1.0:
            raise ValueError("threshold must be between 0 and 1")
        if self.aggregate not in set(Aggregate):
            raise ValueError(f"aggregate must be one of {', '.join(Aggregate)}")
        object.__setattr__(self, "aggregate", Aggregate(self.aggregate))  # a plain string from an item or the CLI
        if self.top_k < 1:
            raise ValueError("top_k must be at least 1")
        if self.cooldown_s < 0 or self.max_event_s < 0:
            raise ValueError("cooldown_s and max_event_s must not be negative")
        if not 0.0 <= self.fp_distance < 1.0 or not 0.0 <= self.fp_region_distance < 1.0:
            raise ValueError("fp_distance and fp_region_distance must be in [0, 1)")
        if self.regions not in REGION_MODES:
            raise ValueError(f"regions must be one of {', '.join(REGION_MODES)}")
        object.__setattr__(self, "regions", RegionMode(self.regions))  # a plain string from an item or the CLI
        if not TIMEZONE_PATTERN.match(self.timezone or ""):
            raise ValueError(f"timezone must be an IANA name such as Europe/Paris, got {self.timezone!r}")
        object.__setattr__(self, "zones", polygons(self.zones))  # BadPolygon is a ValueError
        object.__setattr__(self, "masks", polygons(self.masks))
        object.__setattr__(self, "zone_names", zone_names(self.zone_names, len(self.zones)))

    def zone_label(self, index: int) -> str:
        """The zone's name, or "zone N" (1-based) for an unnamed one."""
        name = self.zone_names[index] if index < len(self.zone_names) else ""
        return name or f"zone {index + 1}"

    def effective_threshold(self, model_threshold: float) -> float:
        return model_threshold if self.threshold is None else self.threshold

    def to_item(self) -> dict[str, Any]:
        """The stored form; the fields added later (time zone, zones, masks, the region distance) only when set, so an
        item written before them reads and writes back unchanged."""
        item = asdict(self) | {"zones": to_lists(self.zones), "masks": to_lists(self.masks),
                               "zone_names": list(self.zone_names)}
        for name, default in (("timezone", "UTC"), ("zones", []), ("masks", []), ("zone_names", []),
                              ("fp_region_distance", DEFAULT_FP_REGION_DISTANCE)):
            if item[name] == default:
                del item[name]
        return item

    def with_changes(self, **changes: Any) -> Rule:
        """The same rule with some editable fields changed (validated); the version is left to the store."""
        unknown = set(changes) - set(EDITABLE_FIELDS)
        if unknown:
            raise ValueError(f"unknown rule fields: {', '.join(sorted(unknown))}")
        if "zones" in changes and "zone_names" not in changes:  # new zones: the old ones' names do not carry over
            changes["zone_names"] = ()
        return replace(self, **changes)

    def describe(self, model_threshold: float | None = None) -> str:
        """One line; a rule that follows the model card shows the card's threshold when it is known."""
        if self.threshold is not None:
            thr = f"{self.threshold:.2f}"
        else:
            thr = "model" if model_threshold is None else f"{model_threshold:.3f} (model)"
        agg = "max" if self.aggregate == Aggregate.MAX else f"median(top{self.top_k})"
        regions = "" if self.regions == DEFAULT_REGIONS else f" regions={self.regions}"
        where = "".join(f" {name}={len(polys)}" for name, polys in (("zones", self.zones), ("masks", self.masks))
                        if polys)
        tz = "" if self.timezone == "UTC" else f" tz={self.timezone}"
        return f"thr={thr} k={self.min_frames} agg={agg} cooldown={self.cooldown_s}s{regions}{where}{tz}"

    @classmethod
    def from_item(cls, item: Mapping[str, Any] | None) -> Rule:
        item = dict(item or {})
        defaults = cls()
        threshold = item.get("threshold")
        return cls(
            threshold=None if threshold is None else float(threshold),
            min_frames=int(item.get("min_frames", defaults.min_frames)),
            aggregate=Aggregate(str(item.get("aggregate", defaults.aggregate))),
            top_k=int(item.get("top_k", defaults.top_k)),
            cooldown_s=int(item.get("cooldown_s", defaults.cooldown_s)),
            max_event_s=int(item.get("max_event_s", defaults.max_event_s)),
            fp_distance=float(item.get("fp_distance", defaults.fp_distance)),
            # A rule stored before regions had their own distance takes the calibrated one.
            fp_region_distance=float(item.get("fp_region_distance", defaults.fp_region_distance)),
            enabled=bool(item.get("enabled", True)),
            version=int(item.get("version", 1)),
            # A rule item written before rules had regions was a whole-frame rule, and stays one; no item at all is
            # the default rule.
            regions=RegionMode(str(item.get("regions", RegionMode.FULL if item else defaults.regions))),
            timezone=str(item.get("timezone") or defaults.timezone),
            zones=polygons(item.get("zones")),
            masks=polygons(item.get("masks")),
            # Zones named since issue 33; a rule stored before has unnamed zones.
            zone_names=tuple(str(n) for n in item.get("zone_names") or ()),
        )


@dataclass(frozen=True)
class Verdict:
    """The rule's judgement of a clip, before the false-positive memory and the cooldown (domain.gates)."""

    decision: Decision
    threshold: float
    max_score: float
    frames_over_threshold: int
    deciding_score: float  # the score that had to reach the threshold: how far the clip was from flipping
    reason: str = ""
    frames_considered: int = 0
    region: str = Region.FULL
    details: dict[str, Any] = field(default_factory=dict)


def _median(values: Sequence[float]) -> float:
    n = len(values)
    mid = n // 2
    return values[mid] if n % 2 else (values[mid - 1] + values[mid]) / 2


def decide(scores: Sequence[float], rule: Rule, model_threshold: float, *, region: str = Region.FULL) -> Verdict:
    """The rule's verdict on one region's scores (a disabled rule never alerts, but still reports the scores)."""
    threshold = rule.effective_threshold(model_threshold)
    ranked = sorted((float(s) for s in scores), reverse=True)
    over = sum(1 for s in ranked if s >= threshold)
    kth = ranked[rule.min_frames - 1] if len(ranked) >= rule.min_frames else (ranked[-1] if ranked else 0.0)
    if rule.aggregate == Aggregate.MEDIAN_TOP_K and ranked:
        aggregate = _median(ranked[: rule.top_k])
    else:
        aggregate = ranked[0] if ranked else 0.0
    # Both conditions must hold, so the smaller of the two scores is the one that decides.
    deciding = min(kth, aggregate)
    reason = f"{over} of {len(ranked)} frames >= {threshold:.3f} (need {rule.min_frames})"
    if rule.aggregate == Aggregate.MEDIAN_TOP_K:
        reason += f", median of top {rule.top_k} = {aggregate:.3f}"
    verdict = Decision.ALERT if ranked and over >= rule.min_frames and aggregate >= threshold else Decision.NO_ALERT
    if verdict == Decision.ALERT and not rule.enabled:
        verdict, reason = Decision.NO_ALERT, f"alerts disabled by rule v{rule.version}; {reason}"
    return Verdict(decision=verdict, threshold=threshold, max_score=ranked[0] if ranked else 0.0,
                   frames_over_threshold=over, deciding_score=deciding, reason=reason,
                   frames_considered=len(ranked), region=region)


def decide_frames(frames: Iterable[FrameScore], rule: Rule, model_threshold: float) -> Verdict:
    """Decide each region separately ("full", "motion", "tiles", "person"); the clip takes the region closest to
    alerting, so one region that alerts is enough. A frame with several motion boxes, tiles or person proposals
    counts once, with its best box: min_frames means distinct moments, not boxes. Whole frames and their tiles are one
    region. Motion regions, tiles and person proposals mostly outside the rule's zones (or inside its masks) do not
    count."""
    frames = [f for f in frames if region_counts(f.box, rule.zones, rule.masks)]
    # Tiles are views of the whole frame: with them, a moment's score is the best of the frame and its tiles.
    tiled = any(frame.region == Region.TILE for frame in frames)
    by_region: dict[str, dict[float, float]] = {}
    for frame in frames:
        key = region_key(frame.region)
        if tiled and key in (Region.FULL, Region.TILE):
            key = RegionMode.TILES
        best = by_region.setdefault(key, {})
        best[frame.t] = max(frame.score, best.get(frame.t, frame.score))
    if not by_region:
        return decide([], rule, model_threshold)
    verdicts = [decide(list(best.values()), rule, model_threshold, region=region)
                for region, best in sorted(by_region.items())]
    return max(verdicts, key=lambda v: (v.decision == Decision.ALERT, v.deciding_score))
