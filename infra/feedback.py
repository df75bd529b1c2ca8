"""The feedback function behind an IAM-authenticated function URL (label a clip true/false positive)."""
from __future__ import annotations

from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from infra.functions import FunctionBase, powertools_layer, zip_function
from infra.nag import acknowledge

MEMORY_MB = 256
TIMEOUT = cdk.Duration.seconds(30)


class Feedback(Construct):
    """Synchronous only: callers sign requests with SigV4 and get the result; nothing is queued."""

    def __init__(self, scope: Construct, construct_id: str, *, environment: Mapping[str, str],
                 removal_policy: cdk.RemovalPolicy) -> None:
        super().__init__(scope, construct_id)
        self.base = FunctionBase(self, "Base", removal_policy=removal_policy)
        self.function = zip_function(
            self, "Function", base=self.base, handler="feedback.handler",
            description="videoalert feedback: mark a clip as a true or false positive",
            memory_mb=MEMORY_MB, timeout=TIMEOUT, environment=environment,
            layers=[powertools_layer(self, "Powertools")])
        self.url = self.function.add_function_url(auth_type=lambda_.FunctionUrlAuthType.AWS_IAM)
        for rule in ("Serverless-LambdaDLQ", "Serverless-LambdaAsyncFailureDestination"):
            acknowledge(self.function, rule,
                        "Invoked only synchronously through its function URL; the caller sees every failure "
                        "and there is no asynchronous event to dead-letter.")
