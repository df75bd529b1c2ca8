"""Commands say what they did: duplicates, unknown cameras, limits, the threshold in use, timings that add up, and
the same data as JSON."""
from __future__ import annotations

import json
import os
import re


def seed(target, video_id: str, minute: int, **extra) -> None:
    from fixtures.records import seed as seed_record
    from videoalert.store.videos import VideoRecords

    seed_record(VideoRecords(target.table("videos_table")), {
        "video_id": video_id, "camera_id": "cam1", "status": "DONE", "decision": "NO_ALERT",
        "window_start": f"2026-11-23T10:{minute:02d}:00Z", **extra})


# --- list ---------------------------------------------------------------------------------------------


def test_list_limit_0_shows_no_row_and_says_more_match(moto_target, run):
    # Given three videos of cam1
    for minute in range(3):
        seed(moto_target, f"cam1-{minute}", minute)
    # When listed with --limit 0, 2 and the default
    none, two, every = run("list", "--camera", "cam1", "--limit", "0"), run("list", "--camera", "cam1", "--limit",
                                                                            "2"), run("list", "--camera", "cam1")
    # Then no row, the newest two, all three; the first two say that more match
    assert none[0] == 0 and none[1] == "" and "more videos match" in none[2]
    assert re.findall(r"^cam1-\d", two[1], re.MULTILINE) == ["cam1-2", "cam1-1"] and "raise --limit" in two[2]
    assert len(re.findall(r"^cam1-\d", every[1], re.MULTILINE)) == 3 and every[2] == ""


def test_list_json_is_the_records_and_filters_by_source(moto_target, run):
    seed(moto_target, "cam1-0", 0)
    seed(moto_target, "cam1-up-1", 1, source="upload")
    code, out, _ = run("list", "--camera", "cam1", "--json", "--source", "upload")
    assert code == 0 and [r["video_id"] for r in json.loads(out)] == ["cam1-up-1"]


def test_list_of_an_unknown_camera_fails_but_a_known_one_without_videos_does_not(moto_target, run):
    unknown, known = run("list", "--camera", "ghost"), run("list", "--camera", "cam2")
    # the registry may hold thousands of cameras: the error says how to list them and how to add this one
    assert unknown[0] == 1 and "unknown camera 'ghost'" in unknown[2] and "videoalert camera list" in unknown[2]
    assert "videoalert camera add ghost" in unknown[2] and len(unknown[2].splitlines()) == 1
    assert known[0] == 0 and "no videos for camera 'cam2'" in known[2]


def test_list_since_accepts_an_iso_day(moto_target, run):
    seed(moto_target, "cam1-old", 0, window_start="2026-11-20T10:00:00Z")
    seed(moto_target, "cam1-new", 1)
    code, out, _ = run("list", "--camera", "cam1", "--since", "2026-11-23", "--json")
    assert code == 0 and [r["video_id"] for r in json.loads(out)] == ["cam1-new"]


# --- status -------------------------------------------------------------------------------------------


def test_status_shows_timings_that_add_up_and_json_is_the_whole_record(moto_target, run):
    seed(moto_target, "cam1-0", 0, timings_ms={"download": 12.0, "decode": 1800.0, "preprocess": 300.0,
                                               "inference": 3170.0, "total": 2533.0})
    code, out, _ = run("status", "cam1-0")
    assert code == 0
    line = next(x for x in out.splitlines() if "timings:" in x)
    assert line.endswith("total 2533 ms = download 12 + decode 1800 + preprocess 300 + inference 3170 "
                         "- 2749 overlap (stages on parallel threads)")
    numbers = [int(n) for n in re.findall(r"\d+", line.split("=")[1])]
    assert sum(numbers[:-1]) - numbers[-1] == 2533
    code, out, _ = run("status", "cam1-0", "--json")
    assert code == 0 and json.loads(out)["timings_ms"]["inference"] == 3170


def test_status_of_an_unknown_video_fails_in_one_line(moto_target, run):
    code, out, err = run("status", "nope")
    assert code == 1 and out == "" and err.strip() == (
        "videoalert status: error: no video 'nope' on stack videoalert-test (`videoalert list --camera C` lists a "
        "camera's videos)")


# --- rule ---------------------------------------------------------------------------------------------


def test_rule_shows_the_model_cards_threshold_as_a_number(moto_target, run):
    # Given a camera following the model's threshold, whose last clip recorded the card's 0.896
    seed(moto_target, "cam1-0", 0, threshold=0.896, model_threshold=0.896)
    # When the rule is shown
    code, out, _ = run("rule", "cam1")
    # Then the number is there, and where it comes from
    assert code == 0
    assert "thr=0.896 (model)" in out and "recorded by cam1-0" in out and "thr=model" not in out
    code, out, _ = run("rule", "cam1", "--json")
    answer = json.loads(out)
    assert answer["effective_threshold"] == 0.896 and answer["rule"]["threshold"] is None


def test_rule_changes_report_the_new_version_and_model_restores_the_cards_threshold(moto_target, run):
    assert run("rule", "cam1", "--threshold", "0.7", "--regions", "motion")[0] == 0
    code, out, _ = run("rule", "cam1", "--threshold", "model", "--json")
    answer = json.loads(out)
    assert code == 0 and answer["changed"] and answer["rule"]["version"] == 3 and answer["rule"]["threshold"] is None
    assert answer["rule"]["regions"] == "motion"


# --- upload -------------------------------------------------------------------------------------------


def _objects(target) -> list[dict]:
    return target.client("s3").list_object_versions(Bucket=target.resources["video_bucket"]).get("Versions", [])


def test_upload_for_an_unknown_camera_fails_and_uploads_nothing(moto_target, run, tmp_path):
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00" * 1000)
    code, out, err = run("upload", "ghost", str(clip))
    assert code == 1 and out == ""
    assert "unknown camera 'ghost'" in err and "UNKNOWN_CAMERA" in err and "nothing was uploaded" in err
    assert _objects(moto_target) == []


def test_uploading_the_same_file_again_uploads_nothing_and_names_its_video(moto_target, run, tmp_path):
    # Given a file uploaded once
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(os.urandom(5000))
    first = run("upload", "cam1", str(clip), "--json")
    uploaded = json.loads(first[1])
    seed(moto_target, uploaded["video_id"], 0, decision="ALERT", source="upload")
    # When the same file is uploaded again
    again = run("upload", "cam1", str(clip), "--json")
    text = run("upload", "cam1", str(clip))
    # Then nothing is uploaded the second time, and the answer names the video it became and its decision
    assert first[0] == again[0] == text[0] == 0
    assert uploaded["uploaded"] and uploaded["video_id"].startswith("cam1-up-")
    assert json.loads(again[1]) == {"uploaded": False, "duplicate": True, "location": uploaded["location"],
                                    "video_id": uploaded["video_id"], "status": "DONE ALERT"}
    assert "already uploaded" in text[1] and uploaded["video_id"] in text[1] and "nothing uploaded" in text[1]
    assert len(_objects(moto_target)) == 1


def test_a_different_file_of_the_same_name_is_a_new_video(moto_target, run, tmp_path):
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"first" * 100)
    first = json.loads(run("upload", "cam1", str(clip), "--json")[1])
    clip.write_bytes(b"second" * 100)
    code, out, _ = run("upload", "cam1", str(clip))
    assert code == 0 and "a different file of that name was there" in out
    assert first["video_id"] not in out and len(_objects(moto_target)) == 2


def test_the_video_id_upload_names_is_the_one_the_dispatcher_gives(moto_target, run, tmp_path):
    from videoalert.domain.ids import upload_video_id

    clip = tmp_path / "clip.mp4"
    clip.write_bytes(os.urandom(3000))
    answer = json.loads(run("upload", "cam1", str(clip), "--json")[1])
    bucket = moto_target.resources["video_bucket"]
    head = moto_target.client("s3").head_object(Bucket=bucket, Key="uploads/cam1/clip.mp4")
    assert answer["video_id"] == upload_video_id("cam1", bucket, "uploads/cam1/clip.mp4", head["ETag"])


def test_a_large_upload_goes_in_parts_whose_etag_is_computed_locally_and_shows_progress(moto_target, run, tmp_path,
                                                                                       monkeypatch):
    # Given a 9 MB file (two parts) and a recorder in place of the progress bar
    from videoalert_cli import output
    from videoalert_cli.commands.upload import PART_BYTES, local_etag

    clip = tmp_path / "big.mp4"
    clip.write_bytes(os.urandom(PART_BYTES + 1024 * 1024))
    bars = []

    class Recorder:
        def __init__(self, **kwargs):
            self.kwargs, self.done = kwargs, 0
            bars.append(self)

        def update(self, n):
            self.done += n

        def close(self):
            pass

    monkeypatch.setattr(output, "progress", Recorder)
    # When it is uploaded, then uploaded again
    assert run("upload", "cam1", str(clip))[0] == 0
    again = run("upload", "cam1", str(clip))
    # Then the bar counted every byte, S3's multipart ETag is the one computed locally, and the second is a duplicate
    assert bars[0].kwargs["total"] == bars[0].done == clip.stat().st_size
    etag = moto_target.client("s3").head_object(Bucket=moto_target.resources["video_bucket"],
                                                Key="uploads/cam1/big.mp4")["ETag"].strip('"')
    assert etag == local_etag(clip) and etag.endswith("-2")
    assert "already uploaded" in again[1] and len(bars) == 1


def test_upload_wait_reports_the_decision_and_fails_on_a_rejection(moto_target, run, tmp_path, monkeypatch):
    # Given a dispatcher that (as far as the CLI can see) rejects the clip as soon as it is uploaded
    from videoalert_cli.commands import upload

    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"not a video")

    def rejected(records, video_id, timeout_s):
        seed(moto_target, video_id, 0, status="REJECTED", decision=None, reason="CORRUPT_VIDEO",
             reason_detail="no frame decodes")
        return records.get(video_id)

    monkeypatch.setattr(upload, "_wait", rejected)
    # When uploaded with --wait, Then the record is shown and the exit is 1 with the reason
    code, out, err = run("upload", "cam1", str(clip), "--wait")
    assert code == 1 and "status: REJECTED" in out and "CORRUPT_VIDEO" in err


# --- tune, review: JSON and progress ------------------------------------------------------------------


def test_tune_json_has_the_rows_and_the_recommendation(moto_target, run):
    from videoalert.store.cameras import CameraStore

    CameraStore(moto_target.table("cameras_table")).register("cam1")
    for minute, scores, label in ((0, [0.66, 0.62], "false_positive"), (1, [0.97, 0.95], "true_positive")):
        seed(moto_target, f"cam1-{minute}", minute, decision="ALERT", threshold=0.5, model_threshold=0.5,
             label=label, frame_scores=[{"t": float(i), "score": s, "region": "full"} for i, s in enumerate(scores)])
    code, out, _ = run("tune", "cam1", "--since", "2026-11-01", "--json")
    answer = json.loads(out)
    assert code == 0 and answer["videos"] == 2 and answer["rows"] and answer["recommendation"] is not None
    assert answer["applied"] is None and any(row["current"] for row in answer["rows"])


def test_tune_with_nothing_to_replay_fails(moto_target, run):
    code, _, err = run("tune", "cam1", "--since", "yesterday")
    assert code == 1 and "no decided videos since" in err


def test_review_prints_a_sentence_and_json_on_request(moto_target, run):
    text, data = run("review", "--date", "2026-11-23"), run("review", "--date", "2026-11-23", "--json")
    assert text[0] == data[0] == 0
    assert text[1].startswith("2026-11-23: 0 clip(s) sampled")
    assert json.loads(data[1])["day"] == "2026-11-23"


def test_the_table_counts_sampled_moments_not_entries():
    # Given a detect-mode record: two proposals at 0 s, one at 1 s, a moment without a proposal at 2 s
    from videoalert_cli.formatting import frames_over

    record = {"frames_over_threshold": 1, "frame_scores": [
        {"t": 0.0, "score": 0.9, "region": "person"}, {"t": 0.0, "score": 0.2, "region": "person"},
        {"t": 1.0, "score": 0.1, "region": "person"}, {"t": 2.0, "score": 0.0, "region": "person"}]}
    # Then the table says one of three moments
    assert frames_over(record) == "1/3"


def test_upload_wait_reports_every_window_of_a_long_upload(moto_target, run, tmp_path, monkeypatch):
    # Given a dispatcher that (as far as the CLI can see) records a 3-minute upload as three windows, the last alerting
    from videoalert.domain.ids import upload_window_id
    from videoalert_cli.commands import upload

    clip = tmp_path / "long.mp4"
    clip.write_bytes(b"three minutes of video")
    waited: list[str] = []

    def decided(records, video_id, timeout_s):
        index = 0 if "-w" not in video_id else int(video_id.rsplit("-w", 1)[1])
        first = upload_window_id(video_id, 0) if index == 0 else video_id.rsplit("-w", 1)[0]
        seed(moto_target, video_id, index, decision="ALERT" if index == 2 else "NO_ALERT", window_index=index,
             **({"windows_total": 3} if index == 0 else {"upload_of": first}))
        waited.append(video_id)
        return records.get(video_id)

    monkeypatch.setattr(upload, "_wait", decided)
    # When uploaded with --wait (and with --json)
    code, out, _ = run("upload", "cam1", str(clip), "--wait")
    # Then every window was waited for and is reported, not only the first
    assert code == 0 and len(waited) == 3 and "3 one-minute windows" in out
    assert all(video_id in out for video_id in waited) and "ALERT" in out
    clip.write_bytes(b"another three minutes")
    code, out, _ = run("upload", "cam1", str(clip), "--wait", "--json")
    answer = json.loads(out)
    assert [w["decision"] for w in answer["windows"]] == ["NO_ALERT", "NO_ALERT", "ALERT"]
