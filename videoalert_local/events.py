"""What AWS sends the dispatcher, made locally: S3's upload notifications (through a queue) and EventBridge's
every-minute schedule."""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from . import handlers
from .emulator import REGION


def connect_upload_notifications(sess: Any, endpoint: str | None, bucket: str) -> str:
    """S3 ObjectCreated on uploads/ -> an SQS queue the run reads (in AWS, S3 invokes the dispatcher directly)."""
    sqs = sess.client("sqs", endpoint_url=endpoint)
    url = sqs.create_queue(QueueName="videoalert-upload-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sess.client("s3", endpoint_url=endpoint).put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={"QueueConfigurations": [{
            "QueueArn": arn, "Events": ["s3:ObjectCreated:*"],
            "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "uploads/"}]}}}]})
    return str(url)


def deliver_events(sess: Any, endpoint: str | None, queue_url: str, dispatcher: Any, *, wait_s: float = 0,
                   on_done: Callable[[dict[str, Any]], None] = lambda answer: None) -> int:
    """Hand every queued S3 event to the dispatcher handler, as the Lambda service would; returns how many."""
    sqs = sess.client("sqs", endpoint_url=endpoint)
    delivered = 0
    deadline = time.monotonic() + wait_s
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
            "Messages", []
        )
        if not messages:
            if time.monotonic() >= deadline:
                return delivered
            time.sleep(0.2)
            continue
        for message in messages:
            try:
                event = json.loads(message["Body"])
            except ValueError:  # not JSON at all: the handler would never see it; kept as text, with the error
                event = message["Body"]
            if not (isinstance(event, dict) and event.get("Event") == "s3:TestEvent"):  # sent once, at setup
                on_done(handlers.handle(dispatcher, event))
                delivered += 1
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def scheduled_event(at: datetime) -> dict[str, Any]:
    """What EventBridge's every-minute rule sends the dispatcher."""
    return {"version": "0", "id": f"local-{at:%Y%m%dT%H%M%S}", "detail-type": "Scheduled Event",
            "source": "aws.events", "account": "000000000000", "time": at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": REGION, "resources": ["arn:aws:events:us-east-1:000000000000:rule/videoalert-minute"],
            "detail": {}}
