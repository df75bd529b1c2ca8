"""The whole pipeline on the embedded emulators, by both paths a clip can take.

Upload path: each video is uploaded under uploads/<camera>/; S3's real ObjectCreated notification reaches
the dispatcher handler. Camera path: each video is streamed with `videoalert push`'s code (PutMedia, SigV4,
acknowledgements) into the local Kinesis Video Streams stand-in at its own minute of producer time, and the
dispatcher handler, woken by EventBridge's scheduled event once a minute of that (simulated) clock, cuts the
camera's minutes from the stream with ListFragments and GetClip. Both paths then score with the real
inference handler, decide, record and alert as in AWS. The run prints one table of both, and writes a report.
"""
from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from videoalert_cli.checkout import DEFAULT_MODEL_DIR, ROOT
from videoalert_cli.errors import UserError
from videoalert_cli.output import progress

from . import emulator, results
from .camera_path import camera_path, plan_camera_path
from .pipeline import start_pipeline
from .results import PATHS, LocalRunResult
from .serve import refuse_a_second_emulator, serve_until_stopped
from .upload_path import finish_open_records, upload_path

DEFAULT_CLIPS = Path(os.environ.get("VIDEOALERT_SHARED_DATA", ROOT.parent / "shared" / "data")) / "clips"
# The handlers' settings for the run; the caller's environment wins (POWERTOOLS_LOG_LEVEL=DEBUG, say).
HANDLER_DEFAULTS = {
    "POWERTOOLS_SERVICE_NAME": "videoalert-local",
    "POWERTOOLS_METRICS_NAMESPACE": "videoalert",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
    "POWERTOOLS_METRICS_DISABLED": "true",
}

__all__ = ["DEFAULT_CLIPS", "DEFAULT_MODEL_DIR", "PATHS", "LocalRunResult", "run_local"]


def run_local(
    videos: list[Path],
    *,
    camera: str = "cam1",
    model_dir: Path = DEFAULT_MODEL_DIR,
    report_dir: Path | None = Path("out/local-run"),
    serve: bool = False,
    quiet: bool = False,
    show_record: bool = True,
    paths: tuple[str, ...] = PATHS,
    camera_videos: list[Path] | None = None,
    say: Callable[[str], None] | None = None,
    show_progress: bool = False,
    serve_clock: Callable[[], datetime] | None = None,
    stop: threading.Event | None = None,
) -> LocalRunResult:
    """Run the pipeline over `videos` (upload path) and `camera_videos` (camera path; default the same videos).

    serve: keep the emulators running (until Ctrl-C, or `stop` is set), handling uploads and redrives as they
    arrive and sending the scheduled event every serve.SERVE_TICK_S with the time `serve_clock` gives (default now).
    """
    say = (lambda message: None) if quiet else (say or print)
    camera_videos = list(videos if camera_videos is None else camera_videos) if "camera" in paths else []
    upload_videos = list(videos) if "upload" in paths else []
    missing = [v for v in {*upload_videos, *camera_videos} if not v.is_file()]
    if missing:
        raise UserError(f"not found: {', '.join(map(str, sorted(missing)))}")
    if not (model_dir / "model_card.json").exists():
        raise UserError(f"no released model in {model_dir} (expected person_classifier.onnx + model_card.json)")
    if show_progress:
        say = _around_the_bar(say)
    if serve:
        refuse_a_second_emulator()
    with _environment(MODEL_DIR=str(model_dir), **emulator.DUMMY_CREDENTIALS,
                      **{k: os.environ.get(k, v) for k, v in HANDLER_DEFAULTS.items()}), \
            start_pipeline(camera, say) as pipe:
        plan = plan_camera_path(pipe, camera_videos, camera, say)
        bar = progress(total=len(upload_videos) + len(plan.videos) + len(plan.runs), unit="step", desc="local run",
                       disabled=not show_progress)
        try:
            uploads = upload_path(pipe, upload_videos, camera, say, bar)
            streamed = camera_path(pipe, plan, camera, say, bar)
            finish_open_records(pipe, serve_clock or _now, say)
        finally:
            bar.close()
        result = results.collect(pipe, uploads, streamed, results.load_labels([*upload_videos, *camera_videos]))
        results.show(result, say, show_record)
        if report_dir is not None:
            from .report import write_report

            def read_clip(record: dict[str, Any]) -> list[bytes]:
                keys = [record["s3_key"], *(record.get("more_keys") or [])] if record.get("s3_key") else []
                s3 = pipe.client("s3")
                return [s3.get_object(Bucket=record["s3_bucket"], Key=k)["Body"].read() for k in keys]

            result.report_path = write_report(result, report_dir, read_clip)
            say(f"\nreport: {result.report_path}")
        if serve:
            serve_until_stopped(pipe, camera, clock=serve_clock or _now, stop=stop or threading.Event(), say=say)
        return result


def _now() -> datetime:
    return datetime.now(UTC)


def _around_the_bar(say: Callable[[str], None]) -> Callable[[str], None]:
    """Messages printed while the progress bar is drawn: the bar steps aside and comes back under them."""
    def written(message: str) -> None:
        from tqdm import tqdm

        with tqdm.external_write_mode(file=sys.stderr):
            say(message)

    return written


@contextlib.contextmanager
def _environment(**values: str) -> Iterator[None]:
    """Set environment variables for the run and put every one back afterwards (tests run in one process)."""
    previous = {k: os.environ.get(k) for k in [*values, "AWS_ENDPOINT_URL", "AWS_PROFILE"]}
    os.environ.update(values)
    os.environ.pop("AWS_PROFILE", None)  # the emulator's dummy credentials, never a profile's real ones
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
