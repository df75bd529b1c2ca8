"""Shared shape of every videoalert function: own role, own log group with retention, X-Ray, the tested Python, the
pinned Powertools layer."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra.nag import acknowledge, acknowledge_wildcard_resource

REPO_ROOT = Path(__file__).resolve().parent.parent
LAMBDAS_DIR = REPO_ROOT / "lambdas"
# The Python every test, mypy (pyproject.toml python_version) and the local run use: the functions run what was
# tested (tests/infra/test_infra_functions.py reads both). Move them together.
PYTHON_RUNTIME = lambda_.Runtime.PYTHON_3_11
# The zip functions are pure Python (the Web Push layer's binary wheels are built for the same architecture,
# infra/push.py): arm64 (Graviton) costs about 20 % less per GB-s than x86_64 (docs/cost.md).
ZIP_ARCHITECTURE = lambda_.Architecture.ARM_64
LOG_RETENTION = logs.RetentionDays.ONE_MONTH
# The Powertools release the tests run with (lambdas/requirements.txt pins it; a test checks they agree). Public
# parameter published by the Powertools team in every region, one per release
# (/aws/service/powertools/python/<arch>/<python>/<version>); resolved by CloudFormation at deploy time, so the
# repository holds no account id and synth needs no credentials.
POWERTOOLS_VERSION = "3.37.0"
POWERTOOLS_LAYER_PARAMETER = (f"/aws/service/powertools/python/{ZIP_ARCHITECTURE.name}/{PYTHON_RUNTIME.name}/"
                              f"{POWERTOOLS_VERSION}")
# The zip is lambdas/ as it is: the shared library and the thin handlers, nothing built or cached.
LAMBDAS_ASSET_EXCLUDE = ["**/__pycache__", "**/*.pyc", "tests", "**/tests", "*.egg-info", ".pytest_cache",
                         "requirements*.txt"]  # local pins; in AWS the runtime and the layer provide them


class FunctionBase(Construct):
    """A role that may only write its own log group, and that log group; the function is added by the owner."""

    def __init__(self, scope: Construct, construct_id: str, *, removal_policy: cdk.RemovalPolicy) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(self, "Logs", retention=LOG_RETENTION, removal_policy=removal_policy)
        self.role = iam.Role(self, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                             description=f"Execution role of {construct_id}; grants are added per resource")
        self.log_group.grant_write(self.role)
        acknowledge_wildcard_resource(
            self.role, self.log_group, ":*",
            "Log streams are created at run time with generated names; the grant is limited to this "
            "function's own log group.")
        # Active tracing makes CDK add xray:PutTraceSegments/PutTelemetryRecords to this role.
        acknowledge(self.role, "AwsSolutions-IAM5[Resource::*]",
                    "X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions; "
                    "CDK adds exactly these two for active tracing (a test checks nothing else uses '*').")


def powertools_layer(scope: Construct, construct_id: str) -> lambda_.ILayerVersion:
    arn = ssm.StringParameter.value_for_string_parameter(scope, POWERTOOLS_LAYER_PARAMETER)
    return lambda_.LayerVersion.from_layer_version_arn(scope, construct_id, arn)


def zip_function(scope: Construct, construct_id: str, *, base: FunctionBase, handler: str, description: str,
                 memory_mb: int, timeout: cdk.Duration, environment: Mapping[str, str],
                 layers: list[lambda_.ILayerVersion], reserved_concurrency: int | None = None) -> lambda_.Function:
    """A Python function from lambdas/ with explicit memory, timeout, logs and tracing (and, when given, its reserved
    concurrency)."""
    function = lambda_.Function(
        scope, construct_id,
        description=description,
        runtime=PYTHON_RUNTIME,
        architecture=ZIP_ARCHITECTURE,
        handler=handler,
        code=lambda_.Code.from_asset(str(LAMBDAS_DIR), exclude=LAMBDAS_ASSET_EXCLUDE),
        memory_size=memory_mb,
        timeout=timeout,
        role=base.role,
        log_group=base.log_group,
        tracing=lambda_.Tracing.ACTIVE,
        environment=dict(environment),
        layers=layers,
        reserved_concurrent_executions=reserved_concurrency,
    )
    for rule in ("AwsSolutions-L1", "Serverless-LambdaLatestVersion"):
        acknowledge(function, rule, TESTED_RUNTIME_REASON)
    return function


TESTED_RUNTIME_REASON = (
    f"The functions run {PYTHON_RUNTIME.name}, the Python every test, mypy and the local run use (a test checks "
    "they agree): a newer runtime is adopted by moving the tests, mypy and this constant together, not by deploying "
    "an interpreter nothing was tested on.")
