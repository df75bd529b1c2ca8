"""Inference Lambda handler: a clip in S3 -> per-frame person scores (payload contract in docs/interfaces.md)."""
from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from .errors import BadInputError
from .model import PersonClassifier, load_classifier
from .request import InferenceRequest
from .s3_source import fetch_clip_parts
from .scoring import ClipScores, score_clip
from .settings import InferenceSettings

logger = Logger(service="videoalert-inference")
metrics = Metrics(namespace="videoalert", service="inference")
# No Powertools Tracer here: the X-Ray SDK it loads builds its own botocore session and client at import, about
# 0.25 s of every cold start (bench/README.md). The function keeps active tracing, so X-Ray still shows its
# initialization and invocation, linked to the dispatcher's traced Invoke call; the stage timings (download,
# decode, inference) are in each response, the "video scored" log line and the metrics.


@dataclass(frozen=True)
class Runtime:
    """What one container keeps between invocations: settings, the loaded model, the S3 client."""

    settings: InferenceSettings
    classifier: PersonClassifier
    s3: Any


_runtime: Runtime | None = None


def get_runtime() -> Runtime:
    """Settings, model and S3 client, built once per container and reused by every invocation.

    In Lambda they are built while this module is imported (the init phase, at the end of the module);
    elsewhere on the first call, so tests and tools import the module cheaply.

    boto3's import and the S3 client (about 0.3 s, Python) are built on a second thread while the model loads:
    0.05 s less cold start, paired over 9 fresh processes (bench/README.md).
    """
    global _runtime
    if _runtime is None:
        with ThreadPoolExecutor(1, thread_name_prefix="videoalert-init") as pool:
            s3 = pool.submit(_s3_client)
            settings = InferenceSettings.from_env()
            classifier = load_classifier(settings.model_dir, settings.model_file,
                                         intra_op_threads=settings.ort_threads, encoding=settings.model_encoding)
            logger.info("model loaded", extra={"model_version": classifier.version,
                                               "model_encoding": classifier.encoding,
                                               "model_dir": str(settings.model_dir)})
            _runtime = Runtime(settings, classifier, s3.result())
    return _runtime


def _s3_client():
    import boto3  # the Lambda base image provides it; imported here so tests and tools import us cheaply

    return boto3.client("s3")


def reset_runtime() -> None:
    """Forget the cached runtime (tests change the environment between cases)."""
    global _runtime
    _runtime = None


@metrics.log_metrics
def handler(event: dict, context: Any) -> dict:
    logger.append_keys(request_id=getattr(context, "aws_request_id", None))
    video_id = event.get("video_id", "") if isinstance(event, dict) else ""
    logger.append_keys(video_id=video_id)
    runtime = get_runtime()
    started = time.perf_counter()
    try:
        request = InferenceRequest.from_event(event)
        parts = fetch_clip_parts(runtime.s3, request.bucket, request.keys, runtime.settings.max_video_bytes)
        downloaded = time.perf_counter()
        scores = score_clip(parts, runtime.classifier, request.sample_fps, request.max_frames,
                            regions=request.regions, top_k_embeddings=request.top_k_embeddings,
                            **runtime.settings.scoring_options())
    except BadInputError as exc:
        logger.warning("video not scored", extra={"code": exc.code, "reason": exc.message})
        metrics.add_metric(name="BadInput", unit=MetricUnit.Count, value=1)
        return {"ok": False, "video_id": video_id, "error": {"code": exc.code, "message": exc.message}}
    download_ms = (downloaded - started) * 1000
    response = to_response(request.video_id, runtime.classifier, scores, download_ms)
    _record(scores, response)
    return response


def to_response(video_id: str, classifier: PersonClassifier, scores: ClipScores, download_ms: float) -> dict:
    timings = {"download": round(download_ms, 1), **scores.timings_ms}
    timings["total"] = round(download_ms + scores.timings_ms["total"], 1)
    return {
        "ok": True,
        "video_id": video_id,
        "model_version": classifier.version,
        "threshold": classifier.threshold,
        "frames": [_with_box({"t": f.t, "score": round(f.score, 6), "region": f.region}, f.box)
                   for f in scores.frames],
        "top_embeddings": [_with_box({"t": e.t, "score": round(e.score, 6), "region": e.region}, e.box)
                           | {"embedding": e.embedding} for e in scores.top_embeddings],
        "video": scores.video.to_dict(),
        "timings_ms": timings,
    }


def _with_box(entry: dict, box: list[float] | None) -> dict:
    """Motion regions carry their box; full-frame entries stay as they always were."""
    return entry if box is None else {**entry, "box": box}


def _record(scores: ClipScores, response: dict) -> None:
    timings = response["timings_ms"]
    metrics.add_metric(name="Frames", unit=MetricUnit.Count, value=scores.frames_sampled)
    metrics.add_metric(name="MotionRegions", unit=MetricUnit.Count,
                       value=sum(1 for f in scores.frames if f.box is not None))
    metrics.add_metric(name="DecodeMs", unit=MetricUnit.Milliseconds, value=timings["decode"])
    metrics.add_metric(name="InferenceMs", unit=MetricUnit.Milliseconds, value=timings["inference"])
    if scores.stats.decode_errors or scores.stats.truncated:
        # Partly unreadable (an upload cut short, damaged packets): what could be decoded was scored, and
        # the damage is made visible here rather than failing a clip that may well show a person.
        metrics.add_metric(name="DamagedVideos", unit=MetricUnit.Count, value=1)
        logger.warning("video partly unreadable", extra={"truncated": scores.stats.truncated,
                                                         "decode_errors": scores.stats.decode_errors})
    logger.info("video scored", extra={
        "frames": scores.frames_sampled, "entries": len(scores.frames), "max_score": round(scores.max_score, 4),
        "timings_ms": timings,
        "packets": scores.stats.packets, "packets_sent": scores.stats.packets_sent,
        "frames_decoded": scores.stats.frames_decoded, "decode_errors": scores.stats.decode_errors,
    })


if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
    # Load in Lambda's init phase: where Lambda initialises an environment before a request needs it
    # (provisioned concurrency, proactive initialisation) the first request finds the model loaded; otherwise
    # it is the same work, done a moment earlier. A broken image fails its init, which Lambda reports.
    get_runtime()
