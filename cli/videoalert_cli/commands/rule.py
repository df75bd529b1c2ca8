"""`videoalert rule CAMERA [--threshold ...]`: show a camera's decision rule, or change fields of it."""
from __future__ import annotations

# (option, rule field, type, help)
FIELDS = [
    ("--threshold", "threshold", float, "person score a frame must reach (0-1); 'model' for the card's"),
    ("--min-frames", "min_frames", int, "k: sampled frames (per region) that must reach it"),
    ("--aggregate", "aggregate", str, "max, or median_top_k"),
    ("--top-k", "top_k", int, "k of the median_top_k aggregate"),
    ("--cooldown", "cooldown_s", int, "seconds: detections this close continue one event (one alert)"),
    ("--max-event", "max_event_s", int, "seconds: an event longer than this alerts again"),
    ("--fp-distance", "fp_distance", float, "cosine distance to the false-positive memory (0: off)"),
    ("--regions", "regions", str,
     "full, motion, both or tiles (the whole frame and its tiles: a new camera's default)"),
]


def register(sub) -> None:
    from ..resources import add_target_arguments

    parser = sub.add_parser("rule", help="show or change a camera's decision rule (no redeploy)")
    parser.add_argument("camera")
    for option, field, _, text in FIELDS:
        parser.add_argument(option, dest=field, help=text)
    state = parser.add_mutually_exclusive_group()
    state.add_argument("--enable", dest="enabled", action="store_const", const=True)
    state.add_argument("--disable", dest="enabled", action="store_const", const=False)
    add_target_arguments(parser)
    parser.set_defaults(func=run)


def parse_changes(args) -> dict:
    changes = {}
    for _, field, kind, _ in FIELDS:
        raw = getattr(args, field, None)
        if raw is None:
            continue
        if field == "threshold" and raw == "model":
            changes[field] = None
            continue
        try:
            changes[field] = kind(raw)
        except ValueError as exc:
            from ..errors import UserError

            raise UserError(f"{field}: {raw!r} is not a {kind.__name__}") from exc
    if args.enabled is not None:
        changes["enabled"] = args.enabled
    return changes


def run(args) -> int:
    from videoalert.domain.errors import RuleConflict, UnknownCamera
    from videoalert.store.cameras import CameraStore

    from ..errors import UserError
    from ..resources import resolve

    changes = parse_changes(args)
    target = resolve(args)
    cameras = CameraStore(target.table("cameras_table"),
                          known_cameras=tuple(filter(None, target.resources.get("cameras", "").split(","))))
    camera = cameras.get(args.camera)
    if camera is None:
        raise UserError(f"unknown camera {args.camera!r}")
    if not changes:
        print(f"{args.camera}: rule v{camera.rule.version}: {camera.rule.describe()}"
              f"{'' if camera.rule.enabled else ' (disabled)'}")
        return 0
    try:
        rule = cameras.update_rule(args.camera, camera.rule.version, **changes)
    except (ValueError, UnknownCamera) as exc:
        raise UserError(str(exc)) from exc
    except RuleConflict as exc:
        raise UserError(str(exc)) from exc
    print(f"{args.camera}: rule v{rule.version}: {rule.describe()}{'' if rule.enabled else ' (disabled)'}"
          " (applies to the next clip)")
    return 0
