"""`videoalert list --camera C [--since T] [--decision D]`: a camera's videos, newest first."""
from __future__ import annotations


def register(sub) -> None:
    from ..resources import add_target_arguments

    parser = sub.add_parser("list", help="list a camera's videos, newest first")
    parser.add_argument("--camera", required=True)
    parser.add_argument("--since", help="ISO time (2026-11-23T10:00Z) or an age: 30m, 6h, 7d")
    parser.add_argument(
        "--decision", choices=["ALERT", "NO_ALERT", "SUPPRESSED", "COOLDOWN"], help="only this decision"
    )
    parser.add_argument("--status", help="only this status (DONE, FAILED, REJECTED, ...)")
    parser.add_argument("--limit", type=int, default=50)
    add_target_arguments(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    from videoalert.store.videos import VideoRecords

    from ..formatting import parse_since, video_table
    from ..resources import resolve

    target = resolve(args)
    records = VideoRecords(target.table("videos_table"))
    rows = []
    for record in records.by_camera(args.camera, since=parse_since(args.since) if args.since else None):
        if args.decision and record.decision != args.decision:
            continue
        if args.status and record.status != args.status:
            continue
        rows.append(record.to_item())
        if len(rows) >= args.limit:
            break
    print(video_table(rows) if rows else f"no videos for camera {args.camera!r}")
    return 0
