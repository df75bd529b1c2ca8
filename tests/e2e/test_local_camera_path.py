"""The camera path on a laptop, smaller than `make run`: PutMedia into the local KVS stand-in, the dispatcher's
scheduled runs cut the camera's minutes with ListFragments and GetClip, the real inference handler scores them.

Plumbing only: short synthetic clips (PyAV) and the tiny random-weight model; the released model's decisions on
the sample clips are the slow acceptance test in test_local_run.py.
"""
from __future__ import annotations

import io
import json
import re
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import av
import pytest
from e2e.conftest import moments

from videoalert_local.camera_path import plan_minutes
from videoalert_local.local_run import run_local

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "kvs"))
from kvs_test_support import make_clip


@pytest.fixture(scope="module")
def short_clips(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("camera-clips")
    return [Path(make_clip(folder / "a.mp4", seconds=6, gop_frames=10)),
            Path(make_clip(folder / "b.mp4", seconds=4, gop_frames=10, size=(160, 120)))]


def test_two_pushed_clips_are_cut_from_the_stream_on_schedule_and_scored(short_clips, tiny_model_dir, tmp_path):
    # Given two short clips and the tiny model
    # When the local run streams them by the camera path only
    result = run_local(short_clips, model_dir=tiny_model_dir, report_dir=tmp_path / "report", quiet=True,
                       paths=("camera",))
    # Then every fragment was persisted by the stand-in (PutMedia acknowledgements)
    assert {n: (p["fragments_sent"], p["fragments_persisted"]) for n, p in result.pushed.items()} == {
        "a.mp4": (3, 3), "b.mp4": (2, 2)}
    # And each clip became one stream record named after its minute, scored frame by frame: both are under 12 s, so
    # each is sampled 12 times evenly across it (the short-clip floor) rather than once a second
    a, b = (result.record_for(name, "camera") for name in ("a.mp4", "b.mp4"))
    assert a["source"] == b["source"] == "stream" and a["status"] == b["status"] == "DONE"
    assert a["video_id"] == f"cam1-{a['window_start'].replace('-', '').replace(':', '')}"
    assert [len(moments(a)), len(moments(b))] == [12, 12]
    # (the frame plan may take a GOP's last sample up to half a period early, where that decodes less: frame_plan.py)
    assert 0.25 <= moments(a)[1] <= 0.5 and moments(b)[-1] < 4.0
    assert (a["video_info"]["width"], b["video_info"]["width"]) == (320, 160)
    # And the minutes are a cooldown apart (each clip its own event), the ones between skipped as idle
    gap = datetime.fromisoformat(b["window_start"].replace("Z", "+00:00")) - datetime.fromisoformat(
        a["window_start"].replace("Z", "+00:00"))
    assert gap == timedelta(minutes=6) and result.idle_minutes == 5
    assert result.uploads == {} and len(result.records) == 2
    # And the report has both, each with its best frame and the scored region drawn
    page = Path(result.report_path).read_text()
    assert page.count('alt="best frame"') == 2 and page.count("<td>camera</td>") == 2


def test_the_printed_table_shows_both_paths(short_clips, tiny_model_dir, capsys):
    # Given one clip, When it goes through both paths
    result = run_local(short_clips[:1], model_dir=tiny_model_dir, report_dir=None)
    out = capsys.readouterr().out
    # Then the table has a row per path for the file, and the camera path says what the schedule did
    rows = [line for line in out.splitlines() if line.startswith("cam1-") and " a.mp4 " in line]
    assert len(rows) == 2
    assert re.search(r"cam1-up-\w+\s+upload\s+a\.mp4", out) and re.search(r"cam1-\d{8}T\d{6}Z\s+camera\s+a\.mp4", out)
    assert "camera path: pushed a.mp4 to videoalert-cam1" in out and "1 scheduled runs" in out
    assert {r["source"] for r in result.records} == {"upload", "stream"}


def test_planned_minutes_lie_in_the_past_a_gap_apart_and_make_room_for_long_clips():
    now = datetime(2026, 12, 3, 12, 30, 40, tzinfo=UTC)
    starts = plan_minutes([60.0, 150.0, 10.0], now, gap_minutes=2, settle_seconds=60)
    # a 60 s clip takes its minute, a 150 s one three, each start at least the gap after the one before
    assert [s - starts[0] for s in starts] == [timedelta(0), timedelta(minutes=2), timedelta(minutes=5)]
    # the last clip's minute has ended and settled before now
    assert starts[-1] + timedelta(minutes=1) + timedelta(seconds=60) <= now
    assert all(s.second == 0 for s in starts)


def test_push_local_works_against_a_serving_run(short_clips, tiny_model_dir, monkeypatch, capsys):
    # Given `run-local --serve` with no videos, its EventBridge clock held at T (advanced by the test)
    from videoalert_cli.main import main
    from videoalert_local import serve as local_serve

    monkeypatch.setattr(local_serve, "SERVE_TICK_S", 0.3)
    t0 = (datetime.now(UTC) - timedelta(minutes=30)).replace(second=0, microsecond=0)
    clock = {"now": t0}
    stop = threading.Event()
    options = {"model_dir": tiny_model_dir, "report_dir": None, "quiet": True, "serve": True,
               "serve_clock": lambda: clock["now"], "stop": stop}
    serving = threading.Thread(target=run_local, args=([],), kwargs=options, daemon=True)
    serving.start()
    try:
        _wait_for(lambda: main(["list", "--camera", "cam1", "--local"]) == 0, "the serving run to start")
        capsys.readouterr()
        # When a clip is pushed with --local into the minute after T, and the clock passes that minute's settle lag
        minute = t0 + timedelta(minutes=1)
        assert main(["push", "cam1", str(short_clips[0]), "--local", "--start", minute.isoformat(),
                     "--no-progress"]) == 0
        pushed = capsys.readouterr().out
        clock["now"] = minute + timedelta(minutes=2, seconds=5)
        # Then the serving dispatcher cuts that minute from the stream and `list --local` shows it decided
        def listed() -> list[dict]:
            assert main(["list", "--camera", "cam1", "--local", "--json"]) == 0
            return _json_array(capsys.readouterr().out)

        records = _wait_for(lambda: [r for r in listed() if r["status"] == "DONE"], "the minute to be decided")
    finally:
        stop.set()
        serving.join(timeout=30)
    assert "3 fragments sent, 3 persisted" in pushed
    (record,) = records
    assert record["video_id"] == f"cam1-{minute:%Y%m%dT%H%M%S}Z" and record["source"] == "stream"
    assert len(moments(record)) == 12  # a 6 s clip: the short-clip floor
    # And once the run has stopped its record is gone: --local says so instead of failing on a dead endpoint
    assert main(["list", "--camera", "cam1", "--local"]) == 1
    assert "no local emulator is running" in capsys.readouterr().err


def _json_array(out: str) -> list[dict]:
    """The command's JSON: the serving run's handlers share this process's stdout, so their log lines may be there."""
    start = out.index("[") if out.startswith("[") else out.index("\n[") + 1
    return json.JSONDecoder().raw_decode(out, start)[0]


def _wait_for(condition, what: str, timeout_s: float = 90.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            value = condition()
        except AssertionError:
            value = None
        if value:
            return value
        time.sleep(0.3)
    pytest.fail(f"timed out waiting for {what}")


def test_a_stream_clip_in_s3_is_the_mp4_getclip_built(short_clips, tiny_model_dir, tmp_path, monkeypatch):
    # Given the dispatcher's S3 writes observed during a camera-path run
    from videoalert.aws import s3 as s3_adapter

    stored = {}
    put = s3_adapter.ClipStore.put

    def keep(self, key, data, **kwargs):
        stored[key] = data
        return put(self, key, data, **kwargs)

    monkeypatch.setattr(s3_adapter.ClipStore, "put", keep)
    # When one clip is streamed
    run_local(short_clips[:1], model_dir=tiny_model_dir, report_dir=None, quiet=True, paths=("camera",))
    # Then the clip stored for its minute is an MP4 with every frame of the source, as GetClip returns it
    (data,) = stored.values()
    assert data[4:8] == b"ftyp"
    with av.open(io.BytesIO(data)) as clip, av.open(str(short_clips[0])) as source:
        assert sum(1 for _ in clip.decode(video=0)) == sum(1 for _ in source.decode(video=0)) == 60


def test_a_clip_over_a_minute_long_is_cut_into_its_minutes_both_named_after_the_file(tiny_model_dir, tmp_path,
                                                                                    capsys):
    # Given a 70 s clip (keyframe every second)
    long_clip = Path(make_clip(tmp_path / "long.mp4", seconds=70, fps=5, gop_frames=5, size=(96, 64)))
    # When it goes by the camera path
    result = run_local([long_clip], model_dir=tiny_model_dir, report_dir=None, paths=("camera",))
    out = capsys.readouterr().out
    # Then it is two minute records, 60 and 10 seconds of it (the 10 s one sampled at the short-clip floor, 12
    # frames), and the table names the file on both
    records = sorted(result.records, key=lambda r: r["window_start"])
    assert [round(r["video_info"]["duration_s"]) for r in records] == [60, 10]
    assert [len(moments(r)) for r in records] == [60, 12]
    assert [result.file_of(r) for r in records] == ["long.mp4", "long.mp4"]
    assert len(re.findall(r"^cam1-\d{8}T\d{6}Z\s+camera\s+long\.mp4", out, re.MULTILINE)) == 2
