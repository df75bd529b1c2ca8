"""`videoalert review [--date YYYY-MM-DD]`: run the review sampler for one day (the schedule runs it daily)."""
from __future__ import annotations

import argparse
from datetime import UTC, date
from typing import Any

from ..options import add_json, number


def day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day: use YYYY-MM-DD") from None


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    from ..resources import add_target_arguments

    parser = sub.add_parser("review", parents=parents,
                            help="copy a day's near-threshold and suppressed clips + manifest for review",
                            description=__doc__)
    parser.add_argument("--date", type=day, metavar="YYYY-MM-DD", help="the UTC day (default: yesterday)")
    parser.add_argument("--band", type=number(above=0.0, high=1.0), default=None, metavar="B",
                        help="score band around the threshold that counts as near (default 0.15)")
    add_json(parser)
    add_target_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from datetime import datetime, timedelta

    from videoalert.app.review import sample_day
    from videoalert.aws.s3 import ReviewBucket
    from videoalert.config.review import DEFAULT_REVIEW_BAND
    from videoalert.store.cameras import CameraStore
    from videoalert.store.videos import VideoRecords

    from ..errors import UserError
    from ..output import print_json
    from ..resources import resolve

    chosen = args.date or (datetime.now(UTC) - timedelta(days=1)).date()
    target = resolve(args)
    if "review_bucket" not in target.resources:
        raise UserError(f"{target.where} has no review bucket")
    bucket = target.resources["review_bucket"]
    result = sample_day(chosen, records=VideoRecords(target.table("videos_table")),
                        cameras=CameraStore(target.table("cameras_table")),
                        bucket=ReviewBucket(target.client("s3"), bucket, video_bucket=target.resources["video_bucket"]),
                        band=DEFAULT_REVIEW_BAND if args.band is None else args.band)
    if args.json:
        print_json(result.to_dict())
        return 0
    print(f"{result.day}: {result.sampled} clip(s) sampled ({result.suppressed} suppressed), "
          f"{result.objects_copied} copied and {result.manifests_written} manifest(s) written under "
          f"s3://{bucket}/{result.prefix}" + ("" if result.objects_copied or not result.sampled
                                              else " (all there already: nothing new)"))
    return 0
