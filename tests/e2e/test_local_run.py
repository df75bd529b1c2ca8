"""The local run end to end: moto server, real S3 events, real dispatcher and inference handlers, real model."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from videoalert_local.local_run import DEFAULT_MODEL_DIR, run_local

RELEASED = DEFAULT_MODEL_DIR / "model_card.json"


EXPECTED = {"empty_01.mp4": "NO_ALERT", "empty_02.mp4": "NO_ALERT", "horse_01.mp4": "NO_ALERT",
            "horse_02.mp4": "NO_ALERT", "human_01.mp4": "ALERT", "human_02.mp4": "ALERT"}


@pytest.mark.slow
def test_the_local_run_alerts_on_both_people_and_on_no_horse_or_empty_scene_by_both_paths(clips_dir, tmp_path,
                                                                                           monkeypatch):
    # Given the six sample clips and the released model
    if not RELEASED.exists():
        pytest.fail("no released model in models/: the local run needs it (see training/README.md)")
    videos = sorted(clips_dir.glob("*.mp4"))
    assert len(videos) == 6
    from videoalert_inference import handler as inference

    reads = []
    by_url = inference.fetch_clip_parts_by_url
    monkeypatch.setattr(inference, "fetch_clip_parts_by_url", lambda *a: reads.append(by_url(*a)) or reads[-1])

    # When the whole pipeline runs on the embedded emulators: each clip uploaded, and each streamed by the camera
    # path (PutMedia into the KVS stand-in, cut from the stream by the scheduled dispatcher)
    result = run_local(videos, report_dir=tmp_path / "report", quiet=True)

    # Then by both paths each clip has one DONE record, both people alerted and no empty scene or horse did,
    # and exactly one alert per alerting record arrived on the subscribed queue
    for path in ("upload", "camera"):
        decisions = {name: result.record_for(name, path)["decision"] for name in EXPECTED}
        assert decisions == EXPECTED, path
    assert len(result.records) == 12
    assert all(r["status"] == "DONE" and len(r["frame_scores"]) >= 55 for r in result.records)
    assert all(p["fragments_persisted"] == p["fragments_sent"] == 30 for p in result.pushed.values())
    alerted = sorted(a["body"]["video_id"] for a in result.alerts)
    assert alerted == sorted(r["video_id"] for r in result.records if r["decision"] == "ALERT")
    assert len(alerted) == 4
    assert all(a["attributes"] == {"camera_id": "cam1", "decision": "ALERT", "dedup_key": a["body"]["video_id"]}
               for a in result.alerts)
    # and the report shows a plot and a best frame per video, alerts first
    page = Path(result.report_path).read_text()
    assert page.count('alt="score over time"') == 12 and page.count('alt="best frame"') == 12
    decisions_in_order = re.findall(r"<section>.*?<p><b>\w+</b> (\w+)", page)
    assert decisions_in_order == ["ALERT"] * 4 + ["NO_ALERT"] * 8
    # and the inference function read every clip through the dispatcher's presigned URLs (the emulator's S3),
    # none from bucket/key (a failed URL read raises before it is counted)
    assert len(reads) == 12


@pytest.mark.slow
def test_the_local_run_does_not_alert_on_the_horse_clip_01(clips_dir, tmp_path):
    if not RELEASED.exists():
        pytest.fail("no released model in models/")
    # Given the horse that walks in and out at the frame's edge (the case the edge hard negatives address)
    result = run_local([clips_dir / "horse_01.mp4"], report_dir=None, quiet=True, paths=("upload",))
    # Then no frame pair reaches the served threshold and nothing is alerted
    assert result.record_for("horse_01.mp4")["decision"] == "NO_ALERT"
    assert result.alerts == []


def test_the_local_run_records_a_corrupt_upload_as_rejected(tmp_path):
    # Given a file that is not a video, and the plumbing model (no dependence on the released one)
    bogus = tmp_path / "notes.mp4"
    bogus.write_bytes(b"this is a text file, not an MP4" * 10)
    model_dir = DEFAULT_MODEL_DIR
    if not (model_dir / "model_card.json").exists():
        from fixtures.onnx_models import write_tiny_model

        model_dir = write_tiny_model(tmp_path / "model")
    # When it goes through the local pipeline by both paths
    result = run_local([bogus], model_dir=model_dir, report_dir=None, quiet=True)
    # Then the upload is recorded REJECTED with the decoder's reason, the camera path says it cannot stream it,
    # and nothing is alerted
    (record,) = result.records
    assert record["status"] == "REJECTED" and record["reason"] in {"CORRUPT_VIDEO", "NO_VIDEO_TRACK"}
    assert "cannot read" in result.not_pushed["notes.mp4"] and result.streamed == {}
    assert result.alerts == []


def test_the_local_run_leaves_the_process_environment_as_it_found_it(tmp_path, tiny_model_dir, monkeypatch):
    # Tests and the CLI share one process: the run's emulator endpoint and settings must not leak.
    import os

    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    before = dict(os.environ)
    bogus = tmp_path / "x.mp4"
    bogus.write_bytes(b"not a video")
    run_local([bogus], model_dir=tiny_model_dir, report_dir=None, quiet=True)
    assert dict(os.environ) == before


@pytest.mark.slow
def test_the_local_run_prints_the_alert_text_with_its_one_tap_links_and_the_report_shows_them(clips_dir, tmp_path):
    if not RELEASED.exists():
        pytest.fail("no released model in models/")
    # Given a clip with a person (the released model alerts on it)
    said: list[str] = []
    # When the local run takes it by the upload path
    result = run_local([clips_dir / "human_02.mp4"], report_dir=tmp_path / "report", paths=("upload",),
                       say=said.append, show_record=False)
    # Then a newcomer sees the alert as the e-mail reads: the text, the picture's link and both one-tap links
    out = "\n".join(said)
    [alert] = result.alerts
    links = alert["body"]["links"]
    assert "the first alert as the e-mail reads" in out and "A person was detected on camera cam1" in out
    assert all(links[k] in out for k in ("frame", "not_a_person", "correct", "review"))
    # and the report shows the same text with its links clickable
    page = Path(result.report_path).read_text()
    assert "the alert's text and links" in page and f'href="{links["not_a_person"].replace("&", "&amp;")}"' in page
