"""Camera registry Lambda: the cameras API behind an IAM-authenticated function URL (GET/POST /cameras, GET/DELETE
/cameras/{id}), the deploy-time seed of the stack's `cameras` context (a CloudFormation custom resource), and the
fleet health check (a scheduled event: cameras offline as one metric)."""
from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import LambdaFunctionUrlResolver, Response
from aws_lambda_powertools.event_handler.exceptions import BadRequestError, NotFoundError
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from videoalert.app import cameras
from videoalert.config.cameras import RegistrySettings
from videoalert.domain.errors import UnknownCamera
from videoalert.wiring import build_registry, respond_to_cloudformation
from videoalert_contract.names import METRICS_NAMESPACE

logger = Logger()
metrics = Metrics(namespace=METRICS_NAMESPACE)
tracer = Tracer()
app = LambdaFunctionUrlResolver()
SEED_PHYSICAL_ID = "videoalert-camera-seed"  # never changes: CloudFormation never replaces (deletes) the seed
_deps: cameras.RegistryDependencies | None = None


def dependencies() -> cameras.RegistryDependencies:
    """Settings and adapters, built on the first event (never at import)."""
    global _deps
    if _deps is None:
        _deps = build_registry(RegistrySettings.from_env())
    return _deps


# --- the cameras API ---------------------------------------------------------------------------------------------


@app.get("/cameras")
def list_cameras() -> dict[str, Any]:
    found = cameras.list_cameras(dependencies())
    return {"cameras": [{"camera_id": c.camera_id, "enabled": c.enabled and c.rule.enabled,
                         "motion_triggered": c.motion_triggered, "timezone": c.rule.timezone,
                         "retention_hours": c.retention_hours, "stream_arn": c.stream_arn} for c in found]}


@app.post("/cameras")
def add_camera() -> Response[Any]:
    try:
        body = app.current_event.json_body
    except ValueError as exc:
        raise BadRequestError(f"the body is not JSON: {exc}") from exc
    if not isinstance(body, dict) or not isinstance(body.get("camera_id"), str):
        raise BadRequestError('the body must be {"camera_id": "...", "timezone"?, "retention_hours"?, '
                              '"motion_triggered"?, "sub_stream"?}')
    deps = dependencies()
    try:
        hours = body.get("retention_hours")
        request = cameras.CameraRequest(body["camera_id"], timezone=str(body.get("timezone") or "UTC"),
                                        retention_hours=deps.retention_hours if hours is None else int(hours),
                                        motion_triggered=bool(body.get("motion_triggered", False)),
                                        sub_stream=bool(body.get("sub_stream", False)))
        added = cameras.add_camera(deps, request)
    except (cameras.BadCameraRequest, TypeError, ValueError) as exc:
        raise BadRequestError(str(exc)) from exc
    except cameras.CameraAlreadyRegistered as exc:
        return Response(status_code=409, content_type="application/json", body={"message": str(exc)})
    metrics.add_metric(name="CamerasAdded", unit=MetricUnit.Count, value=1)
    logger.info("camera added", extra={"camera_id": request.camera_id, "by": _caller()})
    return Response(status_code=201, content_type="application/json", body=added.describe())


@app.get("/cameras/<camera_id>")
def show_camera(camera_id: str) -> dict[str, Any]:
    try:
        return cameras.show_camera(dependencies(), camera_id).describe()
    except UnknownCamera as exc:
        raise NotFoundError(str(exc)) from exc


@app.delete("/cameras/<camera_id>")
def remove_camera(camera_id: str) -> dict[str, Any]:
    delete_stream = (app.current_event.get_query_string_value("delete_stream") or "").lower() in ("1", "true", "yes")
    try:
        removed = cameras.remove_camera(dependencies(), camera_id, delete_stream=delete_stream)
    except UnknownCamera as exc:
        raise NotFoundError(str(exc)) from exc
    metrics.add_metric(name="CamerasRemoved", unit=MetricUnit.Count, value=1)
    logger.info("camera removed", extra={**removed.describe(), "by": _caller()})
    return removed.describe()


def _caller() -> str:
    iam = app.current_event.request_context.authorizer.iam
    return iam.user_arn or iam.caller_id or "unknown"


# --- the deploy-time seed and the health check -------------------------------------------------------------------


def seed(event: dict[str, Any]) -> dict[str, Any]:
    """Create: register the listed cameras. Update: register only the ids new to the list (one removed with `camera
    remove` stays removed). Delete: nothing (cameras are data; removing the stack keeps the registry's streams)."""
    kind = event.get("RequestType")
    try:
        props = event.get("ResourceProperties") or {}
        listed = [str(c) for c in props.get("Cameras") or []]
        before = {str(c) for c in (event.get("OldResourceProperties") or {}).get("Cameras") or []}
        wanted = listed if kind == "Create" else [c for c in listed if c not in before] if kind == "Update" else []
        result = cameras.seed_cameras(dependencies(), wanted, retention_hours=int(props.get("RetentionHours") or 24))
    except Exception as exc:  # CloudFormation must get an answer, or it hangs an hour
        logger.exception("camera seed failed")
        respond_to_cloudformation(event, success=False, physical_id=SEED_PHYSICAL_ID,
                                  reason=f"{type(exc).__name__}: {exc}")
        return {"ok": False, "error": str(exc)}
    logger.info("camera seed", extra={"request": kind, **result.describe()})
    metrics.add_metric(name="CamerasSeeded", unit=MetricUnit.Count, value=len(result.added))
    respond_to_cloudformation(event, success=True, physical_id=SEED_PHYSICAL_ID,
                              reason=f"{len(result.added)} camera(s) registered, "
                                     f"{len(result.registered_already)} registered already",
                              data={"Added": len(result.added)})
    return {"ok": True, **result.describe()}


def health_check() -> dict[str, Any]:
    health = cameras.fleet_health(dependencies())
    metrics.add_metric(name="CamerasRegistered", unit=MetricUnit.Count, value=health.registered)
    for state, count in health.states.items():
        metrics.add_metric(name=f"Cameras{state.title()}", unit=MetricUnit.Count, value=count)
    metrics.add_metric(name="CamerasWithoutStream", unit=MetricUnit.Count, value=len(health.without_stream))
    metrics.add_metric(name="HealthCheckMs", unit=MetricUnit.Milliseconds, value=health.elapsed_s * 1000)
    (logger.warning if health.offline else logger.info)("fleet health", extra=health.describe())
    return {"ok": True, **health.describe()}


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if isinstance(event, dict) and "RequestType" in event and "ResponseURL" in event:
        return seed(event)
    if isinstance(event, dict) and event.get("detail-type") == "Scheduled Event":
        return health_check()
    if isinstance(event, dict) and "http" in (event.get("requestContext") or {}):
        answer: dict[str, Any] = app.resolve(event, context)
        return answer
    logger.error("not an API request, a seed or a scheduled event; dropped", extra={"event": event})
    metrics.add_metric(name="MalformedEvents", unit=MetricUnit.Count, value=1)
    return {"ok": False, "error": {"code": "MALFORMED_EVENT", "message": "unknown event"}}
