"""`videoalert status VIDEO_ID`: the stored record of one video."""
from __future__ import annotations

import argparse
from typing import Any

from ..options import add_json


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    from ..resources import add_target_arguments

    parser = sub.add_parser("status", parents=parents, help="show the stored record of a video",
                            description=__doc__)
    parser.add_argument("video_id", help="the video's id, as `videoalert list` and the alert show it")
    add_json(parser, "the whole record")
    add_target_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from videoalert.store.videos import VideoRecords

    from ..errors import UserError
    from ..formatting import record_summary
    from ..output import print_json
    from ..resources import resolve

    target = resolve(args)
    record = VideoRecords(target.table("videos_table")).get(args.video_id)
    if record is None:
        raise UserError(f"no video {args.video_id!r} on {target.where} (`videoalert list --camera C` lists a "
                        "camera's videos)")
    item = record.to_item()
    if args.json:
        print_json(item)
    else:
        print(record_summary(item))
    return 0
