"""Alert deliveries beyond SNS (optional, from context): the alert topic's SQS subscription feeds a function that sends
the HTML e-mail through SES, the signed webhook and Web Push (infra/push.py), each once per alert
(lambdas/alert_deliveries.py)."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as sources
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.functions import FunctionBase, powertools_layer, zip_function
from infra.nag import acknowledge
from infra.queues import dead_letter_queue

MEMORY_MB = 256
# One alert: a frame read, one SES call, the webhook's four attempts (10 s each, 1 + 2 + 4 s apart) and Web Push's
# three per browser (5 s each, 1 + 2 s apart; eight browsers at once) at worst.
TIMEOUT = cdk.Duration.seconds(180)
VISIBILITY_TIMEOUT = cdk.Duration.seconds(TIMEOUT.to_seconds() * 6)  # AWS's advice for an SQS event source
MAX_RECEIVES = 5  # then the alert's delivery waits in the dead-letter queue (alarmed) for a redrive


class Deliveries(Construct):
    """The queue subscribed to the alert topic, its dead-letter queue and the deliveries function."""

    def __init__(self, scope: Construct, construct_id: str, *, topic: sns.ITopic, environment: Mapping[str, str],
                 removal_policy: cdk.RemovalPolicy, layers: Sequence[lambda_.ILayerVersion] = ()) -> None:
        super().__init__(scope, construct_id)
        self.base = FunctionBase(self, "Base", removal_policy=removal_policy)
        self.dead_letter_queue = dead_letter_queue(self, "DeadLetterQueue")
        self.queue = sqs.Queue(self, "Alerts", encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True,
                               visibility_timeout=VISIBILITY_TIMEOUT,
                               dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=MAX_RECEIVES,
                                                                     queue=self.dead_letter_queue))
        # Alerts SNS could not put on the queue (the queue gone, a key problem) are kept, not lost.
        topic.add_subscription(subscriptions.SqsSubscription(self.queue, dead_letter_queue=self.dead_letter_queue))
        self.function = zip_function(
            self, "Function", base=self.base, handler="alert_deliveries.handler",
            description="videoalert alert deliveries: HTML e-mail (SES), signed webhook, Web Push; once per alert",
            memory_mb=MEMORY_MB, timeout=TIMEOUT, environment=environment,
            layers=[powertools_layer(self, "Powertools"), *layers])
        self.function.add_event_source(sources.SqsEventSource(self.queue, batch_size=5,
                                                              report_batch_item_failures=True))
        acknowledge(self.function, "Serverless-LambdaDLQ",
                    "Invoked by its SQS event source only: an alert whose delivery keeps failing goes to the queue's "
                    "dead-letter queue after 5 receives.")
        acknowledge(self.function, "Serverless-LambdaEventSourceMappingDestination",
                    "An SQS event source mapping takes no on-failure destination; the queue's redrive policy sends "
                    "an alert that keeps failing to its dead-letter queue, alarmed.")

    def grant_send_email(self, sender: str) -> None:
        """ses:SendRawEmail as the verified identity: the address, or its domain, whichever was verified."""
        stack = cdk.Stack.of(self)
        identities = [sender, sender.rsplit("@", 1)[-1]]
        iam.Grant.add_to_principal(grantee=self.function, actions=["ses:SendRawEmail"], resource_arns=[
            stack.format_arn(service="ses", resource="identity", resource_name=i) for i in identities])

    def grant_read_secret(self, secret_arn: str) -> None:
        iam.Grant.add_to_principal(grantee=self.function, actions=["secretsmanager:GetSecretValue"],
                                   resource_arns=[secret_arn])
