"""The upload path of a local run: videos uploaded under uploads/<camera>/, S3's events to the dispatcher, then the
schedule until no record is open."""
from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from .events import deliver_events, scheduled_event
from .handlers import handle
from .pipeline import LocalPipeline

FINISH_LIMIT_S = 900.0  # the run's schedule gives the records left open (a long upload's later windows) this long


def upload_path(pipe: LocalPipeline, videos: list[Path], camera: str, say: Callable[[str], None],
                bar: Any) -> dict[str, str]:
    """Upload each video and hand S3's events to the dispatcher; returns video file name -> its S3 key."""
    if not videos:
        return {}
    s3 = pipe.client("s3")
    uploads = {}
    bar.set_description("upload path")
    for video in videos:
        key = f"uploads/{camera}/{video.name}"
        s3.upload_file(str(video), pipe.res.video_bucket, key)
        uploads[video.name] = key
    say(f"upload path: {len(videos)} video(s) uploaded to s3://{pipe.res.video_bucket}/uploads/{camera}/")
    started = time.monotonic()
    delivered = deliver_events(pipe.sess, pipe.endpoint, pipe.queue_url, pipe.dispatcher, wait_s=2.0,
                               on_done=lambda answer: bar.update(1))
    while delivered < len(videos) and time.monotonic() - started < 60:
        delivered += deliver_events(pipe.sess, pipe.endpoint, pipe.queue_url, pipe.dispatcher, wait_s=1.0,
                                    on_done=lambda answer: bar.update(1))
    say(f"upload path: the dispatcher handled {delivered} S3 event(s) in {time.monotonic() - started:.1f} s")
    return uploads


def finish_open_records(pipe: LocalPipeline, clock: Callable[[], datetime], say: Callable[[str], None]) -> None:
    """Run the schedule until no record is open, as EventBridge's every-minute event would: an upload's event takes
    its first windows (max_windows_per_run), the scheduled runs' recovery the rest, each due a second after the one
    before it. Runs after the camera path, whose minutes the schedule cut already (a later tick finds them cut)."""
    from videoalert.store.videos import VideoRecords

    records = VideoRecords(pipe.table(pipe.res.videos_table))
    started, runs = time.monotonic(), 0
    while any(r.due_at for r in records.all()):
        if time.monotonic() - started > FINISH_LIMIT_S:
            say(f"records still open after {FINISH_LIMIT_S:.0f} s of scheduled runs: the table shows "
                "them RECEIVED (with --serve the schedule goes on)")
            return
        answer = handle(pipe.dispatcher, scheduled_event(clock()))
        runs += 1
        if not any(o.get("video_id") and o.get("status") != "IDLE" for o in answer.get("outcomes", [])):
            time.sleep(1.0)  # nothing was due yet: the next window is due a second after the last
    if runs:
        say(f"schedule: {runs} scheduled run(s) finished the records left open (a long upload's later "
            f"windows) in {time.monotonic() - started:.1f} s")
