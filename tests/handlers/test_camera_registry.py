"""The camera registry (issue 31): adding a camera makes its stream and registers it, the tick lists it from the
table a page at a time, show reports its health, remove keeps its stream unless asked, the deploy-time seed registers
once and never deletes, the health check counts offline cameras (not silent motion-triggered ones), and the cameras
API answers with the CLI's meanings. DynamoDB on moto; streams on the local KVS stand-in (real HTTP, SigV4)."""
from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from fixtures.records import seed as seed_record
from handlers.conftest import LambdaContext
from videoalert.app import cameras
from videoalert.app.dependencies import Dependencies
from videoalert.app.fanout import fan_out
from videoalert.aws.streams import KvsStreams
from videoalert.domain.camera import CameraState
from videoalert.domain.errors import UnknownCamera
from videoalert.domain.ids import iso
from videoalert.store.cameras import CameraStore
from videoalert.store.videos import VideoRecords
from videoalert_contract.names import PRODUCER_ACTIONS, stream_name

KEY_ARN = "arn:aws:kms:us-east-1:000000000000:key/11111111-2222-3333-4444-555555555555"


@pytest.fixture
def kvs():
    from videoalert_local.kvs import LocalKvsEndpoint

    with LocalKvsEndpoint() as endpoint:
        yield endpoint


@pytest.fixture
def registry(aws, kvs):
    """The registry's dependencies: moto's tables (cam1 and cam2 registered by the resources, as a seed would) and
    the KVS stand-in; the clock is real (fragments carry the stand-in's arrival time)."""
    sess, res = aws
    ddb = sess.resource("dynamodb")
    deps = cameras.RegistryDependencies(
        cameras=CameraStore(ddb.Table(res.cameras_table)),
        streams=KvsStreams(sess.client("kinesisvideo", endpoint_url=kvs.url)),
        videos=VideoRecords(ddb.Table(res.videos_table)), key_arn=KEY_ARN, stage="test",
        clock=lambda: datetime.now(UTC))
    return deps, kvs


def test_adding_a_camera_creates_its_encrypted_tagged_stream_and_the_next_tick_sends_it_a_job(registry, wired):
    deps, kvs = registry
    # Given a registry holding cam1 and cam2, When garage is added with a zone and 48 h of retention
    added = cameras.add_camera(deps, cameras.CameraRequest("garage", timezone="Europe/Paris", retention_hours=48))
    # Then its stream exists, created with the stack's key, the tags and the retention asked for
    stream = kvs.streams[stream_name("garage")]
    assert (stream.kms_key_id, stream.retention_hours) == (KEY_ARN, 48)
    assert stream.tags == {"project": "videoalert", "stage": "test", "camera_id": "garage"}
    assert added.stream.created and added.stream.arn == stream.arn
    # and the camera is registered with its stream and time zone
    camera = deps.cameras.get("garage")
    assert camera is not None and camera.stream_arn == stream.arn and camera.rule.timezone == "Europe/Paris"
    assert camera.retention_hours == 48 and camera.registered_at is not None
    # and the producer policy it prints names that one stream and the key, nothing else
    assert added.producer_policy["Statement"] == [
        {"Effect": "Allow", "Action": list(PRODUCER_ACTIONS), "Resource": stream.arn},
        {"Effect": "Allow", "Action": ["kms:GenerateDataKey"], "Resource": KEY_ARN}]
    # When the minute tick fans out (no redeploy, no restart), Then garage gets its job with the others
    _, _, dispatch_deps, _, _ = wired
    sent = SentJobs()
    ticked = fan_out(_with_jobs(dispatch_deps, sent), datetime(2026, 11, 23, 10, 0, 30, tzinfo=UTC))
    assert sorted(job.camera_id for job in sent.jobs) == ["cam1", "cam2", "garage"] and ticked.sent == 3


def test_adding_a_camera_twice_changes_nothing_and_says_so(registry):
    deps, kvs = registry
    cameras.add_camera(deps, cameras.CameraRequest("porch"))
    deps.cameras.update_rule("porch", 1, threshold=0.8)
    with pytest.raises(cameras.CameraAlreadyRegistered, match="porch"):
        cameras.add_camera(deps, cameras.CameraRequest("porch", retention_hours=72))
    camera = deps.cameras.get("porch")
    assert camera is not None and camera.rule.version == 2 and camera.rule.threshold == 0.8
    assert kvs.streams[stream_name("porch")].retention_hours == 24


@pytest.mark.parametrize("request_,message", [
    (cameras.CameraRequest("-bad"), "camera id"),
    (cameras.CameraRequest("ok", retention_hours=23), "24..87600"),
    (cameras.CameraRequest("ok", timezone="not a zone"), "timezone"),
])
def test_a_bad_request_makes_nothing(registry, request_, message):
    deps, kvs = registry
    with pytest.raises(cameras.BadCameraRequest, match=message):
        cameras.add_camera(deps, request_)
    assert kvs.streams == {} and deps.cameras.get("ok") is None


def test_removing_keeps_the_stream_and_adding_again_adopts_it_with_its_video(registry):
    deps, kvs = registry
    cameras.add_camera(deps, cameras.CameraRequest("shed"))
    stream = kvs.streams[stream_name("shed")]
    kvs.store(stream, b"header", b"cluster", producer_ms=1_000, length_ms=2_000)
    # When shed is removed (the default keeps its stream)
    removed = cameras.remove_camera(deps, "shed")
    # Then it is unregistered, its stream and the video in it stay
    assert deps.cameras.get("shed") is None and not removed.stream_deleted
    assert kvs.streams[stream_name("shed")].fragments
    # and adding it again adopts that stream (nothing created, nothing lost)
    again = cameras.add_camera(deps, cameras.CameraRequest("shed"))
    assert not again.stream.created and again.stream.arn == stream.arn
    # When it is removed with its stream, Then the stream is deleted; removing it again is an unknown camera
    assert cameras.remove_camera(deps, "shed", delete_stream=True).stream_deleted
    assert stream_name("shed") not in kvs.streams
    with pytest.raises(UnknownCamera):
        cameras.remove_camera(deps, "shed")


def test_a_worker_finishing_a_window_does_not_bring_back_a_camera_removed_meanwhile(registry):
    deps, _ = registry
    cameras.add_camera(deps, cameras.CameraRequest("temp"))
    cameras.remove_camera(deps, "temp")
    # When a worker that was cutting temp's first window moves its cursor after the remove
    moved = deps.cameras.advance_cursor("temp", None, datetime(2026, 12, 7, 10, 1, tzinfo=UTC))
    # Then nothing is written: temp stays unregistered
    assert moved is False and deps.cameras.get("temp") is None


def test_show_reports_the_stream_the_newest_fragment_clip_and_alert_and_the_open_failures(registry):
    deps, kvs = registry
    cameras.add_camera(deps, cameras.CameraRequest("door"))
    now = datetime.now(UTC).replace(microsecond=0)
    minute = now.replace(second=0) - timedelta(minutes=5)
    for offset, status, decision in ((0, "DONE", "ALERT"), (1, "FAILED", None), (2, "DONE", "NO_ALERT")):
        start = minute + timedelta(minutes=offset)
        seed_record(deps.videos, {"video_id": f"door-{offset}", "camera_id": "door", "status": status,
                                  "window_start": iso(start), **({"decision": decision} if decision else {})})
    kvs.store(kvs.streams[stream_name("door")], b"header", b"cluster", producer_ms=1_000, length_ms=2_000)
    # When the camera is shown
    health = cameras.show_camera(deps, "door")
    # Then its stream is there and active, its newest fragment just arrived, its newest clip and last alert are named
    assert health.stream is not None and health.stream.status == "ACTIVE"
    assert health.last_fragment is not None and abs(health.last_fragment - datetime.now(UTC)) < timedelta(minutes=1)
    assert health.last_clip is not None and health.last_clip.video_id == "door-2"
    assert health.last_alert is not None and health.last_alert.video_id == "door-0"
    assert health.failed == ["door-1"] and health.state == CameraState.ONLINE
    described = health.describe()
    assert described["open_failures"] == {"failed": ["door-1"], "overdue": []}
    assert json.loads(json.dumps(described))["last_alert"]["decision"] == "ALERT"
    with pytest.raises(UnknownCamera):
        cameras.show_camera(deps, "ghost")


def test_the_health_check_counts_offline_cameras_but_not_silent_motion_triggered_ones(registry):
    deps, _ = registry
    later = datetime.now(UTC) + timedelta(hours=1)
    for camera_id, motion in (("steady", False), ("motion", True), ("busy", False)):
        cameras.add_camera(deps, cameras.CameraRequest(camera_id, motion_triggered=motion))
    # busy sent a clip a minute before the check; steady and motion sent nothing for an hour; cam1 and cam2 are
    # items from before the registry (no registration date, no stream): old, silent, and without a stream
    seed_record(deps.videos, {"video_id": "busy-1", "camera_id": "busy", "status": "DONE", "decision": "NO_ALERT",
                              "window_start": iso((later - timedelta(minutes=2)).replace(second=0, microsecond=0))})
    deps.clock = lambda: later
    health = cameras.fleet_health(deps)
    assert sorted(health.offline) == ["cam1", "cam2", "steady"]
    assert health.states["QUIET"] == 1 and health.states["ONLINE"] == 1 and health.registered == 5
    assert sorted(health.without_stream) == ["cam1", "cam2"]
    # A camera added a minute ago with nothing yet is NEW, not offline
    deps.clock = lambda: datetime.now(UTC)
    cameras.add_camera(deps, cameras.CameraRequest("fresh"))
    assert "fresh" not in cameras.fleet_health(deps).offline


def test_the_health_check_records_the_stream_of_an_item_from_before_the_registry(registry):
    deps, kvs = registry
    # Given cam1's item (registered before the registry recorded streams) and its stream, made by the old stack
    kvs.create_stream({"StreamName": stream_name("cam1")})
    # When the health check runs, Then it records the stream it found
    health = cameras.fleet_health(deps)
    assert health.streams_recorded == 1 and health.without_stream == ["cam2"]
    camera = deps.cameras.get("cam1")
    assert camera is not None and camera.stream_arn == kvs.streams[stream_name("cam1")].arn


def test_the_tick_reads_the_registry_a_page_at_a_time(wired, monkeypatch):
    # Given 25 registered cameras and pages of 10 items
    from videoalert.store import cameras as store

    _, _, deps, _, _ = wired
    monkeypatch.setattr(store, "SCAN_PAGE_ITEMS", 10)
    for i in range(23):
        deps.cameras.register(f"cam-{i:03d}")
    # When the tick fans out, Then it read 3 pages and sent one job per camera, each page in its own batch send
    sent = SentJobs()
    ticked = fan_out(_with_jobs(deps, sent), datetime(2026, 11, 23, 10, 0, 30, tzinfo=UTC))
    assert (ticked.cameras, ticked.sent, ticked.pages) == (25, 25, 3)
    assert [len(batch) for batch in sent.batches] == [10, 10, 5]
    assert len({job.camera_id for job in sent.jobs}) == 25


class SentJobs:
    """The job queue as the tick sees it: what was sent, in the calls it was sent in."""

    def __init__(self):
        self.batches = []

    @property
    def jobs(self):
        return [job for batch in self.batches for job in batch]

    def send(self, jobs):
        self.batches.append(list(jobs))
        return len(jobs)


def _with_jobs(deps: Dependencies, jobs) -> Dependencies:
    from dataclasses import replace

    return replace(deps, jobs=jobs, clock=lambda: datetime(2026, 11, 23, 10, 0, 30, tzinfo=UTC), sleep=lambda s: None)


# --- the deploy-time seed (a CloudFormation custom resource) ------------------------------------------------------


class ResponseCatcher:
    """A stand-in for CloudFormation's presigned S3 URL: keeps every PUT body."""

    def __init__(self):
        self.bodies: list[dict] = []
        bodies = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self):
                bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/response"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def seed_handler(registry, monkeypatch):
    import camera_registry

    deps, kvs = registry
    monkeypatch.setattr(camera_registry, "_deps", deps)
    catcher = ResponseCatcher()
    yield camera_registry, catcher, deps, kvs
    catcher.server.shutdown()


def _cfn_event(kind: str, url: str, listed: list[str], before: list[str] | None = None) -> dict:
    event = {"RequestType": kind, "ResponseURL": url, "StackId": "arn:aws:cloudformation:us-east-1:0:stack/s/1",
             "RequestId": f"r-{kind}", "LogicalResourceId": "CamerasSeed", "ResourceType": "Custom::CameraSeed",
             "ResourceProperties": {"ServiceToken": "arn", "Cameras": listed, "RetentionHours": "24"}}
    if before is not None:
        event["OldResourceProperties"] = {"ServiceToken": "arn", "Cameras": before, "RetentionHours": "24"}
        event["PhysicalResourceId"] = "videoalert-camera-seed"
    return event


def test_the_seed_registers_once_and_a_deploy_with_fewer_cameras_deletes_nothing(seed_handler):
    handler, catcher, deps, kvs = seed_handler
    # Given a stack created with cameras front and back
    handler.handler(_cfn_event("Create", catcher.url, ["front", "back"]), LambdaContext())
    assert deps.cameras.get("front") and deps.cameras.get("back") and stream_name("back") in kvs.streams
    # When back is removed with the CLI and the stack is deployed again with the same list plus side
    cameras.remove_camera(deps, "back")
    handler.handler(_cfn_event("Update", catcher.url, ["front", "back", "side"], before=["front", "back"]),
                    LambdaContext())
    # Then only side (new to the list) is registered: back stays removed
    assert deps.cameras.get("side") and deps.cameras.get("back") is None
    # When it is deployed with no cameras at all, and then the stack is deleted
    handler.handler(_cfn_event("Update", catcher.url, [], before=["front", "back", "side"]), LambdaContext())
    handler.handler(_cfn_event("Delete", catcher.url, []), LambdaContext())
    # Then every camera and every stream is still there
    assert deps.cameras.get("front") and deps.cameras.get("side")
    assert {stream_name(c) for c in ("front", "back", "side")} <= set(kvs.streams)
    # and CloudFormation got one SUCCESS per request, always under the same physical id (never a replacement)
    assert [b["Status"] for b in catcher.bodies] == ["SUCCESS"] * 4
    assert {b["PhysicalResourceId"] for b in catcher.bodies} == {"videoalert-camera-seed"}
    assert [b["RequestId"] for b in catcher.bodies] == ["r-Create", "r-Update", "r-Update", "r-Delete"]


def test_a_seed_that_fails_answers_failed_with_the_reason(seed_handler, monkeypatch):
    handler, catcher, deps, _ = seed_handler

    def refuse(*args, **kwargs):
        raise RuntimeError("KVS said LimitExceeded")

    monkeypatch.setattr(deps.streams, "ensure", refuse)
    answer = handler.handler(_cfn_event("Create", catcher.url, ["front"]), LambdaContext())
    assert answer["ok"] is False and deps.cameras.get("front") is None
    (body,) = catcher.bodies
    assert body["Status"] == "FAILED" and "LimitExceeded" in body["Reason"]


# --- the cameras API (IAM-authenticated function URL) and the scheduled health check ----------------------------


def _url_event(method: str, path: str, body: dict | None = None, query: dict | None = None) -> dict:
    return {"version": "2.0", "rawPath": path, "rawQueryString": "", "headers": {"content-type": "application/json"},
            "queryStringParameters": query, "isBase64Encoded": False, "body": json.dumps(body) if body else None,
            "requestContext": {"http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "1.2.3.4",
                                        "userAgent": "test"},
                               "authorizer": {"iam": {"userArn": "arn:aws:iam::000000000000:user/ops",
                                                      "callerId": "AIDA"}},
                               "requestId": "id", "routeKey": "$default", "stage": "$default",
                               "domainName": "x.lambda-url.us-east-1.on.aws", "accountId": "000000000000",
                               "apiId": "x", "time": "07/Dec/2026:10:00:00 +0000", "timeEpoch": 0}}


def test_the_cameras_api_adds_lists_shows_and_removes_with_the_clis_meanings(seed_handler):
    handler, _, deps, kvs = seed_handler

    def call(method, path, body=None, query=None):
        answer = handler.handler(_url_event(method, path, body, query), LambdaContext())
        return answer["statusCode"], json.loads(answer["body"])

    status, added = call("POST", "/cameras", {"camera_id": "gate", "retention_hours": 36, "motion_triggered": True})
    assert status == 201 and added["stream_name"] == stream_name("gate") and added["retention_hours"] == 36
    assert call("POST", "/cameras", {"camera_id": "gate"})[0] == 409  # registered already
    assert call("POST", "/cameras", {"camera_id": "bad id"})[0] == 400
    assert call("POST", "/cameras", {"nothing": 1})[0] == 400
    status, listed = call("GET", "/cameras")
    assert status == 200 and [c["camera_id"] for c in listed["cameras"]] == ["cam1", "cam2", "gate"]
    status, shown = call("GET", "/cameras/gate")
    assert status == 200 and shown["motion_triggered"] is True and shown["stream"]["retention_hours"] == 36
    assert call("GET", "/cameras/ghost")[0] == 404
    status, removed = call("DELETE", "/cameras/gate", query={"delete_stream": "true"})
    assert status == 200 and removed["stream_deleted"] is True and stream_name("gate") not in kvs.streams
    assert call("DELETE", "/cameras/gate")[0] == 404


def test_the_scheduled_health_check_emits_the_fleet_metrics(seed_handler, capsys):
    handler, _, deps, _ = seed_handler
    event = {"version": "0", "id": "e", "detail-type": "Scheduled Event", "source": "aws.events",
             "time": "2026-12-07T10:00:00Z", "detail": {}}
    answer = handler.handler(event, LambdaContext())
    # cam1 and cam2: old items, no clip, continuous: offline
    assert answer["offline"] == 2 and answer["registered"] == 2
    emitted = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    (metrics,) = emitted
    assert metrics["CamerasOffline"] in (2.0, [2.0]) and metrics["CamerasRegistered"] in (2.0, [2.0])
    assert metrics["service"] == "videoalert-test"


def test_an_unknown_event_is_dropped_with_a_clear_error(seed_handler):
    handler, _, _, _ = seed_handler
    assert handler.handler({"what": "ever"}, LambdaContext())["error"]["code"] == "MALFORMED_EVENT"
