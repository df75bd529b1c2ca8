"""`videoalert tune CAMERA --label VIDEO_ID | --labels | --scores FILE`: what a label, or a candidate model, would
have changed on the camera's stored clips (read only: nothing is written)."""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--label", metavar="VIDEO_ID",
                       help="what-if: the later alerts a 'not a person' label on this alert would have kept quiet")
    group.add_argument("--labels", action="store_true",
                       help="what-if: every alert's 'not a person' label, the taps that would silence most first")
    group.add_argument("--scores", type=Path, metavar="FILE",
                       help="what-if: a candidate model's inference answers for the camera's clips (a JSON object "
                            "video id -> answer, as the inference function returns it): the alerts that would "
                            "change")


def wanted(args: argparse.Namespace) -> bool:
    return bool(args.label or args.labels or args.scores)


def run(args: argparse.Namespace, camera: Any, records: list[Any]) -> int:
    from ..errors import UsageError

    if args.apply:
        raise UsageError("--label, --labels and --scores only show what would change: drop --apply")
    if args.scores:
        return _model(args, camera, records)
    return _labels(args, camera, records)


def _labels(args: argparse.Namespace, camera: Any, records: list[Any]) -> int:
    from videoalert.domain.whatif_memory import label_effect, label_effects

    from ..errors import UserError
    from ..formatting import table
    from ..output import print_json

    if args.label:
        if not any(r.video_id == args.label for r in records):
            raise UserError(f"video {args.label!r} is not a decided video of camera {args.camera} in the replayed "
                            "period (see --since)")
        effects = [label_effect(records, args.label, camera.rule)]
    else:
        effects = label_effects(records, camera.rule)[: args.top]
    if args.json:
        print_json({"camera_id": args.camera, "videos": len(records), "labels": [e.to_item() for e in effects]})
        return 0
    print(f"camera {args.camera}: {len(records)} decided videos; a 'not a person' label on each alert below, alone, "
          "against the later alerts (the dispatcher's memory match, rule "
          f"fp_region_distance {camera.rule.fp_region_distance})")
    rows = [[e.video_id, e.entries, e.later_alerts, len(e.silenced), e.false_positives_silenced,
             len(e.people_muted), " ".join(e.people_muted) or "-"] for e in effects]
    print(table(["label on", "regions remembered", "later alerts", "kept quiet", "of them labelled not a person",
                 "labelled people muted", "muted"], rows))
    return 0


def load_scores(path: Path) -> dict[str, Any]:
    """FILE's answers by video id, parsed as the dispatcher parses the inference function's answer."""
    from videoalert.domain.whatif_memory import CandidateScores
    from videoalert_contract.inference import MalformedResponse, ScoredClip, parse_response

    from ..errors import UserError

    try:
        raw = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot read candidate scores {path}: {exc}") from exc
    if not isinstance(raw, dict) or not raw:
        raise UserError(f"{path}: expected a JSON object of video id -> inference answer")
    out = {}
    for video_id, answer in raw.items():
        try:
            parsed = parse_response(answer)
        except MalformedResponse as exc:
            raise UserError(f"{path}: the answer for {video_id} is not an inference answer: {exc}") from exc
        if isinstance(parsed, ScoredClip):
            out[str(video_id)] = CandidateScores(tuple(parsed.frames), float(parsed.threshold))
    return out


def _model(args: argparse.Namespace, camera: Any, records: list[Any]) -> int:
    from videoalert.domain.whatif_memory import model_outcome

    from ..errors import UserError
    from ..output import print_json
    from .tune import render

    scores = load_scores(args.scores)
    before, after, scored = model_outcome(records, scores, camera.rule)
    if not scored:
        raise UserError(f"{args.scores} scores none of camera {args.camera}'s {len(records)} decided videos")
    if args.json:
        keys = ("alerts_after", "kept", "removed", "added", "false_positives_removed", "false_positives_alerting",
                "people_missed", "people_labelled", "unlabelled_removed")
        print_json({"camera_id": args.camera, "videos": len(records), "scored": scored,
                    "current_model": {k: getattr(before, k) for k in keys},
                    "candidate_model": {k: getattr(after, k) for k in keys}})
        return 0
    print(f"camera {args.camera}: the candidate's scores for {scored} of {len(records)} decided videos, rule "
          f"v{camera.rule.version} ({camera.rule.describe()}); row 1 the stored scores, row 2 the candidate's")
    print(render([before, after], camera.rule))
    return 0
