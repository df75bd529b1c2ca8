"""Fixtures for the inference tests: small clips made with PyAV, a tiny ONNX model, S3 on moto."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from fixtures.media import CLIPS_DIR
from tests.fixtures.onnx_models import write_tiny_model
from videoalert_inference import handler as inference_handler
from videoalert_inference.model import load_classifier


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
            pytest.fail(f"shared clip {path} not found: put ../shared beside the clone (see README)")
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
