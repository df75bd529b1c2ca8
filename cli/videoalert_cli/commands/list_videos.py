"""`videoalert list --camera C [--since T] [--decision D] [--label L]`: a camera's videos, newest first."""
from __future__ import annotations

import argparse
from typing import Any

from ..options import add_json, camera_id, integer, time_point


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    from videoalert.domain.events import UNLABELLED
    from videoalert.domain.types import Decision, Label, Source, Status

    from ..resources import add_target_arguments
    from ..times import ACCEPTED

    parser = sub.add_parser("list", parents=parents, help="list a camera's videos, newest first", description=__doc__)
    parser.add_argument("--camera", required=True, type=camera_id, help="the camera id")
    parser.add_argument("--since", type=time_point, metavar="TIME", help=f"only videos from then on: {ACCEPTED}")
    parser.add_argument("--decision", choices=[d.value for d in Decision], help="only this decision")
    parser.add_argument("--status", choices=[s.value for s in Status], help="only this status")
    parser.add_argument("--label", choices=[*(label.value for label in Label), UNLABELLED],
                        help="only videos labelled so (by `videoalert feedback` or a one-tap link), or not yet")
    parser.add_argument("--source", choices=[s.value for s in Source],
                        help="only clips cut from the camera's stream, or only uploaded files")
    parser.add_argument("--limit", type=integer(low=0), default=50, metavar="N",
                        help="show at most N videos (default 50; 0 shows none, only whether any match)")
    add_json(parser, "the records")
    add_target_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from videoalert.domain.events import UNLABELLED
    from videoalert.store.cameras import CameraStore
    from videoalert.store.videos import VideoRecords

    from ..formatting import video_table
    from ..output import note, print_json
    from ..resources import resolve

    target = resolve(args)
    rows: list[dict[str, Any]] = []
    more = False
    for record in VideoRecords(target.table("videos_table")).by_camera(args.camera, since=args.since):
        if args.decision and record.decision != args.decision:
            continue
        if args.status and record.status != args.status:
            continue
        if args.source and record.source != args.source:
            continue
        if args.label and (record.label or UNLABELLED) != args.label:
            continue
        if len(rows) >= args.limit:
            more = True
            break
        rows.append(record.to_item())
    if not rows and not more and CameraStore(target.table("cameras_table")).get(args.camera) is None:
        raise target.unknown_camera(args.camera)
    if args.json:
        print_json(rows)
    elif rows:
        print(video_table(rows))
    if more:
        note(f"more videos match: {'raise --limit to see them' if args.limit else 'at least one (--limit 0)'}")
    elif not rows:
        note(f"no videos for camera {args.camera!r} match")
    return 0
