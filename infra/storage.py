"""Video and review buckets (with their access-log bucket) and the videos and cameras tables."""
from __future__ import annotations

from typing import cast

import aws_cdk as cdk
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.nag import acknowledge, acknowledge_wildcard_resource
from videoalert_contract import names

NONCURRENT_VERSION_DAYS = 7
ACCESS_LOG_DAYS = 365
REVIEW_RETENTION_DAYS = 90


class Storage(Construct):
    """Everything videoalert keeps: clips, review samples, per-clip records and per-camera state."""

    def __init__(self, scope: Construct, construct_id: str, *, video_retention_days: int,
                 removal_policy: cdk.RemovalPolicy, review_retention_days: int = REVIEW_RETENTION_DAYS) -> None:
        super().__init__(scope, construct_id)
        self.access_log_bucket = s3.Bucket(
            self, "AccessLogs",
            encryption=s3.BucketEncryption.S3_MANAGED,  # the only encryption S3 server access logging accepts
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[s3.LifecycleRule(id="expire-access-logs", expiration=cdk.Duration.days(ACCESS_LOG_DAYS))],
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        acknowledge(self.access_log_bucket, "AwsSolutions-S1",
                    "This is the server access log bucket; logging it into itself would loop.")

        self.video_bucket = self._data_bucket(
            "Videos", log_prefix="videos-bucket/", event_bridge=True,
            expiring_prefixes=(names.VIDEOS_PREFIX, names.UPLOADS_PREFIX), days=video_retention_days)
        self.review_bucket = self._data_bucket(
            "Review", log_prefix="review-bucket/", event_bridge=False,
            expiring_prefixes=("",), days=review_retention_days)

        self.videos_table = self._table("VideosTable", names.VIDEOS_PARTITION_KEY, removal_policy=removal_policy,
                                        time_to_live_attribute=names.VIDEOS_TTL_ATTRIBUTE)
        # window_start is an ISO-8601 UTC string, so the sort key orders clips in time.
        self.videos_table.add_global_secondary_index(
            index_name=names.VIDEOS_BY_CAMERA_INDEX,
            partition_key=dynamodb.Attribute(name=names.VIDEOS_BY_CAMERA_PARTITION_KEY,
                                             type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name=names.VIDEOS_BY_CAMERA_SORT_KEY, type=dynamodb.AttributeType.STRING),
            projection_type=dynamodb.ProjectionType.ALL,
        )
        # Sparse: only open records (RECEIVED, PROCESSING, an alert not yet sent) carry due_at; the scheduled run
        # reads each camera's overdue ones to recover them. Keys only: recovery reads the record itself again.
        self.videos_table.add_global_secondary_index(
            index_name=names.VIDEOS_DUE_INDEX,
            partition_key=dynamodb.Attribute(name=names.VIDEOS_DUE_PARTITION_KEY, type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name=names.VIDEOS_DUE_SORT_KEY, type=dynamodb.AttributeType.STRING),
            projection_type=dynamodb.ProjectionType.KEYS_ONLY,
        )
        self.cameras_table = self._table("CamerasTable", names.CAMERAS_PARTITION_KEY, removal_policy=removal_policy)
        # Embeddings of frames users marked as false positives, bounded per camera by the feedback code.
        self.fp_memory_table = self._table("FpMemoryTable", names.FP_MEMORY_PARTITION_KEY,
                                           sort_key=names.FP_MEMORY_SORT_KEY, removal_policy=removal_policy)
        # One-tap link tokens already used (the replay check); each item expires with its token.
        self.spent_tokens_table = self._table("SpentTokensTable", names.SPENT_TOKENS_PARTITION_KEY,
                                              removal_policy=removal_policy,
                                              time_to_live_attribute=names.SPENT_TOKENS_TTL_ATTRIBUTE)

    def _table(self, construct_id: str, partition_key: str, *, removal_policy: cdk.RemovalPolicy,
               sort_key: str | None = None, time_to_live_attribute: str | None = None) -> dynamodb.Table:
        """On-demand, encrypted, point-in-time recovery; deletion-protected where the stack retains data."""
        string = dynamodb.AttributeType.STRING
        return dynamodb.Table(
            self, construct_id,
            partition_key=dynamodb.Attribute(name=partition_key, type=string),
            sort_key=dynamodb.Attribute(name=sort_key, type=string) if sort_key else None,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.AWS_MANAGED,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True),
            time_to_live_attribute=time_to_live_attribute,
            deletion_protection=removal_policy == cdk.RemovalPolicy.RETAIN,
            removal_policy=removal_policy,
        )

    def _data_bucket(self, construct_id: str, *, log_prefix: str, event_bridge: bool,
                     expiring_prefixes: tuple[str, ...], days: int) -> s3.Bucket:
        rules = [s3.LifecycleRule(id=f"expire-{p.strip('/') or 'all'}", prefix=p or None,
                                  expiration=cdk.Duration.days(days)) for p in expiring_prefixes]
        rules.append(s3.LifecycleRule(
            id="expire-noncurrent-and-incomplete",
            noncurrent_version_expiration=cdk.Duration.days(NONCURRENT_VERSION_DAYS),
            abort_incomplete_multipart_upload_after=cdk.Duration.days(1),
            expired_object_delete_marker=True,
        ))
        bucket = s3.Bucket(
            self, construct_id,
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            versioned=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=self.access_log_bucket,
            server_access_logs_prefix=log_prefix,
            lifecycle_rules=rules,
            removal_policy=cdk.RemovalPolicy.RETAIN,  # clips are evidence: never deleted with the stack
        )
        if event_bridge:
            # Native CloudFormation setting: no notification custom resource (and no extra Lambda) needed.
            cfn = cast(s3.CfnBucket, bucket.node.default_child)
            cfn.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
                event_bridge_configuration=s3.CfnBucket.EventBridgeConfigurationProperty(event_bridge_enabled=True))
        return bucket

    # ------------------------------------------------------------------------------------ grants
    def grant_read_videos(self, grantee: iam.IGrantable) -> None:
        """GetObject under videos/ only (HeadObject is authorised by GetObject), and ListBucket limited to
        that prefix: without it S3 answers a missing key with 403, and a missing clip would be recorded
        FAILED (retryable) instead of NOT_FOUND."""
        self._grant(grantee, ["s3:GetObject"], self.video_bucket, names.VIDEOS_PREFIX)
        iam.Grant.add_to_principal(grantee=grantee, actions=["s3:ListBucket"],
                                   resource_arns=[self.video_bucket.bucket_arn],
                                   conditions={"StringLike": {"s3:prefix": [f"{names.VIDEOS_PREFIX}*"]}})

    def grant_write_videos(self, grantee: iam.IGrantable) -> None:
        self._grant(grantee, ["s3:PutObject"], self.video_bucket, names.VIDEOS_PREFIX)

    def grant_delete_segments(self, grantee: iam.IGrantable) -> None:
        """Delete a segment's MP4 once it is scored (videos/.../<video_id>.seg<ms>.mp4 only: never a minute's clip)."""
        iam.Grant.add_to_principal(grantee=grantee, actions=["s3:DeleteObject"],
                                   resource_arns=[self.video_bucket.arn_for_objects(f"{names.VIDEOS_PREFIX}*.seg*")])
        acknowledge_wildcard_resource(grantee, self.video_bucket, f"/{names.VIDEOS_PREFIX}*.seg*",
                                      "A segment's key is generated per segment; the grant is limited to DeleteObject "
                                      "on segment keys (*.seg*) under videos/, never a minute's clip.")

    def grant_read_uploads(self, grantee: iam.IGrantable) -> None:
        """Read (head and copy source) uploads/, the version an event names too, and find the version of an event
        that names only its ETag (ListBucketVersions under uploads/); no delete: the lifecycle rule expires them,
        and a kept upload lets a redriven event be processed again."""
        self._grant(grantee, ["s3:GetObject", "s3:GetObjectVersion"], self.video_bucket, names.UPLOADS_PREFIX)
        iam.Grant.add_to_principal(grantee=grantee, actions=["s3:ListBucketVersions"],
                                   resource_arns=[self.video_bucket.bucket_arn],
                                   conditions={"StringLike": {"s3:prefix": [f"{names.UPLOADS_PREFIX}*"]}})

    def grant_review_sampling(self, grantee: iam.IGrantable) -> None:
        """List, read back (manifest comparison) and write under review/ in the review bucket."""
        self._grant(grantee, ["s3:GetObject", "s3:PutObject"], self.review_bucket, names.REVIEW_PREFIX)
        iam.Grant.add_to_principal(grantee=grantee, actions=["s3:ListBucket"],
                                   resource_arns=[self.review_bucket.bucket_arn],
                                   conditions={"StringLike": {"s3:prefix": [f"{names.REVIEW_PREFIX}*"]}})

    def grant_calls(self, grantee: iam.IGrantable, table: dynamodb.Table, *calls: str) -> None:
        """Exactly the DynamoDB calls (GetItem, Query, ...) the grantee's code makes on the table and its indexes:
        none of the batch, delete, scan or stream actions CDK's read/write grants add when they are not used."""
        table.grant(grantee, *(f"dynamodb:{call}" for call in calls))
        if table is self.videos_table:
            self._acknowledge_index(grantee)

    def _acknowledge_index(self, grantee: iam.IGrantable) -> None:
        acknowledge_wildcard_resource(grantee, self.videos_table, "/index/*",
                                      f"Queries use the table's own GSI ({names.VIDEOS_BY_CAMERA_INDEX}); "
                                      "index ARNs of this table only.")

    @staticmethod
    def _grant(grantee: iam.IGrantable, actions: list[str], bucket: s3.Bucket, prefix: str) -> None:
        iam.Grant.add_to_principal(grantee=grantee, actions=actions,
                                   resource_arns=[bucket.arn_for_objects(f"{prefix}*")])
        acknowledge_wildcard_resource(grantee, bucket, f"/{prefix}*",
                                      f"Object keys are generated per clip; the grant is limited to "
                                      f"{' and '.join(actions)} under the '{prefix or '(whole bucket)'}' prefix.")
