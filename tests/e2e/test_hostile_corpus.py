"""Issue 21, acceptance: a hostile-input corpus (files, events and injected faults) through the real pipeline, every
input ending in its documented status: nothing lost, nothing duplicated. README.md "Reliability" shows this table.

Real dispatcher and inference handlers in-process on moto, the tiny model that calls a red frame a person, the work
limits lowered so that small files can pass them (MAX_PIXELS 320x240, MAX_FRAMES_DECODED 1500, MAX_PACKETS_DEMUXED
20000, uploads of at most 5 minutes, 3 MB). Issue 30 added the classes an independent probe still broke: damaged
containers of each format (bit flips, cut short, a faststart MP4 cut short, an MPEG-TS stream appearing mid-file),
decoder errors mid-stream, a packet flood, scheduled events with odd times, a camera job outside uploads/, and hostile
requests to the public links function.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from fixtures.bad_videos import audio_only, jpeg_named_mp4, truncated
from fixtures.damaged_media import (
    FORMATS,
    cut,
    faststart_mp4,
    flip_bits,
    garbage_mid_stream,
    packet_flood,
    person_clip,
    ts_with_stream_appearing,
)
from fixtures.faults import Crash, crash_after, crash_before
from fixtures.hostile_media import growing_frames_ts, mkv_with_timestamps
from fixtures.media import BLUE, RED, cfr_times, encode_clip
from handlers.conftest import LambdaContext, upload_event
from videoalert.domain.ids import upload_video_id

RED_FROM = 40  # hostile timestamp clips (100 frames): frames from 40 on are red


@dataclass
class Case:
    name: str
    kind: str  # file | event | fault
    expect: str  # the documented outcome, as README's table shows it
    keys: list[str] = field(default_factory=list)  # upload keys whose records belong to this input
    alerts: int | None = 0  # alerts it must give (None: at most one, for a file whose damage decides it)


def red_late(i: int) -> tuple[int, int, int]:
    return RED if i >= RED_FROM else BLUE


def clip(seconds: float, fps: float = 10, red: tuple[float, float] = (-1, -1), **kwargs) -> bytes:
    lo, hi = red
    return encode_clip(cfr_times(seconds, fps), lambda t: RED if lo <= t < hi else BLUE, **kwargs)


def mjpeg_avi() -> bytes:
    import io

    import av

    out = io.BytesIO()
    with av.open(out, "w", format="avi") as container:
        stream = container.add_stream("mjpeg", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuvj420p"
        for i in range(30):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), (255, 0, 0) if i >= 10 else (0, 0, 255),
                                                       np.uint8), format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, 10)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return out.getvalue()


FILES: dict[str, tuple[str, int | None]] = {  # file -> (documented outcome, alerts)
    "person.mp4": ("DONE ALERT", 1),
    "empty_scene.mp4": ("DONE NO_ALERT", 0),
    "zero_bytes.mp4": ("REJECTED EMPTY_VIDEO", 0),
    "truncated_half.ts": ("DONE ALERT (the frames before the cut)", 1),
    "header_only.mp4": ("REJECTED CORRUPT_VIDEO", 0),
    "jpeg_named_mp4.mp4": ("REJECTED CORRUPT_VIDEO", 0),
    "text.mp4": ("REJECTED CORRUPT_VIDEO", 0),
    "random_bytes.mp4": ("REJECTED CORRUPT_VIDEO", 0),
    "aac_audio_only.mp4": ("REJECTED NO_VIDEO_TRACK", 0),
    "wav_named_mp4.mp4": ("REJECTED NO_VIDEO_TRACK", 0),
    "one_frame.mp4": ("DONE NO_ALERT", 0),
    "timestamps_all_zero.mkv": ("DONE ALERT (sampled by position)", 1),
    "timestamps_backwards.mkv": ("DONE ALERT (sampled by position)", 1),
    "timestamps_jump_10h.mkv": ("DONE ALERT (sampled by position)", 1),
    "timestamps_negative.mkv": ("DONE ALERT (sampled by position)", 1),
    "timestamps_restarting.mkv": ("DONE ALERT (sampled by position)", 1),
    "frames_grow_past_limit.ts": ("REJECTED TOO_LARGE", 0),
    "frames_over_pixel_limit.mp4": ("REJECTED TOO_LARGE", 0),
    "240fps_one_keyframe.mp4": ("REJECTED OVER_LIMIT", 0),
    "three_minutes_person_at_2_30.mp4": ("3 windows DONE: NO_ALERT, NO_ALERT, ALERT", 1),
    "six_minutes.mp4": ("REJECTED TOO_LONG", 0),
    "over_byte_limit.mp4": ("REJECTED TOO_LARGE", 0),
    "variable_frame_rate.mp4": ("DONE ALERT", 1),
    "mpegts.ts": ("DONE ALERT", 1),
    "mpeg4_part2.mkv": ("DONE ALERT", 1),
    "vp9.webm": ("DONE ALERT", 1),
    "mjpeg.avi": ("DONE ALERT", 1),
    "b_frames.mp4": ("DONE ALERT", 1),
    "odd_size_63x47.mp4": ("DONE ALERT", 1),
    "tiny_16x16.mp4": ("DONE ALERT", 1),
    "name with spaces ü.mp4": ("DONE ALERT", 1),
    # issue 30: damaged containers of each format (a person in each from 1 s), decoder errors, a packet flood
    # (8 bit flips past the first fifth of the file; cut at half its bytes): what decodes is scored, else REJECTED.
    # What 8 flips leave decodable was seen to differ between processes on identical bytes (decoding damaged input is
    # not deterministic here), so a flipped file is held to its class: never FAILED, never open, at most one alert.
    **{f"bit_flips_{fmt}.{fmt}": ("DONE or REJECTED (what decodes is scored; never FAILED)", None)
       for fmt in FORMATS},
    "cut_half_mp4.mp4": ("REJECTED CORRUPT_VIDEO (its index is at the end)", 0),
    "cut_half_mkv.mkv": ("DONE NO_ALERT (the frames before the cut, before the person)", 0),
    "cut_half_webm.webm": ("DONE ALERT (the frames before the cut)", 1),
    "cut_half_ts.ts": ("DONE ALERT (the frames before the cut)", 1),
    "cut_half_mov.mov": ("REJECTED CORRUPT_VIDEO (its index is at the end)", 0),
    "cut_half_flv.flv": ("DONE ALERT (the frames before the cut)", 1),
    "faststart_cut_half.mp4": ("DONE or REJECTED (its index promises what is gone; seen to differ between runs)", None),
    "mpegts_stream_appears_mid_file.ts": ("DONE ALERT", 1),
    "garbage_frames_mid_stream.mkv": ("DONE ALERT (the damaged GOP lost)", 1),
    "packet_flood_30000.mkv": ("REJECTED OVER_LIMIT (packets demuxed)", 0),
}


def make_files(d: Path) -> dict[str, bytes]:
    person = clip(4, red=(1, 4))
    long_person = clip(180, fps=1, red=(150, 180))
    files = {
        "person.mp4": person,
        "empty_scene.mp4": clip(4),
        "zero_bytes.mp4": b"",
        "header_only.mp4": person[:40],
        "text.mp4": b"this is not a video, just some words\n" * 20,
        "random_bytes.mp4": np.random.default_rng(1).integers(0, 256, 5000, dtype=np.uint8).tobytes(),
        "one_frame.mp4": clip(0.1),
        "timestamps_all_zero.mkv": mkv_with_timestamps([0] * 100, colour_of=red_late),
        "timestamps_backwards.mkv": mkv_with_timestamps([20_000 - 100 * i for i in range(100)], colour_of=red_late),
        "timestamps_jump_10h.mkv": mkv_with_timestamps(
            [100 * i for i in range(50)] + [36_000_000 + 100 * i for i in range(50)], colour_of=red_late),
        "timestamps_negative.mkv": mkv_with_timestamps([-20_000 + 100 * i for i in range(100)], colour_of=red_late),
        "timestamps_restarting.mkv": mkv_with_timestamps([100 * (i % 40) for i in range(100)], colour_of=red_late),
        "frames_grow_past_limit.ts": growing_frames_ts([(64, 48), (640, 480)], frames_each=10),
        "frames_over_pixel_limit.mp4": clip(2, size=(640, 480)),
        "240fps_one_keyframe.mp4": clip(10, fps=240, gop=2400, b_frames=0, size=(32, 32)),
        "three_minutes_person_at_2_30.mp4": long_person,
        "six_minutes.mp4": clip(360, fps=1),
        "over_byte_limit.mp4": np.random.default_rng(2).integers(0, 256, 3 * 1024 * 1024 + 1, np.uint8).tobytes(),
        "variable_frame_rate.mp4": encode_clip([0, 0.1, 0.15, 0.9, 1.0, 1.05, 2.5, 3.0, 3.2],
                                               lambda t: RED if t >= 1 else BLUE),
        "mpegts.ts": clip(4, red=(1, 4), container_format="mpegts"),
        "mpeg4_part2.mkv": clip(4, red=(1, 4), container_format="matroska", codec="mpeg4"),
        "vp9.webm": clip(4, red=(1, 4), container_format="webm", codec="libvpx-vp9"),
        "mjpeg.avi": mjpeg_avi(),
        "b_frames.mp4": clip(4, red=(1, 4), b_frames=2, gop=20),
        "tiny_16x16.mp4": clip(4, red=(1, 4), size=(16, 16)),
        "name with spaces ü.mp4": person,
    }
    for fmt in FORMATS:
        files[f"bit_flips_{fmt}.{fmt}"] = flip_bits(person_clip(fmt), 8, seed=0)
        files[f"cut_half_{fmt}.{fmt}"] = cut(person_clip(fmt), 0.5)
    files["faststart_cut_half.mp4"] = cut(faststart_mp4(person_clip("mp4", seconds=6)), 0.5)
    files["mpegts_stream_appears_mid_file.ts"] = ts_with_stream_appearing(person_clip("ts"))
    files["garbage_frames_mid_stream.mkv"] = garbage_mid_stream()
    files["packet_flood_30000.mkv"] = packet_flood(30_000)
    files["odd_size_63x47.mp4"] = _odd_size(d)
    whole = _write(d / "full.ts", clip(6, red=(0, 6), gop=10, container_format="mpegts"))
    files["truncated_half.ts"] = truncated(whole, d / "truncated_half.ts", keep=0.5).read_bytes()
    files["jpeg_named_mp4.mp4"] = jpeg_named_mp4(d / "photo.mp4").read_bytes()
    files["aac_audio_only.mp4"] = audio_only(d / "audio.mp4").read_bytes()
    files["wav_named_mp4.mp4"] = audio_only(d / "audio.wav", container="wav").read_bytes()
    assert set(files) == set(FILES)
    return files


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _odd_size(d: Path) -> bytes:
    """An MPEG-4 Part 2 clip of 63x47 (x264 refuses odd sizes; mpeg4 does not)."""
    return encode_clip(cfr_times(4, 10), lambda t: RED if t >= 1 else BLUE, size=(63, 47), codec="mpeg4",
                       container_format="matroska")


EVENTS: dict[str, dict | str | list] = {  # malformed events: each logged and dropped, nothing recorded
    "key is a number": upload_event("videoalert-videos-local", 7),
    "bucket is a list": upload_event(["videoalert-videos-local"], "uploads/cam1/x.mp4"),
    "etag is a number": upload_event("videoalert-videos-local", "uploads/cam1/x.mp4", etag=5),
    "not an object": "a string",
    "a list": [1, 2, 3],
    "no Records": {"Records": []},
    "an SQS record": {"Records": [{"eventSource": "aws:sqs", "body": "{}"}]},
    "ObjectRemoved": {"Records": [{"eventSource": "aws:s3", "eventName": "ObjectRemoved:Delete",
                                   "s3": {"bucket": {"name": "b"}, "object": {"key": "uploads/cam1/x.mp4"}}}]},
    "schedule without a time": {"source": "aws.events", "detail-type": "Scheduled Event"},
    "schedule with a bad time": {"source": "aws.events", "detail-type": "Scheduled Event", "time": "yesterday"},
    "redrive ids not a list": {"action": "redrive", "video_ids": "cam1-x"},
    "EventBridge without object": {"source": "aws.s3", "detail-type": "Object Created", "detail": {"bucket": {}}},
    # issue 30: scheduled events with odd times
    "schedule dated 2099": {"source": "aws.events", "detail-type": "Scheduled Event", "time": "2099-01-01T00:00:00Z"},
    "schedule dated an hour ahead": {"source": "aws.events", "detail-type": "Scheduled Event",
                                     "time": (datetime.now(UTC) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")},
    "schedule time is a number": {"source": "aws.events", "detail-type": "Scheduled Event", "time": 4102444800},
    "schedule time is a list": {"source": "aws.events", "detail-type": "Scheduled Event", "time": ["2026"]},
}

# issue 30: requests to the public links function no page of ours sends: each answered 400, nothing changed
FORMS = {
    "links: token not base64url": ("GET", "/label?v=cam1-x&t=v1.%C3%A9.AAAA", b""),
    "links: review token not base64url": ("GET", "/review?c=cam1&t=v1.%C3%A9.AAAA", b""),
    "links: 50 form fields": ("POST", "/label", "&".join(f"f{i}=x" for i in range(50)).encode()),
    "links: body not UTF-8": ("POST", "/label", b"v=cam1-x&t=\xff\xfe\xfd"),
    "links: form escape not UTF-8": ("POST", "/label", b"v=cam1-x&t=%FF%FE"),
    "links: JSON body": ("POST", "/label", b'{"v": "cam1-x", "t": "v1.a.b"}'),
    "links: signature with a trailing =": ("GET", "/label?v={video}&t={token}%3D", b""),
}


@pytest.fixture
def hostile(pipeline, monkeypatch, tmp_path):
    """The pipeline with the red-is-a-person model and the corpus's lowered limits."""
    from fixtures.onnx_models import write_tiny_model
    from videoalert_inference import handler as inference
    from videoalert_local import handlers as local_handlers

    monkeypatch.setenv("MODEL_DIR", str(write_tiny_model(tmp_path / "red", redness=True, input_size=32)))
    monkeypatch.setenv("MAX_PIXELS", str(320 * 240))
    monkeypatch.setenv("MAX_FRAMES_DECODED", "1500")
    monkeypatch.setenv("MAX_PACKETS_DEMUXED", "20000")
    monkeypatch.setattr(local_handlers, "DEAD_LETTERS", tmp_path / "dead-letters.jsonl")
    inference.reset_runtime()
    pipeline.deps.settings = replace(pipeline.deps.settings, max_upload_minutes=5, max_video_bytes=3 * 1024 * 1024)
    # The red-is-a-person model sees whole red frames, which the person detector does not propose: score them whole
    # (since the detect mode looks again only where the picture changed, its tiles no longer stand in for them).
    from videoalert.domain.rule import Rule

    pipeline.deps.cameras.put_rule("cam1", Rule(regions="full"))
    return pipeline


def queue(pipeline, event) -> None:
    pipeline.sess.client("sqs").send_message(QueueUrl=pipeline.queue_url, MessageBody=json.dumps(event))


def s3_event(pipeline, key: str) -> dict:
    s3 = pipeline.sess.client("s3")
    etag = s3.head_object(Bucket=pipeline.res.video_bucket, Key=key)["ETag"]
    return upload_event(pipeline.res.video_bucket, key, etag.strip('"'))


def invoke(pipeline, event):
    return pipeline.dispatcher.handler(event, LambdaContext())


@pytest.mark.slow
def test_every_hostile_input_ends_in_its_documented_status(hostile, tmp_path, monkeypatch, clips_dir):
    p = hostile
    s3 = p.sess.client("s3")
    bucket = p.res.video_bucket
    cases: list[Case] = []

    # ---- files: each uploaded once, its event delivered twice (S3 may deliver an event more than once)
    for name, data in make_files(tmp_path).items():
        key = p.upload("cam1", _write(tmp_path / "up.bin", data), name=name)
        queue(p, s3_event(p, key))
        outcome, alerts = FILES[name]
        cases.append(Case(name, "file", outcome, [key], alerts))
    # ---- uploads that are odd by where or how they arrive
    person = clip(3, red=(0, 3))
    ghost = p.upload("ghost-camera", _write(tmp_path / "g.mp4", person), name="a.mp4")
    cases.append(Case("upload for an unknown camera", "file", "REJECTED UNKNOWN_CAMERA", [ghost]))
    bad_id = p.upload("-not-a-camera", _write(tmp_path / "b.mp4", person), name="a.mp4")
    cases.append(Case("upload for an invalid camera id", "file", "REJECTED UNKNOWN_CAMERA", [bad_id]))
    s3.put_object(Bucket=bucket, Key="uploads/stray.mp4", Body=person)
    cases.append(Case("object outside uploads/<camera>/", "file", "dropped (logged, MalformedEvents)", []))
    first = p.upload("cam1", _write(tmp_path / "v1.mp4", clip(3, red=(0, 3))), name="same_key.mp4")
    second = p.upload("cam1", _write(tmp_path / "v2.mp4", clip(3)), name="same_key.mp4")
    assert first == second
    cases.append(Case("two files uploaded to one key", "file", "2 records, each its own version", [first], 1))
    p.upload("cam1", _write(tmp_path / "dup.mp4", person), name="same_bytes_twice.mp4")
    twice = p.upload("cam1", _write(tmp_path / "dup.mp4", person), name="same_bytes_twice.mp4")
    cases.append(Case("same bytes uploaded twice to one key", "file", "1 record (same clip)", [twice], 1))
    gone = p.upload("cam1", _write(tmp_path / "gone.mp4", person), name="deleted_before_processing.mp4")
    gone_event = s3_event(p, gone)
    versions = s3.list_object_versions(Bucket=bucket, Prefix=gone)["Versions"]
    for version in versions:
        s3.delete_object(Bucket=bucket, Key=gone, VersionId=version["VersionId"])
    queue(p, gone_event)
    cases.append(Case("event for an object deleted meanwhile", "file", "SKIPPED OBJECT_GONE (logged)", []))
    # ---- malformed events
    for name, event in EVENTS.items():
        queue(p, event)
        cases.append(Case(name, "event", "dropped (logged, MALFORMED_EVENT)"))
    # ---- a camera job no router sends (the in-line run has no queue: the worker handler is given it directly)
    import camera_worker

    from videoalert.domain.jobs import CameraJob, JobKind

    forged = CameraJob(JobKind.UPLOAD, "cam1", datetime.now(UTC), bucket, "videos/../x").to_message()
    answer = camera_worker.handler({"Records": [{"messageId": "m1", "body": forged,
                                                 "attributes": {"MessageGroupId": "cam1"}}]}, LambdaContext())
    assert answer == {"batchItemFailures": []}
    cases.append(Case("camera job for videos/../x", "job", "dropped (logged, MalformedEvents), not retried"))
    # ---- hostile requests to the public links function
    import feedback_links

    from videoalert.domain.link_token import Action, LinkClaims, sign
    from videoalert.wiring import build_links
    from videoalert_local.links_server import function_url_event

    monkeypatch.setattr(feedback_links, "_deps", build_links(p.res.links_settings(), session=p.sess))
    token = sign(LinkClaims("t-1", "cam1-x", Action.FALSE_POSITIVE, int(datetime.now(UTC).timestamp()) + 3600),
                 feedback_links._deps.keys.current())
    for name, (method, target, body) in FORMS.items():
        event = function_url_event(method, target.format(video="cam1-x", token=token), body,
                                   {"content-type": "application/x-www-form-urlencoded"} if body else None)
        status = feedback_links.handler(event, LambdaContext())["statusCode"]
        assert status == 400, (name, status)
        cases.append(Case(name, "request", "answered 400, nothing changed"))

    # When the S3 notifications and the events are delivered (the upload events twice)
    p.deliver()
    for case in cases:
        for key in case.keys:
            queue(p, s3_event(p, key))
    p.deliver()

    # ---- injected faults, each on its own clip, each followed by what AWS would do next
    faults = []

    def fault_upload(name: str, red: bool = True) -> tuple[str, dict]:
        key = p.upload("cam1", _write(tmp_path / "f.mp4", clip(3, red=(0, 3) if red else (-1, -1))), name=name)
        # drain the notification S3 sent: the fault tests deliver their event themselves
        return key, s3_event(p, key)

    p.deliver()
    inference_score = p.deps.inference.score
    key, event = fault_upload("killed_during_inference.mp4")
    crash_before(monkeypatch, p.deps.inference, "score")
    with pytest.raises(Crash):
        invoke(p, event)
    p.deps.inference.score = inference_score
    faults.append(Case("container killed during inference", "fault", "recovered: DONE ALERT", [key], 1))

    key, event = fault_upload("killed_after_create.mp4")
    real_create = p.deps.records.create
    crash_after(monkeypatch, p.deps.records, "create")
    with pytest.raises(Crash):
        invoke(p, event)
    p.deps.records.create = real_create
    faults.append(Case("killed between recording and claiming", "fault", "recovered: DONE ALERT", [key], 1))

    for method in ("claim_alert", "finish_done"):
        key, event = fault_upload(f"killed_after_{method}.mp4")
        real = getattr(p.deps.records, method)
        crash_after(monkeypatch, p.deps.records, method)
        with pytest.raises(Crash):
            invoke(p, event)
        setattr(p.deps.records, method, real)
        faults.append(Case(f"killed after {method} (before SNS)", "fault", "recovered: alert sent once", [key], 1))

    key, event = fault_upload("killed_after_publish.mp4")
    real_publish = p.deps.alerts.publish
    crash_after(monkeypatch, p.deps.alerts, "publish")
    with pytest.raises(Crash):
        invoke(p, event)
    p.deps.alerts.publish = real_publish
    faults.append(Case("killed after SNS accepted the alert", "fault",
                       "recovered: alert repeated once, same dedup_key", [key], 2))

    key, event = fault_upload("sns_down_once.mp4")
    failures = iter([RuntimeError("SNS throttled")])

    def flaky(message):
        for error in failures:
            raise error
        return real_publish(message)

    p.deps.alerts.publish = flaky
    with pytest.raises(Exception, match="SNS publish failed"):
        invoke(p, event)
    invoke(p, event)  # Lambda's retry of the async event
    p.deps.alerts.publish = real_publish
    faults.append(Case("SNS publish fails once", "fault", "retried: alert sent once", [key], 1))

    key, event = fault_upload("inference_fails.mp4")
    from videoalert.domain.errors import InferenceFailed

    def fail(request):
        raise InferenceFailed("TooManyRequestsException after 4 attempts")

    p.deps.inference.score = fail
    invoke(p, event)
    p.deps.inference.score = inference_score
    assert p.deps.records.get(upload_video_id("cam1", bucket, key, event["Records"][0]["s3"]["object"]["eTag"])
                              ).status == "FAILED"
    invoke(p, {"action": "redrive"})
    faults.append(Case("Invoke throttled past its retries", "fault", "FAILED, then redrive: DONE ALERT", [key], 1))

    key, event = fault_upload("replayed_three_times.mp4")
    for _ in range(3):
        invoke(p, event)
    faults.append(Case("event replayed three times", "fault", "1 record, 1 alert", [key], 1))

    # Then after the scheduled runs (every minute) nothing is open any more
    p.deliver()
    p.settle()
    cases += faults
    records = p.records()
    alerts = p.alerts()
    by_key: dict[str, list[dict]] = {}
    for record in records:
        by_key.setdefault(record.get("upload_key", ""), []).append(record)
    alerts_by_video = Counter(a["attributes"]["dedup_key"] for a in alerts)
    assert all(a["attributes"]["dedup_key"] == a["body"]["video_id"] for a in alerts)

    def outcome(case: Case) -> str:
        got = sorted(by_key.get(case.keys[0], []), key=lambda r: float(r.get("clip_start_s") or 0)) \
            if case.keys else []
        if not got:
            return "no record"
        return "; ".join(f"{r['status']} {r.get('decision') or r.get('reason')}" for r in got)

    rows = []
    for case in cases:
        records_of = [r for k in case.keys for r in by_key.get(k, [])]
        got_alerts = sum(alerts_by_video[r["video_id"]] for r in records_of)
        rows.append((case, outcome(case), got_alerts))
        # nothing open, nothing lost: every record of every input is final
        assert all(r["status"] in ("DONE", "REJECTED", "FAILED") and "due_at" not in r for r in records_of), case
        if case.alerts is None:
            assert records_of and got_alerts <= 1, (case.name, outcome(case), got_alerts)
            assert {r["status"] for r in records_of} <= {"DONE", "REJECTED"}, (case.name, outcome(case))
            assert all(r.get("reason_detail") for r in records_of if r["status"] == "REJECTED"), case.name
        else:
            assert got_alerts == case.alerts, (case.name, outcome(case), got_alerts)
        first_word = case.expect.split()[0]
        if first_word in ("DONE", "REJECTED") and case.alerts is not None:
            statuses = {r["status"] for r in records_of}
            assert statuses == {first_word}, (case.name, outcome(case))
            reason = case.expect.split()[1]
            assert all(reason in (r.get("decision"), r.get("reason")) for r in records_of), (case.name, outcome(case))
        if "by position" in case.expect:
            assert all(r["video_info"].get("sampled_by") == "position" for r in records_of), case.name
    # the long upload: three windows, the person in the last one only
    long_windows = sorted(by_key["uploads/cam1/three_minutes_person_at_2_30.mp4"], key=lambda r: r["clip_start_s"])
    assert [w["decision"] for w in long_windows] == ["NO_ALERT", "NO_ALERT", "ALERT"]
    # the overwritten key: two records, one per version
    assert len({r["upload_version_id"] for r in by_key[first]}) == 2
    assert len(by_key[twice]) == 1
    # no record that no input explains (the malformed events, the stray object and the gone one made none)
    explained = {k for case in cases for k in case.keys}
    assert set(by_key) <= explained
    # no duplicate: one record per (upload, version, window)
    identities = Counter((r.get("upload_key"), r.get("upload_version_id"), r.get("clip_start_s")) for r in records)
    assert max(identities.values()) == 1
    # the flood was stopped by the packet limit; the odd-time schedules moved no cursor past now
    (flood,) = by_key["uploads/cam1/packet_flood_30000.mkv"]
    assert "packets demuxed" in flood["reason_detail"]
    cursor = p.deps.cameras.get("cam1").cursor
    assert cursor is None or cursor <= datetime.now(UTC)
    # and no event was set aside by the local loop (every failure above was a handled outcome)
    assert not (tmp_path / "dead-letters.jsonl").exists()

    repeats = sum(n - 1 for n in alerts_by_video.values() if n > 1)
    print("\n| input | kind | documented outcome | records |")
    print("|---|---|---|---|")
    for case, got, _ in rows:
        print(f"| {case.name} | {case.kind} | {case.expect} | {got} |")
    print(f"\ninputs tried {len(cases)}, handled {len(rows)}, lost 0, duplicated records 0, "
          f"alerts {len(alerts)} ({repeats} repeat under its dedup_key, by design)")
    assert len(cases) >= 85 and repeats == 1
