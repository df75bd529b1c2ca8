"""`videoalert review [--date YYYY-MM-DD]`: run the review sampler for one day (the schedule runs it daily)."""
from __future__ import annotations

import json
from datetime import UTC


def register(sub) -> None:
    from ..resources import add_target_arguments

    parser = sub.add_parser("review", help="copy a day's near-threshold and suppressed clips + manifest for review")
    parser.add_argument("--date", help="UTC day YYYY-MM-DD (default: yesterday)")
    parser.add_argument("--band", type=float, default=None, help="score band around the threshold (default 0.15)")
    add_target_arguments(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    from datetime import date, datetime, timedelta

    from videoalert.app.review import sample_day
    from videoalert.aws.s3 import ReviewBucket
    from videoalert.config.review import DEFAULT_REVIEW_BAND
    from videoalert.store.cameras import CameraStore
    from videoalert.store.videos import VideoRecords

    from ..errors import UserError
    from ..resources import resolve

    try:
        day = date.fromisoformat(args.date) if args.date else (datetime.now(UTC) - timedelta(days=1)).date()
    except ValueError as exc:
        raise UserError(f"--date must be YYYY-MM-DD: {exc}") from exc
    target = resolve(args)
    if "review_bucket" not in target.resources:
        raise UserError("no review bucket found for this target")
    cameras = [c for c in target.resources.get("cameras", "").split(",") if c]
    result = sample_day(day, records=VideoRecords(target.table("videos_table")),
                        cameras=CameraStore(target.table("cameras_table"), known_cameras=tuple(cameras)),
                        bucket=ReviewBucket(target.client("s3"), target.resources["review_bucket"],
                                            video_bucket=target.resources["video_bucket"]),
                        band=DEFAULT_REVIEW_BAND if args.band is None else args.band)
    print(json.dumps(result.to_dict(), indent=2))
    return 0
