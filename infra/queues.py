"""Dead-letter queues for asynchronous failures: encrypted, TLS-only, kept for the maximum 14 days."""
from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.nag import acknowledge


def dead_letter_queue(scope: Construct, construct_id: str, *, fifo: bool = False) -> sqs.Queue:
    """A dead-letter queue; fifo=True for a FIFO source queue (SQS requires the DLQ of a FIFO queue to be FIFO)."""
    queue = sqs.Queue(scope, construct_id, encryption=sqs.QueueEncryption.SQS_MANAGED, enforce_ssl=True,
                      retention_period=cdk.Duration.days(14), fifo=fifo or None)
    acknowledge(queue, "AwsSolutions-SQS3",
                "This queue is itself a dead-letter destination (failed Lambda, EventBridge or SNS deliveries).")
    acknowledge(queue, "Serverless-SQSRedrivePolicy",
                "This queue is the end of the line for failed events; an operator inspects and redrives it.")
    return queue
