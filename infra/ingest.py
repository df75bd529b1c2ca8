"""Camera video in: the key that encrypts every camera's Kinesis video stream, and IAM scoped by the stream-name
prefix the product owns (videoalert_contract.names.STREAM_PREFIX). The streams themselves are data: the camera
registry creates them at run time (`videoalert camera add`), so nothing here grows with cameras."""
from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisvideo as kinesisvideo
from constructs import Construct

from infra.keys import ExplicitKey
from infra.nag import acknowledge, grant_target
from videoalert_contract import names

# Failed or paused camera workers can catch up on a full day of footage before KVS drops it.
MIN_RETENTION_HOURS = names.MIN_STREAM_RETENTION_HOURS
# What the camera worker's GetClip path calls; GetDataEndpoint is a control-plane call on the stream ARN.
CLIP_READ_ACTIONS = ("kinesisvideo:GetDataEndpoint", "kinesisvideo:GetClip", "kinesisvideo:ListFragments")
PRODUCER_ACTIONS = names.PRODUCER_ACTIONS
# What the camera registry does to a stream: create it (with its key and tags) or adopt it, describe it, read its
# newest fragment for a camera's health, delete it when asked.
MANAGE_ACTIONS = ("kinesisvideo:CreateStream", "kinesisvideo:TagStream", "kinesisvideo:DescribeStream",
                  "kinesisvideo:DeleteStream", "kinesisvideo:GetDataEndpoint", "kinesisvideo:ListFragments")


class Ingest(Construct):
    """The streams' key and the grants on every stream the product owns, whatever the number of cameras."""

    def __init__(self, scope: Construct, construct_id: str, *, removal_policy: cdk.RemovalPolicy,
                 stack_streams: Sequence[str] = (), retention_hours: int = MIN_RETENTION_HOURS) -> None:
        super().__init__(scope, construct_id)
        if retention_hours < MIN_RETENTION_HOURS:
            raise ValueError(f"stream retention must be at least {MIN_RETENTION_HOURS} h, got {retention_hours}")
        self.key = ExplicitKey(self, "StreamKey", description="videoalert: Kinesis Video Streams media",
                               removal_policy=removal_policy).key
        # Every stream named with the product's prefix, in this account and region: the ARN is
        # arn:<partition>:kinesisvideo:<region>:<account>:stream/<name>/<creation time>.
        self.streams_arn = cdk.Stack.of(self).format_arn(
            service="kinesisvideo", resource="stream", resource_name=f"{names.STREAM_PREFIX}*/*",
            arn_format=cdk.ArnFormat.SLASH_RESOURCE_NAME)

        # Upgrading a stack from before the registry: it created these cameras' streams as stack resources without a
        # retain policy, so dropping them from the template would delete them (and their video). Listed in the
        # `stack_streams` context, they stay in the template, unchanged but retained, for one deploy; the next deploy
        # without them leaves the streams in place, where the registry (its seed, or `camera add`) adopts them.
        self.stack_streams: dict[str, kinesisvideo.CfnStream] = {}
        for camera in stack_streams:
            stream = kinesisvideo.CfnStream(
                self, f"Stream-{camera}", name=names.stream_name(camera), data_retention_in_hours=retention_hours,
                kms_key_id=self.key.key_arn, media_type="video/h264",
                tags=[cdk.CfnTag(key="camera_id", value=camera)])
            stream.apply_removal_policy(cdk.RemovalPolicy.RETAIN)
            self.stack_streams[camera] = stream

        # Attach to an identity that may send into any of this product's streams (a fleet's shared producer role);
        # `videoalert camera add` prints the one-stream policy a single camera needs.
        self.producer_policy = iam.ManagedPolicy(
            self, "ProducerPolicy", description="videoalert: send camera video into this product's streams",
            statements=[
                iam.PolicyStatement(actions=list(PRODUCER_ACTIONS), resources=[self.streams_arn]),
                iam.PolicyStatement(actions=["kms:GenerateDataKey"], resources=[self.key.key_arn]),
            ])
        acknowledge(self.producer_policy, "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kinesisvideo:<AWS::Region>:"
                    f"<AWS::AccountId>:stream/{names.STREAM_PREFIX}*/*]", _PREFIX_REASON)

    def grant_read_clips(self, grantee: iam.IGrantable) -> None:
        """GetClip on the product's streams only, plus decrypting their media."""
        self._grant(grantee, CLIP_READ_ACTIONS)
        iam.Grant.add_to_principal(grantee=grantee, actions=["kms:Decrypt"], resource_arns=[self.key.key_arn])

    def grant_manage_streams(self, grantee: iam.IGrantable) -> None:
        """Create (with this key), describe, read the newest fragment of, and delete the product's streams."""
        self._grant(grantee, MANAGE_ACTIONS)
        iam.Grant.add_to_principal(grantee=grantee, actions=["kms:DescribeKey"], resource_arns=[self.key.key_arn])

    def _grant(self, grantee: iam.IGrantable, actions: tuple[str, ...]) -> None:
        iam.Grant.add_to_principal(grantee=grantee, actions=list(actions), resource_arns=[self.streams_arn])
        acknowledge(grant_target(grantee), "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:kinesisvideo:"
                    f"<AWS::Region>:<AWS::AccountId>:stream/{names.STREAM_PREFIX}*/*]", _PREFIX_REASON)


_PREFIX_REASON = (f"Cameras are registered at run time, each with a stream named {names.STREAM_PREFIX}<camera>: the "
                  "grant names the product's stream-name prefix in this account and region, so the policy does not "
                  "grow with cameras (IAM's 6,144-character limit would stop it near 65 listed stream ARNs).")
