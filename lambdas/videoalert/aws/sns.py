"""Publish an alert to the SNS topic: one message per protocol (MessageStructure=json), attributes to filter on."""
from __future__ import annotations

from typing import Any

from videoalert.domain.alert_message import AlertMessage


class AlertPublisher:
    def __init__(self, sns_client: Any, topic_arn: str):
        self.sns = sns_client
        self.topic_arn = topic_arn

    def publish(self, message: AlertMessage) -> str:
        response = self.sns.publish(TopicArn=self.topic_arn, Subject=message.subject, Message=message.structured(),
                                    MessageStructure="json", MessageAttributes=message.attributes)
        return str(response["MessageId"])
