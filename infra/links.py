"""One-tap feedback links and the review page: the signing key (Secrets Manager, rotated by the stack), its rotation
function, and the public function that serves the links (a function URL with auth NONE: the signed token is the
permission, since people tap these links on a phone without AWS credentials)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import cast

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.functions import FunctionBase, powertools_layer, zip_function
from infra.nag import acknowledge

MEMORY_MB = 256
TIMEOUT = cdk.Duration.seconds(15)
ROTATION_TIMEOUT = cdk.Duration.seconds(30)
# The key rotates monthly; tokens signed by the previous key still verify (AWSPREVIOUS) and live 7 days at most.
ROTATE_AFTER = cdk.Duration.days(30)
# A public endpoint: bound how much of the account's concurrency a flood of requests can take.
RESERVED_CONCURRENCY = 10
ROTATION_ACTIONS = ("secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue",
                    "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage")


class Links(Construct):
    """The link-signing secret with its rotation, and the public links function with its URL."""

    def __init__(self, scope: Construct, construct_id: str, *, environment: Mapping[str, str],
                 removal_policy: cdk.RemovalPolicy, reserve: bool = False) -> None:
        super().__init__(scope, construct_id)
        self.secret = secretsmanager.Secret(
            self, "SigningKey", description="videoalert: HMAC key of the one-tap feedback and review links",
            generate_secret_string=secretsmanager.SecretStringGenerator(password_length=64,
                                                                        exclude_punctuation=True),
            removal_policy=removal_policy)

        self.rotation_base = FunctionBase(self, "RotationBase", removal_policy=removal_policy)
        self.rotation_function = zip_function(
            self, "RotationFunction", base=self.rotation_base, handler="rotate_link_key.handler",
            description="videoalert: rotate the link-signing key", memory_mb=128, timeout=ROTATION_TIMEOUT,
            environment={"POWERTOOLS_SERVICE_NAME": "videoalert-links-rotation"},
            layers=[powertools_layer(self, "RotationPowertools")])
        iam.Grant.add_to_principal(grantee=self.rotation_function, actions=list(ROTATION_ACTIONS),
                                   resource_arns=[self.secret.secret_arn])
        # The L1 schedule: Secret.add_rotation_schedule would also grant GetRandomPassword on "*" and the whole of
        # grantRead/grantWrite; the function makes its key with Python's secrets module and needs only the above.
        permission = lambda_.CfnPermission(
            self, "SecretsManagerInvokesRotation", action="lambda:InvokeFunction",
            function_name=self.rotation_function.function_name, principal="secretsmanager.amazonaws.com",
            source_account=cdk.Aws.ACCOUNT_ID)
        self.rotation = secretsmanager.CfnRotationSchedule(
            self, "Rotation", secret_id=self.secret.secret_arn, rotation_lambda_arn=self.rotation_function.function_arn,
            rotation_rules=secretsmanager.CfnRotationSchedule.RotationRulesProperty(
                schedule_expression=f"rate({int(ROTATE_AFTER.to_days())} days)"))
        self.rotation.add_dependency(permission)
        for rule in ("Serverless-LambdaDLQ", "Serverless-LambdaAsyncFailureDestination"):
            acknowledge(self.rotation_function, rule,
                        "Invoked synchronously by Secrets Manager, which retries a failed step and reports the "
                        "rotation as failed; there is no asynchronous event to dead-letter.")

        self.base = FunctionBase(self, "Base", removal_policy=removal_policy)
        self.function = zip_function(
            self, "Function", base=self.base, handler="feedback_links.handler",
            description="videoalert: one-tap feedback links and the review page (signed links, no AWS login)",
            memory_mb=MEMORY_MB, timeout=TIMEOUT, environment=environment,
            layers=[powertools_layer(self, "Powertools")])
        if reserve:  # context reserved_concurrency; off by default (a new account's quota cannot reserve it)
            cfn = cast(lambda_.CfnFunction, self.function.node.default_child)
            cfn.reserved_concurrent_executions = RESERVED_CONCURRENCY
        self.url = self.function.add_function_url(auth_type=lambda_.FunctionUrlAuthType.NONE)
        for rule in ("Serverless-LambdaDLQ", "Serverless-LambdaAsyncFailureDestination"):
            acknowledge(self.function, rule,
                        "Invoked only synchronously through its function URL; the browser sees every failure "
                        "and there is no asynchronous event to dead-letter.")

    def grant_read_key(self, grantee: iam.IGrantable) -> None:
        """GetSecretValue on this secret only (signing and verifying)."""
        iam.Grant.add_to_principal(grantee=grantee, actions=["secretsmanager:GetSecretValue"],
                                   resource_arns=[self.secret.secret_arn])
