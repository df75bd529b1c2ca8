"""`videoalert upload CAMERA FILE`: put a video under uploads/<camera>/, where the dispatcher picks it up."""
from __future__ import annotations


def register(sub) -> None:
    from ..resources import add_target_arguments

    parser = sub.add_parser("upload", help="upload a video file for a camera (processed like a stream minute)")
    parser.add_argument("camera")
    parser.add_argument("file")
    add_target_arguments(parser)
    parser.set_defaults(func=run)


def run(args) -> int:
    from pathlib import Path

    from videoalert_contract.names import UPLOADS_PREFIX, is_valid_camera_id

    from ..errors import UserError
    from ..resources import resolve

    path = Path(args.file)
    if not path.is_file():
        raise UserError(f"{path} is not a file")
    if not is_valid_camera_id(args.camera):
        raise UserError(f"{args.camera!r} is not a valid camera id (letters, digits, '-', '_', '.')")
    target = resolve(args)
    key = f"{UPLOADS_PREFIX}{args.camera}/{path.name}"
    target.client("s3").upload_file(str(path), target.resources["video_bucket"], key,
                                    ExtraArgs={"ContentType": "video/mp4"})
    print(f"uploaded s3://{target.resources['video_bucket']}/{key}; follow it with "
          f"`videoalert list --camera {args.camera}{' --local' if args.local else ''}`")
    return 0
