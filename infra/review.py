"""The daily review sampler: near-threshold clips and a manifest copied into the review bucket."""
from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda_destinations as destinations
from constructs import Construct

from infra.functions import FunctionBase, powertools_layer, zip_function
from infra.nag import acknowledge
from infra.queues import dead_letter_queue

MEMORY_MB = 512
TIMEOUT = cdk.Duration.seconds(900)  # copies up to a day's sample of clips in one run
RETRY_ATTEMPTS = 2
# 03:15 UTC: after the day it samples has closed, and away from the top of the hour.
DAILY = events.Schedule.cron(minute="15", hour="3")


class Review(Construct):
    """Samples yesterday's clips for human review; a failed run lands in its DLQ for a manual re-run."""

    def __init__(self, scope: Construct, construct_id: str, *, environment: Mapping[str, str],
                 removal_policy: cdk.RemovalPolicy) -> None:
        super().__init__(scope, construct_id)
        self.base = FunctionBase(self, "Base", removal_policy=removal_policy)
        self.dead_letter_queue = dead_letter_queue(self, "DeadLetterQueue")
        self.function = zip_function(
            self, "Function", base=self.base, handler="review_sampler.handler",
            description="videoalert review sampler: near-threshold clips + manifest into the review bucket",
            memory_mb=MEMORY_MB, timeout=TIMEOUT, environment=environment,
            layers=[powertools_layer(self, "Powertools")])
        self.function.configure_async_invoke(
            retry_attempts=RETRY_ATTEMPTS, max_event_age=cdk.Duration.hours(6),
            on_failure=destinations.SqsDestination(self.dead_letter_queue))
        acknowledge(self.function, "Serverless-LambdaDLQ",
                    "Failed asynchronous events go to the SQS queue through the on-failure destination, which "
                    "records the request and the error (a classic DLQ would keep only the request).")
        self.schedule = events.Rule(
            self, "Daily", description="videoalert: sample clips for review", schedule=DAILY,
            targets=[targets.LambdaFunction(self.function, dead_letter_queue=self.dead_letter_queue,
                                            retry_attempts=RETRY_ATTEMPTS)])
