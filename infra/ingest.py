"""One KMS-encrypted Kinesis Video Stream per camera, named by videoalert_contract.names.stream_name."""
from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kinesisvideo as kinesisvideo
from constructs import Construct

from infra.keys import ExplicitKey
from videoalert_contract import names

# A failed or paused dispatcher can catch up on a full day of footage before KVS drops it.
MIN_RETENTION_HOURS = 24
# What the dispatcher's GetClip path calls; GetDataEndpoint is a control-plane call on the stream ARN.
CLIP_READ_ACTIONS = ("kinesisvideo:GetDataEndpoint", "kinesisvideo:GetClip", "kinesisvideo:ListFragments")
# What a camera (or `videoalert push`) needs to send video: the PUT_MEDIA endpoint, PutMedia, a data key.
PRODUCER_ACTIONS = ("kinesisvideo:GetDataEndpoint", "kinesisvideo:PutMedia", "kinesisvideo:DescribeStream")


class Ingest(Construct):
    """Camera video in: streams keyed by camera id, all encrypted with one customer-managed key."""

    def __init__(self, scope: Construct, construct_id: str, *, cameras: Sequence[str],
                 removal_policy: cdk.RemovalPolicy, retention_hours: int = MIN_RETENTION_HOURS) -> None:
        super().__init__(scope, construct_id)
        if retention_hours < MIN_RETENTION_HOURS:
            raise ValueError(f"stream retention must be at least {MIN_RETENTION_HOURS} h, got {retention_hours}")
        self.key = ExplicitKey(self, "StreamKey", description="videoalert: Kinesis Video Streams media",
                               removal_policy=removal_policy).key
        self.streams: dict[str, kinesisvideo.CfnStream] = {}
        for camera in cameras:
            self.streams[camera] = kinesisvideo.CfnStream(
                self, f"Stream-{camera}",
                name=names.stream_name(camera),
                data_retention_in_hours=retention_hours,
                kms_key_id=self.key.key_arn,
                media_type="video/h264",
                tags=[cdk.CfnTag(key="camera_id", value=camera)],
            )

        # Attach to the identity a camera or `videoalert push` uses; it can write to these streams only.
        self.producer_policy = iam.ManagedPolicy(
            self, "ProducerPolicy", description="videoalert: send camera video into this stack's streams",
            statements=[
                iam.PolicyStatement(actions=list(PRODUCER_ACTIONS),
                                    resources=[s.attr_arn for s in self.streams.values()]),
                iam.PolicyStatement(actions=["kms:GenerateDataKey"], resources=[self.key.key_arn]),
            ])

    @property
    def stream_names(self) -> dict[str, str]:
        return {camera: stream.name for camera, stream in self.streams.items()}

    def grant_read_clips(self, grantee: iam.IGrantable) -> None:
        """GetClip on this stack's streams only, plus decrypting their media."""
        iam.Grant.add_to_principal(grantee=grantee, actions=list(CLIP_READ_ACTIONS),
                                   resource_arns=[s.attr_arn for s in self.streams.values()])
        iam.Grant.add_to_principal(grantee=grantee, actions=["kms:Decrypt"], resource_arns=[self.key.key_arn])
