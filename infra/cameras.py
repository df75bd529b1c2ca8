"""The camera registry function: the cameras API (an IAM-authenticated function URL), the deploy-time seed of the
`cameras` context (a custom resource that registers them once and never deletes one), and the fleet health check
(every 5 minutes: cameras offline as one metric and one alarm, whatever the number of cameras)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.functions import FunctionBase, powertools_layer, zip_function
from infra.nag import acknowledge
from infra.queues import dead_letter_queue

MEMORY_MB = 512
# The seed creates streams one by one (KVS CreateStream: 50 calls a second per account) and the health check reads one
# record per camera that could be offline (one single-item query each).
TIMEOUT = cdk.Duration.minutes(5)
HEALTH_EVERY = cdk.Duration.minutes(5)
# The deploy-time seed runs in one invocation, its list inline in the template: this many cameras take a few seconds.
# More cameras are registered with `videoalert camera add` or the cameras API, not with context.
MAX_SEED_CAMERAS = 50
RETRY_ATTEMPTS = 2


class CameraRegistry(Construct):
    """The registry's function with its three entry points; grants are the stack's (on `function`)."""

    def __init__(self, scope: Construct, construct_id: str, *, environment: Mapping[str, str],
                 seed_cameras: Sequence[str], seed_retention_hours: int,
                 removal_policy: cdk.RemovalPolicy) -> None:
        super().__init__(scope, construct_id)
        if len(seed_cameras) > MAX_SEED_CAMERAS:
            raise ValueError(f"the deploy-time seed takes at most {MAX_SEED_CAMERAS} cameras, got {len(seed_cameras)}")
        self.base = FunctionBase(self, "Base", removal_policy=removal_policy)
        self.dead_letter_queue = dead_letter_queue(self, "DeadLetterQueue")
        self.function = zip_function(
            self, "Function", base=self.base, handler="camera_registry.handler",
            description="videoalert camera registry: cameras API, deploy-time seed, fleet health check",
            memory_mb=MEMORY_MB, timeout=TIMEOUT, environment=environment,
            layers=[powertools_layer(self, "Powertools")])
        self.url = self.function.add_function_url(auth_type=lambda_.FunctionUrlAuthType.AWS_IAM)
        self.health_schedule = events.Rule(
            self, "HealthCheck", description="videoalert: fleet camera health (cameras offline)",
            schedule=events.Schedule.rate(HEALTH_EVERY),
            targets=[targets.LambdaFunction(self.function, dead_letter_queue=self.dead_letter_queue,
                                            retry_attempts=RETRY_ATTEMPTS, max_event_age=HEALTH_EVERY)])
        # Registers the context's cameras when the stack is created, and on a later deploy only the ids new to the
        # list; a deploy with fewer (or no) cameras deletes nothing: the handler's Delete and shrinking Update do
        # nothing, and the physical id never changes, so CloudFormation never replaces it.
        self.seed = cdk.CustomResource(
            self, "Seed", service_token=self.function.function_arn, resource_type="Custom::CameraSeed",
            properties={"Cameras": list(seed_cameras), "RetentionHours": str(seed_retention_hours)})
        for rule in ("Serverless-LambdaDLQ", "Serverless-LambdaAsyncFailureDestination"):
            acknowledge(self.function, rule,
                        "The health check's scheduled event dead-letters to its own queue (the rule's DLQ, alarmed); "
                        "the API answers its caller synchronously and the seed reports to CloudFormation, which "
                        "fails the deploy with the reason: no asynchronous event goes unrecorded.")
