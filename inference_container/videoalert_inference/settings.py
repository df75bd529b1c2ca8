"""Typed settings of the inference function, built once per cold start from the environment."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

ENV_MODEL_DIR = "MODEL_DIR"
ENV_MODEL_FILE = "MODEL_FILE"  # e.g. person_classifier.int8.onnx; default: the card's fp32 file
ENV_MAX_VIDEO_BYTES = "MAX_VIDEO_BYTES"
ENV_ORT_THREADS = "ORT_THREADS"
ENV_DECODER_THREADS = "DECODER_THREADS"

CONTAINER_MODEL_DIR = Path("/opt/model")  # where the Dockerfile copies the released model
REPO_MODEL_DIR = Path(__file__).resolve().parents[2] / "models"
DEFAULT_MAX_VIDEO_BYTES = 200 * 1024 * 1024


def default_model_dir() -> Path:
    """The image's model directory; outside the image, the repository's released model."""
    return CONTAINER_MODEL_DIR if CONTAINER_MODEL_DIR.is_dir() else REPO_MODEL_DIR


@dataclass(frozen=True)
class InferenceSettings:
    model_dir: Path
    model_file: str | None = None
    max_video_bytes: int = DEFAULT_MAX_VIDEO_BYTES
    # One thread each (bench/README.md): a 2 GB function gets about 1.2 vCPU, and a second ONNX Runtime
    # thread on one core was 40% slower; frame threads raised CPU time and peak memory. At >= 3.5 GB
    # (2 full vCPUs) ORT_THREADS=0 (one per core) is worth measuring.
    ort_threads: int = 1
    decoder_threads: int = 1

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "InferenceSettings":
        env = os.environ if env is None else env
        return cls(
            model_dir=Path(env.get(ENV_MODEL_DIR) or default_model_dir()),
            model_file=env.get(ENV_MODEL_FILE) or None,
            max_video_bytes=int(env.get(ENV_MAX_VIDEO_BYTES, str(DEFAULT_MAX_VIDEO_BYTES))),
            ort_threads=int(env.get(ENV_ORT_THREADS, "1")),
            decoder_threads=int(env.get(ENV_DECODER_THREADS, "1")),
        )
