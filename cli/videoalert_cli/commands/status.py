"""`videoalert status VIDEO_ID`: the stored record of one video."""
from __future__ import annotations

import json


def register(sub) -> None:
    from ..resources import add_target_arguments

    parser = sub.add_parser("status", help="show the stored record of a video")
    parser.add_argument("video_id")
    parser.add_argument("--json", action="store_true", help="print the whole record as JSON")
    add_target_arguments(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    from videoalert.store.videos import VideoRecords

    from ..errors import UserError
    from ..formatting import record_summary
    from ..resources import resolve

    target = resolve(args)
    record = VideoRecords(target.table("videos_table")).get(args.video_id)
    if record is None:
        raise UserError(f"no video {args.video_id!r}")
    item = record.to_item()
    print(json.dumps(item, indent=2, default=str) if args.json else record_summary(item))
    return 0
