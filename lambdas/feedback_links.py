"""Public feedback-links function (function URL, auth NONE): the signed link is the permission.

GET /label?v=VIDEO&t=TOKEN    what the link will do, and a button (mail scanners open links: a GET changes nothing)
POST /label  v, t [, c, r]    verify, spend (once), label as `videoalert feedback` does; a small HTML answer
POST /undo   v, t [, c, r]    verify, spend (once), take the video's label away
GET /review?c=SCOPE&t=TOKEN [&cam=C&d=DECISION&l=LABEL&day=YYYY-MM-DD&p=N]
                              events, newest first, paged and filtered (SCOPE: a camera, or * for every camera)
GET /event?v=VIDEO&c=SCOPE&t=TOKEN  one event: its picture, clip, label and minutes
Web Push (where the stack has it): GET /manifest.webmanifest?c&t, /sw.js, /push.js, /icon.svg; GET /push/key (the
VAPID public key); POST /push/subscribe and /push/unsubscribe, JSON {c, t, subscription}: the review link is the
permission
"""
from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.event_handler import LambdaFunctionUrlResolver, Response
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from videoalert.app.feedback import NotLabellable, VideoNotFound
from videoalert.app.links import REVIEW_PATH
from videoalert.app.one_tap import (
    LinkDependencies,
    PushUnavailable,
    ReviewQuery,
    check_label_link,
    event_page,
    label_by_link,
    push_public_key,
    review_page,
    subscribe_push,
    undo_by_link,
    unsubscribe_push,
)
from videoalert.app.pages import (
    FILTER_NAMES,
    cleared_page,
    confirm_page,
    event_html,
    message_page,
    result_page,
    review_html,
)
from videoalert.app.web_app import asset, manifest
from videoalert.config.links import LinksSettings
from videoalert.domain.events import UNLABELLED
from videoalert.domain.link_token import TokenRefused
from videoalert.domain.push import BadSubscription
from videoalert.domain.types import Decision, Label
from videoalert.wiring import build_links
from videoalert_contract.names import METRICS_NAMESPACE

logger = Logger()
metrics = Metrics(namespace=METRICS_NAMESPACE)
tracer = Tracer()
app = LambdaFunctionUrlResolver()
_deps: LinkDependencies | None = None
# Tokens travel in URLs: no caching, no referrer; the pages run no script and load only the presigned images.
HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff",
           "Content-Security-Policy": "default-src 'none'; img-src https: http:; media-src https: http:; "
                                      "style-src 'unsafe-inline'; "
                                      "form-action 'self'; frame-ancestors 'none'"}
# The review page runs its own notification script (push.js) and registers the service worker; nothing else.
REVIEW_HEADERS = HEADERS | {
    "Content-Security-Policy": "default-src 'none'; img-src https: http: 'self'; media-src https: http:; "
                               "style-src 'unsafe-inline'; script-src 'self'; connect-src 'self'; "
                               "worker-src 'self'; manifest-src 'self'; form-action 'self'; frame-ancestors 'none'"}
REFUSALS = {"EXPIRED": "This link has expired.", "REPLAYED": "This link was used already.",
            "WRONG_SUBJECT": "This link is for another clip.", "WRONG_ACTION": "This link cannot do that."}
# A label form has v, t and the review page's c, r: a body with more fields is no form of ours.
MAX_FORM_FIELDS = 8


class MalformedRequest(ValueError):
    """A request no page of ours sends (a body that is not a UTF-8 form of a few fields): answered 400."""


def deps() -> LinkDependencies:
    """Settings and adapters, built on the first request (never at import)."""
    global _deps
    if _deps is None:
        _deps = build_links(LinksSettings.from_env())
    return _deps


def html(body: str, status: int = 200, headers: dict[str, str] = HEADERS) -> Response[str]:
    return Response(status_code=status, content_type="text/html; charset=utf-8", body=body, headers=headers)


def as_json(data: dict[str, Any], status: int = 200) -> Response[str]:
    return Response(status_code=status, content_type="application/json", body=json.dumps(data), headers=HEADERS)


def refused(exc: TokenRefused) -> Response[str]:
    metrics.add_metric(name="LinksRefused", unit=MetricUnit.Count, value=1)
    status = {"REPLAYED": 409, "MALFORMED": 400}.get(exc.reason, 403)
    return html(message_page("Link not accepted", REFUSALS.get(exc.reason, "This link is not valid.")), status)


def _query(name: str) -> str:
    return (app.current_event.query_string_parameters or {}).get(name, "")


def _form() -> dict[str, str]:
    """The POSTed form's fields (the first value of each); MalformedRequest for a body that is not a UTF-8 form of at
    most MAX_FORM_FIELDS fields."""
    try:
        body = app.current_event.decoded_body or ""
        fields = parse_qs(body, max_num_fields=MAX_FORM_FIELDS, errors="strict")
    except ValueError as exc:  # UnicodeDecodeError and a bad base64 body are ValueErrors too
        raise MalformedRequest(f"not a form: {type(exc).__name__}") from None
    return {k: v[0] for k, v in fields.items()}


def malformed(exc: MalformedRequest) -> Response[str]:
    logger.warning("malformed request", extra={"reason": str(exc)})
    metrics.add_metric(name="LinksRefused", unit=MetricUnit.Count, value=1)
    return html(message_page("Bad request", "This is not a request the link pages send."), 400)


@app.get("/label")
def confirm() -> Response[str]:
    video_id, token = _query("v"), _query("t")
    try:
        claims = check_label_link(video_id, token, keys=deps().keys, now=datetime.now(UTC))
    except TokenRefused as exc:
        return refused(exc)
    return html(confirm_page(deps().records.get(video_id), claims, token))


@app.post("/label")
def label() -> Response[str]:
    try:
        form = _form()
    except MalformedRequest as exc:
        return malformed(exc)
    video_id, token = form.get("v", ""), form.get("t", "")
    try:
        result = label_by_link(video_id, token, deps(), now=datetime.now(UTC))
    except TokenRefused as exc:
        return refused(exc)
    except VideoNotFound:
        return html(message_page("Clip not found", "The clip no longer exists."), 404)
    except NotLabellable:
        return html(message_page("Not yet", "The clip is still being processed; try again in a minute."), 409)
    if result.changed:
        name = "FalsePositiveLabels" if result.label == Label.FALSE_POSITIVE else "TruePositiveLabels"
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)
    return html(result_page(result, _back(form)))


def _back(form: dict[str, str]) -> str | None:
    """The review page a button was tapped on (its anchor: the event), if the form says which."""
    if not (form.get("c") and form.get("r")):
        return None
    try:
        filters = {k: v[0] for k, v in parse_qs(form.get("q", ""), max_num_fields=len(FILTER_NAMES)).items()
                   if k in FILTER_NAMES}
    except ValueError:  # more fields than a filter has: not from the page
        filters = {}
    return f"{REVIEW_PATH}?{urlencode({'c': form['c'], 't': form['r']} | filters)}#{form.get('v', '')}"


@app.post("/undo")
def undo() -> Response[str]:
    form = _form()
    try:
        cleared = undo_by_link(form.get("v", ""), form.get("t", ""), deps(), now=datetime.now(UTC))
    except TokenRefused as exc:
        return refused(exc)
    except VideoNotFound:
        return html(message_page("Clip not found", "The clip no longer exists."), 404)
    if cleared.previous_label is not None:
        metrics.add_metric(name="LabelsUndone", unit=MetricUnit.Count, value=1)
    return html(cleared_page(cleared, _back(form)))


def _review_query() -> ReviewQuery | None:
    """The filters of the query string; None when one is not a value the form offers."""
    decision, label, day, page = _query("d"), _query("l"), _query("day"), _query("p")
    try:
        return ReviewQuery(camera=_query("cam") or None, decision=Decision(decision) if decision else None,
                           label=label if label in (*(x.value for x in Label), UNLABELLED) else None,
                           day=date.fromisoformat(day) if day else None,
                           page=min(max(int(page) - 1, 0), 1000) if page else 0)
    except ValueError:
        return None


@app.get("/review")
def review() -> Response[str]:
    camera_id, token = _query("c"), _query("t")
    now = datetime.now(UTC)
    try:
        query = _review_query()
        if query is None:
            return html(message_page("Not a filter", "A filter of this page has a value it does not offer."), 400)
        page = review_page(camera_id, token, deps(), now=now, query=query)
    except TokenRefused as exc:
        return refused(exc)
    except VideoNotFound:
        return html(message_page("Camera not found", "No such camera."), 404)
    return html(review_html(page, now), headers=REVIEW_HEADERS)


@app.get("/event")
def event() -> Response[str]:
    video_id, scope, token = _query("v"), _query("c"), _query("t")
    try:
        item = event_page(video_id, scope, token, deps(), now=datetime.now(UTC))
    except TokenRefused as exc:
        return refused(exc)
    except VideoNotFound:
        return html(message_page("Event not found", "No such event here."), 404)
    return html(event_html(item, scope, token))


@app.get("/manifest.webmanifest")
def web_manifest() -> Response[str]:
    return Response(status_code=200, content_type="application/manifest+json",
                    body=manifest(_query("c") or "*", _query("t")), headers=HEADERS)


@app.get("/sw.js")
@app.get("/push.js")
@app.get("/icon.svg")
def static_asset() -> Response[str]:
    text, content_type = asset(app.current_event.path)
    # The service worker's own CSP governs what it may fetch: its origin only.
    return Response(status_code=200, content_type=content_type, body=text,
                    headers=HEADERS | {"Cache-Control": "no-cache", "Content-Security-Policy": "default-src 'self'"})


@app.get("/push/key")
def push_key() -> Response[str]:
    try:
        return as_json({"public_key": push_public_key(deps())})
    except PushUnavailable as exc:
        return as_json({"message": str(exc)}, 404)


def _push_request() -> tuple[str, str, object]:
    """The JSON body of a subscribe/unsubscribe: the review link (c, t) and the browser's subscription."""
    try:
        data = json.loads(app.current_event.decoded_body or "")
    except ValueError:
        raise MalformedRequest("not JSON") from None
    if not isinstance(data, dict):
        raise MalformedRequest("not a JSON object")
    return str(data.get("c") or ""), str(data.get("t") or ""), data.get("subscription")


def _push_change(subscribe: bool) -> Response[str]:
    try:
        scope, token, subscription = _push_request()
        if subscribe:
            subscribe_push(scope, token, subscription, deps(), now=datetime.now(UTC))
        else:
            unsubscribe_push(scope, token, subscription, deps(), now=datetime.now(UTC))
    except MalformedRequest as exc:
        logger.warning("malformed request", extra={"reason": str(exc)})
        return as_json({"message": "not a request this page sends"}, 400)
    except TokenRefused as exc:
        metrics.add_metric(name="LinksRefused", unit=MetricUnit.Count, value=1)
        return as_json({"message": REFUSALS.get(exc.reason, "This link is not valid.")},
                       {"REPLAYED": 409, "MALFORMED": 400}.get(exc.reason, 403))
    except BadSubscription as exc:
        return as_json({"message": f"not a push subscription: {exc}"}, 400)
    except PushUnavailable as exc:
        return as_json({"message": str(exc)}, 404)
    what = "every camera" if scope == "*" else f"camera {scope}"
    if subscribe:
        metrics.add_metric(name="PushSubscriptions", unit=MetricUnit.Count, value=1)
        return as_json({"message": f"This browser is notified of each alert on {what}."})
    return as_json({"message": f"This browser is no longer notified of alerts on {what}."})


@app.post("/push/subscribe")
def push_subscribe() -> Response[str]:
    return _push_change(True)


@app.post("/push/unsubscribe")
def push_unsubscribe() -> Response[str]:
    return _push_change(False)


@metrics.log_metrics
@logger.inject_lambda_context(log_event=False)  # the event holds the token: never logged
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
