"""Build the dispatcher's dependencies from settings and boto3 clients (once per cold start)."""
from __future__ import annotations

import boto3
from botocore.config import Config

from videoalert.aws.sns import AlertPublisher
from videoalert.store.cameras import CameraStore
from videoalert.aws.s3 import ClipStore
from videoalert.store.memory import FpMemory
from videoalert.aws.inference import InferenceClient, LambdaInferenceClient
from videoalert.app.dispatch import ClipSource, Dependencies
from videoalert.config.dispatcher import DispatcherSettings
from videoalert.store.videos import VideoRecords

# The inference call waits for the whole clip to be scored; the SDK must not retry it on its own.
INVOKE_CONFIG = Config(read_timeout=900, connect_timeout=10, retries={"max_attempts": 1, "mode": "standard"})
AWS_CONFIG = Config(retries={"max_attempts": 5, "mode": "standard"})
# SigV4 for the presigned clip URLs (botocore still presigns S3 with SigV2 unless told, which newer regions refuse).
S3_CONFIG = AWS_CONFIG.merge(Config(signature_version="s3v4"))


def build_dependencies(settings: DispatcherSettings, *, session: boto3.session.Session | None = None,
                       endpoint_url: str | None = None, inference: InferenceClient | None = None,
                       clip_source: ClipSource | None = None) -> Dependencies:
    session = session or boto3.session.Session()
    client = lambda name, cfg=AWS_CONFIG: session.client(name, config=cfg, endpoint_url=endpoint_url)  # noqa: E731
    dynamodb = session.resource("dynamodb", config=AWS_CONFIG, endpoint_url=endpoint_url)
    if inference is None:
        inference = LambdaInferenceClient(client("lambda", INVOKE_CONFIG), settings.inference_function)
    if clip_source is None:
        from videoalert.aws.kvs import KvsClipSource  # stream windows only exist in AWS (moto has no GetClip media)

        clip_source = KvsClipSource(client("kinesisvideo"))
    return Dependencies(
        settings=settings,
        records=VideoRecords(dynamodb.Table(settings.videos_table), retention_days=settings.retention_days),
        cameras=CameraStore(dynamodb.Table(settings.cameras_table), known_cameras=settings.camera_ids),
        clips=ClipStore(client("s3", S3_CONFIG), settings.video_bucket),
        inference=inference,
        alerts=AlertPublisher(client("sns"), settings.alert_topic_arn),
        clip_source=clip_source,
        memory=FpMemory(dynamodb.Table(settings.fp_memory_table)) if settings.fp_memory_table else None,
    )
