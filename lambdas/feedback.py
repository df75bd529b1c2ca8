"""Feedback Lambda behind an IAM-authenticated function URL: POST {video_id, label, tags?} labels a video."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import LambdaFunctionUrlResolver, Response
from aws_lambda_powertools.event_handler.exceptions import BadRequestError, NotFoundError
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from videoalert.app.feedback import BadFeedback, FeedbackRequest, NotLabellable, VideoNotFound, apply_feedback
from videoalert.config.feedback import FeedbackSettings
from videoalert.domain.types import Label
from videoalert.wiring import FeedbackStores, build_feedback
from videoalert_contract.names import METRICS_NAMESPACE

logger = Logger()
metrics = Metrics(namespace=METRICS_NAMESPACE)
tracer = Tracer()
app = LambdaFunctionUrlResolver()
_stores: FeedbackStores | None = None


def stores() -> FeedbackStores:
    """Settings and table adapters, built on the first request (never at import)."""
    global _stores
    if _stores is None:
        _stores = build_feedback(FeedbackSettings.from_env())
    return _stores


def caller() -> str:
    """Who sent the request: the SigV4-verified IAM identity the function URL passes on."""
    iam = app.current_event.request_context.authorizer.iam
    return iam.user_arn or iam.caller_id or "unknown"


@app.post("/")
def label_video() -> dict[str, Any] | Response[Any]:
    try:
        body = app.current_event.json_body
    except ValueError as exc:
        raise BadRequestError(f"the body is not JSON: {exc}") from exc
    deps = stores()
    try:
        request = FeedbackRequest.parse(body)
        result = apply_feedback(request, records=deps.records, cameras=deps.cameras, memory=deps.memory,
                                who=caller(), now=datetime.now(UTC))
    except BadFeedback as exc:
        raise BadRequestError(str(exc)) from exc
    except VideoNotFound as exc:
        raise NotFoundError(str(exc)) from exc
    except NotLabellable as exc:
        return Response(status_code=409, content_type="application/json", body={"message": str(exc)})
    if result.changed:
        name = "FalsePositiveLabels" if request.label == Label.FALSE_POSITIVE else "TruePositiveLabels"
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
    logger.info("feedback", extra=result.to_dict())
    return result.to_dict()


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
