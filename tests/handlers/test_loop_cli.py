"""The CLI side of the loop on moto: `tune` replays and applies a rule, `export-dataset` writes training frames,
`feedback` signs its request and reports the function's answer."""
from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from PIL import Image

from videoalert_cli import resources
from videoalert_cli.errors import UserError
from videoalert_cli.main import main

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def target(aws, monkeypatch):
    sess, res = aws
    names = {"videos_table": res.videos_table, "cameras_table": res.cameras_table, "video_bucket": res.video_bucket,
             "review_bucket": res.review_bucket, "fp_memory_table": res.fp_memory_table, "cameras": "cam1"}
    tgt = resources.Target(sess, None, names)
    monkeypatch.setattr(resources, "resolve", lambda args: tgt)
    return tgt


def seed(target, minute, scores, decision, label=None, **extra):
    from fixtures.records import seed as seed_record
    from videoalert.store.videos import VideoRecords

    start = NOW - timedelta(hours=2) + timedelta(minutes=minute)
    record = {"video_id": f"cam1-{minute:03d}", "camera_id": "cam1", "source": "stream", "status": "DONE",
              "window_start": start.strftime("%Y-%m-%dT%H:%M:%SZ"), "decision": decision, "threshold": 0.5,
              "model_threshold": 0.5, "frame_scores": [{"t": float(i), "score": s, "region": "full"}
                                                       for i, s in enumerate(scores)], **extra}
    if label:
        record["label"] = label
    seed_record(VideoRecords(target.table("videos_table")), record)
    return record["video_id"]


def test_tune_shows_the_what_if_and_applies_the_recommended_rule_as_a_new_version(target, capsys):
    # Given a camera whose statue alerts at 0.6-0.7 (labelled false twice) and a person at 0.95 (labelled true)
    from videoalert.store.cameras import CameraStore

    CameraStore(target.table("cameras_table")).register("cam1")
    for minute in (0, 10, 20):
        seed(target, minute, [0.66, 0.62, 0.1], "ALERT", "false_positive" if minute != 10 else None)
    seed(target, 30, [0.97, 0.95, 0.93], "ALERT", "true_positive")
    # When the user runs the what-if and applies it
    assert main(["tune", "cam1", "--since", "1d", "--apply"]) == 0
    out = capsys.readouterr().out
    # Then the table and the recommendation are printed and the camera holds rule v2, which silences the statue
    # and still alerts on the person
    from videoalert.domain.rule import decide

    assert "people missed" in out and "recommendation:" in out and "applied: camera cam1 rule v2" in out
    rule = CameraStore(target.table("cameras_table")).get("cam1").rule
    assert rule.version == 2
    assert decide([0.66, 0.62, 0.1], rule, 0.5).decision == "NO_ALERT"
    assert decide([0.97, 0.95, 0.93], rule, 0.5).decision == "ALERT"


def test_tune_without_a_labelled_person_applies_nothing(target, capsys):
    from videoalert.store.cameras import CameraStore

    CameraStore(target.table("cameras_table")).register("cam1")
    seed(target, 0, [0.66, 0.62], "ALERT", "false_positive")
    assert main(["tune", "cam1", "--apply"]) == 0
    out = capsys.readouterr().out
    assert "keep the current rule" in out and "nothing applied" in out
    assert CameraStore(target.table("cameras_table")).get("cam1").rule.version == 1


def test_export_dataset_writes_people_and_false_positives_in_the_training_layout(target, clips_dir, tmp_path, capsys):
    from videoalert.domain.embeddings import encode

    # Given a labelled person clip and a labelled false-positive clip stored in S3 (subjects on screen 20-40 s)
    s3 = target.client("s3")
    for name, label in (("human_01", "true_positive"), ("horse_01", "false_positive")):
        key = f"videos/cam1/{name}.mp4"
        s3.put_object(Bucket=target.resources["video_bucket"], Key=key, Body=(clips_dir / f"{name}.mp4").read_bytes())
        seed(target, 0 if name == "human_01" else 1, [0.9], "ALERT", label, s3_bucket=target.resources["video_bucket"],
             s3_key=key, model_version="m1", label_tags=["horse"] if label == "false_positive" else [],
             top_embeddings=[{"t": 30.0, "score": 0.9, "embedding_f16": encode([1.0, 0.0])},
                             {"t": 33.0, "score": 0.8, "embedding_f16": encode([0.0, 1.0])}])
    # When the dataset is exported
    out_dir = tmp_path / "dataset"
    assert main(["export-dataset", str(out_dir), "--validation-percent", "50"]) == 0
    # Then each video's two top frames are JPEGs in <split>/humans or <split>/not_person, listed in the manifest
    from videoalert_training.data import POSITIVE_FOLDERS

    rows = list(__import__("csv").DictReader((out_dir / "manifest.csv").open()))
    assert len(rows) == 4 and {r["class"] for r in rows} == {"humans", "not_person"}
    assert "humans" in POSITIVE_FOLDERS and "not_person" not in POSITIVE_FOLDERS
    for row in rows:
        image = Image.open(out_dir / row["path"])
        assert image.size == (640, 480) and row["path"].startswith(f"{row['split']}/{row['class']}/")
    # And the split is a function of the video id: a second export puts every file in the same place
    again = tmp_path / "again"
    main(["export-dataset", str(again), "--validation-percent", "50"])
    assert sorted(p.relative_to(again).as_posix() for p in again.rglob("*.jpg")) == sorted(r["path"] for r in rows)


def test_export_dataset_cuts_the_labelled_regions_with_their_provenance_and_training_reads_them(target, clips_dir,
                                                                                                  tmp_path):
    from videoalert.domain.embeddings import encode
    from videoalert_training.labelled import list_labelled

    # Given a detect-mode person clip (its person region over the threshold, a background region under it) and a
    # false alert with two regions, both labelled
    s3 = target.client("s3")
    regions = {"human_01": [(0.9, [0.40, 0.20, 0.60, 0.90]), (0.2, [0.0, 0.0, 0.2, 0.3])],
               "horse_01": [(0.8, [0.30, 0.40, 0.70, 0.90]), (0.6, [0.70, 0.10, 0.95, 0.50])]}
    for n, (name, label) in enumerate((("human_01", "true_positive"), ("horse_01", "false_positive"))):
        key = f"videos/cam1/{name}.mp4"
        s3.put_object(Bucket=target.resources["video_bucket"], Key=key, Body=(clips_dir / f"{name}.mp4").read_bytes())
        seed(target, n, [0.9], "ALERT", label, s3_bucket=target.resources["video_bucket"], s3_key=key,
             model_version="m1", top_embeddings=[{"t": 30.0, "score": score, "embedding_f16": encode([1.0, 0.0]),
                                                  "box": box} for score, box in regions[name]])
    # When the dataset is exported
    out_dir = tmp_path / "dataset"
    assert main(["export-dataset", str(out_dir), "--validation-percent", "0"]) == 0
    # Then each region is a crop of its box (the person's only, both of the false alert's), not the whole frame
    rows = list(__import__("csv").DictReader((out_dir / "manifest.csv").open()))
    assert sorted((r["class"], r["box"]) for r in rows) == [
        ("humans", "0.4000 0.2000 0.6000 0.9000"), ("not_person", "0.3000 0.4000 0.7000 0.9000"),
        ("not_person", "0.7000 0.1000 0.9500 0.5000")]
    for row in rows:
        width, height = Image.open(out_dir / row["path"]).size
        assert width < 640 and height < 480
    # And SOURCES.csv gives each file's clip, model and sha256, which the training side checks as it reads them
    sources = list(__import__("csv").DictReader((out_dir / "SOURCES.csv").open()))
    assert {s["file"] for s in sources} == {r["path"] for r in rows}
    assert all(s["path"].startswith("s3://") and s["commit_or_version"] == "m1" for s in sources)
    images = list_labelled(out_dir, "train")
    assert sorted(i.label for i in images) == [0, 0, 1]
    (out_dir / rows[0]["path"]).write_bytes(b"changed")
    with pytest.raises(ValueError, match="does not match SOURCES.csv"):
        list_labelled(out_dir)


def test_export_dataset_without_labels_is_a_clear_error(target):
    with pytest.raises(UserError, match="no labelled videos"):
        from videoalert_cli.commands import export_dataset

        export_dataset.run(type("A", (), {"validation_percent": 20, "camera": [], "since": None, "out_dir": "x",
                                          "frames": 3, "local": True})())


class Recorder(BaseHTTPRequestHandler):
    seen: list = []
    status = 200
    answer: dict = {}

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Recorder.seen.append({"headers": dict(self.headers), "body": json.loads(body)})
        payload = json.dumps(Recorder.answer).encode()
        self.send_response(Recorder.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_url():
    server = HTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Recorder.seen.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def test_feedback_signs_the_request_for_the_lambda_service_and_prints_the_answer(target, fake_url, capsys):
    target.resources["feedback_url"] = fake_url
    Recorder.status, Recorder.answer = 200, {
        "video_id": "cam1-000", "camera_id": "cam1", "label": "false_positive", "tags": ["dog"], "changed": True,
        "previous_label": None, "memory_added": 3, "memory_removed": 0, "labelled_by": "arn:aws:iam::1:user/a",
        "labelled_at": "2026-11-23T10:00:00Z", "note": ""}
    assert main(["feedback", "cam1-000", "--false-positive", "--tag", "dog"]) == 0
    (request,) = Recorder.seen
    assert request["body"] == {"video_id": "cam1-000", "label": "false_positive", "tags": ["dog"]}
    auth = request["headers"]["Authorization"]
    assert auth.startswith("AWS4-HMAC-SHA256 Credential=testing/") and "/us-east-1/lambda/aws4_request" in auth
    assert "3 frame(s) added to cam1's false-positive memory" in capsys.readouterr().out


def test_a_true_positive_says_its_frames_are_kept_as_a_person_not_as_false_positives():
    # Given the answer to a true-positive label that kept 2 frames as counter-examples
    from videoalert_cli.commands.feedback import describe

    answer = {"video_id": "cam1-000", "camera_id": "cam1", "label": "true_positive", "changed": True,
              "memory_added": 2, "memory_removed": 1, "labelled_by": "me", "labelled_at": "2026-11-23T10:00:00Z"}
    # When it is printed, Then it says the frames are a confirmed person and never calls them false positives
    text = describe(answer)
    assert "2 frame(s) kept in cam1's memory as a confirmed person" in text and "false-positive" not in text
    assert "1 remembered frame(s) removed" in text


def test_feedback_for_an_unknown_video_reports_the_functions_message(target, fake_url):
    target.resources["feedback_url"] = fake_url
    Recorder.status, Recorder.answer = 404, {"statusCode": 404, "message": "no video 'nope'"}
    with pytest.raises(UserError, match="no video 'nope'"):
        _run_feedback("nope")


def _run_feedback(video_id):
    from videoalert_cli.commands import feedback

    parser = __import__("videoalert_cli.main", fromlist=["build_parser"]).build_parser()
    return feedback.run(parser.parse_args(["feedback", video_id, "--true-positive"]))


def test_feedback_local_runs_the_same_logic_against_the_emulator_tables(target, capsys):
    seed(target, 0, [0.9, 0.9], "ALERT")
    args = __import__("videoalert_cli.main", fromlist=["build_parser"]).build_parser().parse_args(
        ["feedback", "cam1-000", "--true-positive", "--local", "--json"])
    from videoalert_cli.commands import feedback

    assert feedback.run(args) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["changed"] is True and answer["labelled_by"].startswith("local:")
