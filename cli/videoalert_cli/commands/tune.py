"""`videoalert tune CAMERA --since 7d [--apply]`: replay stored scores under candidate rules and recommend one."""
from __future__ import annotations


def register(sub) -> None:
    from ..resources import add_target_arguments

    parser = sub.add_parser("tune", help="what-if: replay a camera's stored frame scores under candidate rules")
    parser.add_argument("camera")
    parser.add_argument("--since", default="7d", help="ISO time or an age: 30m, 6h, 7d (default 7d)")
    parser.add_argument("--top", type=int, default=12, help="rows to show (default 12)")
    parser.add_argument("--apply", action="store_true", help="write the recommended rule to the camera")
    parser.add_argument("--choose", type=int, metavar="ROW",
                        help="with --apply: write the rule of this table row instead of the recommendation")
    add_target_arguments(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    from videoalert.domain.errors import RuleConflict
    from videoalert.domain.types import Label
    from videoalert.domain.whatif import candidates, decided, evaluate, model_threshold_of, recommend
    from videoalert.store.cameras import CameraStore
    from videoalert.store.videos import VideoRecords

    from ..errors import UserError
    from ..formatting import parse_since
    from ..resources import resolve

    target = resolve(args)
    cameras = CameraStore(target.table("cameras_table"))
    camera = cameras.get(args.camera)
    if camera is None:
        raise UserError(f"no camera {args.camera!r}")
    records = decided(VideoRecords(target.table("videos_table"))
                      .by_camera(args.camera, since=parse_since(args.since), newest_first=False))
    if not records:
        raise UserError(f"camera {args.camera} has no decided videos since {args.since}")
    model_threshold = model_threshold_of(records[-1])
    current = evaluate(records, camera.rule)
    outcomes = [evaluate(records, rule) for rule in candidates(camera.rule, model_threshold)]
    ranked = sorted(outcomes, key=lambda o: (o.people_missed, o.false_positives_alerting, o.unlabelled_removed,
                                             o.alerts_after, o.rule != camera.rule))
    shown = ranked[: args.top]
    if current not in shown:
        shown.append(current)
    print(f"camera {args.camera}: {len(records)} decided videos since {args.since}, rule v{camera.rule.version} "
          f"({camera.rule.describe()}), model threshold {model_threshold:.3f}, "
          f"{current.people_labelled} labelled people, "
          f"{sum(1 for r in records if r.label == Label.FALSE_POSITIVE)} labelled false positives")
    print(render(shown, camera.rule))
    advice = recommend(outcomes, current)
    print(f"\nrecommendation: {advice.outcome.rule.describe()} ({advice.reason})" if advice.outcome
          else f"\nrecommendation: keep the current rule ({advice.reason})")
    if not args.apply:
        return 0
    if args.choose and not 1 <= args.choose <= len(shown):
        raise UserError(f"--choose must be a row number from 1 to {len(shown)}")
    chosen = shown[args.choose - 1].rule if args.choose else (advice.outcome.rule if advice.outcome else None)
    if chosen is None or chosen == camera.rule:
        print("nothing applied: the current rule stays")
        return 0
    try:
        new = cameras.update_rule(args.camera, camera.rule.version, threshold=chosen.threshold,
                                  min_frames=chosen.min_frames, aggregate=chosen.aggregate, top_k=chosen.top_k)
    except RuleConflict as exc:
        raise UserError(str(exc)) from exc
    print(f"applied: camera {args.camera} rule v{new.version} ({new.describe()}); the next clip uses it")
    return 0


def render(outcomes, current_rule) -> str:
    from ..formatting import table

    rows = []
    for i, o in enumerate(outcomes, 1):
        rows.append([i, o.rule.describe() + ("  (current)" if o.rule == current_rule else ""), o.alerts_after,
                     o.kept, o.removed, o.added, f"{o.false_positives_removed}", o.false_positives_alerting,
                     f"{o.people_missed}/{o.people_labelled}", o.unlabelled_removed])
    return table(["row", "rule", "alerts", "kept", "removed", "added", "FP removed", "FP alerting",
                  "people missed", "unlabelled removed"], rows)
