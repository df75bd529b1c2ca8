"""Inference Lambda handler: a clip in S3 -> per-frame person scores (payload contract in docs/interfaces.md)."""
from __future__ import annotations

import os
import ssl
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import av
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from videoalert_contract.inference import (
    BestFrame,
    FrameScore,
    InferenceRequest,
    Region,
    RejectedClip,
    ScoredClip,
    TopEmbedding,
)

from .best_frame import best_entry, best_frame_jpeg
from .budget import WorkBudget
from .detector import PersonDetector, load_detector
from .errors import BadInputError
from .model import PersonClassifier, load_classifier
from .scoring import ClipScores, score_clip
from .scoring import FrameScore as ScoredFrame
from .scoring import TopEmbedding as ScoredEmbedding
from .settings import InferenceSettings
from .url_source import UrlUnavailable, fetch_clip_parts_by_url, https_context

logger = Logger(service="videoalert-inference")
metrics = Metrics(namespace="videoalert", service="inference")
# No Powertools Tracer here: the X-Ray SDK it loads builds its own botocore session and client at import, about
# 0.25 s of every cold start (bench/README.md). The function keeps active tracing, so X-Ray still shows its
# initialization and invocation, linked to the dispatcher's traced Invoke call; the stage timings (download,
# decode, inference) are in each response, the "video scored" log line and the metrics.


@dataclass(frozen=True)
class Runtime:
    """What one container keeps between invocations: settings, the loaded models (the ResNet classifier and the person
    detector that proposes its crops), the HTTPS context; S3 on demand."""

    settings: InferenceSettings
    classifier: PersonClassifier
    detector: PersonDetector
    https: ssl.SSLContext

    @cached_property
    def s3(self) -> Any:
        """The S3 client, built at the first request that needs it: one without URLs, or whose URLs failed.

        boto3's import and the client are about 0.3 s of Python (bench/README.md); the dispatcher's requests
        carry presigned URLs, so a container that only serves them never pays it.
        """
        import boto3  # the Lambda base image provides it

        return boto3.client("s3")


_runtime: Runtime | None = None


def get_runtime() -> Runtime:
    """Settings, models and HTTPS context, built once per container and reused by every invocation.

    In Lambda they are built while this module is imported (the init phase, at the end of the module);
    elsewhere on the first call, so tests and tools import the module cheaply.
    """
    global _runtime
    if _runtime is None:
        with ThreadPoolExecutor(1, thread_name_prefix="videoalert-init") as pool:
            https = pool.submit(https_context)  # OpenSSL reads the CA bundle without the GIL while the model loads
            settings = InferenceSettings.from_env()
            classifier = load_classifier(settings.model_dir, settings.model_file,
                                         intra_op_threads=settings.ort_threads, encoding=settings.model_encoding)
            detector = load_detector(settings.model_dir, intra_op_threads=settings.ort_threads)
            if classifier.region_score is not None:
                classifier.region_score.check_detector(detector.version)
            logger.info("model loaded", extra={"model_version": classifier.version,
                                               "model_encoding": classifier.encoding,
                                               "detector_version": detector.version,
                                               "model_dir": str(settings.model_dir)})
            _runtime = Runtime(settings, classifier, detector, https.result())
    return _runtime


def fetch_parts(runtime: Runtime, request: InferenceRequest) -> list[bytes]:
    """The clip's bytes: through the request's URLs if it has them, else (or if they fail) from bucket and key."""
    return _fetch(runtime, request.bucket, request.keys, request.urls)


def _fetch(runtime: Runtime, bucket: str, keys: tuple[str, ...], urls: tuple[str, ...]) -> list[bytes]:
    max_bytes = runtime.settings.max_video_bytes
    if urls:
        try:
            runtime.settings.urls.check(urls, bucket, keys)
            return fetch_clip_parts_by_url(urls, max_bytes, runtime.https)
        except UrlUnavailable as exc:
            logger.warning("clip URLs unusable, reading the clip from S3", extra={"reason": str(exc)})
            metrics.add_metric(name="UrlFallbacks", unit=MetricUnit.Count, value=1)
    from .s3_source import fetch_clip_parts  # botocore: imported only on this path

    return fetch_clip_parts(runtime.s3, bucket, keys, max_bytes)


def reset_runtime() -> None:
    """Forget the cached runtime (tests change the environment between cases)."""
    global _runtime
    _runtime = None


@metrics.log_metrics
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    logger.append_keys(request_id=getattr(context, "aws_request_id", None))
    video_id = event.get("video_id", "") if isinstance(event, dict) else ""
    logger.append_keys(video_id=video_id)
    runtime = get_runtime()
    started = time.perf_counter()
    budget = WorkBudget(runtime.settings.limits)  # one for the request: every pass over its file is charged to it
    try:
        request = InferenceRequest.from_payload(event)
        parts = fetch_parts(runtime, request)
        downloaded = time.perf_counter()
        scores = score_clip(parts, runtime.classifier, runtime.settings.scoring_request(request),
                            detector=runtime.detector, budget=budget)
    except BadInputError as exc:
        logger.warning("video not scored", extra={"code": exc.code, "reason": exc.message})
        metrics.add_metric(name="BadInput", unit=MetricUnit.Count, value=1)
        return RejectedClip(video_id, exc.code, exc.message).to_payload()
    download_ms = (downloaded - started) * 1000
    best = best_frame(request, parts, scores, budget, runtime) if request.best_frame else None
    response = to_response(request.video_id, runtime.classifier, scores, download_ms, best)
    _record(scores, response)
    return response


def best_frame(request: InferenceRequest, parts: list[bytes], scores: ClipScores, budget: WorkBudget,
               runtime: Runtime | None = None) -> BestFrame | None:
    """The best counting entry's frame as a JPEG, decoded within what is left of the request's budget; a frame that no
    longer decodes, or that the budget cannot pay for, costs the alert its picture, never its scores. With a picture
    source (the camera's main stream; the scored clip is its sub-stream) an entry at its min_score or above is cut
    from the main stream's clip at the same moment, its box as it is (fractions of the frame)."""
    entry = best_entry(scores.frames, request.zones, request.masks)
    if entry is None:
        return None
    started = time.perf_counter()
    picture, source, jpeg = request.picture, "scored clip", None
    try:
        if picture is not None and runtime is not None and entry.score >= picture.min_score:
            try:
                main = _fetch(runtime, request.bucket, picture.keys, picture.urls)
                shifted = ScoredFrame(entry.t + picture.offset_s, entry.score, entry.region, entry.box)
                jpeg, source = best_frame_jpeg(main, shifted, budget), "main stream"
            except (BadInputError, av.FFmpegError, ValueError) as exc:  # the scored clip's own frame, then
                logger.warning("best frame not cut from the main stream", extra={"reason": str(exc)[:200]})
        if jpeg is None:
            jpeg, source = best_frame_jpeg(parts, entry, budget), "scored clip"
    except (BadInputError, av.FFmpegError, ValueError) as exc:
        logger.warning("best frame not made", extra={"reason": str(exc)[:200]})
        return None
    logger.info("best frame made", extra={"t": entry.t, "region": entry.region, "bytes": len(jpeg or b""),
                                          "source": source, "ms": round((time.perf_counter() - started) * 1000, 1)})
    return None if jpeg is None else BestFrame(_frame_score(entry), jpeg)


def to_response(video_id: str, classifier: PersonClassifier, scores: ClipScores, download_ms: float,
                best: BestFrame | None = None) -> dict[str, Any]:
    timings = {"download": round(download_ms, 1), **scores.timings_ms}
    timings["total"] = round(download_ms + scores.timings_ms["total"], 1)
    return ScoredClip(
        video_id=video_id, model_version=classifier.version, threshold=classifier.threshold,
        frames=tuple(_frame_score(f) for f in scores.frames),
        top_embeddings=tuple(TopEmbedding(_frame_score(e), tuple(e.embedding), e.detector_score)
                             for e in scores.top_embeddings),
        video=scores.video.to_dict(), timings_ms=timings, best_frame=best,
    ).to_payload()


def _frame_score(entry: ScoredFrame | ScoredEmbedding) -> FrameScore:
    """Motion regions carry their box; full-frame entries stay as they always were."""
    return FrameScore(t=entry.t, score=round(entry.score, 6), region=entry.region,
                      box=None if entry.box is None else tuple(entry.box))


def _record(scores: ClipScores, response: dict[str, Any]) -> None:
    timings = response["timings_ms"]
    metrics.add_metric(name="Frames", unit=MetricUnit.Count, value=scores.frames_sampled)
    metrics.add_metric(name="MotionRegions", unit=MetricUnit.Count,
                       value=sum(1 for f in scores.frames if f.box is not None and f.region != Region.PERSON))
    metrics.add_metric(name="PersonProposals", unit=MetricUnit.Count,
                       value=sum(1 for f in scores.frames if f.region == Region.PERSON and f.box is not None))
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
