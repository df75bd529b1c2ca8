"""The alert topic: KMS-encrypted, TLS-only, optional e-mail subscribers from context."""
from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from infra.keys import ExplicitKey
from infra.queues import dead_letter_queue

# Publishing into a KMS-encrypted topic: SNS asks the publisher's identity for a data key.
PUBLISH_KEY_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")


class Alerts(Construct):
    """One SNS topic carrying person alerts; subscribers filter on the camera_id message attribute."""

    def __init__(self, scope: Construct, construct_id: str, *, emails: Sequence[str],
                 removal_policy: cdk.RemovalPolicy) -> None:
        """emails: SNS's text e-mail subscribers (none when the HTML e-mail goes to them: infra/deliveries.py)."""
        super().__init__(scope, construct_id)
        self.key = ExplicitKey(self, "TopicKey", description="videoalert: alert topic",
                               removal_policy=removal_policy).key
        self.topic = sns.Topic(self, "Topic", display_name="videoalert person alerts", master_key=self.key,
                               enforce_ssl=True)
        # Alerts SNS could not deliver (a bounced or deleted endpoint) are kept, not lost.
        self.undelivered_queue = dead_letter_queue(self, "UndeliveredAlerts")
        for email in emails:
            self.topic.add_subscription(subscriptions.EmailSubscription(
                email, dead_letter_queue=self.undelivered_queue))

    def grant_publish(self, grantee: iam.IGrantable) -> None:
        """sns:Publish on this topic and the two key actions publishing needs (not the wildcard CDK grants)."""
        grant_publish_encrypted(grantee, self.topic, self.key.key_arn)


def grant_publish_encrypted(grantee: iam.IGrantable, topic: sns.ITopic, key_arn: str) -> None:
    iam.Grant.add_to_principal(grantee=grantee, actions=["sns:Publish"], resource_arns=[topic.topic_arn])
    iam.Grant.add_to_principal(grantee=grantee, actions=list(PUBLISH_KEY_ACTIONS), resource_arns=[key_arn])
