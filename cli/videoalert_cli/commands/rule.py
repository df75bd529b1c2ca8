"""`videoalert rule CAMERA [--threshold ...]`: show a camera's decision rule, or change fields of it.

A change is a new version of the rule (a conditional write: two concurrent edits cannot overwrite each
other) and applies to the camera's next clip; no redeploy.
"""
from __future__ import annotations

import argparse
from typing import Any

from ..options import add_json, camera_id, integer, number


def timezone(text: str) -> str:
    """An IANA time zone this machine knows (the alert shows the camera's local time in it)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise argparse.ArgumentTypeError(f"unknown time zone {text!r} (an IANA name, as Europe/Paris)") from None
    return text


def polygon_arg(text: str) -> Any:
    from videoalert_contract.zones import BadPolygon, parse_polygon

    try:
        return parse_polygon(text)
    except BadPolygon as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def named_polygon_arg(text: str) -> Any:
    """'[NAME=]X,Y X,Y X,Y ...': a zone, named or not."""
    name, _, points = text.rpartition("=")
    return name.strip(), polygon_arg(points)


def zone_rename(text: str) -> tuple[str, str]:
    """'N=NAME': zone N's new name."""
    number, equals, name = text.partition("=")
    if not equals or not number.strip().isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not N=NAME (as in 2=porch)")
    return number.strip(), name


def threshold(text: str) -> float | None:
    if text == "model":
        return None
    return number(above=0.0, below=1.0)(text)


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    from videoalert.domain.types import Aggregate
    from videoalert_contract.inference import REGION_MODES  # the RegionMode values, in order

    from ..resources import add_target_arguments

    parser = sub.add_parser("rule", parents=parents, help="show or change a camera's decision rule (no redeploy)",
                            description=__doc__)
    parser.add_argument("camera", type=camera_id, help="the camera id")
    change = parser.add_argument_group("changes (none: show the rule)")
    change.add_argument("--threshold", type=threshold, default=argparse.SUPPRESS, metavar="T",
                        help="person score a frame must reach, between 0 and 1; 'model' follows the model card's")
    change.add_argument("--min-frames", dest="min_frames", type=integer(low=1), metavar="K",
                        help="sampled frames (of one region) that must reach it, at least 1")
    change.add_argument("--aggregate", choices=[a.value for a in Aggregate],
                        help="the region score compared with the threshold: the max, or the median of the top k")
    change.add_argument("--top-k", dest="top_k", type=integer(low=1), metavar="K", help="k of median_top_k")
    change.add_argument("--cooldown", dest="cooldown_s", type=integer(low=0), metavar="S",
                        help="seconds: detections this close continue one event (one alert)")
    change.add_argument("--max-event", dest="max_event_s", type=integer(low=0), metavar="S",
                        help="seconds: an event longer than this alerts again")
    change.add_argument("--fp-distance", dest="fp_distance", type=number(low=0.0, below=1.0), metavar="D",
                        help="cosine distance of a whole frame to the false-positive memory, 0 turns the memory off")
    change.add_argument("--fp-region-distance", dest="fp_region_distance", type=number(low=0.0, below=1.0),
                        metavar="D", help="cosine distance of a region's crop to a remembered one in the same place")
    change.add_argument("--regions", choices=[str(mode) for mode in REGION_MODES],
                        help="what is scored: person proposals' crops (detect, the default), the whole frame, "
                             "moving regions, both, or the frame and its tiles")
    change.add_argument("--timezone", type=timezone, metavar="ZONE",
                        help="the camera's IANA time zone for the alert's local time (default UTC)")
    change.add_argument("--zone", dest="zones", type=named_polygon_arg, action="append",
                        metavar="'[NAME=]X,Y X,Y X,Y ...'",
                        help="a polygon, fractions of the frame (0,0 top left), with a name if you like "
                             "('driveway=0,0.5 1,0.5 1,1'): a person must be in a zone to alert; repeatable; replaces "
                             "the zones")
    change.add_argument("--rename-zone", type=zone_rename, action="append", metavar="N=NAME",
                        help="name zone N (1 is the first; 'N=' takes its name away) and keep its polygon; "
                             "repeatable")
    change.add_argument("--mask", dest="masks", type=polygon_arg, action="append", metavar="'X,Y X,Y X,Y ...'",
                        help="a polygon ignored entirely (blanked before scoring); repeatable; replaces the masks")
    change.add_argument("--clear-zones", action="store_true", help="no zones: the whole frame counts")
    change.add_argument("--clear-masks", action="store_true", help="no masks")
    state = change.add_mutually_exclusive_group()
    state.add_argument("--enable", dest="enabled", action="store_const", const=True, help="alert again")
    state.add_argument("--disable", dest="enabled", action="store_const", const=False,
                       help="stop processing the camera's stream (its cursor stays)")
    add_json(parser, "the rule")
    add_target_arguments(parser)
    parser.set_defaults(func=run)


FIELDS = ("threshold", "min_frames", "aggregate", "top_k", "cooldown_s", "max_event_s", "fp_distance",
          "fp_region_distance", "regions", "enabled", "timezone")


def parse_changes(args: argparse.Namespace) -> dict[str, Any]:
    changes = {f: getattr(args, f) for f in FIELDS if getattr(args, f, None) is not None}
    if "threshold" in vars(args):  # given, perhaps as 'model' (None)
        changes["threshold"] = args.threshold
    if getattr(args, "zones", None):
        changes["zones"] = tuple(polygon for _, polygon in args.zones)
        changes["zone_names"] = tuple(name for name, _ in args.zones)
    elif getattr(args, "clear_zones", False):
        changes["zones"] = ()
    if getattr(args, "masks", None):
        changes["masks"] = tuple(args.masks)
    elif getattr(args, "clear_masks", False):
        changes["masks"] = ()
    return changes


def renamed(rule: Any, renames: list[tuple[str, str]], changes: dict[str, Any]) -> tuple[str, ...]:
    """The zone names after --rename-zone N NAME (of the zones this change sets, else the rule's)."""
    from ..errors import UserError

    zones = changes.get("zones", rule.zones)
    names = list(changes.get("zone_names", rule.zone_names) or [""] * len(zones))
    for which, name in renames:
        if not which.isdigit() or not 1 <= int(which) <= len(zones):
            raise UserError(f"--rename-zone: there is no zone {which} (the rule has {len(zones)})")
        names[int(which) - 1] = name
    return tuple(names)


def model_threshold(target: Any, camera: str) -> tuple[float | None, str]:
    """The model card's threshold as the camera's latest decided clip recorded it (else this checkout's card)."""
    from videoalert.store.videos import VideoRecords

    for record in VideoRecords(target.table("videos_table")).by_camera(camera):
        if record.model_threshold is not None:
            return float(record.model_threshold), f"recorded by {record.video_id}"
    import json

    from ..checkout import DEFAULT_MODEL_DIR

    try:
        card = json.loads((DEFAULT_MODEL_DIR / "model_card.json").read_text())
        return float(card["threshold"]), f"from {DEFAULT_MODEL_DIR / 'model_card.json'}, no clip decided yet"
    except (OSError, ValueError, KeyError, TypeError):
        return None, "unknown until the camera's first clip is decided"


def run(args: argparse.Namespace) -> int:
    from videoalert.domain.errors import RuleConflict, UnknownCamera
    from videoalert.store.cameras import CameraStore

    from ..errors import UserError
    from ..output import print_json
    from ..resources import resolve

    changes = parse_changes(args)
    target = resolve(args)
    cameras = CameraStore(target.table("cameras_table"))
    camera = cameras.get(args.camera)
    if camera is None:
        raise target.unknown_camera(args.camera)
    rule = camera.rule
    if getattr(args, "rename_zone", None):
        changes["zone_names"] = renamed(rule, args.rename_zone, changes)
    if changes:
        try:
            rule = cameras.update_rule(args.camera, camera.rule.version, **changes)
        except (ValueError, UnknownCamera, RuleConflict) as exc:
            raise UserError(str(exc)) from exc
    model, source = model_threshold(target, args.camera)
    if args.json:
        print_json({"camera_id": args.camera, "changed": bool(changes), "rule": rule.to_item(),
                    "effective_threshold": rule.threshold if rule.threshold is not None else model,
                    "threshold_from": "rule" if rule.threshold is not None else f"model card ({source})"})
        return 0
    state = "" if rule.enabled else " (disabled)"
    print(f"{args.camera}: rule v{rule.version}: {rule.describe(model)}{state}"
          + (" (applies to the next clip)" if changes else ""))
    for index, poly in enumerate(rule.zones):
        print(f"  {rule.zone_label(index)}: {' '.join(f'{x:g},{y:g}' for x, y in poly)}")
    for index, poly in enumerate(rule.masks, 1):
        print(f"  mask {index}: {' '.join(f'{x:g},{y:g}' for x, y in poly)}")
    if rule.threshold is None:
        print(f"  the model card's threshold {'is unknown' if model is None else f'{model:.3f}'} ({source})")
    return 0
