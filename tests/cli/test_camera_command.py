"""`videoalert camera` against a deployed stack's resources (moto: the cameras table, Kinesis Video Streams' control
plane): the CLI's conventions on the registry (exit codes, one-line errors, --json). The same commands on a running
`run-local --serve` are tests/e2e/test_camera_registry_serve.py."""
from __future__ import annotations

import json

import pytest

from videoalert_cli.main import main


@pytest.fixture
def run(moto_target, capsys):
    def call(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return call


def test_add_list_and_remove_on_the_stack(run, moto_target):
    # Given the stack's registry (cam1 and cam2 seeded), When a camera is added with its time zone and retention
    code, out, _ = run("camera", "add", "porch", "--timezone", "America/New_York", "--retention-hours", "36", "--json")
    added = json.loads(out)
    # Then its stream is made (moto's KVS) and the policy printed names that one stream
    assert code == 0 and added["stream_name"] == "videoalert-porch" and added["retention_hours"] == 36
    described = moto_target.client("kinesisvideo").describe_stream(StreamName="videoalert-porch")["StreamInfo"]
    assert described["StreamARN"] == added["stream_arn"] == added["producer_policy"]["Statement"][0]["Resource"]
    # encrypted with the stack's key (the StreamKeyArn output), which the policy lets the producer use
    assert described["KmsKeyId"] == moto_target.resources["stream_key_arn"] == added["producer_policy"][
        "Statement"][1]["Resource"]
    # and list shows it beside the seeded ones
    code, out, _ = run("camera", "list", "--json")
    assert code == 0 and [(c["camera_id"], c["timezone"]) for c in json.loads(out)] == [
        ("cam1", "UTC"), ("cam2", "UTC"), ("porch", "America/New_York")]
    code, out, _ = run("camera", "list")
    assert code == 0 and out.splitlines()[0].split()[:3] == ["camera", "enabled", "motion"] and "porch" in out
    # When it is removed with its stream, Then the stream is gone too
    code, out, _ = run("camera", "remove", "porch", "--delete-stream")
    assert code == 0 and "were deleted" in out
    assert [s["StreamName"] for s in moto_target.client("kinesisvideo").list_streams()["StreamInfoList"]] == []


@pytest.mark.parametrize("argv,code,message", [
    (("camera", "remove", "ghost"), 1, "unknown camera 'ghost'"),
    (("camera", "add", "cam1"), 1, "registered already"),
    (("camera", "add", "bad id"), 2, "is not a camera id"),
    (("camera", "add", "ok", "--retention-hours", "12"), 2, "below the minimum 24"),
    (("camera", "add", "ok", "--timezone", "Mars/Olympus"), 2, "unknown time zone"),
    (("camera",), 2, "required: ACTION"),
])
def test_refusals_are_one_line_with_the_documented_exit_code(run, argv, code, message):
    got, out, err = run(*argv)
    assert got == code and message in err and err.count("\n") == 1 and out == ""


def test_add_refuses_a_stack_without_its_stream_key_output(run, moto_target):
    # Given a stack from before the registry (no StreamKeyArn output): a stream would get KVS's default key
    del moto_target.resources["stream_key_arn"]
    code, _, err = run("camera", "add", "porch")
    assert code == 1 and "no StreamKeyArn output" in err
    assert moto_target.client("kinesisvideo").list_streams()["StreamInfoList"] == []


def test_a_camera_with_a_sub_stream_is_registered_scored_from_it_and_edited_back(run, moto_target):
    kvs = moto_target.client("kinesisvideo")
    # Given the stack's registry, When an HD camera is added with a sub-stream
    code, out, _ = run("camera", "add", "gate", "--sub-stream", "--json")
    added = json.loads(out)
    # Then both streams are made, the producer may send into both, and the camera is scored from the sub-stream
    assert code == 0 and added["sub_stream"]["name"] == "videoalert-_sub-gate"
    sub_arn = kvs.describe_stream(StreamName="videoalert-_sub-gate")["StreamInfo"]["StreamARN"]
    assert added["producer_policy"]["Statement"][0]["Resource"] == [added["stream_arn"], sub_arn]
    code, out, _ = run("camera", "list", "--json")
    assert {c["camera_id"]: c["scoring_stream"] for c in json.loads(out)}["gate"] == "videoalert-_sub-gate"
    # When it is edited to score its main stream again, Then the registry forgets the sub-stream, which stays
    code, out, _ = run("camera", "edit", "gate", "--no-sub-stream", "--json")
    assert code == 0 and json.loads(out)["sub_stream"] is None
    code, out, _ = run("camera", "list", "--json")
    assert {c["camera_id"]: c["scoring_stream"] for c in json.loads(out)}["gate"] is None
    assert "videoalert-_sub-gate" in [s["StreamName"] for s in kvs.list_streams()["StreamInfoList"]]
    # When it gets its sub-stream back (adopted) and is removed with its streams, Then both streams are gone
    code, out, _ = run("camera", "edit", "gate", "--sub-stream")
    assert code == 0 and "videoalert-_sub-gate adopted" in out
    code, out, _ = run("camera", "remove", "gate", "--delete-stream")
    assert code == 0 and [s["StreamName"] for s in kvs.list_streams()["StreamInfoList"]] == []
    # And editing an unknown camera is refused in one line
    code, out, err = run("camera", "edit", "ghost", "--sub-stream")
    assert code == 1 and "unknown camera 'ghost'" in err
