"""`videoalert export-dataset OUT_DIR`: labelled videos' frames in the training layout (false positives as
negatives)."""

from __future__ import annotations

import argparse
from typing import Any

from ..options import add_json, add_progress, camera_id, integer, time_point


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    from ..resources import add_target_arguments
    from ..times import ACCEPTED

    parser = sub.add_parser("export-dataset", parents=parents,
                            help="write labelled videos' frames as a train/validation image set",
                            description=__doc__)
    parser.add_argument("out_dir", help="folder to write train|validation/humans|not_person/ and manifest.csv into")
    parser.add_argument("--camera", action="append", type=camera_id, default=[],
                        help="only this camera (repeatable; default all)")
    parser.add_argument("--since", type=time_point, metavar="TIME",
                        help=f"only videos from then on (default: everything kept): {ACCEPTED}")
    parser.add_argument("--frames", type=integer(low=1), default=3, metavar="N",
                        help="frames per video (default 3: the top-scoring ones)")
    parser.add_argument("--validation-percent", type=integer(low=0, high=100), default=20, metavar="P",
                        help="share of videos (by id hash) in validation/, 0-100 (default 20)")
    add_json(parser, "the summary")
    add_progress(parser)
    add_target_arguments(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from collections import Counter
    from pathlib import Path

    from videoalert.domain.ids import iso
    from videoalert.store.videos import VideoRecords

    from ..dataset_export import export
    from ..errors import UserError
    from ..output import print_json, progress
    from ..resources import resolve

    target = resolve(args)
    store = VideoRecords(target.table("videos_table"))
    since = args.since
    if args.camera:
        found = [r for c in args.camera for r in store.by_camera(c, since=since) if r.label]
    else:
        found = [r for r in store.labelled() if since is None or iso(r.window_start) >= iso(since)]
    records = [r.to_item() for r in found]  # the export reads the stored form
    if not records:
        raise UserError("no labelled videos found (label some with `videoalert feedback`)")
    s3 = target.client("s3")
    parts = sum(1 + len(r.get("more_keys") or []) for r in records)
    with progress(total=parts, unit="clip", desc="exporting", disabled=args.no_progress) as bar:
        def read(bucket: str, key: str) -> bytes:
            bar.update(1)
            return bytes(s3.get_object(Bucket=bucket, Key=key)["Body"].read())

        rows = export(records, read, Path(args.out_dir), frames_per_video=args.frames,
                      validation_percent=args.validation_percent)
    counts = Counter((r["split"], r["class"]) for r in rows)
    manifest = Path(args.out_dir) / "manifest.csv"
    if args.json:
        print_json({"frames": len(rows), "videos": len(records), "out_dir": args.out_dir, "manifest": str(manifest),
                    "counts": {f"{s}/{c}": n for (s, c), n in sorted(counts.items())}})
        return 0
    print(f"{len(rows)} frames from {len(records)} labelled videos in {args.out_dir}: "
          + ", ".join(f"{s}/{c}={n}" for (s, c), n in sorted(counts.items())))
    print(f"manifest: {manifest}")
    return 0
