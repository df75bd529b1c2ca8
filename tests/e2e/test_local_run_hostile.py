"""Issue 30, case 5: the local run keeps going and tells the truth: an upload over 8 MB (sent in parts) is read back
for the report, a long upload is finished by the schedule without --serve, and `--json` prints JSON only."""
from __future__ import annotations

import os

import pytest

from videoalert.aws.s3 import ClipStore
from videoalert_local import emulator


@pytest.fixture
def served_s3(monkeypatch):
    """S3 on the local run's moto server (the multipart behaviour is the server's)."""
    for name, value in emulator.DUMMY_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    with emulator.moto_server() as endpoint:
        s3 = emulator.session().client("s3", endpoint_url=endpoint)
        s3.create_bucket(Bucket="videoalert-videos-test")
        s3.put_bucket_versioning(Bucket="videoalert-videos-test", VersioningConfiguration={"Status": "Enabled"})
        yield s3


def test_an_upload_sent_in_parts_is_copied_under_videos_with_a_checksum_its_readers_accept(served_s3, tmp_path):
    # Given a 9 MB upload (boto3 sends files over 8 MB in parts: a composite checksum)
    path = tmp_path / "big.mp4"
    path.write_bytes(os.urandom(9 * 1024 * 1024))
    served_s3.upload_file(str(path), "videoalert-videos-test", "uploads/cam1/big.mp4")
    # When the dispatcher copies it under videos/
    clips = ClipStore(served_s3, "videoalert-videos-test")
    clips.copy_in("videoalert-videos-test", "uploads/cam1/big.mp4", "videos/cam1/2026/12/07/v.mp4", video_id="v",
                  camera_id="cam1")
    # Then reading the copy back (the report does; boto3 checks the checksum) gives the upload's bytes
    body = served_s3.get_object(Bucket="videoalert-videos-test", Key="videos/cam1/2026/12/07/v.mp4")["Body"].read()
    assert body == path.read_bytes()


def test_run_local_json_prints_json_only_on_stdout(tiny_model_dir, tmp_path, capfd, monkeypatch):
    # Given a good clip and a file that is no video (the handlers log a warning for it)
    import json

    from fixtures.media import cfr_times, encode_clip
    from videoalert_cli.main import main
    from videoalert_local import handlers as local_handlers

    monkeypatch.setattr(local_handlers, "DEAD_LETTERS", tmp_path / "dead-letters.jsonl")
    good, bad = tmp_path / "good.mp4", tmp_path / "bad.mp4"
    good.write_bytes(encode_clip(cfr_times(3, 5)))
    bad.write_bytes(os.urandom(4096))
    # and a dispatcher whose metrics have piled up (disabled, Powertools keeps them; at 100 values it prints them)
    import dispatcher

    for _ in range(99):
        dispatcher.metrics.add_metric(name="ClipsReceived", unit="Count", value=1)
    # When the local run is asked for JSON
    try:
        code = main(["run-local", str(good), str(bad), "--path", "upload", "--json", "--model-dir",
                     str(tiny_model_dir), "--report-dir", str(tmp_path / "report"), "--no-progress"])
    finally:
        dispatcher.metrics.clear_metrics()
    out, err = capfd.readouterr()
    # Then stdout is one JSON document (the records of both: the rejected file's warnings went elsewhere)
    assert code == 0, err[-2000:]
    answer = json.loads(out)
    assert sorted(r["status"] for r in answer["records"]) == ["DONE", "REJECTED"]


def test_run_local_finishes_every_window_of_a_long_upload_without_serve(tiny_model_dir, tmp_path, monkeypatch):
    # Given an 8-minute upload (the upload's event takes windows 0-5: max_windows_per_run is 5)
    from fixtures.media import cfr_times, encode_clip
    from videoalert_local import handlers as local_handlers
    from videoalert_local import local_run

    monkeypatch.setattr(local_handlers, "DEAD_LETTERS", tmp_path / "dead-letters.jsonl")
    long = tmp_path / "eight_minutes.mp4"
    long.write_bytes(encode_clip(cfr_times(8 * 60, 1), size=(32, 32), gop=30))
    # When the local run takes it by the upload path, without --serve
    result = local_run.run_local([long], paths=("upload",), model_dir=tiny_model_dir, report_dir=None, quiet=True)
    # Then the run's schedule finished the windows the event left: eight records, every one decided
    windows = sorted((r for r in result.records if r.get("upload_key")), key=lambda r: float(r["clip_start_s"]))
    assert len(windows) == 8 and [r["status"] for r in windows] == ["DONE"] * 8


def test_run_local_keeps_going_and_both_paths_agree_on_damaged_files(tmp_path, monkeypatch):
    # Given an MPEG-TS file damaged past its video (a stream appearing mid-file), a faststart MP4 cut short and an MKV
    # whose timestamps go backwards, each with a "person" (red) in it
    from fixtures.damaged_media import cut, faststart_mp4, person_clip, ts_with_stream_appearing
    from fixtures.hostile_media import BLUE, RED, mkv_with_timestamps
    from fixtures.onnx_models import write_tiny_model
    from videoalert_local import handlers as local_handlers
    from videoalert_local import local_run

    monkeypatch.setattr(local_handlers, "DEAD_LETTERS", tmp_path / "dead-letters.jsonl")
    files = {
        "damaged.ts": ts_with_stream_appearing(person_clip("ts")),
        "faststart_cut.mp4": cut(faststart_mp4(person_clip("mp4", seconds=6)), 0.6),
        "backwards.mkv": mkv_with_timestamps([20_000 - 100 * i for i in range(100)],
                                             colour_of=lambda i: RED if i >= 40 else BLUE),
    }
    videos = []
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        videos.append(tmp_path / name)
    # When the local run takes them by both paths
    red_is_a_person = write_tiny_model(tmp_path / "red", redness=True, input_size=32)
    result = local_run.run_local(videos, model_dir=red_is_a_person, report_dir=tmp_path / "report", quiet=True)
    # Then it ran to its end, and the two readable files alert by both paths alike
    for name in ("damaged.ts", "backwards.mkv"):
        for path in ("upload", "camera"):
            record = result.record_for(name, path)
            assert (record["status"], record["decision"]) == ("DONE", "ALERT"), (name, path)
    # and the file cut short ends in a final status, never FAILED (REJECTED, or what decodes of it scored: seen to
    # differ between runs), and the camera path names why it streamed nothing or cut its minute
    cut_short = result.record_for("faststart_cut.mp4", "upload")
    assert cut_short["status"] in ("DONE", "REJECTED")
    assert result.not_pushed.get("faststart_cut.mp4") or result.record_for("faststart_cut.mp4", "camera")
    assert not (tmp_path / "dead-letters.jsonl").exists()
