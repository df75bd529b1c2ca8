"""The dispatcher function (the minute tick and the upload router) and what starts it: every minute, and every object
created under uploads/. It enqueues camera jobs (the camera workers, infra/camera_workers.py, record, score, decide
and alert) and runs redrives."""
from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.functions import FunctionBase, powertools_layer, zip_function
from infra.nag import acknowledge
from infra.queues import dead_letter_queue
from videoalert_contract import names
from videoalert_contract.defaults import PIPELINE_TIMEOUT_S

MEMORY_MB = 512
TIMEOUT = cdk.Duration.seconds(PIPELINE_TIMEOUT_S)  # a redrive's clip lease (LEASE_S) outlasts it
# The dispatcher is idempotent and the next run resumes from the camera cursor, so a few retries are
# safe; events older than an hour go to the DLQ for a deliberate redrive instead.
RETRY_ATTEMPTS = 2
MAX_EVENT_AGE = cdk.Duration.hours(1)
# One tick a minute (it waits at most the settle lag, then sends the jobs: about a second for 1,000 cameras) and
# one short routing call per upload (~0.1 s): 10 at once routes a burst of ~100 uploads/s. Lambda keeps throttled
# asynchronous events and retries them (up to MAX_EVENT_AGE), so a larger burst waits, it is not lost.
RESERVED_CONCURRENCY = 10


class Dispatcher(Construct):
    """The minute tick and the upload router: sends one job per camera and each upload to its camera's queue group;
    runs redrives (which score recorded clips again)."""

    def __init__(self, scope: Construct, construct_id: str, *, environment: Mapping[str, str],
                 video_bucket: s3.IBucket, removal_policy: cdk.RemovalPolicy, reserve: bool = False) -> None:
        super().__init__(scope, construct_id)
        self.base = FunctionBase(self, "Base", removal_policy=removal_policy)
        self.dead_letter_queue = dead_letter_queue(self, "DeadLetterQueue")
        self.function = zip_function(
            self, "Function", base=self.base, handler="dispatcher.handler",
            description="videoalert dispatcher: the minute tick and uploads -> camera jobs; redrives",
            memory_mb=MEMORY_MB, timeout=TIMEOUT, environment=environment,
            layers=[powertools_layer(self, "Powertools")],
            reserved_concurrency=RESERVED_CONCURRENCY if reserve else None)
        self.function.configure_async_invoke(
            retry_attempts=RETRY_ATTEMPTS, max_event_age=MAX_EVENT_AGE,
            on_failure=destinations.SqsDestination(self.dead_letter_queue))
        acknowledge(self.function, "Serverless-LambdaDLQ",
                    "Failed asynchronous events go to the SQS queue through the on-failure destination, which "
                    "records the request and the error (a classic DLQ would keep only the request).")

        target = targets.LambdaFunction(self.function, dead_letter_queue=self.dead_letter_queue,
                                        retry_attempts=RETRY_ATTEMPTS, max_event_age=MAX_EVENT_AGE)
        self.schedule = events.Rule(self, "EveryMinute", description="videoalert: process due minute windows",
                                    schedule=events.Schedule.rate(cdk.Duration.minutes(1)), targets=[target])
        self.uploads_rule = events.Rule(
            self, "UploadCreated", description="videoalert: process videos uploaded under uploads/",
            event_pattern=events.EventPattern(
                source=["aws.s3"], detail_type=["Object Created"],
                detail={"bucket": {"name": [video_bucket.bucket_name]},
                        "object": {"key": events.Match.prefix(names.UPLOADS_PREFIX)}}),
            targets=[target])
