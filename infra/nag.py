"""cdk-nag rule packs for the app and the one way this project acknowledges a finding (always with a reason)."""
from __future__ import annotations

from typing import Any, cast

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks, ServerlessChecks
from constructs import IConstruct


def add_rule_packs(app: cdk.App) -> None:
    """Run AwsSolutions and Serverless checks at synth; an unacknowledged finding fails synth."""
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app, verbose=True))
    cdk.Validations.of(app).add_plugins(ServerlessChecks(app, verbose=True))


def acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    """Acknowledge one cdk-nag finding on a construct, e.g. rule "AwsSolutions-IAM5[Resource::*]".

    The pack prefix ("AwsSolutions::" or "Serverless::") is derived from the rule id.
    """
    if not reason or len(reason.strip()) < 20:
        raise ValueError(f"acknowledging {rule} needs a written reason, got {reason!r}")
    pack = rule.split("-", 1)[0]
    cdk.Validations.of(construct).acknowledge(cdk.Acknowledgment(id=f"{pack}::{rule}", reason=reason.strip()))


def grant_target(grantee: Any) -> IConstruct:
    """Where the IAM finding of a grant to `grantee` lands: a Lambda function's role, or the role itself."""
    return cast(IConstruct, getattr(grantee, "role", None) or grantee)


def acknowledge_wildcard_resource(grantee: Any, resource: IConstruct, suffix: str, reason: str) -> None:
    """Acknowledge the IAM5 finding of a grant on ``<resource ARN><suffix>`` (e.g. "/videos/*") where it
    lands: on the grantee's role (a Lambda function's role, or the role itself)."""
    cfn = cast(cdk.CfnElement, resource.node.default_child)  # an L2 construct's default child is its resource
    logical_id = cdk.Stack.of(resource).get_logical_id(cfn)
    acknowledge(grant_target(grantee), f"AwsSolutions-IAM5[Resource::<{logical_id}.Arn>{suffix}]", reason)
