"""The real Lambda handlers called in process, as the Lambda service would call them (local parity)."""
from __future__ import annotations

import json
import logging
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# Events the dispatcher raised on (what Lambda would send to the dispatcher's failure queue after its retries).
DEAD_LETTERS = Path(".local-run/dead-letters.jsonl")


class LocalContext:
    """What the Lambda runtime passes to a handler, for in-process calls."""

    function_name = "videoalert-dispatcher-local"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:videoalert-dispatcher-local"
    aws_request_id = "local"

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 300_000


def _lambdas_on_path() -> None:
    """lambdas/ is the zip's root, where Lambda finds the handler modules."""
    if str(ROOT / "lambdas") not in sys.path:
        sys.path.insert(0, str(ROOT / "lambdas"))


def import_handlers() -> tuple[Any, Any]:
    """(the dispatcher handler module, the inference handler module)."""
    _lambdas_on_path()
    import dispatcher

    from videoalert_inference import handler as inference

    return dispatcher, inference


def links_handler() -> Any:
    """The public links function's handler module (one-tap feedback, the review page)."""
    _lambdas_on_path()
    import feedback_links

    return feedback_links


def handler_logs_to_stderr() -> None:
    """The handlers' log lines go to stderr here: Powertools writes them to stdout, where Lambda collects them, but
    the local run's stdout is its own output (the table, or one JSON document with --json)."""
    loggers = [logging.getLogger(), *(found for found in logging.Logger.manager.loggerDict.values()
                                      if isinstance(found, logging.Logger))]
    for logger in loggers:
        for handler in logger.handlers:
            if type(handler) is logging.StreamHandler and handler.stream in (sys.stdout, sys.__stdout__):
                handler.setStream(sys.stderr)


def call_handler(module: Any, event: Any) -> dict[str, Any]:
    """A handler module's Lambda handler called in process. Its metrics are disabled here (POWERTOOLS_METRICS_DISABLED),
    and Powertools then keeps them rather than flushing them, and prints them to stdout (the local run's own output)
    once a metric has 100 values: they are cleared around each call instead. Metrics are shared by every Metrics
    object, so this clears the inference handler's too."""
    metrics = getattr(module, "metrics", None)  # a stand-in handler (tests) may have none
    if metrics is not None:
        metrics.clear_metrics()
    try:
        answer: dict[str, Any] = module.handler(event, LocalContext())
        return answer
    finally:
        if metrics is not None:
            metrics.clear_metrics()


def handle(dispatcher: Any, event: Any) -> dict[str, Any]:
    """One event to the dispatcher; its answer. An event it raises on is set aside whole, with its error, in
    DEAD_LETTERS (as Lambda's failure queue would keep it) and the loop goes on (answer {}): one bad event never
    stops the run or loses its state. Replaying the file's events is safe: the dispatcher is idempotent."""
    try:
        return call_handler(dispatcher, event)
    except Exception as exc:  # noqa: BLE001 - any failure: set the event aside, as Lambda's failure queue would
        DEAD_LETTERS.parent.mkdir(parents=True, exist_ok=True)
        with DEAD_LETTERS.open("a") as f:
            f.write(json.dumps({"error": f"{type(exc).__name__}: {exc}", "event": event}) + "\n")
        print(f"the dispatcher failed on an event ({type(exc).__name__}: {exc}); it is kept in {DEAD_LETTERS}",
              file=sys.stderr)
        return {}
