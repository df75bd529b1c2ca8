"""The camera path of a local run: each video pushed (PutMedia, as `videoalert push` does) into the KVS stand-in at
its own minute of producer time, then the dispatcher's scheduled runs cut those minutes with ListFragments and
GetClip."""
from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from .emulator import REGION
from .events import scheduled_event
from .handlers import call_handler
from .pipeline import LocalPipeline


@dataclass
class CameraPlan:
    """The videos that can be streamed, their lengths, the producer minute each starts at, the scheduled runs that
    cut them; and the videos that cannot be read, with the reason."""

    videos: list[Path] = field(default_factory=list)
    seconds: dict[Path, float] = field(default_factory=dict)
    starts: list[datetime] = field(default_factory=list)
    runs: list[datetime] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)  # video file name -> why it could not be streamed


@dataclass
class CameraPathResult:
    streamed: dict[str, str] = field(default_factory=dict)  # video file name -> video_id of its (first) minute
    pushed: dict[str, dict[str, Any]] = field(default_factory=dict)  # video file name -> its push summary
    not_pushed: dict[str, str] = field(default_factory=dict)  # video file name -> why it could not be streamed
    stream_minutes: dict[str, str] = field(default_factory=dict)  # video_id of every minute a file covers -> file
    idle: int = 0  # minutes with no media (logged skips, no record)


def clip_seconds(video: Path) -> float:
    import av

    with av.open(str(video)) as container:
        if container.duration:
            return float(container.duration) / 1_000_000
        stream = container.streams.video[0]
        return float((stream.duration or 0) * (stream.time_base or 0))


def plan_minutes(seconds: list[float], now: datetime, *, gap_minutes: int, settle_seconds: int) -> list[datetime]:
    """The producer minute each clip starts at: in order, gap_minutes apart (more for a clip over a minute),
    all ended and settled before `now`, so the schedule can cut every one of them."""
    offsets, offset = [], 0
    for length in seconds:
        offsets.append(offset)
        offset += max(gap_minutes, math.ceil(length / 60) or 1)
    span = offsets[-1] + (math.ceil(seconds[-1] / 60) or 1) if seconds else 0
    first = now.replace(second=0, microsecond=0) - timedelta(minutes=span + math.ceil(settle_seconds / 60) + 1)
    return [first + timedelta(minutes=o) for o in offsets]


def plan_camera_path(pipe: LocalPipeline, videos: list[Path], camera: str, say: Callable[[str], None]) -> CameraPlan:
    """Read each video's length (one unreadable file is that file's, never the run's), then place them."""
    plan = CameraPlan()
    for video in videos:
        try:
            plan.seconds[video] = clip_seconds(video)
            plan.videos.append(video)
        except Exception as exc:  # noqa: BLE001 - one unreadable file is that file's, never the run's
            plan.refused[video.name] = f"cannot read it as video: {type(exc).__name__}: {exc}"
            say(f"camera path: {video.name} is not streamed ({plan.refused[video.name]})")
    if not plan.videos:
        return plan
    registered = pipe.deps.cameras.get(camera)
    assert registered is not None, f"{camera} was seeded when the pipeline started"
    settle = pipe.deps.settings.settle_seconds
    # Each clip its own event: further apart than the camera's cooldown, so no clip continues another's alert.
    gap = math.ceil(registered.rule.cooldown_s / 60) + 1
    plan.starts = plan_minutes([plan.seconds[v] for v in plan.videos], datetime.now(UTC), gap_minutes=gap,
                               settle_seconds=settle)
    last_end = plan.starts[-1] + timedelta(minutes=math.ceil(plan.seconds[plan.videos[-1]] / 60) or 1)
    minute = plan.starts[0]
    while minute < last_end:
        plan.runs.append(minute + timedelta(minutes=1, seconds=settle))
        minute += timedelta(minutes=1)
    return plan


def camera_path(pipe: LocalPipeline, plan: CameraPlan, camera: str, say: Callable[[str], None],
                bar: Any) -> CameraPathResult:
    """Push every planned video, then send the scheduled events that cut their minutes."""
    from videoalert.domain.ids import stream_video_id
    from videoalert_cli.errors import UserError
    from videoalert_cli.kvs.producer import push_source
    from videoalert_contract.names import stream_name

    result = CameraPathResult(not_pushed=dict(plan.refused))
    if not plan.videos:
        return result
    name = stream_name(camera)
    credentials = pipe.sess.get_credentials()
    bar.set_description("camera path: push")
    started = time.monotonic()
    for video, start in zip(plan.videos, plan.starts, strict=True):
        try:
            summary = push_source(str(video), stream=name, kvs_client=pipe.kvs_client, credentials=credentials,
                                  region=REGION, start_ms=round(start.timestamp() * 1000))
        except Exception as exc:  # noqa: BLE001 - the source cannot be packed, or the stand-in refused it: say so,
            # go on with the other files (one bad file is that file's, never the run's)
            why = str(exc) if isinstance(exc, UserError) else f"{type(exc).__name__}: {exc}"
            result.not_pushed[video.name] = why
            say(f"camera path: {video.name} is not streamed ({why})")
            continue
        finally:
            bar.update(1)
        say(f"camera path: pushed {video.name} to {name} from {start:%H:%M:%S}Z ({summary.mode}): "
            f"{summary.persisted}/{summary.fragments_sent} fragments persisted")
        result.streamed[video.name] = stream_video_id(camera, start)
        result.pushed[video.name] = summary.to_dict()
        last = summary.last_timecode_ms or round(start.timestamp() * 1000)
        minute = start
        while minute.timestamp() * 1000 <= last:
            result.stream_minutes[stream_video_id(camera, minute)] = video.name
            minute += timedelta(minutes=1)
    pushed_s = time.monotonic() - started
    bar.set_description("camera path: schedule")
    cut, started = 0, time.monotonic()
    for at in plan.runs:
        answer = call_handler(pipe.dispatcher, scheduled_event(at))
        for outcome in answer.get("outcomes", []):
            if outcome.get("status") == "IDLE":
                result.idle += 1
            elif outcome.get("video_id"):
                cut += 1
        bar.update(1)
    say(f"camera path: {len(plan.videos)} video(s) pushed in {pushed_s:.1f} s; {len(plan.runs)} scheduled runs "
        f"({plan.runs[0]:%H:%M}-{plan.runs[-1]:%H:%M}Z) cut {cut} minute(s) with media and skipped {result.idle} "
        f"idle minute(s) in {time.monotonic() - started:.1f} s")
    return result
