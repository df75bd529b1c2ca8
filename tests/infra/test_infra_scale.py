"""Cameras are data, not stack (issue 31): the template does not grow with cameras, no IAM policy lists a camera's
stream, a deploy with fewer cameras (or none) destroys no stream and no clip, and cfn-lint passes."""
from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

import app as cdk_app
from infra.config import MAX_SEED_CAMERAS

POLICY_TYPES = ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::KMS::Key", "AWS::S3::BucketPolicy",
                "AWS::SNS::TopicPolicy", "AWS::SQS::QueuePolicy")
# Resources holding data a deploy must never take with it.
STATEFUL_TYPES = ("AWS::KinesisVideo::Stream", "AWS::S3::Bucket", "AWS::DynamoDB::Table")


def _synth(tmp_path: Path, **context: Any) -> dict[str, Any]:
    app, stack = cdk_app.build_app({"stage": "scale", **context}, outdir=str(tmp_path))
    return Template.from_json(app.synth().get_stack_by_name(stack.stack_name).template).to_json()


def _policy_sizes(template: dict[str, Any]) -> dict[str, int]:
    """Characters of each policy document (IAM counts a managed policy's and a role's inline policies' size)."""
    sizes = {}
    for lid, resource in template["Resources"].items():
        if resource["Type"] in POLICY_TYPES:
            props = resource["Properties"]
            document = props.get("PolicyDocument") or props.get("KeyPolicy")
            sizes[lid] = len(json.dumps(document, separators=(",", ":")))
    return sizes


@pytest.fixture(scope="module")
def one_and_many(tmp_path_factory) -> tuple[dict[str, Any], dict[str, Any]]:
    one = _synth(tmp_path_factory.mktemp("one"), cameras="cam1")
    many = _synth(tmp_path_factory.mktemp("many"), cameras=",".join(f"cam-{i:05d}" for i in range(MAX_SEED_CAMERAS)))
    return one, many


@pytest.mark.slow  # two more synths
def test_the_template_is_the_same_with_one_camera_and_with_the_most_the_seed_takes(one_and_many):
    one, many = one_and_many
    # Then the same resources, of the same types, under the same logical ids
    assert Counter(r["Type"] for r in one["Resources"].values()) == Counter(
        r["Type"] for r in many["Resources"].values())
    assert set(one["Resources"]) == set(many["Resources"])
    # and every policy has the same size: nothing in IAM, KMS or a queue policy depends on the cameras
    assert _policy_sizes(one) == _policy_sizes(many)
    # and the only difference is the seed's list (registered cameras, 10,000 or 100,000, never enter the template)
    for lid, resource in one["Resources"].items():
        if resource["Type"] != "Custom::CameraSeed":
            assert resource == many["Resources"][lid], lid


@pytest.mark.slow
def test_no_policy_names_a_camera_or_a_camera_stream(one_and_many):
    _, many = one_and_many
    for lid, resource in many["Resources"].items():
        if resource["Type"] in POLICY_TYPES:
            text = json.dumps(resource["Properties"])
            assert "cam-0" not in text and "AWS::KinesisVideo::Stream" not in text, lid
    # and no function's environment carries a camera (Lambda's 4 KB environment would cap the fleet)
    for lid, resource in many["Resources"].items():
        if resource["Type"] == "AWS::Lambda::Function":
            assert "cam-0" not in json.dumps(resource["Properties"].get("Environment", {})), lid


def _destroyed(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Stateful resources of `before` that a deploy of `after` would delete: gone from the template (or of another
    type) without DeletionPolicy Retain."""
    lost = []
    for lid, resource in before["Resources"].items():
        if resource["Type"] not in STATEFUL_TYPES:
            continue
        kept = after["Resources"].get(lid, {}).get("Type") == resource["Type"]
        if not kept and resource.get("DeletionPolicy") != "Retain":
            lost.append(lid)
    return lost


@pytest.mark.slow  # three more synths
def test_a_deploy_with_fewer_or_no_cameras_destroys_no_stream_and_no_clip(tmp_path_factory):
    # Given a stack upgraded from before the registry, its two stack-made streams kept (stack_streams) and seeded
    upgraded = _synth(tmp_path_factory.mktemp("a"), cameras="front,back-yard", stack_streams="front,back-yard")
    streams = {lid: r for lid, r in upgraded["Resources"].items() if r["Type"] == "AWS::KinesisVideo::Stream"}
    assert len(streams) == 2
    # When it is deployed again with fewer cameras, and with none at all
    fewer = _synth(tmp_path_factory.mktemp("b"), cameras="front")
    none = _synth(tmp_path_factory.mktemp("c"), cameras="")
    # Then no stream, bucket (clips) or table would be deleted: the dropped streams are retained, the rest stay
    for after in (fewer, none):
        assert _destroyed(upgraded, after) == []
    assert all(s["DeletionPolicy"] == "Retain" and s["UpdateReplacePolicy"] == "Retain" for s in streams.values())
    # and the clips' bucket is retained whatever the stage
    buckets = [r for r in upgraded["Resources"].values() if r["Type"] == "AWS::S3::Bucket"]
    assert buckets and all(b["DeletionPolicy"] == "Retain" for b in buckets)
    # and the seed stays the same resource (an Update, which never deletes a camera), never removed or replaced
    seeds = [{lid for lid, r in t["Resources"].items() if r["Type"] == "Custom::CameraSeed"}
             for t in (upgraded, fewer, none)]
    assert seeds[0] == seeds[1] == seeds[2] and len(seeds[0]) == 1


def test_cfn_lint_finds_nothing(synth):
    # W3005: CDK adds DependsOn on a role that a GetAtt already orders (redundant, harmless); nothing else is allowed
    template = synth.outdir / f"{synth.stack.stack_name}.template.json"
    cfn_lint = Path(sys.executable).with_name("cfn-lint")  # requirements-dev.txt pins it
    result = subprocess.run([str(cfn_lint), "--ignore-checks", "W3005", "--", str(template)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
