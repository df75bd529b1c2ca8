"""The embedded AWS emulator: moto server on 127.0.0.1 and the resources the stack defines, by the same names."""
from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3

from videoalert.config.dispatcher import DispatcherSettings
from videoalert.config.links import LinksSettings
from videoalert_cli.resources import LOCAL_CREDENTIALS as DUMMY_CREDENTIALS
from videoalert_cli.resources import LOCAL_REGION as REGION
from videoalert_cli.resources import local_session as session
from videoalert_contract import names

__all__ = ["DUMMY_CREDENTIALS", "REGION", "LocalResources", "create_job_queue", "create_resources", "drain_alerts",
           "free_port", "moto_server", "session", "use_dummy_credentials"]


@dataclass(frozen=True)
class LocalResources:
    video_bucket: str
    review_bucket: str
    videos_table: str
    cameras_table: str
    alert_topic_arn: str
    fp_memory_table: str
    alert_queue_url: str
    cameras: tuple[str, ...]  # registered when the resources were made (the deploy-time seed's stand-in)
    served: bool = False  # on moto's server (an HTTP endpoint), not moto's in-process mock
    spent_tokens_table: str = names.local_names()["spent_tokens_table"]
    signing_secret: str = names.local_names()["signing_secret"]
    push_table: str = names.local_names()["push_table"]
    vapid_secret: str = names.local_names()["vapid_secret"]

    def settings(self, **overrides: Any) -> DispatcherSettings:
        # Presigned URLs need an HTTP server behind them: the emulator's server has one, the in-process mock not.
        return DispatcherSettings(video_bucket=self.video_bucket, videos_table=self.videos_table,
                                  cameras_table=self.cameras_table, alert_topic_arn=self.alert_topic_arn,
                                  inference_function=names.local_names()["inference_function"],
                                  **{"fp_memory_table": self.fp_memory_table, "inference_urls": self.served,
                                     "signing_secret": self.signing_secret, **overrides})

    def links_settings(self) -> LinksSettings:
        """The public links function's settings (one-tap labels, the review page)."""
        return LinksSettings(videos_table=self.videos_table, cameras_table=self.cameras_table,
                             fp_memory_table=self.fp_memory_table, spent_tokens_table=self.spent_tokens_table,
                             signing_secret=self.signing_secret, video_bucket=self.video_bucket,
                             push_table=self.push_table, vapid_secret=self.vapid_secret, push_loopback=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextlib.contextmanager
def moto_server(port: int | None = None) -> Iterator[str]:
    """Start moto's server on loopback for the duration of the block; yields its endpoint URL."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per AWS call drowns the output
    port = port or free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        # moto keeps its state per process: start every run from an empty account.
        urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10)
        yield endpoint
    finally:
        server.stop()


def _create_tables(ddb: Any, n: dict[str, str]) -> None:
    """The videos (with its two indexes), cameras, false-positive memory, spent-tokens and Web Push tables, keyed as in
    infra/."""
    ddb.create_table(
        TableName=n["videos_table"], BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": names.VIDEOS_PARTITION_KEY, "AttributeType": "S"},
                              {"AttributeName": names.VIDEOS_BY_CAMERA_PARTITION_KEY, "AttributeType": "S"},
                              {"AttributeName": names.VIDEOS_BY_CAMERA_SORT_KEY, "AttributeType": "S"},
                              {"AttributeName": names.VIDEOS_DUE_SORT_KEY, "AttributeType": "S"}],
        KeySchema=[{"AttributeName": names.VIDEOS_PARTITION_KEY, "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[{
            "IndexName": names.VIDEOS_BY_CAMERA_INDEX,
            "KeySchema": [{"AttributeName": names.VIDEOS_BY_CAMERA_PARTITION_KEY, "KeyType": "HASH"},
                          {"AttributeName": names.VIDEOS_BY_CAMERA_SORT_KEY, "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"}}, {
            "IndexName": names.VIDEOS_DUE_INDEX,
            "KeySchema": [{"AttributeName": names.VIDEOS_DUE_PARTITION_KEY, "KeyType": "HASH"},
                          {"AttributeName": names.VIDEOS_DUE_SORT_KEY, "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"}}],
    )
    # The tables keyed by a string partition key (and sort key) alone; Web Push's is the stack's with -c web_push=true.
    for table, partition, sort in (
        ("cameras_table", names.CAMERAS_PARTITION_KEY, None),
        ("fp_memory_table", names.FP_MEMORY_PARTITION_KEY, names.FP_MEMORY_SORT_KEY),
        ("spent_tokens_table", names.SPENT_TOKENS_PARTITION_KEY, None),
        ("push_table", names.PUSH_PARTITION_KEY, names.PUSH_SORT_KEY),
    ):
        keys = [(partition, "HASH"), *([(sort, "RANGE")] if sort else [])]
        ddb.create_table(TableName=n[table], BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": k, "AttributeType": "S"} for k, _ in keys],
                         KeySchema=[{"AttributeName": k, "KeyType": kind} for k, kind in keys])


def create_resources(sess: boto3.session.Session, *, endpoint_url: str | None = None,
                     cameras: tuple[str, ...] = ("cam1",)) -> LocalResources:
    """Create buckets, tables (keys and index as in infra/), the alert topic and an SQS queue subscribed to it, and
    register `cameras` in the registry with the default rule (their streams are the caller's: see app.cameras)."""
    n = names.local_names()
    s3 = sess.client("s3", endpoint_url=endpoint_url)
    for bucket in (n["video_bucket"], n["review_bucket"]):
        s3.create_bucket(Bucket=bucket)
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    _create_tables(sess.client("dynamodb", endpoint_url=endpoint_url), n)
    # The link-signing key: in AWS generated and rotated by the stack; here a fresh random key per run.
    sess.client("secretsmanager", endpoint_url=endpoint_url).create_secret(
        Name=n["signing_secret"], SecretString=secrets.token_urlsafe(48))
    # Web Push: a fresh VAPID key pair per run (in AWS: `videoalert webpush keys`).
    from videoalert.aws.webpush import new_vapid_key

    sess.client("secretsmanager", endpoint_url=endpoint_url).create_secret(
        Name=n["vapid_secret"], SecretString=json.dumps(new_vapid_key("mailto:videoalert@localhost")))
    sns = sess.client("sns", endpoint_url=endpoint_url)
    topic_arn = sns.create_topic(Name=n["alert_topic"])["TopicArn"]
    sqs = sess.client("sqs", endpoint_url=endpoint_url)
    queue_url = sqs.create_queue(QueueName=f"{n['alert_topic']}-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    from videoalert.store.cameras import CameraStore

    registry = CameraStore(sess.resource("dynamodb", endpoint_url=endpoint_url).Table(n["cameras_table"]))
    for camera in cameras:
        registry.register(camera)
    return LocalResources(
        video_bucket=n["video_bucket"],
        review_bucket=n["review_bucket"],
        videos_table=n["videos_table"],
        cameras_table=n["cameras_table"],
        fp_memory_table=n["fp_memory_table"],
        alert_topic_arn=topic_arn,
        alert_queue_url=queue_url,
        cameras=tuple(cameras),
        served=endpoint_url is not None,
    )


def create_job_queue(sess: boto3.session.Session, *, endpoint_url: str | None = None,
                     visibility_timeout_s: int = 330, max_receives: int = 3) -> str:
    """The per-camera FIFO job queue and its FIFO dead-letter queue, as infra/camera_workers.py defines them (the
    visibility timeout can be shortened for local runs of killed workers); returns the queue URL."""
    sqs = sess.client("sqs", endpoint_url=endpoint_url)
    name = names.local_names()["camera_jobs_queue"]
    dlq_url = sqs.create_queue(QueueName=name.replace(".fifo", "-dlq.fifo"), Attributes={"FifoQueue": "true"})
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url["QueueUrl"], AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"]
    url = sqs.create_queue(QueueName=name, Attributes={
        "FifoQueue": "true", "DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId",
        "VisibilityTimeout": str(visibility_timeout_s),
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receives})})["QueueUrl"]
    return str(url)


def drain_alerts(sess: boto3.session.Session, queue_url: str, *,
                 endpoint_url: str | None = None) -> list[dict[str, Any]]:
    """Every alert that reached the subscribed queue: subject, parsed body and message attributes."""
    sqs = sess.client("sqs", endpoint_url=endpoint_url)
    alerts: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not batch:
            return alerts
        for message in batch:
            envelope = json.loads(message["Body"])
            alerts.append(
                {
                    "subject": envelope.get("Subject"),
                    "body": json.loads(envelope["Message"]),
                    "attributes": {k: v.get("Value") for k, v in envelope.get("MessageAttributes", {}).items()},
                    "message_id": envelope.get("MessageId"),
                }
            )
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def use_dummy_credentials() -> None:
    """The emulator accepts any credentials; never let a local run pick up real ones."""
    os.environ.update(DUMMY_CREDENTIALS)
    os.environ.pop("AWS_PROFILE", None)
