"""`videoalert run-local [VIDEO ...]`: the whole pipeline on an embedded AWS emulator."""
from __future__ import annotations

import argparse
from typing import Any

from ..options import camera_id


def register(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser("run-local", parents=parents, description=__doc__,
                            help="run the whole pipeline locally on an embedded AWS emulator (moto)")
    parser.add_argument("videos", nargs="*", metavar="VIDEO",
                        help="video files (default: the sample clips in ../shared/data/clips)")
    parser.add_argument("--camera", default="cam1", type=camera_id, help="the camera id to use (default cam1)")
    parser.add_argument("--model-dir", default=None, help="released model folder (default: models/)")
    parser.add_argument("--report-dir", default="out/local-run", help="where report.html goes")
    parser.add_argument("--serve", action="store_true",
                        help="keep the emulator running afterwards, processing new uploads (--local in other commands)")
    parser.set_defaults(func=run)


def run(args) -> int:
    from pathlib import Path

    from ..errors import UserError
    from ..local_run import DEFAULT_CLIPS, DEFAULT_MODEL_DIR, run_local

    videos = [Path(v) for v in args.videos] or sorted(DEFAULT_CLIPS.glob("*.mp4"))
    if not videos:
        raise UserError(f"no videos given and no sample clips in {DEFAULT_CLIPS}")
    run_local(videos, camera=args.camera, model_dir=Path(args.model_dir) if args.model_dir else DEFAULT_MODEL_DIR,
              report_dir=Path(args.report_dir), serve=args.serve)
    return 0
