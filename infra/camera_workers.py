"""The camera workers: the per-camera FIFO job queue, its dead-letter queue, and the worker function it feeds.

The minute tick (the dispatcher) enqueues one job per camera, uploads one job per object version; a worker records,
scores, decides and alerts that camera's due windows or upload. The message group is the camera, so SQS gives a
camera's jobs to one worker at a time and in order, while different cameras run in
parallel up to the event source's maximum concurrency.
"""
from __future__ import annotations

import math
from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.functions import FunctionBase, powertools_layer, zip_function
from infra.nag import acknowledge
from infra.queues import dead_letter_queue
from videoalert_contract import names as env
from videoalert_contract.defaults import PIPELINE_TIMEOUT_S

MEMORY_MB = 512
# A camera's stream is scored this often as its fragments settle (issue 32: an alert within seconds; the cost per
# camera-month of the cadence is in docs/latency.md).
SEGMENT_SECONDS = 5
# A job is one camera: recovery of at most 10 overdue records and at most 5 due windows, each waiting for inference
# (120 s timeout) in the worst case; typically one window, about 1.5 s. The clip lease (timeout + 60 s) and the
# camera lease (the same) outlast any run of this function.
TIMEOUT = cdk.Duration.seconds(PIPELINE_TIMEOUT_S)
# Longer than a run can live, so SQS never hands a job to a second worker while the first still runs. Not the
# 6x-timeout AWS suggests for retrying throttled batches: the event source's maximum concurrency (below the reserved
# concurrency) means the worker is never throttled, and a worker that dies (timeout, out of memory) blocks its
# camera's group until the visibility ends, so shorter is better here.
VISIBILITY_TIMEOUT = cdk.Duration.seconds(TIMEOUT.to_seconds() + 30)
# A job delivered this often without being deleted goes to the DLQ (alarmed). Ticks never fail back to the queue
# (the next tick resumes from the cursor); only an upload that keeps failing or a worker that keeps dying does.
MAX_RECEIVES = 3
# One job per invocation: a camera's minute is processed the moment a worker is free (a batch would make the
# cameras in it wait for each other), and a failed job holds back nobody else's.
BATCH_SIZE = 1
# Concurrency: the jobs of a tick arrive together, so the drain time of a tick is cameras x job time / workers.
# With about 1.5 s per job (GetClip, S3, inference 0.53 s + invoke, DynamoDB, SNS; bench/README.md) and 6 s of the
# 20 s alert budget left for queueing and work (12 s settle lag, ~2 s tick and polling), a tick of N cameras needs
# N x 1.5 / 6 workers: 250 for 1,000 cameras. Bounded below so a small stack absorbs uploads and catch-up, and
# above by what an SQS event source allows (1,000).
SECONDS_PER_JOB = 1.5
DRAIN_BUDGET_S = 6.0
MIN_WORKERS = 10
MAX_WORKERS = 1000


def worker_concurrency(cameras: int) -> int:
    """Workers (the event source's maximum concurrency and the worker's reserved concurrency) for this many cameras."""
    return max(MIN_WORKERS, min(MAX_WORKERS, math.ceil(cameras * SECONDS_PER_JOB / DRAIN_BUDGET_S)))


class CameraWorkers(Construct):
    """The per-camera FIFO job queue and the worker function; grants are made by the stack on `function`."""

    def __init__(self, scope: Construct, construct_id: str, *, environment: Mapping[str, str], concurrency: int,
                 removal_policy: cdk.RemovalPolicy, reserve: bool = False) -> None:
        super().__init__(scope, construct_id)
        self.concurrency = concurrency
        self.base = FunctionBase(self, "Base", removal_policy=removal_policy)
        self.dead_letter_queue = dead_letter_queue(self, "DeadLetterQueue", fifo=True)
        self.queue = sqs.Queue(
            self, "Jobs", fifo=True, encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True,
            visibility_timeout=VISIBILITY_TIMEOUT,
            # High-throughput FIFO: deduplication and throughput per message group (camera), so a tick of 100,000
            # cameras is not held to a queue-wide 300 calls/s.
            deduplication_scope=sqs.DeduplicationScope.MESSAGE_GROUP,
            fifo_throughput_limit=sqs.FifoThroughputLimit.PER_MESSAGE_GROUP_ID,
            dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=MAX_RECEIVES, queue=self.dead_letter_queue))
        self.function = zip_function(
            self, "Function", base=self.base, handler="camera_worker.handler",
            description="videoalert camera worker: one camera's due windows or upload -> record, score, decide, alert",
            memory_mb=MEMORY_MB, timeout=TIMEOUT, environment=environment,
            layers=[powertools_layer(self, "Powertools")],
            # With reserve (context reserved_concurrency): reserved = the event source's maximum, so the workers always
            # get their concurrency, never more. Off by default: a new account's quota cannot reserve it.
            reserved_concurrency=concurrency if reserve else None)
        self.function.add_event_source(sources.SqsEventSource(
            self.queue, batch_size=BATCH_SIZE, max_concurrency=concurrency, report_batch_item_failures=True))
        # The segment chain (issue 32, docs/latency.md): each camera's next segment job waits SEGMENT_SECONDS in this
        # standard queue (a FIFO queue has no per-message delay); a copy delivered twice is dropped by the chain's turn
        # in the camera lease, and the tick restarts a chain that went silent.
        self.segment_queue = sqs.Queue(
            self, "Segments", encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True,
            visibility_timeout=VISIBILITY_TIMEOUT, retention_period=cdk.Duration.minutes(15))
        acknowledge(self.segment_queue, "AwsSolutions-SQS3",
                    "A segment job is never retried: the handler reports no failure for it (its successor was sent "
                    "already, and a redelivered turn is stale), so nothing could reach a dead-letter queue.")
        acknowledge(self.segment_queue, "Serverless-SQSRedrivePolicy",
                    "Segment jobs are never failed back to the queue (see AwsSolutions-SQS3); a silent chain is "
                    "restarted by the minute tick.")
        self.function.add_environment(env.ENV_SEGMENT_SECONDS, str(SEGMENT_SECONDS))
        self.function.add_environment(env.ENV_SEGMENT_QUEUE_URL, self.segment_queue.queue_url)
        self.segment_queue.grant_send_messages(self.function)  # each turn sends the next
        self.function.add_event_source(sources.SqsEventSource(
            self.segment_queue, batch_size=BATCH_SIZE, max_concurrency=concurrency, report_batch_item_failures=True))
        acknowledge(self.function, "Serverless-LambdaDLQ",
                    "Invoked by its SQS event source only (never asynchronously): a job that keeps failing goes to "
                    "the job queue's own dead-letter queue after 3 receives.")
        acknowledge(self.function, "Serverless-LambdaEventSourceMappingDestination",
                    "An SQS event source mapping takes no on-failure destination (that is for stream sources); the "
                    "queue's redrive policy sends a job that keeps failing to its FIFO dead-letter queue, alarmed.")
