"""The composition root: settings + boto3 clients -> the adapters each use case needs (once per cold start).

The only module of the package that knows every layer; handlers, the local run and tests call it.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import boto3
from botocore.config import Config

from videoalert.app.cameras import RegistryDependencies
from videoalert.app.deliveries import DeliveryDependencies
from videoalert.app.dependencies import Dependencies
from videoalert.app.links import LinkSigner
from videoalert.app.one_tap import LinkDependencies
from videoalert.app.ports import Cameras, ClipSource, Inference, Memory, ReviewBucket, Videos
from videoalert.aws.cloudformation import respond as respond_to_cloudformation
from videoalert.aws.inference import LambdaInferenceClient
from videoalert.aws.jobs import CameraJobQueue, SegmentJobQueue
from videoalert.aws.s3 import ClipStore
from videoalert.aws.s3 import ReviewBucket as S3ReviewBucket
from videoalert.aws.secrets import SecretRotation, SigningKeys
from videoalert.aws.ses import AlertMailer
from videoalert.aws.sns import AlertPublisher
from videoalert.aws.streams import KvsStreams
from videoalert.aws.webhook import WebhookSecret, WebhookSender
from videoalert.aws.webpush import VapidSecret, WebPushSender
from videoalert.config.cameras import RegistrySettings
from videoalert.config.deliveries import DeliverySettings
from videoalert.config.dispatcher import DispatcherSettings
from videoalert.config.feedback import FeedbackSettings
from videoalert.config.links import LinksSettings
from videoalert.config.review import ReviewSettings
from videoalert.config.worker import WorkerSettings
from videoalert.store.cameras import CameraStore
from videoalert.store.memory import FpMemory
from videoalert.store.push_subscriptions import PushSubscriptions
from videoalert.store.tokens import SpentTokens
from videoalert.store.videos import VideoRecords

__all__ = ["respond_to_cloudformation"]  # the registry handler answers its custom resource through this adapter

# The inference call waits for the whole clip to be scored; the SDK must not retry it on its own.
INVOKE_CONFIG = Config(read_timeout=900, connect_timeout=10, retries={"max_attempts": 1, "mode": "standard"})
AWS_CONFIG = Config(retries={"max_attempts": 5, "mode": "standard"})
# SigV4 for the presigned clip URLs (botocore still presigns S3 with SigV2 unless told, which newer regions refuse).
S3_CONFIG = AWS_CONFIG.merge(Config(signature_version="s3v4"))
SettingsT = TypeVar("SettingsT", bound=WorkerSettings)


def build_dependencies(settings: SettingsT, *, session: boto3.session.Session | None = None,
                       endpoint_url: str | None = None, inference: Inference | None = None,
                       clip_source: ClipSource | None = None) -> Dependencies[SettingsT]:
    """The clip lifecycle's adapters: the camera worker's (WorkerSettings), or the dispatcher's (DispatcherSettings:
    the same, and the camera job queue it sends to)."""
    session = session or boto3.session.Session()

    def client(name: str, config: Config = AWS_CONFIG) -> Any:
        return session.client(name, config=config, endpoint_url=endpoint_url)

    dynamodb = session.resource("dynamodb", config=AWS_CONFIG, endpoint_url=endpoint_url)
    if inference is None:
        inference = LambdaInferenceClient(client("lambda", INVOKE_CONFIG), settings.inference_function)
    if clip_source is None:
        from videoalert.aws.kvs import KvsClipSource  # stream windows only exist in AWS (moto has no GetClip media)

        clip_source = KvsClipSource(client("kinesisvideo"))
    return Dependencies(
        settings=settings,
        records=VideoRecords(dynamodb.Table(settings.videos_table), lease=timedelta(seconds=settings.lease_seconds)),
        cameras=CameraStore(dynamodb.Table(settings.cameras_table)),
        clips=ClipStore(client("s3", S3_CONFIG), settings.video_bucket),
        inference=inference,
        alerts=AlertPublisher(client("sns"), settings.alert_topic_arn),
        clip_source=clip_source,
        memory=FpMemory(dynamodb.Table(settings.fp_memory_table)) if settings.fp_memory_table else None,
        jobs=(CameraJobQueue(client("sqs"), settings.camera_jobs_queue_url)
              if isinstance(settings, DispatcherSettings) and settings.camera_jobs_queue_url else None),
        segment_jobs=(SegmentJobQueue(client("sqs"), settings.segment_queue_url)
                      if settings.segment_queue_url and settings.segment_seconds > 0 else None),
        links=(LinkSigner(SigningKeys(client("secretsmanager"), settings.signing_secret), settings.links_base_url)
               if settings.signing_secret and settings.links_base_url else None),
    )


@dataclass(frozen=True)
class FeedbackStores:
    """What applying feedback reads and writes."""

    records: Videos
    cameras: Cameras
    memory: Memory


def build_feedback(settings: FeedbackSettings, *, session: boto3.session.Session | None = None) -> FeedbackStores:
    dynamodb = (session or boto3.session.Session()).resource("dynamodb")
    return FeedbackStores(
        records=VideoRecords(dynamodb.Table(settings.videos_table)),
        cameras=CameraStore(dynamodb.Table(settings.cameras_table)),
        memory=FpMemory(dynamodb.Table(settings.fp_memory_table), capacity=settings.fp_memory_capacity),
    )


@dataclass(frozen=True)
class ReviewDependencies:
    """What sampling a day for review reads and writes."""

    records: Videos
    cameras: Cameras
    bucket: ReviewBucket


def build_review(settings: ReviewSettings, *, session: boto3.session.Session | None = None) -> ReviewDependencies:
    session = session or boto3.session.Session()
    dynamodb = session.resource("dynamodb")
    return ReviewDependencies(
        records=VideoRecords(dynamodb.Table(settings.videos_table)),
        cameras=CameraStore(dynamodb.Table(settings.cameras_table)),
        bucket=S3ReviewBucket(session.client("s3"), settings.review_bucket, video_bucket=settings.video_bucket),
    )


def build_links(settings: LinksSettings, *, session: boto3.session.Session | None = None,
                endpoint_url: str | None = None) -> LinkDependencies:
    """The public feedback-links function's adapters (one-tap labels, the review page)."""
    session = session or boto3.session.Session()
    dynamodb = session.resource("dynamodb", config=AWS_CONFIG, endpoint_url=endpoint_url)
    return LinkDependencies(
        records=VideoRecords(dynamodb.Table(settings.videos_table)),
        cameras=CameraStore(dynamodb.Table(settings.cameras_table)),
        memory=FpMemory(dynamodb.Table(settings.fp_memory_table), capacity=settings.fp_memory_capacity),
        spent=SpentTokens(dynamodb.Table(settings.spent_tokens_table)),
        keys=SigningKeys(session.client("secretsmanager", config=AWS_CONFIG, endpoint_url=endpoint_url),
                         settings.signing_secret),
        clips=ClipStore(session.client("s3", config=S3_CONFIG, endpoint_url=endpoint_url), settings.video_bucket),
        push=(PushSubscriptions(dynamodb.Table(settings.push_table)) if settings.push_table else None),
        vapid=(VapidSecret(session.client("secretsmanager", config=AWS_CONFIG, endpoint_url=endpoint_url),
                           settings.vapid_secret) if settings.vapid_secret else None),
        push_loopback=settings.push_loopback,
    )


def build_registry(settings: RegistrySettings, *, session: boto3.session.Session | None = None,
                   endpoint_url: str | None = None, kvs_endpoint_url: str | None = None,
                   clock: Callable[[], datetime] | None = None) -> RegistryDependencies:
    """The camera registry's adapters: the cameras and videos tables, the Kinesis video streams' control plane."""
    session = session or boto3.session.Session()
    dynamodb = session.resource("dynamodb", config=AWS_CONFIG, endpoint_url=endpoint_url)
    kvs = session.client("kinesisvideo", config=AWS_CONFIG, endpoint_url=kvs_endpoint_url)
    return RegistryDependencies(
        cameras=CameraStore(dynamodb.Table(settings.cameras_table)),
        streams=KvsStreams(kvs),
        videos=VideoRecords(dynamodb.Table(settings.videos_table)),
        key_arn=settings.stream_key_arn, stage=settings.stage,
        clock=clock or (lambda: datetime.now(UTC)), retention_hours=settings.retention_hours)


def build_rotation(*, session: boto3.session.Session | None = None) -> SecretRotation:
    return SecretRotation((session or boto3.session.Session()).client("secretsmanager", config=AWS_CONFIG))


def build_deliveries(settings: DeliverySettings, *, session: boto3.session.Session | None = None,
                     endpoint_url: str | None = None) -> DeliveryDependencies:
    """The alert-deliveries function's adapters: SES for the e-mail, the webhook's sender and secret."""
    session = session or boto3.session.Session()

    def client(name: str, config: Config = AWS_CONFIG) -> Any:
        return session.client(name, config=config, endpoint_url=endpoint_url)

    records = VideoRecords(session.resource("dynamodb", config=AWS_CONFIG, endpoint_url=endpoint_url)
                           .Table(settings.videos_table))
    return DeliveryDependencies(
        records=records, marks=records, frames=ClipStore(client("s3", S3_CONFIG), settings.video_bucket),
        mailer=(AlertMailer(client("ses"), settings.email_from, settings.email_to)
                if settings.email_from and settings.email_to else None),
        webhook=WebhookSender(settings.webhook_url) if settings.webhook_url else None,
        webhook_secret=(WebhookSecret(client("secretsmanager"), settings.webhook_secret)
                        if settings.webhook_secret else None),
        pusher=(WebPushSender(VapidSecret(client("secretsmanager"), settings.vapid_secret))
                if settings.vapid_secret else None),
        push_subscribers=(PushSubscriptions(session.resource("dynamodb", config=AWS_CONFIG, endpoint_url=endpoint_url)
                                            .Table(settings.push_table)) if settings.push_table else None),
    )
