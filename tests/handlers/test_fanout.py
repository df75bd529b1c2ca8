"""Fan-out (issue 20): the tick enqueues one job per camera on the FIFO queue, uploads take their camera's group, a
camera worker does one job under the camera's lease; overlapping ticks never alert twice for one event."""
from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from handlers.conftest import LambdaContext, scheduled_event, upload_event
from videoalert.app import camera_jobs, fanout
from videoalert.app.outcomes import Skip
from videoalert.aws.jobs import CameraJobQueue
from videoalert.domain.jobs import CameraJob, JobKind
from videoalert_local.emulator import create_job_queue, drain_alerts

M = datetime(2026, 12, 4, 6, 0, tzinfo=UTC)  # the minute a person appears in; they stay through M + 1


class Clock:
    def __init__(self, now: datetime):
        self.now = now
        self.slept: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def queued(wired):
    """The wired dependencies with the per-camera FIFO queue, a settle lag of 12 s and a clock the test moves."""
    sess, res, deps, inference, source = wired
    url = create_job_queue(sess, visibility_timeout_s=30)
    clock = Clock(M + timedelta(minutes=1, seconds=3))
    deps = replace(deps, settings=replace(deps.settings, settle_seconds=12),
                   jobs=CameraJobQueue(sess.client("sqs"), url), clock=clock, sleep=clock.sleep)
    return sess, res, deps, inference, source, url, clock


def receive_all(sess, url):
    sqs, found = sess.client("sqs"), []
    while True:
        batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                                    MessageSystemAttributeNames=["MessageGroupId"]).get("Messages", [])
        if not batch:
            return found
        for message in batch:
            found.append(message)
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def sqs_event(messages):
    return {"Records": [{"messageId": m["MessageId"], "body": m["Body"], "eventSource": "aws:sqs",
                         "attributes": {"MessageGroupId": m.get("Attributes", {}).get("MessageGroupId", "")}}
                        for m in messages]}


def test_a_tick_waits_for_the_minute_to_settle_then_sends_one_job_per_camera(queued):
    # Given EventBridge firing 3 s into the minute, with a 12 s settle lag
    sess, res, deps, _, _, url, clock = queued
    # When the tick fans out
    ticked = fanout.fan_out(deps, M + timedelta(minutes=1))
    # Then it waited 9 s (until the minute that just ended settled), and sent one job per camera, grouped by camera
    assert clock.slept == [9.0] and ticked.now == M + timedelta(minutes=1, seconds=12)
    messages = receive_all(sess, url)
    jobs = [CameraJob.from_message(m["Body"]) for m in messages]
    assert sorted(j.camera_id for j in jobs) == ["cam1", "cam2"] and ticked.sent == 2
    assert {m["Attributes"]["MessageGroupId"] for m in messages} == {"cam1", "cam2"}


def test_two_racing_ticks_of_one_minute_enqueue_each_camera_once(queued):
    sess, res, deps, _, _, url, clock = queued
    fanout.fan_out(deps, M + timedelta(minutes=1))
    fanout.fan_out(deps, M + timedelta(minutes=1))  # the schedule delivered twice
    assert len(receive_all(sess, url)) == 2


def test_the_worker_handler_cuts_the_camera_windows_of_its_job(queued, monkeypatch, clips_dir):
    import camera_worker
    import dispatcher

    sess, res, deps, inference, source, url, clock = queued
    monkeypatch.setattr(dispatcher, "_dependencies", deps)
    monkeypatch.setattr(camera_worker, "_dependencies", deps)
    deps.cameras.register("cam1")
    deps.cameras.advance_cursor("cam1", None, M)
    source.clips_by_start = {("videoalert-cam1", M): [(clips_dir / "human_01.mp4").read_bytes()]}
    # When the tick runs through the dispatcher handler and its jobs through the worker handler
    dispatcher.handler(scheduled_event(M + timedelta(minutes=1)), LambdaContext())
    answer = camera_worker.handler(sqs_event(receive_all(sess, url)), LambdaContext())
    # Then cam1's minute is recorded and alerted, and no message is failed back to the queue
    assert answer == {"batchItemFailures": []}
    assert deps.records.get("cam1-20261204T060000Z").status == "DONE"
    assert len(drain_alerts(sess, res.alert_queue_url)) == 1


def test_an_upload_goes_through_its_camera_group_to_the_worker(queued, monkeypatch, clips_dir):
    import camera_worker
    import dispatcher

    sess, res, deps, inference, source, url, clock = queued
    monkeypatch.setattr(dispatcher, "_dependencies", deps)
    monkeypatch.setattr(camera_worker, "_dependencies", deps)
    s3 = sess.client("s3")
    s3.upload_file(str(clips_dir / "human_01.mp4"), res.video_bucket, "uploads/cam1/door.mp4")
    etag = s3.head_object(Bucket=res.video_bucket, Key="uploads/cam1/door.mp4")["ETag"]
    # When S3's event reaches the dispatcher (the router): nothing is processed there
    answer = dispatcher.handler(upload_event(res.video_bucket, "uploads/cam1/door.mp4", etag), LambdaContext())
    assert answer["outcomes"] == [] and inference.calls == []
    # Then its job is in cam1's group, and the worker takes it
    messages = receive_all(sess, url)
    assert [m["Attributes"]["MessageGroupId"] for m in messages] == ["cam1"]
    assert camera_worker.handler(sqs_event(messages), LambdaContext()) == {"batchItemFailures": []}
    assert len(inference.calls) == 1


def test_a_worker_leaves_a_camera_another_worker_holds(queued, monkeypatch, clips_dir):
    import camera_worker
    import dispatcher

    sess, res, deps, inference, source, url, clock = queued
    monkeypatch.setattr(dispatcher, "_dependencies", deps)
    monkeypatch.setattr(camera_worker, "_dependencies", deps)
    deps.cameras.register("cam1")
    assert deps.cameras.lease("cam1", "another-worker", clock(), timedelta(minutes=6)) is not None
    # A tick for the held camera does nothing (its holder, or the next tick, cuts the windows)
    tick = CameraJob(JobKind.TICK, "cam1", clock())
    [outcome] = camera_jobs.work(deps, tick)
    assert outcome.status == Skip.BUSY and source.calls == []
    # An upload for it is failed back to the queue, to be retried once the camera is free
    upload = CameraJob(JobKind.UPLOAD, "cam1", clock(), res.video_bucket, "uploads/cam1/x.mp4")
    with pytest.raises(camera_jobs.CameraBusy):
        camera_jobs.work(deps, upload)
    event = {"Records": [{"messageId": "m1", "body": upload.to_message(), "attributes": {"MessageGroupId": "cam1"}},
                         {"messageId": "m2", "body": tick.to_message(), "attributes": {"MessageGroupId": "cam1"}},
                         {"messageId": "m3", "body": "not a job", "attributes": {"MessageGroupId": "cam2"}}]}
    # the group's later message waits behind the failed one (FIFO order); a malformed one is dropped
    assert camera_worker.handler(event, LambdaContext()) == {
        "batchItemFailures": [{"itemIdentifier": "m1"}, {"itemIdentifier": "m2"}]}
    # And once the holder's lease has expired, the camera can be taken
    clock.now += timedelta(minutes=7)
    assert camera_jobs.work(deps, tick)[0].status != Skip.BUSY


@pytest.fixture
def one_step(queued, monkeypatch):
    """moto's in-process backends take no locks: each DynamoDB read or write and SQS receive one step, as the
    services' are (a read racing a write in moto can otherwise see a half-applied item or raise)."""
    from moto.dynamodb.models import DynamoDBBackend
    from moto.sqs.models import SQSBackend

    from fixtures.one_step import one_step as locked

    lock = locked(monkeypatch, DynamoDBBackend,
                  ("put_item", "update_item", "delete_item", "get_item", "query", "scan", "transact_write_items"))
    locked(monkeypatch, SQSBackend, ("receive_message", "delete_message"), lock)
    return queued


def person_in_two_minutes(deps, source, inference, clips_dir):
    deps.cameras.register("cam1")
    deps.cameras.advance_cursor("cam1", None, M)
    clip = (clips_dir / "human_01.mp4").read_bytes()
    source.clips_by_start = {("videoalert-cam1", M): [clip], ("videoalert-cam1", M + timedelta(minutes=1)): [clip]}
    real_score = inference.score

    def slow_score(request):  # scoring takes a while, so the racing workers overlap
        time.sleep(0.3)
        return real_score(request)

    inference.score = slow_score


def test_two_overlapping_ticks_with_a_person_across_two_minutes_alert_once(one_step, clips_dir):
    # Given a person in minutes M and M+1 of cam1, and the ticks after M+1 and M+2 fanned out before any worker ran
    sess, res, deps, inference, source, url, clock = one_step
    person_in_two_minutes(deps, source, inference, clips_dir)
    fanout.fan_out(deps, M + timedelta(minutes=1))
    clock.now = M + timedelta(minutes=2, seconds=1)
    fanout.fan_out(deps, M + timedelta(minutes=2))
    # When two workers take jobs from the queue at the same time
    sqs = sess.client("sqs")

    def worker() -> None:
        for _ in range(20):
            for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1).get("Messages", []):
                camera_jobs.work(deps, CameraJob.from_message(m["Body"]), holder=m["MessageId"])
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            time.sleep(0.05)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then both minutes are recorded once, the second as the first one's cooldown, and one alert was sent
    assert deps.records.get("cam1-20261204T060000Z").decision == "ALERT"
    assert deps.records.get("cam1-20261204T060100Z").decision == "COOLDOWN"
    assert len(inference.calls) == 2
    assert len(drain_alerts(sess, res.alert_queue_url)) == 1


def test_two_workers_given_the_same_camera_at_once_alert_once(one_step, clips_dir):
    # Given the same person, and two tick jobs for cam1 handed to two workers at once (as if the queue's group
    # guard had failed, e.g. a visibility timeout ran out under a slow worker)
    sess, res, deps, inference, source, url, clock = one_step
    person_in_two_minutes(deps, source, inference, clips_dir)
    clock.now = M + timedelta(minutes=2, seconds=13)
    jobs = [CameraJob(JobKind.TICK, "cam1", M + timedelta(minutes=1, seconds=12)),
            CameraJob(JobKind.TICK, "cam1", M + timedelta(minutes=2, seconds=12))]
    # The worker that takes the camera stays inside scoring until the other has tried it: the overlap is certain,
    # not left to how the threads happen to be scheduled on a busy machine.
    tried, scoring = threading.Event(), inference.score

    def score_while_the_other_tries(request):
        tried.wait(timeout=30)
        return scoring(request)

    inference.score = score_while_the_other_tries
    barrier, results, errors = threading.Barrier(2), {}, []

    def worker(i: int) -> None:
        barrier.wait()
        try:
            results[i] = camera_jobs.work(deps, jobs[i], holder=f"w{i}")
        except Exception as err:  # noqa: BLE001 -- a worker that raised must fail the test, not vanish with its thread
            errors.append(err)
        finally:
            tried.set()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then one worker took the camera and the other left it (BUSY), and one alert was sent for the event
    assert errors == []
    statuses = sorted(str(o.status) for r in results.values() for o in r)
    assert statuses.count("BUSY") == 1, statuses
    assert len(inference.calls) == 2
    assert len(drain_alerts(sess, res.alert_queue_url)) == 1


def test_an_upload_job_for_a_key_outside_uploads_is_dropped_not_retried(queued, monkeypatch, capsys):
    # Given a job on the queue whose key is videos/../x (no router sends one: a forged or corrupted message)
    import camera_worker
    import dispatcher

    sess, res, deps, inference, source, url, clock = queued
    monkeypatch.setattr(dispatcher, "_dependencies", deps)
    monkeypatch.setattr(camera_worker, "_dependencies", deps)
    job = CameraJob(JobKind.UPLOAD, "cam1", clock(), res.video_bucket, "videos/../x")
    event = {"Records": [{"messageId": "m1", "body": job.to_message(), "attributes": {"MessageGroupId": "cam1"}}]}
    # When the worker takes it, Then it is dropped as malformed (logged, counted): no retry towards the DLQ
    assert camera_worker.handler(event, LambdaContext()) == {"batchItemFailures": []}
    assert '"MalformedEvents"' in capsys.readouterr().out
    assert list(deps.records.all()) == [] and inference.calls == []
