"""Issue 21, cases 1 and 2 under concurrency: runs racing for an expired lease or an unsent alert; exactly one wins.

moto's in-process DynamoDB checks a condition and writes in one Python call but takes no lock, so two threads could
both pass a check; the `atomic` fixture makes each conditional write one step, as DynamoDB's are.
"""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from fixtures.faults import Crash, crash_before
from fixtures.one_step import one_step
from fixtures.records import seed
from handlers.conftest import upload_event
from videoalert.app import lifecycle
from videoalert_local.emulator import drain_alerts

RUNS = 6


@pytest.fixture
def atomic(wired, monkeypatch):
    one_step(monkeypatch, wired[2].records.table, ("put_item", "update_item"))
    return wired


def together(work) -> list:
    """Run work() on RUNS threads released at the same moment; their results (or exceptions)."""
    barrier = threading.Barrier(RUNS)
    results: list = [None] * RUNS

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work()
        except Exception as exc:  # noqa: BLE001 - collected for the assertions
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(RUNS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_runs_racing_for_an_expired_lease_take_it_over_once(atomic, invoke, clips_dir, monkeypatch):
    # Given an upload whose run died during inference, its lease now expired
    sess, res, deps, inference, _ = atomic
    s3 = sess.client("s3")
    s3.put_object(Bucket=res.video_bucket, Key="uploads/cam1/a.mp4", Body=(clips_dir / "human_01.mp4").read_bytes())
    etag = s3.head_object(Bucket=res.video_bucket, Key="uploads/cam1/a.mp4")["ETag"]
    crash_before(monkeypatch, inference, "score")
    with pytest.raises(Crash):
        invoke(upload_event(res.video_bucket, "uploads/cam1/a.mp4", etag))
    clock = deps.records.clock
    deps.records.clock = lambda: clock() + timedelta(minutes=7)
    calls_before = len(inference.calls)
    camera = deps.cameras.get("cam1")
    # When six scheduled runs recover the camera at the same moment
    results = together(lambda: lifecycle.recover_camera(deps, camera))
    # Then one took the clip over and scored it, once; one alert went out
    assert not [r for r in results if isinstance(r, Exception)]
    assert len(inference.calls) - calls_before == 1
    assert sum(len(r) for r in results) == 1
    assert [r.status for r in deps.records.all()] == ["DONE"]
    assert len(drain_alerts(sess, res.alert_queue_url)) == 1


def test_runs_racing_to_send_an_unsent_alert_send_it_once(atomic):
    # Given a DONE ALERT clip whose alert was never marked sent (its run died) and is due
    sess, res, deps, _, _ = atomic
    seed(deps.records, {"video_id": "cam1-x", "camera_id": "cam1", "status": "DONE", "decision": "ALERT",
                        "max_score": 0.9, "frames_over_threshold": 2, "threshold": 0.5, "s3_bucket": res.video_bucket,
                        "s3_key": "videos/cam1/x.mp4", "due_at": "2026-01-01T00:00:00Z"})
    camera = deps.cameras.get("cam1")
    # When six runs recover the camera at the same moment
    together(lambda: lifecycle.recover_camera(deps, camera))
    # Then exactly one published it, and it is marked sent with that message's id
    (alert,) = drain_alerts(sess, res.alert_queue_url)
    assert deps.records.get("cam1-x").alert_message_id == alert["message_id"]
