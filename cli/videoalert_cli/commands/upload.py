"""`videoalert upload CAMERA FILE`: put a video under uploads/<camera>/, where the dispatcher picks it up."""
from __future__ import annotations

import argparse
import hashlib
from pathlib import Path
from typing import Any

from ..options import add_json, add_progress, camera_id, number

# Uploads go in parts of this size from this size on; the ETag S3 gives a file depends on it (see local_etag).
PART_BYTES = 8 * 1024 * 1024


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    from ..resources import add_target_arguments

    parser = sub.add_parser(
        "upload", parents=parents, help="upload a video file for a camera (processed like a stream minute)",
        description=__doc__ + "\n\nIt refuses a camera the stack does not know (the dispatcher would reject the "
        "clip), and uploads nothing when the same file is already there (it names the video it became).")
    parser.add_argument("camera", type=camera_id, help="the camera the video is from")
    parser.add_argument("file", help="the video file (MP4, MKV, anything FFmpeg reads)")
    parser.add_argument("--wait", action="store_true",
                        help="wait until the video is decided (every one-minute window of a long one) and print the "
                             "decisions (exit 1 if any is rejected or fails)")
    parser.add_argument("--timeout", type=number(above=0), default=300.0, metavar="S",
                        help="with --wait: give up after this many seconds (default 300)")
    add_json(parser)
    add_progress(parser)
    add_target_arguments(parser)
    parser.set_defaults(func=run)


def local_etag(path: Path, part_bytes: int = PART_BYTES) -> str:
    """The ETag S3 gives this file when uploaded in parts of part_bytes (one MD5 below that size)."""
    digests = []
    with path.open("rb") as f:
        while chunk := f.read(part_bytes):
            digests.append(hashlib.md5(chunk, usedforsecurity=False).digest())
    if len(digests) <= 1 and path.stat().st_size < part_bytes:
        return (digests[0] if digests else hashlib.md5(b"", usedforsecurity=False).digest()).hex()
    return f"{hashlib.md5(b''.join(digests), usedforsecurity=False).hexdigest()}-{len(digests)}"


def run(args: argparse.Namespace) -> int:
    from videoalert.store.cameras import CameraStore
    from videoalert.store.videos import VideoRecords

    from ..errors import UserError
    from ..output import note, print_json
    from ..resources import resolve

    path = Path(args.file)
    if not path.is_file():
        raise UserError(f"{path} is not a file")
    target = resolve(args)
    if CameraStore(target.table("cameras_table")).get(args.camera) is None:
        raise target.unknown_camera(args.camera, "the dispatcher would reject the clip as UNKNOWN_CAMERA, so "
                                                 "nothing was uploaded")
    records = VideoRecords(target.table("videos_table"))
    answer, message = _upload(args, path, target, records)
    if not args.wait:
        follow = f"videoalert status {answer['video_id']}{' --local' if target.local else ''}"
        if args.json:
            print_json(answer)
        else:
            print(f"{message}\nfollow it with `{follow}`" if answer["uploaded"] else message)
        return 0
    note(message)
    return _wait_and_report(args, records, answer)


def _upload(args: argparse.Namespace, path: Path, target: Any, records: Any) -> tuple[dict[str, Any], str]:
    """Upload the file unless the same bytes are there already: (the answer printed with --json, the message)."""
    from boto3.s3.transfer import TransferConfig
    from botocore.exceptions import ClientError

    from videoalert.domain.ids import upload_video_id
    from videoalert_contract.names import UPLOADS_PREFIX

    from ..output import progress

    bucket, key = target.resources["video_bucket"], f"{UPLOADS_PREFIX}{args.camera}/{path.name}"
    s3 = target.client("s3")
    etag = local_etag(path)
    try:
        existing = s3.head_object(Bucket=bucket, Key=key).get("ETag", "").strip('"')
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchKey", "NotFound"):
            raise
        existing = None
    video_id = upload_video_id(args.camera, bucket, key, etag)
    location = f"s3://{bucket}/{key}"
    if existing == etag:
        record = records.get(video_id)
        state = f"{record.status}{' ' + str(record.decision) if record.decision else ''}" if record else "not recorded"
        return ({"uploaded": False, "duplicate": True, "location": location, "video_id": video_id, "status": state},
                f"{path.name} is already uploaded as {location} (video {video_id}, {state}); nothing uploaded. "
                "To process it again, upload it under another name.")
    config = TransferConfig(multipart_threshold=PART_BYTES, multipart_chunksize=PART_BYTES)
    bar = progress(total=path.stat().st_size, unit="B", unit_scale=True, desc=f"uploading {path.name}",
                   disabled=args.no_progress)
    try:
        s3.upload_file(str(path), bucket, key, ExtraArgs={"ContentType": "video/mp4"}, Config=config,
                       Callback=bar.update)
    finally:
        bar.close()
    stored = s3.head_object(Bucket=bucket, Key=key).get("ETag", "").strip('"')
    video_id = upload_video_id(args.camera, bucket, key, stored)
    return ({"uploaded": True, "duplicate": False, "location": location, "video_id": video_id,
             "replaced_an_earlier_file": existing is not None},
            f"uploaded {path.name} as {location}"
            + (" (a different file of that name was there: this one is a new video)" if existing else "")
            + f": video {video_id}")


def _wait_and_report(args: argparse.Namespace, records: Any, answer: dict[str, Any]) -> int:
    """--wait: every window of the upload decided, then printed; a rejected or failed one is the command's error."""
    import time

    from videoalert.domain.ids import upload_window_id

    from ..errors import UserError
    from ..output import print_json

    video_id = answer["video_id"]
    deadline = time.monotonic() + args.timeout
    record = _wait(records, video_id, args.timeout)
    # A long upload is one record per minute: the first says how many; each is waited for and reported.
    windows = [record]
    for index in range(1, record.windows_total or 1):
        windows.append(_wait(records, upload_window_id(video_id, index), max(0.0, deadline - time.monotonic())))
    answer.update(status=str(record.status), decision=record.decision and str(record.decision),
                  reason=record.reason, max_score=record.max_score)
    if len(windows) > 1:
        answer["windows"] = [{"video_id": w.video_id, "window_index": w.window_index or 0, "status": str(w.status),
                              "decision": w.decision and str(w.decision), "reason": w.reason,
                              "max_score": w.max_score} for w in windows]
    if args.json:
        print_json(answer)
    else:
        from ..formatting import record_summary, video_table

        print(record_summary(record.to_item()))
        if len(windows) > 1:
            print(f"\n{len(windows)} one-minute windows:\n{video_table([w.to_item() for w in windows])}")
    bad = [w for w in windows if str(w.status) in ("REJECTED", "FAILED")]
    if bad:
        raise UserError("; ".join(f"video {w.video_id} was {w.status}: {w.reason} {w.reason_detail or ''}".strip()
                                  for w in bad))
    return 0


def _wait(records: Any, video_id: str, timeout_s: float) -> Any:
    import time

    from ..errors import UserError

    deadline = time.monotonic() + timeout_s
    while True:
        record = records.get(video_id)
        if record is not None and str(record.status) in ("DONE", "REJECTED", "FAILED"):
            return record
        if time.monotonic() >= deadline:
            state = record.status if record else "no record yet"
            raise UserError(f"video {video_id} not decided within {timeout_s:.0f} s ({state}); the dispatcher may "
                            f"still be working: `videoalert status {video_id}`")
        time.sleep(1.0)
