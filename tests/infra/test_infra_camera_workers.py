"""The per-camera job queue and its workers (issue 20): FIFO by camera, deduplicated per camera-tick, a DLQ, and
concurrency set on every consumer."""
from __future__ import annotations

import pytest

from infra.camera_workers import MAX_RECEIVES, MIN_WORKERS, worker_concurrency
from infra.config import ConfigError, StackConfig
from infra.dispatcher import RESERVED_CONCURRENCY as DISPATCHER_CONCURRENCY


def _props(synth, construct) -> dict:
    return synth.json["Resources"][synth.logical_id(construct)]["Properties"]


def test_the_job_queue_is_fifo_per_camera_encrypted_with_a_fifo_dlq(synth):
    workers = synth.stack.workers
    queue = _props(synth, workers.queue)
    assert queue["FifoQueue"] is True and queue["SqsManagedSseEnabled"] is True
    # high-throughput FIFO: deduplication and throughput per message group (the camera)
    assert queue["DeduplicationScope"] == "messageGroup" and queue["FifoThroughputLimit"] == "perMessageGroupId"
    assert queue["RedrivePolicy"]["maxReceiveCount"] == MAX_RECEIVES
    assert queue["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0] == synth.logical_id(workers.dead_letter_queue)
    assert _props(synth, workers.dead_letter_queue)["FifoQueue"] is True


def test_a_job_stays_invisible_longer_than_a_worker_can_run(synth):
    queue = _props(synth, synth.stack.workers.queue)
    worker = _props(synth, synth.stack.workers.function)
    assert worker["Timeout"] < queue["VisibilityTimeout"] <= worker["Timeout"] + 60


def test_the_worker_takes_one_job_at_a_time_reports_failures_per_job_and_is_capped(synth):
    workers = synth.stack.workers
    mappings = {m["Properties"]["EventSourceArn"]["Fn::GetAtt"][0]: m["Properties"]
                for m in synth.resources("AWS::Lambda::EventSourceMapping").values()}
    assert set(mappings) == {synth.logical_id(workers.queue), synth.logical_id(workers.segment_queue)}
    props = mappings[synth.logical_id(workers.queue)]
    assert props["EventSourceArn"]["Fn::GetAtt"][0] == synth.logical_id(workers.queue)
    assert props["FunctionName"]["Ref"] == synth.logical_id(workers.function)
    assert props["BatchSize"] == 1 and props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    # the event source never runs more workers than its maximum (MIN_WORKERS unless the context sizes it)
    assert props["ScalingConfig"]["MaximumConcurrency"] == workers.concurrency == MIN_WORKERS


def test_no_function_reserves_concurrency_by_default(synth):
    # Given the default context: a new account (concurrency quota 10 or 50) cannot reserve any, the deploy would fail
    reserved = {lid: f["Properties"]["ReservedConcurrentExecutions"]
                for lid, f in synth.resources("AWS::Lambda::Function").items()
                if "ReservedConcurrentExecutions" in f["Properties"]}
    assert reserved == {}


@pytest.mark.slow  # a second synth
def test_reserved_concurrency_context_reserves_every_consumer(tmp_path):
    from aws_cdk.assertions import Template

    import app as cdk_app
    from infra.links import RESERVED_CONCURRENCY as LINKS_CONCURRENCY

    # Given the context that turns reservations on, with 250 workers (1,000 cameras: README sizing)
    app, stack = cdk_app.build_app({"stage": "test", "reserved_concurrency": "true", "worker_concurrency": "250"},
                                   outdir=str(tmp_path))
    template = Template.from_json(app.synth().get_stack_by_name(stack.stack_name).template).to_json()

    def reserved(construct) -> int:
        lid = stack.get_logical_id(construct.function.node.default_child)
        return int(template["Resources"][lid]["Properties"]["ReservedConcurrentExecutions"])

    # Then workers = the event source's maximum, the dispatcher 10, the links function 10, and inference one per
    # possible caller: scoring is never the one throttled
    assert reserved(stack.workers) == 250
    assert reserved(stack.dispatcher) == DISPATCHER_CONCURRENCY and reserved(stack.links) == LINKS_CONCURRENCY
    assert reserved(stack.inference) == 250 + DISPATCHER_CONCURRENCY


def test_only_the_dispatcher_knows_the_job_queue(synth):
    dispatcher = _props(synth, synth.stack.dispatcher.function)["Environment"]["Variables"]
    worker = _props(synth, synth.stack.workers.function)["Environment"]["Variables"]
    assert dispatcher["CAMERA_JOBS_QUEUE_URL"] == {"Ref": synth.logical_id(synth.stack.workers.queue)}
    assert "CAMERA_JOBS_QUEUE_URL" not in worker
    # each function logs and emits metrics under its own service name (the alarms sum both: test_infra_monitoring)
    assert (worker["POWERTOOLS_SERVICE_NAME"], dispatcher["POWERTOOLS_SERVICE_NAME"]) == (
        "videoalert-camera-worker", "videoalert-dispatcher")
    assert {k: v for k, v in worker.items() if k not in ("POWERTOOLS_SERVICE_NAME", "SEGMENT_SECONDS",
                                                          "SEGMENT_QUEUE_URL")} == {
        k: v for k, v in dispatcher.items() if k not in ("CAMERA_JOBS_QUEUE_URL", "POWERTOOLS_SERVICE_NAME")}


def test_each_camera_is_scored_every_few_seconds_through_its_segment_chain(synth):
    # Given the worker and its segment queue (issue 32: an alert within seconds of the first frame)
    workers = synth.stack.workers
    worker = _props(synth, workers.function)["Environment"]["Variables"]
    queue = _props(synth, workers.segment_queue)
    # Then the worker scores segments every 5 s, sending each camera's next turn to a standard queue (per-message
    # delay), which feeds the worker one job at a time, and which only the worker can send to
    assert worker["SEGMENT_SECONDS"] == "5"
    assert worker["SEGMENT_QUEUE_URL"] == {"Ref": synth.logical_id(workers.segment_queue)}
    assert "FifoQueue" not in queue and queue["SqsManagedSseEnabled"] is True
    [mapping] = [m["Properties"] for m in synth.resources("AWS::Lambda::EventSourceMapping").values()
                 if m["Properties"]["EventSourceArn"]["Fn::GetAtt"][0] == synth.logical_id(workers.segment_queue)]
    assert mapping["BatchSize"] == 1 and mapping["FunctionName"]["Ref"] == synth.logical_id(workers.function)
    assert queue["VisibilityTimeout"] > _props(synth, workers.function)["Timeout"]


def test_late_camera_jobs_alarm(synth):
    alarms = {a["Properties"]["AlarmDescription"]: a["Properties"]
              for a in synth.resources("AWS::CloudWatch::Alarm").values()}
    [late] = [a for d, a in alarms.items() if "oldest camera job" in d]
    assert late["MetricName"] == "ApproximateAgeOfOldestMessage" and late["Threshold"] == 60


@pytest.mark.parametrize("cameras,workers", [(1, 10), (40, 10), (1_000, 250), (10_000, 1000), (100_000, 1000)])
def test_workers_scale_with_the_cameras_within_what_an_event_source_allows(cameras, workers):
    assert worker_concurrency(cameras) == workers


def test_the_worker_count_can_be_set_in_context_within_bounds():
    assert StackConfig.from_context({"worker_concurrency": "64"}.get).worker_concurrency == 64
    with pytest.raises(ConfigError, match="worker_concurrency"):
        StackConfig.from_context({"worker_concurrency": "5000"}.get)


def test_the_clip_and_camera_leases_outlast_a_worker_run(synth):
    worker = _props(synth, synth.stack.workers.function)
    assert int(worker["Environment"]["Variables"]["LEASE_SECONDS"]) >= worker["Timeout"] + 60
