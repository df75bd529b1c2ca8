"""`videoalert tune CAMERA --since 7d [--apply]`: replay stored scores under candidate rules and recommend one;
with --label, --labels or --scores: what a label or a candidate model would have changed (tune_whatif)."""
from __future__ import annotations

import argparse
from typing import Any

from ..options import add_json, add_progress, camera_id, integer, time_point


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    from ..resources import add_target_arguments
    from ..times import ACCEPTED

    parser = sub.add_parser("tune", parents=parents,
                            help="what-if: replay a camera's stored frame scores under candidate rules",
                            description=__doc__)
    parser.add_argument("camera", type=camera_id, help="the camera id")
    parser.add_argument("--since", type=time_point, default="7d", metavar="TIME",
                        help=f"replay the videos from then on (default 7d): {ACCEPTED}")
    parser.add_argument("--top", type=integer(low=1), default=12, metavar="N", help="rows to show (default 12)")
    parser.add_argument("--apply", action="store_true", help="write the recommended rule to the camera")
    parser.add_argument("--choose", type=integer(low=1), metavar="ROW",
                        help="with --apply: write the rule of this table row instead of the recommendation")
    from .tune_whatif import add_arguments

    add_arguments(parser)
    add_json(parser, "the rows and the recommendation")
    add_progress(parser)
    add_target_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from videoalert.domain.errors import RuleConflict
    from videoalert.domain.ids import iso
    from videoalert.domain.types import Label
    from videoalert.domain.whatif import candidates, evaluate, model_threshold_of, recommend
    from videoalert.store.cameras import CameraStore

    from ..errors import UsageError, UserError
    from ..output import print_json
    from ..resources import resolve
    from . import tune_whatif

    if args.choose and not args.apply:
        raise UsageError("--choose needs --apply (it picks the row --apply writes)")
    target = resolve(args)
    cameras = CameraStore(target.table("cameras_table"))
    camera = cameras.get(args.camera)
    if camera is None:
        raise UserError(f"unknown camera {args.camera!r} on {target.where}")
    records = _decided_records(args, target)
    if tune_whatif.wanted(args):
        return tune_whatif.run(args, camera, records)
    since, model_threshold = iso(args.since), model_threshold_of(records[-1])
    current = evaluate(records, camera.rule)
    rules = list(candidates(camera.rule, model_threshold))
    outcomes = _replay(records, rules, show_progress=not args.no_progress)
    ranked = sorted(outcomes, key=lambda o: (o.people_missed, o.false_positives_alerting, o.unlabelled_removed,
                                             o.alerts_after, o.rule != camera.rule))
    shown = ranked[: args.top]
    if current not in shown:
        shown.append(current)
    advice = recommend(outcomes, current)
    false_positives = sum(1 for r in records if r.label == Label.FALSE_POSITIVE)
    if args.choose and args.choose > len(shown):
        raise UsageError(f"--choose must be a row number from 1 to {len(shown)}")
    chosen = shown[args.choose - 1].rule if args.choose else (advice.outcome.rule if advice.outcome else None)
    applied = None
    if args.apply and chosen is not None and chosen != camera.rule:
        try:
            applied = cameras.update_rule(args.camera, camera.rule.version, threshold=chosen.threshold,
                                          min_frames=chosen.min_frames, aggregate=chosen.aggregate, top_k=chosen.top_k)
        except RuleConflict as exc:
            raise UserError(str(exc)) from exc
    if args.json:
        print_json({"camera_id": args.camera, "since": since, "videos": len(records), "rule": camera.rule.to_item(),
                    "model_threshold": model_threshold, "people_labelled": current.people_labelled,
                    "false_positives_labelled": false_positives, "rows": [_row(o, camera.rule) for o in shown],
                    "recommendation": advice.outcome.rule.to_item() if advice.outcome else None,
                    "reason": advice.reason, "applied": applied.to_item() if applied else None})
        return 0
    print(f"camera {args.camera}: {len(records)} decided videos since {since}, rule v{camera.rule.version} "
          f"({camera.rule.describe(model_threshold)}), model threshold {model_threshold:.3f}, "
          f"{current.people_labelled} labelled people, {false_positives} labelled false positives")
    print(render(shown, camera.rule))
    print(f"\nrecommendation: {advice.outcome.rule.describe()} ({advice.reason})" if advice.outcome
          else f"\nrecommendation: keep the current rule ({advice.reason})")
    if args.apply:
        print(f"applied: camera {args.camera} rule v{applied.version} ({applied.describe()}); the next clip uses it"
              if applied else "nothing applied: the current rule stays")
    return 0


def _row(outcome: Any, current_rule: Any) -> dict[str, Any]:
    return {"rule": outcome.rule.to_item(), "current": outcome.rule == current_rule, "alerts": outcome.alerts_after,
            "kept": outcome.kept, "removed": outcome.removed, "added": outcome.added,
            "false_positives_removed": outcome.false_positives_removed,
            "false_positives_alerting": outcome.false_positives_alerting, "people_missed": outcome.people_missed,
            "people_labelled": outcome.people_labelled, "unlabelled_removed": outcome.unlabelled_removed}


def _replay(records: list[Any], rules: list[Any], *, show_progress: bool) -> list[Any]:
    """Each candidate rule's outcome on the camera's decided videos."""
    from videoalert.domain.whatif import evaluate

    from ..output import progress

    with progress(total=len(rules), unit="rule", desc="replaying", disabled=not show_progress) as bar:
        outcomes = []
        for rule in rules:
            outcomes.append(evaluate(records, rule))
            bar.update(1)
    return outcomes


def _decided_records(args: argparse.Namespace, target: Any) -> list[Any]:
    """The camera's decided videos since --since, oldest first; a clear error when there is none to replay."""
    from videoalert.domain.ids import iso
    from videoalert.domain.whatif import decided
    from videoalert.store.videos import VideoRecords

    from ..errors import UserError
    from ..output import progress

    with progress(unit="video", desc="reading", disabled=args.no_progress) as bar:
        found = []
        for record in VideoRecords(target.table("videos_table")).by_camera(args.camera, since=args.since,
                                                                            newest_first=False):
            found.append(record)
            bar.update(1)
    records = decided(found)
    if not records:
        raise UserError(f"camera {args.camera} has no decided videos since {iso(args.since)}: nothing to replay")
    return records


def render(outcomes: list[Any], current_rule: Any) -> str:
    from ..formatting import table

    rows = []
    for i, o in enumerate(outcomes, 1):
        rows.append([i, o.rule.describe() + ("  (current)" if o.rule == current_rule else ""), o.alerts_after,
                     o.kept, o.removed, o.added, f"{o.false_positives_removed}", o.false_positives_alerting,
                     f"{o.people_missed}/{o.people_labelled}", o.unlabelled_removed])
    return table(["row", "rule", "alerts", "kept", "removed", "added", "FP removed", "FP alerting",
                  "people missed", "unlabelled removed"], rows)
