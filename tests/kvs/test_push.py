"""`videoalert push` end to end against a loopback KVS endpoint that checks SigV4 and answers with real acks."""
from __future__ import annotations

import pytest
from kvs_test_support import LoopbackKvs, simple_block

from videoalert_cli.main import main

START = "2025-11-23T19:00:00Z"
START_MS = 1_763_924_400_000


def push(*args: str) -> int:
    return main(["push", *args, "--no-progress", "--region", "us-east-1", "--timeout", "10"])


def test_push_streams_signed_matroska_and_reports_fragments_persisted(h264_clip, capsys):
    # Given a loopback KVS that knows stream videoalert-cam1 and checks every signature
    with LoopbackKvs() as kvs:
        # When a 6 s H.264 file is pushed for camera cam1 from a fixed producer time
        code = push("cam1", h264_clip, "--endpoint-url", kvs.url, "--start", START)

    # Then the data endpoint was asked for first, for PutMedia on the camera's stream, signed
    assert kvs.endpoint_requests == [
        {"StreamName": "videoalert-cam1", "APIName": "PUT_MEDIA", "signature_problem": None}
    ]
    # And one PutMedia request carried valid SigV4 and the documented headers
    (request,) = kvs.put_media
    assert request.signature_problem is None
    headers = {k.lower(): v for k, v in request.headers.items()}
    assert headers["x-amzn-stream-name"] == "videoalert-cam1"
    assert headers["x-amzn-fragment-timecode-type"] == "ABSOLUTE"
    assert headers["x-amzn-producer-start-timestamp"] == "1763924400.000"
    assert headers["transfer-encoding"] == "chunked"
    assert headers["x-amz-security-token"] == "testing"  # temporary credentials are passed on
    # And the body was one Matroska segment whose clusters are the fragments, in producer time
    assert request.segment_children[:4] == ["EBML", "Segment", "Info", "Tracks"]
    assert [c.one("Timecode").uint for c in request.clusters] == [START_MS, START_MS + 2000, START_MS + 4000]
    assert all(simple_block(c.find("SimpleBlock")[0]).keyframe for c in request.clusters)
    # And the user is told every fragment was persisted, with a zero exit
    assert code == 0
    assert "3 fragments sent, 3 persisted" in capsys.readouterr().out


def test_error_acknowledgement_mid_stream_stops_the_push_with_the_kvs_error_code(h264_clip, capsys):
    # Given a loopback KVS that rejects the second fragment with error 4006 (invalid MKV)
    with LoopbackKvs(error_after=1, error_id=4006) as kvs:
        # When a file is pushed
        code = push("cam1", h264_clip, "--endpoint-url", kvs.url, "--start", START)

    # Then the command fails with the KVS error code, its meaning and the rejected fragment's timecode
    assert code != 0
    captured = capsys.readouterr()
    assert "4006" in captured.err and "INVALID_MKV_DATA" in captured.err and str(START_MS + 2000) in captured.err
    # And it does not claim success
    assert "persisted" not in captured.out


def test_a_session_the_service_ends_early_is_not_reported_as_success(h264_clip, capsys):
    # Given an endpoint that ends the response, without an ERROR, after the first fragment
    with LoopbackKvs(end_after=1) as kvs:
        # When a 3-fragment file is pushed
        code = push("cam1", h264_clip, "--endpoint-url", kvs.url, "--start", START)
    # Then the push fails and says the session ended before all media was sent
    assert code != 0
    assert "ended the session before all media was sent" in capsys.readouterr().err


def test_a_request_signed_with_the_wrong_secret_is_refused_and_reported(h264_clip, capsys, monkeypatch):
    # Given credentials whose secret differs from the one the endpoint expects
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-right-secret")
    with LoopbackKvs() as kvs:
        # When pushing, Then the signature check fails at the first call and the user is told
        code = push("cam1", h264_clip, "--endpoint-url", kvs.url, "--start", START)
    assert code != 0
    assert kvs.endpoint_requests[0]["signature_problem"] == "signature mismatch"
    assert "InvalidSignature" in capsys.readouterr().err


def test_unknown_stream_is_reported_before_any_media_is_sent(h264_clip, capsys):
    # Given an endpoint with no stream for camera "ghost"
    with LoopbackKvs() as kvs:
        # When pushing to it
        code = push("ghost", h264_clip, "--endpoint-url", kvs.url)
    # Then the exit is non-zero, the message names the stream, and no PutMedia was attempted
    assert code != 0
    err = capsys.readouterr().err
    assert "videoalert-ghost" in err and "does not exist" in err
    assert kvs.put_media == []


def test_unknown_stream_on_moto_control_plane(h264_clip, capsys):
    # Given moto's Kinesis Video Streams with only cam1's stream
    import boto3
    from moto import mock_aws

    with mock_aws():
        boto3.client("kinesisvideo", region_name="us-east-1").create_stream(
            StreamName="videoalert-cam1", DataRetentionInHours=24
        )
        # When pushing for a camera without a stream
        code = push("cam9", h264_clip)
    # Then GetDataEndpoint's ResourceNotFoundException becomes one clear line and exit 1 (a runtime failure)
    assert code == 1
    assert "Kinesis video stream 'videoalert-cam9' does not exist" in capsys.readouterr().err


def test_unreadable_source_fails_before_any_request(tmp_path, capsys):
    # Given a path that does not exist and a file that is not video
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"\x00\x01 not a video " * 100)
    with LoopbackKvs() as kvs:
        for source in (str(tmp_path / "missing.mp4"), str(garbage)):
            # When pushing it, Then it fails (exit 1) with a message naming the source
            assert push("cam1", source, "--endpoint-url", kvs.url) == 1
            assert "cannot read video source" in capsys.readouterr().err
    assert kvs.endpoint_requests == [] and kvs.put_media == []


def test_missing_credentials_are_reported_clearly(h264_clip, capsys, monkeypatch, tmp_path):
    # Given no credentials anywhere in the boto3 chain
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_SECURITY_TOKEN",
        "AWS_PROFILE",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    # When pushing, Then the user is told to configure credentials, with exit 1
    assert push("cam1", h264_clip, "--endpoint-url", "http://127.0.0.1:9") == 1
    assert "no AWS credentials found" in capsys.readouterr().err


@pytest.mark.parametrize("bad", ["0", "11"])
def test_fragment_length_outside_kvs_limits_is_a_usage_error(h264_clip, capsys, bad):
    assert push("cam1", h264_clip, "--fragment-seconds", bad) == 2
    assert "--fragment-seconds" in capsys.readouterr().err


def test_push_from_an_http_camera_url_remuxes_its_annexb_stream(tmp_path, capsys):
    # Given an HTTP "camera" serving an MPEG-TS H.264 stream (Annex B, parameter sets in-band)
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    from kvs_test_support import decoded_frames, make_clip

    make_clip(tmp_path / "live.ts", seconds=4, gop_frames=10, container="mpegts")
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *a: None
    camera = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=camera.serve_forever, daemon=True).start()
    try:
        with LoopbackKvs() as kvs:
            # When its URL is pushed
            url = f"http://127.0.0.1:{camera.server_address[1]}/live.ts"
            code = push("cam1", url, "--endpoint-url", kvs.url, "--start", START)
    finally:
        camera.shutdown()
        camera.server_close()

    # Then two 2 s fragments were persisted and the Matroska KVS received decodes to the camera's 40 frames
    assert code == 0, capsys.readouterr().err
    (request,) = kvs.put_media
    assert [c.one("Timecode").uint for c in request.clusters] == [START_MS, START_MS + 2000]
    assert len(decoded_frames(request.raw)) == 40
    assert "remuxing h264" in capsys.readouterr().err


def test_a_long_push_rotates_putmedia_sessions_and_keeps_fragments_continuous(h264_clip, capsys):
    # Given a session length so short that every fragment closes its session
    with LoopbackKvs() as kvs:
        # When a 6 s file is pushed
        code = push("cam1", h264_clip, "--endpoint-url", kvs.url, "--start", START, "--session-minutes", "0.000001")

    # Then each session looked the endpoint up, was signed, sent its own header, and timecodes carried on
    assert code == 0
    assert len(kvs.endpoint_requests) == 3 and len(kvs.put_media) == 3
    for request in kvs.put_media:
        assert request.signature_problem is None
        assert request.segment_children[:4] == ["EBML", "Segment", "Info", "Tracks"]
    timecodes = [c.one("Timecode").uint for r in kvs.put_media for c in r.clusters]
    assert timecodes == [START_MS, START_MS + 2000, START_MS + 4000]
    assert "3 fragments sent, 3 persisted" in capsys.readouterr().out


@pytest.mark.parametrize("debug", [[], ["--debug"]], ids=["plain", "debug-traceback"])
def test_camera_url_credentials_are_never_printed_when_the_camera_cannot_be_read(capsys, debug):
    # Given an RTSP camera URL with a user and password, and nothing listening there (with --debug: the traceback,
    # whose exceptions and FFmpeg's message repeat the URL, is printed too)
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"rtsp://admin:s3cret-pw@127.0.0.1:{port}/stream1"
    with LoopbackKvs() as kvs:
        # When it is pushed, Then the push fails naming the source without its password
        assert push("cam1", url, "--endpoint-url", kvs.url, *debug) == 1
    out = capsys.readouterr()
    assert "s3cret-pw" not in out.out + out.err
    assert f"rtsp://admin:***@127.0.0.1:{port}/stream1" in out.err
    assert ("Traceback (most recent call last)" in out.err) == bool(debug)


def test_camera_url_credentials_are_never_printed_while_pushing(tmp_path, capsys):
    # Given an HTTP camera behind a URL with credentials
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    from kvs_test_support import make_clip

    make_clip(tmp_path / "live.ts", seconds=2, gop_frames=10, container="mpegts")
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *a: None
    camera = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=camera.serve_forever, daemon=True).start()
    try:
        with LoopbackKvs() as kvs:
            url = f"http://viewer:s3cret-pw@127.0.0.1:{camera.server_address[1]}/live.ts"
            code = push("cam1", url, "--endpoint-url", kvs.url, "--start", START)
    finally:
        camera.shutdown()
        camera.server_close()
    # Then the push worked and what it printed names the camera without its password
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "s3cret-pw" not in out.out + out.err
    assert "http://viewer:***@127.0.0.1" in out.err


@pytest.mark.parametrize(("url", "shown"), [
    ("rtsp://u:p@cam.local:554/s?x=1", "rtsp://u:***@cam.local:554/s?x=1"),
    ("rtsp://token@cam.local/s", "rtsp://***@cam.local/s"),
    ("https://cam.local/mjpeg?user=admin&password=hunter2", "https://cam.local/mjpeg?user=admin&password=***"),
    ("rtsp://cam.local/s", "rtsp://cam.local/s"),
    ("/videos/garage.mp4", "/videos/garage.mp4"),
])
def test_a_source_is_shown_without_its_secrets(url, shown):
    from videoalert_cli.redaction import redact

    assert redact(url) == shown
    assert redact(f"error opening '{url}': refused") == f"error opening '{shown}': refused"


def test_the_json_summary_of_a_push_names_the_camera_without_its_password():
    from videoalert_cli.kvs.producer import PushSummary

    summary = PushSummary("rtsp://admin:s3cret-pw@cam.local/s", "videoalert-cam1", "remuxing h264", 640, 480,
                          1_700_000_000_000, None, 3, 3, False)
    assert summary.to_dict()["source"] == "rtsp://admin:***@cam.local/s"
