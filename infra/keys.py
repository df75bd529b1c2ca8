"""Customer-managed KMS keys whose key policy lists its actions explicitly (no "kms:*")."""
from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from constructs import Construct

# Key administration by the account: enough to manage, rotate, retire and delete the key, and to change
# this policy later (PutKeyPolicy keeps CloudFormation's lock-out check happy).
ADMIN_ACTIONS = (
    "kms:DescribeKey", "kms:GetKeyPolicy", "kms:PutKeyPolicy", "kms:GetKeyRotationStatus",
    "kms:EnableKeyRotation", "kms:DisableKeyRotation", "kms:EnableKey", "kms:DisableKey",
    "kms:ListResourceTags", "kms:TagResource", "kms:UntagResource", "kms:UpdateKeyDescription",
    "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion", "kms:ListGrants", "kms:RevokeGrant",
    "kms:CreateAlias", "kms:UpdateAlias", "kms:DeleteAlias",
)
# Use of the key, delegated to IAM: a principal still needs an identity policy naming this key.
USE_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:ReEncryptFrom", "kms:ReEncryptTo",
               "kms:CreateGrant", "kms:RetireGrant")
# What an AWS service publishing into an encrypted SNS topic (CloudWatch alarms) needs.
SERVICE_PUBLISH_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")


class ExplicitKey(Construct):
    """A rotating KMS key; the account administers it, IAM policies grant its use, listed services may publish."""

    def __init__(self, scope: Construct, construct_id: str, *, description: str,
                 removal_policy: cdk.RemovalPolicy,
                 publishing_services: Sequence[str] = ()) -> None:
        super().__init__(scope, construct_id)
        account = iam.AccountRootPrincipal()
        statements = [
            iam.PolicyStatement(sid="AccountAdministersKey", principals=[account], actions=list(ADMIN_ACTIONS),
                                resources=["*"]),
            iam.PolicyStatement(sid="IamPoliciesGrantUse", principals=[account], actions=list(USE_ACTIONS),
                                resources=["*"]),
        ]
        for service in publishing_services:
            statements.append(iam.PolicyStatement(
                sid=f"{service.split('.')[0].capitalize()}Publishes",
                principals=[iam.ServicePrincipal(service)], actions=list(SERVICE_PUBLISH_ACTIONS),
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": cdk.Aws.ACCOUNT_ID}},
            ))
        # In a key policy "*" means "this key"; it cannot name its own ARN.
        self.key = kms.Key(self, "Key", description=description, enable_key_rotation=True,
                           removal_policy=removal_policy, policy=iam.PolicyDocument(statements=statements))
