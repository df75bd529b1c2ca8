"""`videoalert export-dataset OUT_DIR`: labelled videos' frames in the training layout (false positives as
negatives)."""

from __future__ import annotations


def register(sub) -> None:
    from ..resources import add_target_arguments

    parser = sub.add_parser("export-dataset", help="write labelled videos' frames as a train/validation image set")
    parser.add_argument("out_dir")
    parser.add_argument("--camera", action="append", default=[], help="only these cameras (repeatable; default all)")
    parser.add_argument("--since", help="ISO time or an age: 30m, 6h, 7d (default: everything kept)")
    parser.add_argument("--frames", type=int, default=3, help="frames per video (default 3: the top-scoring ones)")
    parser.add_argument("--validation-percent", type=int, default=20)
    add_target_arguments(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    from collections import Counter
    from pathlib import Path

    from videoalert.domain.ids import iso
    from videoalert.store.videos import VideoRecords

    from ..dataset_export import export
    from ..errors import UserError
    from ..formatting import parse_since
    from ..resources import resolve

    if not 0 <= args.validation_percent <= 100:
        raise UserError("--validation-percent must be between 0 and 100")
    target = resolve(args)
    table = target.table("videos_table")
    since = parse_since(args.since) if args.since else None
    store = VideoRecords(table)
    if args.camera:
        found = [r for c in args.camera for r in store.by_camera(c, since=since) if r.label]
    else:
        found = [r for r in store.labelled() if since is None or iso(r.window_start) >= iso(since)]
    records = [r.to_item() for r in found]  # the export reads the stored form
    if not records:
        raise UserError("no labelled videos found (label some with `videoalert feedback`)")
    s3 = target.client("s3")
    rows = export(
        records,
        lambda b, k: s3.get_object(Bucket=b, Key=k)["Body"].read(),
        Path(args.out_dir),
        frames_per_video=args.frames,
        validation_percent=args.validation_percent,
    )
    counts = Counter((r["split"], r["class"]) for r in rows)
    print(
        f"{len(rows)} frames from {len(records)} labelled videos in {args.out_dir}: "
        + ", ".join(f"{s}/{c}={n}" for (s, c), n in sorted(counts.items()))
    )
    print(f"manifest: {Path(args.out_dir) / 'manifest.csv'}")
    return 0
