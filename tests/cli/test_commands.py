"""The `videoalert` command: every subcommand is registered and user errors are one clear line."""
from __future__ import annotations

import io
import json

import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber

from videoalert_cli.main import build_parser, main


def test_every_documented_subcommand_exists():
    parser = build_parser()
    choices = parser._subparsers._group_actions[0].choices
    assert {"status", "list", "events", "upload", "run-local", "redrive", "push", "serve", "rule", "tune", "feedback",
            "review", "export-dataset", "camera", "webpush"} == set(choices)


def test_local_commands_without_a_running_emulator_say_how_to_start_one(capsys):
    # Given no record of a running emulator (the autouse fixture points at an empty place)
    # When a --local command runs, Then it fails (exit 1) with one line saying how to start one
    assert main(["list", "--camera", "cam1", "--local"]) == 1
    assert "videoalert run-local --serve" in capsys.readouterr().err


def test_upload_refuses_a_missing_file(capsys):
    assert main(["upload", "cam1", "/nonexistent/clip.mp4", "--local"]) == 1
    assert "is not a file" in capsys.readouterr().err


def test_status_and_list_read_the_records(aws, tmp_path, monkeypatch, capsys):
    # Given a record in the videos table of the emulator
    from fixtures.records import seed
    from videoalert.store.videos import VideoRecords
    from videoalert_cli import resources

    sess, res = aws
    table = sess.resource("dynamodb").Table(res.videos_table)
    seed(VideoRecords(table),
        {"video_id": "cam1-20261123T100000Z", "camera_id": "cam1", "window_start": "2026-11-23T10:00:00Z",
         "window_end": "2026-11-23T10:01:00Z", "status": "DONE", "decision": "ALERT", "max_score": 0.93,
         "frame_scores": [{"t": 0.0, "score": 0.93}, {"t": 1.0, "score": 0.2}]})
    monkeypatch.setattr(resources, "resolve", lambda args: resources.Target(sess, None, {
        "videos_table": res.videos_table, "cameras_table": res.cameras_table, "video_bucket": res.video_bucket,
        "cameras": "cam1"}))
    # When a user asks for the video and the camera's alerts
    assert main(["status", "cam1-20261123T100000Z"]) == 0
    status_out = capsys.readouterr().out
    assert main(["list", "--camera", "cam1", "--decision", "ALERT"]) == 0
    list_out = capsys.readouterr().out
    assert main(["list", "--camera", "cam1", "--decision", "NO_ALERT"]) == 0
    empty = capsys.readouterr()
    # Then they see it, and a filter that excludes it shows nothing
    assert "decision: ALERT" in status_out and "0.93" in status_out
    assert "cam1-20261123T100000Z" in list_out and "0.930" in list_out
    assert empty.out == "" and "no videos" in empty.err
    assert main(["status", "nope"]) == 1


def test_redrive_invokes_the_dispatcher_with_a_redrive_event(monkeypatch, capsys):
    import boto3

    from videoalert_cli import resources

    client = boto3.client("lambda", region_name="us-east-1")
    answer = json.dumps(
        {"ok": True, "outcomes": [{"video_id": "v1", "status": "DONE", "decision": "NO_ALERT"}]}
    ).encode()
    with Stubber(client) as stub:
        stub.add_response(
            "invoke",
            {"StatusCode": 200, "Payload": StreamingBody(io.BytesIO(answer), len(answer))},
            {"FunctionName": "disp", "Payload": json.dumps({"action": "redrive", "video_ids": ["v1"]}).encode()},
        )
        target = resources.Target(boto3.session.Session(region_name="us-east-1"), None, {"dispatcher_function": "disp"})
        monkeypatch.setattr(target.__class__, "client", lambda self, name: client)
        monkeypatch.setattr(resources, "resolve", lambda args: target)
        assert main(["redrive", "v1"]) == 0
    assert "v1: DONE" in capsys.readouterr().out


@pytest.fixture
def cameras(aws, monkeypatch):
    """The cameras table with cam1 registered, every command resolving to it (and the videos table)."""
    from videoalert.store.cameras import CameraStore
    from videoalert_cli import resources

    sess, res = aws
    store = CameraStore(sess.resource("dynamodb").Table(res.cameras_table))
    store.register("cam1")
    monkeypatch.setattr(resources, "resolve", lambda args: resources.Target(
        sess, None, {"cameras_table": res.cameras_table, "videos_table": res.videos_table}))
    return store


def test_rule_shows_and_changes_a_cameras_rule_with_a_new_version(cameras, capsys):
    # Given a registered camera on the emulator
    # When the user shows it, then turns on motion regions and requires three frames
    assert main(["rule", "cam1"]) == 0
    shown = capsys.readouterr().out
    assert main(["rule", "cam1", "--regions", "both", "--min-frames", "3"]) == 0
    changed = capsys.readouterr().out
    # Then the stored rule has the new fields and a new version; bad values are refused clearly
    stored = cameras.get("cam1").rule
    assert "v1" in shown and "v2" in changed
    assert (stored.regions, stored.min_frames, stored.version) == ("both", 3, 2)
    assert main(["rule", "cam1", "--regions", "sideways"]) == 2  # a usage error
    assert main(["rule", "cam1", "--min-frames", "two"]) == 2
    assert main(["rule", "nobody", "--min-frames", "2"]) == 1  # a runtime failure: no such camera


def test_rule_sets_the_cameras_time_zone_zones_and_masks_as_a_new_version(cameras, capsys):
    # When the user gives the camera a time zone, a zone over the bottom half and a mask in a corner
    assert main(["rule", "cam1", "--timezone", "Europe/Paris", "--zone", "0,0.5 1,0.5 1,1 0,1",
                 "--mask", "0.8,0 1,0 1,0.2"]) == 0
    shown = capsys.readouterr().out
    # Then they are one new version of the rule, shown back
    rule = cameras.get("cam1").rule
    assert (rule.version, rule.timezone) == (2, "Europe/Paris")
    assert rule.zones == (((0.0, 0.5), (1.0, 0.5), (1.0, 1.0), (0.0, 1.0)),) and len(rule.masks) == 1
    assert "zones=1 masks=1 tz=Europe/Paris" in shown and "zone 1: 0,0.5 1,0.5 1,1 0,1" in shown
    assert "mask 1: 0.8,0 1,0 1,0.2" in shown
    assert main(["rule", "cam1", "--clear-masks"]) == 0 and cameras.get("cam1").rule.masks == ()
    # And a zone that is not a polygon, or a zone nobody knows, is a usage error
    assert main(["rule", "cam1", "--zone", "0,0 1,1"]) == 2
    assert main(["rule", "cam1", "--timezone", "Mars/Base"]) == 2


def test_rule_names_zones_and_renames_one_keeping_its_polygon(cameras, capsys):
    # When the user draws two zones, the first named
    assert main(["rule", "cam1", "--zone", "driveway=0,0.5 1,0.5 1,1", "--zone", "0,0 0.5,0 0.5,0.4"]) == 0
    shown = capsys.readouterr().out
    # Then the rule has both, the first by its name, the second as "zone 2"
    rule = cameras.get("cam1").rule
    assert rule.zone_names == ("driveway", "") and len(rule.zones) == 2
    assert "  driveway: 0,0.5 1,0.5 1,1" in shown and "  zone 2: 0,0 0.5,0 0.5,0.4" in shown
    # When the second is named, Then the polygons stay and the rule is a new version
    assert main(["rule", "cam1", "--rename-zone", "2=porch", "--json"]) == 0
    item = json.loads(capsys.readouterr().out)["rule"]
    assert item["zone_names"] == ["driveway", "porch"] and item["version"] == 3
    assert cameras.get("cam1").rule.zones == rule.zones
    # And new zones without names drop the old names; a zone that is not there, or two alike, are refused
    assert main(["rule", "cam1", "--zone", "0,0 1,0 1,1"]) == 0 and cameras.get("cam1").rule.zone_names == ()
    capsys.readouterr()
    assert main(["rule", "cam1", "--rename-zone", "4=shed"]) == 1
    assert "there is no zone 4" in capsys.readouterr().err
    assert main(["rule", "cam1", "--zone", "a=0,0 1,0 1,1", "--zone", "A=0,0 1,0 0,1"]) == 1
    assert "same name" in capsys.readouterr().err


def test_a_label_given_by_link_shows_in_status_and_list_with_a_label_filter(aws, moto_target, capsys):
    # Given two decided clips, one labelled "not a person" (as a one-tap link writes it)
    from datetime import UTC, datetime

    from fixtures.records import seed
    from videoalert.domain.types import Label
    from videoalert.store.videos import VideoRecords

    records = VideoRecords(moto_target.table("videos_table"))
    for minute, score in ((0, 0.91), (1, 0.2)):
        seed(records, {"video_id": f"cam1-2026112310{minute:02d}", "camera_id": "cam1", "status": "DONE",
                       "window_start": f"2026-11-23T10:{minute:02d}:00Z", "decision": "ALERT" if score > .5
                       else "NO_ALERT", "max_score": score})
    records.write_label("cam1-202611231000", Label.FALSE_POSITIVE, (), who="link:abc", now=datetime.now(UTC))
    # When the user looks at the video and the camera's list, unfiltered and by label
    assert main(["status", "cam1-202611231000"]) == 0
    status_out = capsys.readouterr().out
    assert main(["list", "--camera", "cam1"]) == 0
    listed = capsys.readouterr().out
    assert main(["list", "--camera", "cam1", "--label", "false_positive"]) == 0
    labelled = capsys.readouterr().out
    assert main(["list", "--camera", "cam1", "--label", "unlabelled"]) == 0
    unlabelled = capsys.readouterr().out
    # Then the label shows without --json: a line of the status, a column of the list, and the filter picks by it
    assert "label: false_positive" in status_out and "labelled_by: link:abc" in status_out
    header, _, *rows = listed.splitlines()
    assert "label" in header.split()
    assert [r.split()[0] for r in rows if "false_positive" in r] == ["cam1-202611231000"]
    assert "cam1-202611231000" in labelled and "cam1-202611231001" not in labelled
    assert "cam1-202611231001" in unlabelled and "cam1-202611231000" not in unlabelled


def test_events_join_an_alert_and_its_cooldown_minutes_across_cameras_newest_first(aws, moto_target, capsys):
    # Given cam1: an alert at 10:00 continued by cooldown minutes 10:01 and 10:02, then a quiet minute;
    # cam2: an alert at 10:01 and a suppressed minute at 10:05
    import json

    from fixtures.records import seed
    from videoalert.store.videos import VideoRecords

    records = VideoRecords(moto_target.table("videos_table"))
    person = [{"t": 3.0, "score": 0.95, "region": "person", "box": [0.2, 0.1, 0.5, 0.9]},
              {"t": 4.0, "score": 0.9, "region": "person", "box": [0.25, 0.1, 0.55, 0.9]}]
    minutes = [("cam1", 0, "ALERT", 0.9, None), ("cam1", 1, "COOLDOWN", 0.97, "cam1-1000"),
               ("cam1", 2, "COOLDOWN", 0.8, "cam1-1000"), ("cam1", 3, "NO_ALERT", 0.1, None),
               ("cam2", 1, "ALERT", 0.85, None), ("cam2", 5, "SUPPRESSED", 0.8, None)]
    for camera, minute, decision, score, cooldown_of in minutes:
        item = {"video_id": f"{camera}-10{minute:02d}", "camera_id": camera, "status": "DONE",
                "window_start": f"2026-11-23T10:{minute:02d}:00Z", "decision": decision, "max_score": score,
                "threshold": 0.7, "rule_decision": "ALERT" if score > 0.7 else "NO_ALERT",
                "frame_scores": [dict(f, score=min(f["score"], score)) for f in person]}
        if cooldown_of:
            item |= {"cooldown_of": cooldown_of, "event_start": "2026-11-23T10:00:00Z"}
        seed(records, item)
    # When the user lists the events, then only the alerts, then page by page
    assert main(["events", "--json"]) == 0
    events = json.loads(capsys.readouterr().out)
    assert main(["events", "--decision", "ALERT", "--camera", "cam1"]) == 0
    alerts = capsys.readouterr().out
    assert main(["events", "--limit", "2", "--page", "2"]) == 0
    second = capsys.readouterr()
    # Then cam1's three alerting minutes are one event (start 10:00, end 10:03, its best minute 10:01 with the
    # person's box), each other minute its own, newest first across cameras
    assert [(e["camera"], e["event"], e["minutes"]) for e in events] == [
        ("cam2", "cam2-1005", 1), ("cam1", "cam1-1003", 1), ("cam2", "cam2-1001", 1), ("cam1", "cam1-1000", 3)]
    joined = events[-1]
    assert (joined["start"], joined["end"], joined["decision"]) == ("2026-11-23T10:00:00Z", "2026-11-23T10:03:00Z",
                                                                  "ALERT")
    assert joined["best_video"] == "cam1-1001" and joined["box"] == [0.2, 0.1, 0.5, 0.9]
    assert joined["videos"] == ["cam1-1000", "cam1-1001", "cam1-1002"]
    assert [line.split()[1] for line in alerts.splitlines()[2:]] == ["cam1"] and "cam1-1000" in alerts
    assert "cam2-1001" in second.out and "cam1-1000" in second.out and "cam2-1005" not in second.out
    assert "more events" not in second.err


def test_events_count_first_seen_from_the_clip_s_own_timeline(aws, moto_target, capsys):
    # Given a stream minute whose stream started 37 s into the minute (its clip starts at its first fragment) and a
    # person over the threshold 3 s into that clip, and a whole minute with a person 3 s in
    import json

    from fixtures.records import seed
    from videoalert.store.videos import VideoRecords

    records = VideoRecords(moto_target.table("videos_table"))
    frames = [{"t": 1.0, "score": 0.2, "region": "full"}, {"t": 3.0, "score": 0.95, "region": "full"}]
    for camera, starts_at in (("cam1", "2026-11-23T10:00:37Z"), ("cam2", None)):
        seed(records, {"video_id": f"{camera}-1000", "camera_id": camera, "status": "DONE",
                       "window_start": "2026-11-23T10:00:00Z", "decision": "ALERT", "max_score": 0.95,
                       "threshold": 0.7, "rule_decision": "ALERT", "frame_scores": frames,
                       **({"clip_starts_at": starts_at} if starts_at else {})})
    # When the user lists the events
    assert main(["events", "--json"]) == 0
    seen = {e["camera"]: e["first_seen"] for e in json.loads(capsys.readouterr().out)}
    # Then the late stream's person was first seen 3 s after its clip's start, not 3 s after the minute's
    assert seen == {"cam1": "2026-11-23T10:00:40Z", "cam2": "2026-11-23T10:00:03Z"}
