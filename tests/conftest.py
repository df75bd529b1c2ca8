"""Shared fixtures: dummy AWS credentials for every test, the moto-backed resources, the sample clips."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

# The false-alert loop's fixtures (loop, colour_model_dir) for the handler tests that run it.
pytest_plugins = ["handlers.loop_support"]

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("VIDEOALERT_SHARED_DATA", ROOT.parent / "shared" / "data"))
CLIPS_DIR = SHARED_DATA / "clips"
IMAGES_DIR = SHARED_DATA / "horse-or-human"


@pytest.fixture(autouse=True)
def dummy_aws_credentials(monkeypatch):
    """No test may reach real AWS: credentials are fake and the region fixed."""
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_SECURITY_TOKEN": "testing", "AWS_SESSION_TOKEN": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1", "POWERTOOLS_TRACE_DISABLED": "true",
                       "POWERTOOLS_METRICS_NAMESPACE": "videoalert", "POWERTOOLS_SERVICE_NAME": "videoalert-test"
                       }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def clips_dir() -> Path:
    if not CLIPS_DIR.is_dir():
        pytest.fail(f"sample clips not found at {CLIPS_DIR}: clone the project with ../shared beside it")
    return CLIPS_DIR


@pytest.fixture
def images_dir() -> Path:
    if not IMAGES_DIR.is_dir():
        pytest.fail(f"horse-or-human images not found at {IMAGES_DIR}")
    return IMAGES_DIR


@pytest.fixture
def aws():
    """moto in-process with the resources the stack defines, created by the local run's own code."""
    from moto import mock_aws

    from videoalert_local.emulator import create_resources, session

    with mock_aws():
        sess = session()
        resources = create_resources(sess, cameras=("cam1", "cam2"))
        yield sess, resources


@pytest.fixture(autouse=True)
def local_emulator_record(tmp_path_factory, monkeypatch):
    """No test reads or writes the user's record of a running `run-local --serve`."""
    path = tmp_path_factory.mktemp("state") / "local-run.json"
    monkeypatch.setenv("VIDEOALERT_LOCAL_STATE", str(path))
    return path
