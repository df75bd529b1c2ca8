"""app.py: context parsing and the real synth path the CDK CLI takes, with several cameras."""
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
])
def test_bad_context_is_refused_with_a_message_naming_the_key(context, message):
    with pytest.raises(ConfigError, match=message):
        _config(**context)


@pytest.mark.slow  # a second full synth in a fresh process (jsii start-up included)
def test_app_py_synthesises_a_stream_per_camera_from_cli_context(tmp_path):
    # Given the context the CDK CLI hands to `python app.py` (cdk.json + -c cameras=...)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}  # synth must need no credentials
    env.update(CDK_OUTDIR=str(tmp_path), JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20",
               CDK_CONTEXT_JSON=json.dumps({"cameras": "lobby,garage,drive", "stage": "ci"}))
    # When app.py runs as the CLI runs it
    result = subprocess.run([sys.executable, "app.py"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    # Then the stack is named for the stage and has one stream per camera, and nag passed
    template = json.loads((tmp_path / "videoalert-ci.template.json").read_text())
    streams = sorted(r["Properties"]["Name"] for r in template["Resources"].values()
                     if r["Type"] == "AWS::KinesisVideo::Stream")
    assert streams == ["videoalert-drive", "videoalert-garage", "videoalert-lobby"]
    offline = [r for r in template["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm"
               and r["Properties"].get("MetricName") == "ClipsReceivedByCamera"]
    assert len(offline) == 3
