"""Buckets and tables keep clips private, encrypted, expiring and recoverable."""
from __future__ import annotations

from aws_cdk.assertions import Match

from videoalert_contract import names

BLOCK_ALL = {"BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True,
             "RestrictPublicBuckets": True}


def test_every_bucket_is_encrypted_and_blocks_public_access(synth):
    # Given the synthesised stack, When its buckets are read
    buckets = synth.resources("AWS::S3::Bucket")
    # Then there are the video, review and access-log buckets, all encrypted and fully private
    assert len(buckets) == 3
    for lid, bucket in buckets.items():
        props = bucket["Properties"]
        assert props["PublicAccessBlockConfiguration"] == BLOCK_ALL, lid
        rules = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert rules and rules[0]["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms"), lid


def test_every_bucket_policy_denies_requests_without_tls(synth):
    # Given every bucket, When its bucket policy is read
    policies = {p["Properties"]["Bucket"]["Ref"]: p["Properties"]["PolicyDocument"]["Statement"]
                for p in synth.resources("AWS::S3::BucketPolicy").values()}
    for lid in synth.resources("AWS::S3::Bucket"):
        # Then it has a Deny on aws:SecureTransport = false
        denies = [s for s in policies[lid] if s["Effect"] == "Deny"
                  and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"]
        assert denies, f"{lid} accepts plain HTTP"


def test_video_bucket_versions_logs_and_expires_clips_and_uploads_after_retention(synth):
    # Given retention 14 days from context, When the video bucket is read
    props = synth.json["Resources"][synth.logical_id(synth.stack.storage.video_bucket)]["Properties"]
    rules = {r["Id"]: r for r in props["LifecycleConfiguration"]["Rules"]}
    # Then videos/ and uploads/ expire after 14 days, old versions after a week, and it is versioned and logged
    by_prefix = {r.get("Prefix"): r for r in rules.values() if "ExpirationInDays" in r}
    assert by_prefix[names.VIDEOS_PREFIX]["ExpirationInDays"] == 14
    assert by_prefix[names.UPLOADS_PREFIX]["ExpirationInDays"] == 14
    assert any("NoncurrentVersionExpiration" in r for r in rules.values())
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    log_bucket = synth.logical_id(synth.stack.storage.access_log_bucket)
    assert props["LoggingConfiguration"]["DestinationBucketName"] == {"Ref": log_bucket}
    # and S3 sends its events to EventBridge natively (no notification custom resource)
    assert props["NotificationConfiguration"] == {"EventBridgeConfiguration": {"EventBridgeEnabled": True}}
    assert not synth.resources("Custom::S3BucketNotifications")


def test_review_bucket_is_versioned_logged_and_expires(synth):
    props = synth.json["Resources"][synth.logical_id(synth.stack.storage.review_bucket)]["Properties"]
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert "LoggingConfiguration" in props
    assert any("ExpirationInDays" in r for r in props["LifecycleConfiguration"]["Rules"])


def test_videos_table_has_pitr_ttl_encryption_and_the_by_camera_index(synth):
    # Given the videos table, Then its keys and index use the names the handlers use
    synth.template.has_resource_properties("AWS::DynamoDB::Table", {
        "KeySchema": [{"AttributeName": names.VIDEOS_PARTITION_KEY, "KeyType": "HASH"}],
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "TimeToLiveSpecification": {"AttributeName": names.VIDEOS_TTL_ATTRIBUTE, "Enabled": True},
        "SSESpecification": {"SSEEnabled": True},
        "GlobalSecondaryIndexes": Match.array_with([Match.object_like({
            "IndexName": names.VIDEOS_BY_CAMERA_INDEX,
            "KeySchema": [{"AttributeName": names.VIDEOS_BY_CAMERA_PARTITION_KEY, "KeyType": "HASH"},
                          {"AttributeName": names.VIDEOS_BY_CAMERA_SORT_KEY, "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"},
        })]),
    })


def test_index_sort_key_is_a_string_because_the_dispatcher_writes_iso_timestamps(synth):
    table = synth.json["Resources"][synth.logical_id(synth.stack.storage.videos_table)]["Properties"]
    types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
    assert types[names.VIDEOS_BY_CAMERA_SORT_KEY] == "S"


def test_cameras_table_has_pitr_and_encryption(synth):
    synth.template.has_resource_properties("AWS::DynamoDB::Table", {
        "KeySchema": [{"AttributeName": names.CAMERAS_PARTITION_KEY, "KeyType": "HASH"}],
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "SSESpecification": {"SSEEnabled": True},
    })


def test_false_positive_memory_table_is_keyed_per_camera_with_pitr(synth):
    synth.template.has_resource_properties("AWS::DynamoDB::Table", {
        "KeySchema": [{"AttributeName": names.FP_MEMORY_PARTITION_KEY, "KeyType": "HASH"},
                      {"AttributeName": names.FP_MEMORY_SORT_KEY, "KeyType": "RANGE"}],
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "SSESpecification": {"SSEEnabled": True},
    })


def test_videos_table_has_the_sparse_due_index_recovery_reads(synth):
    # Given the videos table, Then open records are found per camera by their due time, keys only (recovery reads
    # each record again, consistently)
    table = synth.json["Resources"][synth.logical_id(synth.stack.storage.videos_table)]["Properties"]
    (index,) = [i for i in table["GlobalSecondaryIndexes"] if i["IndexName"] == names.VIDEOS_DUE_INDEX]
    assert index["KeySchema"] == [{"AttributeName": names.VIDEOS_DUE_PARTITION_KEY, "KeyType": "HASH"},
                                  {"AttributeName": names.VIDEOS_DUE_SORT_KEY, "KeyType": "RANGE"}]
    assert index["Projection"] == {"ProjectionType": "KEYS_ONLY"}
    types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
    assert types[names.VIDEOS_DUE_SORT_KEY] == "S"
