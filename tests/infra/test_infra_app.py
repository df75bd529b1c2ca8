"""app.py: context parsing and the real synth path the CDK CLI takes, with cameras to seed."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from infra.config import ConfigError, StackConfig

ROOT = Path(__file__).resolve().parents[2]


def _config(**context) -> StackConfig:
    return StackConfig.from_context(context.get)


def test_defaults_are_one_camera_30_days_dev():
    assert _config() == StackConfig(stage="dev", cameras=("cam1",), alert_emails=(), video_retention_days=30)


def test_no_reserved_concurrency_unless_the_context_asks():
    # a new account's concurrency quota (10 or 50) cannot reserve any: the deploy would roll back
    assert _config().reserved_concurrency is False
    assert _config(reserved_concurrency="true").reserved_concurrency is True
    assert _config(reserved_concurrency=True).reserved_concurrency is True


def test_the_inference_base_image_takes_a_digest_pin():
    pinned = "public.ecr.aws/lambda/python:3.11@sha256:" + "0" * 64
    assert _config(inference_base_image=pinned).inference_base_image == pinned
    assert _config().inference_base_image is None


def test_an_empty_cameras_context_seeds_no_camera():
    assert _config(cameras="").cameras == ()
    assert _config(cameras=[]).cameras == ()


def test_cameras_and_emails_accept_a_list_or_a_comma_string():
    assert _config(cameras="a, b,c").cameras == ("a", "b", "c")
    assert _config(cameras=["a", "b"]).cameras == ("a", "b")
    assert _config(alert_emails="x@y.io,z@y.io").alert_emails == ("x@y.io", "z@y.io")
    assert _config(video_retention_days="7").video_retention_days == 7


@pytest.mark.parametrize("context,message", [
    ({"cameras": "ok,not ok"}, "invalid camera"),
    ({"cameras": "-cam"}, "invalid camera"),  # the runtime's rule too: it would reject this camera's uploads
    ({"cameras": "c" * 64}, "invalid camera"),
    ({"cameras": "a,a"}, "twice"),
    ({"alert_emails": "nobody"}, "e-mail"),
    ({"video_retention_days": "soon"}, "whole number"),
    ({"video_retention_days": 0}, "1..3650"),
    ({"stage": "Prod!"}, "stage"),
    ({"cameras": ",".join(f"c{i}" for i in range(51))}, "at most 50 cameras"),  # more: `videoalert camera add`
    ({"reserved_concurrency": "maybe"}, "true or false"),
    ({"stream_retention_hours": 12}, "24..87600"),
    ({"stack_streams": "a,a"}, "twice"),
    ({"inference_base_image": "public.ecr.aws/lambda/python:3.11"}, "digest pin"),  # a tag is not a pin
])
def test_bad_context_is_refused_with_a_message_naming_the_key(context, message):
    with pytest.raises(ConfigError, match=message):
        _config(**context)


@pytest.mark.slow  # a second full synth in a fresh process (jsii start-up included)
def test_app_py_synthesises_from_cli_context_with_the_cameras_only_in_the_seed(tmp_path):
    # Given the context the CDK CLI hands to `python app.py` (cdk.json + -c cameras=...)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}  # synth must need no credentials
    env.update(CDK_OUTDIR=str(tmp_path), JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20",
               CDK_CONTEXT_JSON=json.dumps({"cameras": "lobby,garage,drive", "stage": "ci"}))
    # When app.py runs as the CLI runs it
    result = subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    # Then the stack is named for the stage, nag passed, and the cameras are only the seed's list: no stream, no
    # per-camera alarm (streams are created at run time by the registry)
    template = json.loads((tmp_path / "videoalert-ci.template.json").read_text())
    types = [r["Type"] for r in template["Resources"].values()]
    assert "AWS::KinesisVideo::Stream" not in types
    (seed,) = [r for r in template["Resources"].values() if r["Type"] == "Custom::CameraSeed"]
    assert seed["Properties"]["Cameras"] == ["lobby", "garage", "drive"]
    per_camera = [r for r in template["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm"
                  and "camera_id" in json.dumps(r["Properties"].get("Dimensions", []))]
    assert per_camera == []
