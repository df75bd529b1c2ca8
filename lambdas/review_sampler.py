"""Review sampler Lambda (daily schedule): yesterday's near-threshold and suppressed clips into the review bucket."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from videoalert.app.review import sample_day
from videoalert.config.review import ReviewSettings
from videoalert.domain.ids import parse_iso
from videoalert.wiring import ReviewDependencies, build_review
from videoalert_contract.names import METRICS_NAMESPACE

logger = Logger()
metrics = Metrics(namespace=METRICS_NAMESPACE)
tracer = Tracer()
_deps: tuple[ReviewSettings, ReviewDependencies] | None = None


class BadReviewEvent(ValueError):
    """Neither a scheduled event nor {"date": "YYYY-MM-DD"}."""


def dependencies() -> tuple[ReviewSettings, ReviewDependencies]:
    global _deps
    if _deps is None:
        settings = ReviewSettings.from_env()
        _deps = (settings, build_review(settings))
    return _deps


def day_of(event: object) -> date:
    """A manual run names the day; the schedule samples the UTC day before its firing time."""
    if isinstance(event, dict) and event.get("date"):
        try:
            return date.fromisoformat(str(event["date"]))
        except ValueError as exc:
            raise BadReviewEvent(f"date must be YYYY-MM-DD: {exc}") from exc
    if isinstance(event, dict) and event.get("time"):
        try:
            return (parse_iso(event["time"]) - timedelta(days=1)).date()
        except ValueError as exc:
            raise BadReviewEvent(f"event time is not ISO-8601: {exc}") from exc
    raise BadReviewEvent("expected a scheduled event (with time) or {\"date\": \"YYYY-MM-DD\"}")


@metrics.log_metrics
@logger.inject_lambda_context(log_event=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    try:
        day = day_of(event)
    except BadReviewEvent as exc:
        # A retry cannot fix the event: report it and stop (the async retries would repeat the same error).
        logger.error("review event rejected", extra={"reason": str(exc)})
        return {"ok": False, "error": {"code": "BAD_EVENT", "message": str(exc)}}
    settings, deps = dependencies()
    result = sample_day(day, records=deps.records, cameras=deps.cameras, bucket=deps.bucket, band=settings.band)
    metrics.add_metric(name="ReviewSampled", unit=MetricUnit.Count, value=result.sampled)
    metrics.add_metric(name="ReviewCopied", unit=MetricUnit.Count, value=result.objects_copied)
    logger.info("review sample", extra=result.to_dict())
    return {"ok": True, **result.to_dict()}
