"""Score a clip: sample frames, classify them in batches, keep the embeddings of the top-scoring frames."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Sequence, Union

import numpy as np

from .errors import CORRUPT_VIDEO, NO_FRAMES, BadInputError
from .frames import DecodeStats, FrameSampler, SampledFrame, VideoInfo, VideoSource
from .model import PersonClassifier
from .preprocess import to_model_input

DEFAULT_BATCH_SIZE = 16


@dataclass(frozen=True)
class FrameScore:
    t: float
    score: float


@dataclass(frozen=True)
class TopEmbedding:
    t: float
    score: float
    embedding: list[float]


@dataclass
class ClipScores:
    """Per-frame person scores of one clip, the embeddings of its top frames, and where the time went."""

    frames: list[FrameScore]
    top_embeddings: list[TopEmbedding]
    video: VideoInfo
    timings_ms: dict[str, float]
    stats: DecodeStats = field(default_factory=DecodeStats)

    @property
    def max_score(self) -> float:
        return max(f.score for f in self.frames)


def score_clip(
    video: Union[VideoSource, Sequence[VideoSource]],
    classifier: PersonClassifier,
    sample_fps: float = 1.0,
    max_frames: int = 120,
    *,
    top_k_embeddings: int = 3,
    batch_size: int = DEFAULT_BATCH_SIZE,
    decoder_threads: int = 1,
) -> ClipScores:
    """Score one clip given as bytes, a path, or a list of consecutive parts (timestamps continue across parts).

    Raises BadInputError (with the contract's code) for a video that cannot be scored.
    """
    started = time.perf_counter()
    parts = list(video) if isinstance(video, (list, tuple)) else [video]
    sampler = FrameSampler(sample_fps, max_frames, resize_to=classifier.spec.input_size,
                           decoder_threads=decoder_threads)
    times: list[float] = []
    scores: list[np.ndarray] = []
    embeddings: list[np.ndarray] = []
    preprocess_s = inference_s = 0.0

    def flush(batch: list[SampledFrame]) -> None:
        nonlocal preprocess_s, inference_s
        t0 = time.perf_counter()
        model_input = to_model_input([f.image for f in batch], classifier.spec)
        t1 = time.perf_counter()
        prediction = classifier.predict_batch(model_input)
        inference_s += time.perf_counter() - t1
        preprocess_s += t1 - t0
        times.extend(f.t for f in batch)
        scores.append(prediction.scores)
        embeddings.append(prediction.embeddings)

    batch: list[SampledFrame] = []
    for part in parts:
        for frame in sampler.sample(part):
            batch.append(frame)
            if len(batch) == batch_size:
                flush(batch)
                batch = []
        if sampler.done:
            break
    if batch:
        flush(batch)

    if not times:
        if sampler.stats.decode_errors:
            raise BadInputError(CORRUPT_VIDEO, "no frame of the video could be decoded")
        raise BadInputError(NO_FRAMES, "the video track holds no frames to sample")

    all_scores = np.concatenate(scores)
    all_embeddings = np.concatenate(embeddings)
    top = np.argsort(-all_scores, kind="stable")[: max(0, top_k_embeddings)]
    total_s = time.perf_counter() - started
    return ClipScores(
        frames=[FrameScore(t, float(s)) for t, s in zip(times, all_scores)],
        top_embeddings=[TopEmbedding(times[i], float(all_scores[i]), all_embeddings[i].astype(float).tolist())
                        for i in top],
        video=sampler.video_info(),
        timings_ms={
            "decode": round(sampler.stats.decode_s * 1000, 1),
            "preprocess": round((sampler.stats.resize_s + preprocess_s) * 1000, 1),
            "inference": round(inference_s * 1000, 1),
            "total": round(total_s * 1000, 1),
        },
        stats=sampler.stats,
    )
