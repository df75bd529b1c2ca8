"""Fixtures for the inference tests: small clips made with PyAV, a tiny ONNX model, S3 on moto."""
from __future__ import annotations

import io
from fractions import Fraction
from pathlib import Path
from typing import Callable, Sequence

import av
import boto3
import numpy as np
import pytest
from moto import mock_aws

from tests.fixtures.onnx_models import write_tiny_model
from videoalert_inference import handler as inference_handler
from videoalert_inference.model import load_classifier

CLIPS_DIR = Path("/work/shared/data/clips")
REPO_MODELS = Path(__file__).resolve().parents[2] / "models"
RED, BLUE = (255, 0, 0), (0, 0, 255)


def encode_clip(
    frame_times: Sequence[float],
    colour_at: Callable[[float], tuple[int, int, int]] = lambda t: BLUE,
    *,
    size: tuple[int, int] = (64, 48),
    container_format: str = "mp4",
    codec: str = "libx264",
    gop: int | None = None,
    b_frames: int | None = None,
    noise: bool = True,
) -> bytes:
    """An H.264 clip whose frames are shown at `frame_times` (seconds, so variable frame rates are possible)."""
    rng = np.random.default_rng(0)
    out = io.BytesIO()
    with av.open(out, mode="w", format=container_format) as container:
        stream = container.add_stream(codec, rate=30)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.codec_context.time_base = Fraction(1, 1000)
        options = {}
        if gop is not None:
            stream.codec_context.gop_size = gop
            options["keyint_min"] = str(gop)
            options["sc_threshold"] = "0"
        if b_frames is not None:
            stream.codec_context.max_b_frames = b_frames
        stream.codec_context.options = options
        for t in frame_times:
            image = np.empty((size[1], size[0], 3), np.uint8)
            image[:] = colour_at(t)
            if noise:  # keeps every frame's residual non-empty, like sensor noise
                image = np.clip(image.astype(np.int16) + rng.integers(-6, 7, image.shape), 0, 255).astype(np.uint8)
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = round(t * 1000)
            frame.time_base = Fraction(1, 1000)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return out.getvalue()


def cfr_times(seconds: float, fps: float) -> list[float]:
    return [i / fps for i in range(round(seconds * fps))]


def audio_only(container_format: str) -> bytes:
    """One second of a 440 Hz tone, no video track."""
    out = io.BytesIO()
    with av.open(out, mode="w", format=container_format) as container:
        codec = "aac" if container_format in ("mp4", "ipod") else "pcm_s16le"
        stream = container.add_stream(codec, rate=16000)
        stream.layout = "mono"
        samples = (np.sin(np.arange(16000) * 2 * np.pi * 440 / 16000) * 8000).astype(np.int16)
        sample_format = "fltp" if codec == "aac" else "s16"
        data = samples.astype(np.float32)[None, :] / 32768 if codec == "aac" else samples[None, :]
        for start in range(0, 16000, 1024):
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(data[:, start:start + 1024]),
                                               format=sample_format, layout="mono")
            frame.sample_rate = 16000
            frame.pts = start
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return out.getvalue()


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory) -> Path:
    """A model whose score is ~1 on red frames and ~0 on blue ones."""
    return write_tiny_model(tmp_path_factory.mktemp("tiny_model"), redness=True, input_size=32)


@pytest.fixture(scope="session")
def tiny_classifier(tiny_model_dir):
    return load_classifier(tiny_model_dir)


@pytest.fixture(scope="session")
def real_clip() -> Callable[[str], bytes]:
    def read(name: str) -> bytes:
        path = CLIPS_DIR / name
        if not path.exists():
            pytest.skip(f"shared clip {path} is not on this machine")
        return path.read_bytes()
    return read


@pytest.fixture
def aws_credentials(monkeypatch):
    """Dummy credentials so nothing can reach a real account."""
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_SESSION_TOKEN": "testing", "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def s3(aws_credentials):
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket="clips")
        yield client


@pytest.fixture
def inference_env(s3, tiny_model_dir, monkeypatch):
    """The handler configured as in the image, but with the tiny model; its per-container cache reset."""
    monkeypatch.setenv("MODEL_DIR", str(tiny_model_dir))
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "videoalert")
    inference_handler.reset_runtime()
    yield s3
    inference_handler.reset_runtime()
