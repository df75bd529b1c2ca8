"""Least privilege: no wildcard action anywhere, and each function's role names only its own resources."""
from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

POLICY_DOCUMENT_PROPS = {  # every resource type here that carries a policy document, and where
    "AWS::IAM::Policy": "PolicyDocument", "AWS::IAM::ManagedPolicy": "PolicyDocument", "AWS::KMS::Key": "KeyPolicy",
    "AWS::S3::BucketPolicy": "PolicyDocument", "AWS::SNS::TopicPolicy": "PolicyDocument",
    "AWS::SQS::QueuePolicy": "PolicyDocument",
}


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _statements(synth) -> Iterator[tuple[str, dict]]:
    for lid, resource in synth.json["Resources"].items():
        prop = POLICY_DOCUMENT_PROPS.get(resource["Type"])
        if prop:
            for statement in resource["Properties"][prop]["Statement"]:
                yield lid, statement
        if resource["Type"] == "AWS::IAM::Role":  # inline policies, should any appear
            for policy in resource["Properties"].get("Policies", []):
                for statement in policy["PolicyDocument"]["Statement"]:
                    yield lid, statement


def _refs(value: Any) -> set[str]:
    """Logical ids a CloudFormation value refers to."""
    if isinstance(value, dict):
        if "Ref" in value:
            return {value["Ref"]}
        if "Fn::GetAtt" in value:
            return {value["Fn::GetAtt"][0]}
        return set().union(*(_refs(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_refs(v) for v in value)) if value else set()
    return set()


def test_no_allow_statement_anywhere_has_a_wildcard_action(synth):
    # Given every policy document in the template (IAM, key, bucket, topic and queue policies)
    offenders = [(lid, s["Action"]) for lid, s in _statements(synth)
                 if s["Effect"] == "Allow" and any("*" in a for a in _as_list(s.get("Action", [])))]
    # Then no Allow uses "*" in an action (the TLS-only Deny statements may, and should)
    assert offenders == []


def test_roles_have_no_managed_policies(synth):
    for lid, role in synth.resources("AWS::IAM::Role").items():
        assert not role["Properties"].get("ManagedPolicyArns"), lid


def test_only_xray_is_granted_on_every_resource(synth):
    for lid, policy in synth.resources("AWS::IAM::Policy").items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if "*" in _as_list(statement["Resource"]):
                assert all(a.startswith("xray:") for a in _as_list(statement["Action"])), (lid, statement)


def _function_policies(synth) -> dict[str, list[dict]]:
    """Statements attached to each function's role, keyed by the stack attribute that owns the function."""
    by_role: dict[str, list[dict]] = {}
    for policy in synth.resources("AWS::IAM::Policy").values():
        for role in policy["Properties"]["Roles"]:
            by_role.setdefault(role["Ref"], []).extend(policy["Properties"]["PolicyDocument"]["Statement"])
    result = {}
    for owner in ("dispatcher", "workers", "inference", "feedback", "review", "links", "registry"):
        function = getattr(synth.stack, owner).function
        result[owner] = by_role[synth.stack.get_logical_id(function.role.node.default_child)]
    return result


def _expected_resources(synth) -> dict[str, set]:
    s = synth.stack
    lid = synth.logical_id
    logs = {k: lid(getattr(s, k).base.log_group)
            for k in ("dispatcher", "workers", "inference", "feedback", "review", "links", "registry")}
    # every stream of the product: arn:<partition>:kinesisvideo:<region>:<account>:stream/videoalert-*/*, built from
    # the pseudo parameters, never one ARN per camera
    streams = set(PSEUDO_REFS)
    tables = {lid(s.storage.videos_table), lid(s.storage.cameras_table), lid(s.storage.fp_memory_table)}
    video_bucket = lid(s.storage.video_bucket)
    return {
        # the tick and upload router (and redrives: their best frame is written under videos/); no stream, no
        # upload; sends to the job queue
        "dispatcher": {logs["dispatcher"], s.get_logical_id(s.dispatcher.dead_letter_queue.node.default_child),
                       video_bucket, *tables, lid(s.inference.function), lid(s.alerts.topic), lid(s.alerts.key),
                       lid(s.workers.queue), lid(s.links.secret)},
        # the camera worker: streams, clips, records, inference, alerts (links signed with the key); consumes the
        # job queue (its event source)
        "workers": {logs["workers"], video_bucket, *tables, *streams, lid(s.ingest.key), lid(s.inference.function),
                    lid(s.alerts.topic), lid(s.alerts.key), lid(s.workers.queue), lid(s.workers.segment_queue),
                    lid(s.links.secret)},
        "inference": {logs["inference"], video_bucket},
        "feedback": {logs["feedback"], *tables},
        "review": {logs["review"], s.get_logical_id(s.review.dead_letter_queue.node.default_child),
                   lid(s.storage.videos_table), lid(s.storage.cameras_table), video_bucket,
                   lid(s.storage.review_bucket)},
        "links": {logs["links"], *tables, lid(s.storage.spent_tokens_table), video_bucket, lid(s.links.secret)},
        # the camera registry: the cameras and videos tables, the product's streams and their key
        "registry": {logs["registry"], lid(s.storage.cameras_table), lid(s.storage.videos_table), *streams,
                     lid(s.ingest.key)},
    }


PSEUDO_REFS = ("AWS::Partition", "AWS::Region", "AWS::AccountId")
STREAMS_ARN = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":kinesisvideo:", {"Ref": "AWS::Region"}, ":",
                                 {"Ref": "AWS::AccountId"}, ":stream/videoalert-*/*"]]}


@pytest.mark.parametrize("owner", ["dispatcher", "workers", "inference", "feedback", "review", "links", "registry"])
def test_each_function_role_names_exactly_its_own_resources(synth, owner):
    # Given the function's role policy, When the resources its statements name are collected
    statements = _function_policies(synth)[owner]
    named = set().union(*(_refs(st["Resource"]) for st in statements))
    # Then they are exactly the resources this function works with: nothing more, nothing missing
    assert named == _expected_resources(synth)[owner]


def _object_prefixes(statements: list[dict], bucket_lid: str) -> dict[str, set[str]]:
    """S3 object-ARN suffixes per action for one bucket, e.g. {"s3:GetObject": {"/videos/*"}}."""
    found: dict[str, set[str]] = {}
    for st in statements:
        for resource in _as_list(st["Resource"]):
            parts = resource.get("Fn::Join", [None, []])[1] if isinstance(resource, dict) else []
            if parts and _refs(parts[0]) == {bucket_lid}:
                for action in _as_list(st["Action"]):
                    found.setdefault(action, set()).add("".join(p for p in parts[1:] if isinstance(p, str)))
    return found


def test_inference_may_only_read_clips_under_videos(synth):
    statements = _function_policies(synth)["inference"]
    assert _object_prefixes(statements, synth.logical_id(synth.stack.storage.video_bucket)) == {
        "s3:GetObject": {"/videos/*"}}


def test_the_camera_worker_writes_videos_and_only_reads_uploads(synth):
    statements = _function_policies(synth)["workers"]
    assert _object_prefixes(statements, synth.logical_id(synth.stack.storage.video_bucket)) == {
        "s3:GetObject": {"/videos/*", "/uploads/*"}, "s3:GetObjectVersion": {"/uploads/*"},
        "s3:PutObject": {"/videos/*"}, "s3:DeleteObject": {"/videos/*.seg*"}}


def test_only_the_worker_sends_and_takes_segment_jobs(synth):
    # A segment turn sends the next (issue 32); nobody else touches the segment queue
    queue = synth.logical_id(synth.stack.workers.segment_queue)
    by_owner = {owner: {a for st in statements if queue in _refs(st["Resource"]) for a in _as_list(st["Action"])}
                for owner, statements in _function_policies(synth).items()}
    assert by_owner["workers"] == {"sqs:SendMessage", "sqs:ReceiveMessage", "sqs:ChangeMessageVisibility",
                                   "sqs:GetQueueUrl", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}
    assert all(not actions for owner, actions in by_owner.items() if owner != "workers")


def test_the_dispatcher_only_reads_clips_it_presigns_for_redrives_and_writes_their_best_frame(synth):
    # A redrive scores a recorded clip again; when the rule alerts, the best frame is written beside the clip
    statements = _function_policies(synth)["dispatcher"]
    assert _object_prefixes(statements, synth.logical_id(synth.stack.storage.video_bucket)) == {
        "s3:GetObject": {"/videos/*"}, "s3:PutObject": {"/videos/*"}}
    actions = {a for st in statements for a in _as_list(st["Action"])}
    assert not {a for a in actions if a.startswith("kinesisvideo:")}


def test_the_camera_worker_reads_only_clips_from_streams_and_invokes_only_inference(synth):
    statements = _function_policies(synth)["workers"]
    actions = {a for st in statements for a in _as_list(st["Action"])}
    assert {a for a in actions if a.startswith("kinesisvideo:")} == {
        "kinesisvideo:GetDataEndpoint", "kinesisvideo:GetClip", "kinesisvideo:ListFragments"}
    invoke = [st for st in statements if "lambda:InvokeFunction" in _as_list(st["Action"])]
    assert len(invoke) == 1 and _refs(invoke[0]["Resource"]) == {synth.logical_id(synth.stack.inference.function)}
    assert {a for a in actions if a.startswith("sns:")} == {"sns:Publish"}


def test_only_the_dispatcher_sends_camera_jobs_and_only_the_worker_consumes_them(synth):
    queue = synth.logical_id(synth.stack.workers.queue)
    policies = _function_policies(synth)
    by_owner = {owner: {a for st in statements if queue in _refs(st["Resource"]) for a in _as_list(st["Action"])}
                for owner, statements in policies.items()}
    assert by_owner["dispatcher"] == {"sqs:SendMessage", "sqs:GetQueueAttributes", "sqs:GetQueueUrl"}
    assert by_owner["workers"] == {"sqs:ReceiveMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueUrl",
                                   "sqs:DeleteMessage", "sqs:GetQueueAttributes"}
    assert all(not actions for owner, actions in by_owner.items() if owner not in ("dispatcher", "workers"))


def test_template_has_no_unresolved_tokens(synth):
    # Then every value CDK produced was resolved (an unresolved token would deploy as a literal string)
    assert "${Token" not in json.dumps(synth.json)


def test_review_sampler_reads_clips_and_writes_only_under_review(synth):
    statements = _function_policies(synth)["review"]
    assert _object_prefixes(statements, synth.logical_id(synth.stack.storage.video_bucket)) == {
        "s3:GetObject": {"/videos/*"}}
    assert _object_prefixes(statements, synth.logical_id(synth.stack.storage.review_bucket)) == {
        "s3:GetObject": {"/review/*"}, "s3:PutObject": {"/review/*"}}
    listings = [st for st in statements if st["Action"] == "s3:ListBucket"]
    review_bucket = synth.logical_id(synth.stack.storage.review_bucket)
    [listing] = [st for st in listings if review_bucket in _refs(st["Resource"])]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["review/*"]}}


def test_functions_reading_clips_may_list_only_the_videos_prefix(synth):
    # Without ListBucket S3 answers a missing key with 403; with it, limited to videos/, a 404.
    video_bucket = synth.logical_id(synth.stack.storage.video_bucket)
    for owner in ("inference", "dispatcher", "workers", "review", "links"):
        statements = _function_policies(synth)[owner]
        [listing] = [st for st in statements if st["Action"] == "s3:ListBucket"
                     and video_bucket in _refs(st["Resource"])]
        assert listing["Condition"] == {"StringLike": {"s3:prefix": ["videos/*"]}}, owner


def test_only_the_feedback_functions_write_the_false_positive_memory(synth):
    table = synth.logical_id(synth.stack.storage.fp_memory_table)
    for owner, statements in _function_policies(synth).items():
        writes = {a for st in statements if table in _refs(st["Resource"]) for a in _as_list(st["Action"])
                  if a in ("dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem")}
        assert bool(writes) == (owner in ("feedback", "links")), owner


def test_camera_producer_policy_may_only_put_media_into_this_products_streams(synth):
    [policy] = synth.resources("AWS::IAM::ManagedPolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    by_resource = {json.dumps(st["Resource"], sort_keys=True): set(_as_list(st["Action"])) for st in statements}
    assert by_resource == {
        json.dumps(STREAMS_ARN, sort_keys=True): {"kinesisvideo:GetDataEndpoint", "kinesisvideo:PutMedia",
                                                  "kinesisvideo:DescribeStream"},
        json.dumps({"Fn::GetAtt": [synth.logical_id(synth.stack.ingest.key), "Arn"]}, sort_keys=True):
            {"kms:GenerateDataKey"},
    }


def test_every_kinesisvideo_grant_names_the_product_prefix_and_nothing_per_camera(synth):
    # Given every statement in the template that grants a kinesisvideo action
    found = [(lid, st) for lid, st in _statements(synth)
             if any(a.startswith("kinesisvideo:") for a in _as_list(st.get("Action", [])))]
    assert found
    # Then each names exactly the product's stream-name prefix, so policies do not grow with cameras
    for lid, st in found:
        assert _as_list(st["Resource"]) == [STREAMS_ARN], lid


def test_only_the_registry_creates_and_deletes_streams(synth):
    for owner, statements in _function_policies(synth).items():
        actions = {a for st in statements for a in _as_list(st["Action"])}
        manage = actions & {"kinesisvideo:CreateStream", "kinesisvideo:DeleteStream", "kinesisvideo:TagStream"}
        assert bool(manage) == (owner == "registry"), owner


def test_the_camera_worker_reads_the_upload_version_its_event_names(synth):
    # HeadObject and CopyObject of a given version need GetObjectVersion; finding the version of an event that names
    # only its ETag needs ListBucketVersions, limited to uploads/
    statements = _function_policies(synth)["workers"]
    video_bucket = synth.logical_id(synth.stack.storage.video_bucket)
    assert _object_prefixes(statements, video_bucket)["s3:GetObjectVersion"] == {"/uploads/*"}
    [listing] = [st for st in statements if st["Action"] == "s3:ListBucketVersions"]
    assert _refs(listing["Resource"]) == {video_bucket}
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["uploads/*"]}}


# The DynamoDB calls each function's code makes (store/ adapters; batch_writer is BatchWriteItem; indexes are queried)
DYNAMODB_ACTIONS = {
    "dispatcher": {  # the tick and upload router, and redrives
        "videos_table": {"GetItem", "PutItem", "UpdateItem", "Query", "Scan"},  # Scan: redrive of FAILED clips
        "cameras_table": {"GetItem", "Scan"},  # the tick's keys-only scan of the registry; a camera's rule
        "fp_memory_table": {"Query"},  # suppression reads the camera's memory (redrives decide again)
    },
    "workers": {
        "videos_table": {"GetItem", "PutItem", "UpdateItem", "Query"},  # records, leases, due index, cooldown
        "cameras_table": {"GetItem", "UpdateItem"},  # the camera, the cursor and the camera lease
        "fp_memory_table": {"Query"},
    },
    "feedback": {
        "videos_table": {"GetItem", "UpdateItem"},  # read the video, write its label
        "cameras_table": {"GetItem"},  # the camera's rule
        "fp_memory_table": {"Query", "BatchWriteItem"},  # read, add and remove memory entries
    },
    "review": {
        "videos_table": {"Query"},  # a day's clips per camera (by_camera index)
        "cameras_table": {"GetItem", "Scan"},  # every registered camera
    },
    "links": {
        "videos_table": {"GetItem", "UpdateItem", "Query"},  # label a video; the review page's events (by_camera)
        "cameras_table": {"GetItem", "Scan"},  # the camera's rule; every camera (an every-camera link)
        "fp_memory_table": {"Query", "BatchWriteItem"},  # labels update the memory, as the feedback function's do
        "spent_tokens_table": {"PutItem"},  # the conditional put that refuses a replayed link
    },
    "inference": {},
    "registry": {
        "cameras_table": {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Scan"},  # add, list, show, remove
        "videos_table": {"Query"},  # a camera's newest clip, last alert, failures (by_camera, due_by_camera)
    },
}
TABLES = ("videos_table", "cameras_table", "fp_memory_table", "spent_tokens_table")


@pytest.mark.parametrize("owner", list(DYNAMODB_ACTIONS))
def test_each_function_may_make_only_the_dynamodb_calls_its_code_makes(synth, owner):
    # Given the function's role, When its DynamoDB actions are collected per table (indexes count as their table)
    statements = _function_policies(synth)[owner]
    tables = {synth.logical_id(getattr(synth.stack.storage, name)): name for name in TABLES}
    granted: dict[str, set[str]] = {}
    for st in statements:
        for table in _refs(st["Resource"]) & set(tables):
            granted.setdefault(tables[table], set()).update(
                a.removeprefix("dynamodb:") for a in _as_list(st["Action"]) if a.startswith("dynamodb:"))
    # Then they are exactly the calls it makes: no Scan, DeleteItem, batch or stream reads it does not use
    assert granted == DYNAMODB_ACTIONS[owner]


def test_a_cameras_sub_stream_is_read_by_the_workers_prefix_grant_and_no_camera_can_take_its_name(synth):
    import fnmatch

    from videoalert_contract.names import is_valid_camera_id, stream_name, sub_stream_name

    # Given the camera worker's statements on the product's streams
    reads = [st for st in _function_policies(synth)["workers"]
             if "kinesisvideo:GetClip" in _as_list(st["Action"])]
    # Then GetClip, ListFragments and the data endpoint are granted on the stream prefix, not on stream ARNs
    assert reads and all(st["Resource"] == STREAMS_ARN for st in reads)
    assert {"kinesisvideo:GetDataEndpoint", "kinesisvideo:ListFragments"} <= set(_as_list(reads[0]["Action"]))
    # And a camera's sub-stream (its scoring stream) falls under that prefix: no grant per camera or per stream
    resource = f"stream/{sub_stream_name('cam1')}/1765101600000"
    assert fnmatch.fnmatch(resource, "stream/videoalert-*/*")
    # And no camera id can make a main stream of that name
    assert not is_valid_camera_id(sub_stream_name("cam1").removeprefix(stream_name("")))
