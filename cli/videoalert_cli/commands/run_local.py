"""`videoalert run-local [VIDEO ...]`: the whole pipeline on embedded emulators, by the upload and the camera path.

Upload path: each video is uploaded under uploads/<camera>/ and S3's notification runs the dispatcher.
Camera path: each video is pushed (PutMedia, as `videoalert push` does) into a local Kinesis Video Streams
stand-in at its own minute of producer time, and the dispatcher's scheduled runs cut those minutes with
ListFragments and GetClip. Both are scored by the real inference handler with the released model.
"""
from __future__ import annotations

import argparse
from typing import Any

from ..options import add_json, add_progress, camera_id


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("run-local", parents=parents,
                            help="run the whole pipeline locally on embedded emulators (moto, a KVS stand-in)",
                            description=__doc__,
                            epilog="environment: VIDEOALERT_SHARED_DATA (the sample clips' folder, default "
                                   "../shared/data), POWERTOOLS_LOG_LEVEL (the handlers' log level, default WARNING), "
                                   "VIDEOALERT_LOCAL_STATE (where --serve records the emulators)")
    parser.add_argument("videos", nargs="*", metavar="VIDEO",
                        help="video files (default: the sample clips in $VIDEOALERT_SHARED_DATA/clips)")
    parser.add_argument("--camera", default="cam1", type=camera_id, help="the camera id to use (default cam1)")
    parser.add_argument("--path", choices=["both", "upload", "camera"], default="both",
                        help="which way the videos go in: uploaded, streamed by the camera path, or both (default)")
    parser.add_argument("--model-dir", default=None, metavar="DIR", help="released model folder (default: models/)")
    parser.add_argument("--report-dir", default="out/local-run", metavar="DIR",
                        help="where report.html goes (default out/local-run)")
    parser.add_argument("--serve", action="store_true",
                        help="keep the emulators running afterwards, processing new uploads and pushes (use the "
                             "other commands with --local)")
    add_json(parser, "the records, alerts and checks")
    add_progress(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import sys
    from pathlib import Path

    from videoalert_local.local_run import DEFAULT_CLIPS, DEFAULT_MODEL_DIR, PATHS, run_local

    from ..errors import UserError
    from ..output import note, print_json

    videos = [Path(v) for v in args.videos] or sorted(DEFAULT_CLIPS.glob("*.mp4"))
    if not videos:
        raise UserError(f"no videos given and no sample clips in {DEFAULT_CLIPS} ($VIDEOALERT_SHARED_DATA)")
    result = run_local(videos, camera=args.camera,
                       model_dir=Path(args.model_dir) if args.model_dir else DEFAULT_MODEL_DIR,
                       report_dir=Path(args.report_dir), serve=args.serve,
                       paths=PATHS if args.path == "both" else (args.path,),
                       say=note if args.json else print, show_progress=not args.no_progress and sys.stderr.isatty())
    if args.json:
        print_json(result.to_dict())
    missing = [f"{name} ({path} path)" for path, files in (("upload", result.uploads), ("camera", result.streamed))
               for name in files if result.record_for(name, path) is None]
    if missing:
        raise UserError(f"no record for {len(missing)} video(s): {', '.join(missing)}")
    return 0
