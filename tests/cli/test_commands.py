"""The `videoalert` command: every subcommand is registered and user errors are one clear line."""
from __future__ import annotations

import io
import json

from botocore.response import StreamingBody
from botocore.stub import Stubber

from videoalert_cli.main import build_parser, main


def test_every_documented_subcommand_exists():
    parser = build_parser()
    choices = parser._subparsers._group_actions[0].choices
    assert {"status", "list", "upload", "run-local", "redrive", "push", "serve", "rule", "tune", "feedback",
            "review", "export-dataset", "camera"} == set(choices)


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


def test_rule_shows_and_changes_a_cameras_rule_with_a_new_version(aws, monkeypatch, capsys):
    # Given a registered camera on the emulator
    from videoalert.store.cameras import CameraStore
    from videoalert_cli import resources

    sess, res = aws
    CameraStore(sess.resource("dynamodb").Table(res.cameras_table)).register("cam1")
    monkeypatch.setattr(
        resources,
        "resolve",
        lambda args: resources.Target(
            sess, None, {"cameras_table": res.cameras_table, "videos_table": res.videos_table}
        ),
    )
    # When the user shows it, then turns on motion regions and requires three frames
    assert main(["rule", "cam1"]) == 0
    shown = capsys.readouterr().out
    assert main(["rule", "cam1", "--regions", "both", "--min-frames", "3"]) == 0
    changed = capsys.readouterr().out
    # Then the stored rule has the new fields and a new version; bad values are refused clearly
    stored = CameraStore(sess.resource("dynamodb").Table(res.cameras_table)).get("cam1").rule
    assert "v1" in shown and "v2" in changed
    assert (stored.regions, stored.min_frames, stored.version) == ("both", 3, 2)
    assert main(["rule", "cam1", "--regions", "sideways"]) == 2  # a usage error
    assert main(["rule", "cam1", "--min-frames", "two"]) == 2
    assert main(["rule", "nobody", "--min-frames", "2"]) == 1  # a runtime failure: no such camera


def test_rule_sets_the_cameras_time_zone_zones_and_masks_as_a_new_version(aws, monkeypatch, capsys):
    from videoalert.store.cameras import CameraStore
    from videoalert_cli import resources

    sess, res = aws
    cameras = CameraStore(sess.resource("dynamodb").Table(res.cameras_table))
    cameras.register("cam1")
    monkeypatch.setattr(resources, "resolve", lambda args: resources.Target(
        sess, None, {"cameras_table": res.cameras_table, "videos_table": res.videos_table}))
    # When the user gives the camera a time zone, a zone over the bottom half and a mask in a corner
    assert main(["rule", "cam1", "--timezone", "Europe/Paris", "--zone", "0,0.5 1,0.5 1,1 0,1",
                 "--mask", "0.8,0 1,0 1,0.2"]) == 0
    shown = capsys.readouterr().out
    # Then they are one new version of the rule, shown back
    rule = cameras.get("cam1").rule
    assert (rule.version, rule.timezone) == (2, "Europe/Paris")
    assert rule.zones == (((0.0, 0.5), (1.0, 0.5), (1.0, 1.0), (0.0, 1.0)),) and len(rule.masks) == 1
    assert "zones=1 masks=1 tz=Europe/Paris" in shown and "zone: 0,0.5 1,0.5 1,1 0,1" in shown
    assert main(["rule", "cam1", "--clear-masks"]) == 0 and cameras.get("cam1").rule.masks == ()
    # And a zone that is not a polygon, or a zone nobody knows, is a usage error
    assert main(["rule", "cam1", "--zone", "0,0 1,1"]) == 2
    assert main(["rule", "cam1", "--timezone", "Mars/Base"]) == 2
