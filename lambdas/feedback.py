"""Feedback Lambda behind an IAM-authenticated function URL: POST {video_id, label, tags?} labels a video."""
from __future__ import annotations

from datetime import datetime, timezone

import boto3
from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import LambdaFunctionUrlResolver, Response
from aws_lambda_powertools.event_handler.exceptions import BadRequestError, NotFoundError
from aws_lambda_powertools.metrics import MetricUnit

from videoalert.store.cameras import CameraStore
from videoalert.store.memory import FpMemory
from videoalert.app.feedback import BadFeedback, FeedbackRequest, NotLabellable, VideoNotFound, apply_feedback
from videoalert.config.feedback import FeedbackSettings
from videoalert.store.videos import VideoRecords

logger = Logger()
metrics = Metrics(namespace="videoalert")
tracer = Tracer()
app = LambdaFunctionUrlResolver()
_stores = None


def stores():
    """Settings and table adapters, built on the first request (never at import)."""
    global _stores
    if _stores is None:
        settings = FeedbackSettings.from_env()
        ddb = boto3.resource("dynamodb")
        _stores = {"records": VideoRecords(ddb.Table(settings.videos_table), retention_days=30),
                   "cameras": CameraStore(ddb.Table(settings.cameras_table), known_cameras=settings.camera_ids),
                   "memory": FpMemory(ddb.Table(settings.fp_memory_table), capacity=settings.fp_memory_capacity)}
    return _stores


def caller() -> str:
    """Who sent the request: the SigV4-verified IAM identity the function URL passes on."""
    iam = app.current_event.request_context.authorizer.iam
    return iam.user_arn or iam.caller_id or "unknown"


@app.post("/")
def label_video():
    try:
        body = app.current_event.json_body
    except ValueError as exc:
        raise BadRequestError(f"the body is not JSON: {exc}") from exc
    try:
        request = FeedbackRequest.parse(body)
        result = apply_feedback(request, **stores(), who=caller(), now=datetime.now(timezone.utc))
    except BadFeedback as exc:
        raise BadRequestError(str(exc)) from exc
    except VideoNotFound as exc:
        raise NotFoundError(str(exc)) from exc
    except NotLabellable as exc:
        return Response(status_code=409, content_type="application/json", body={"message": str(exc)})
    if result.changed:
        metrics.add_metric(name="FalsePositiveLabels" if request.label == "false_positive" else "TruePositiveLabels",
                           unit=MetricUnit.Count, value=1)
    logger.info("feedback", extra=result.to_dict())
    return result.to_dict()


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
def handler(event, context):
    return app.resolve(event, context)
