"""Camera streams (made at run time with the stack's key) and alert/ops topics are encrypted with rotating keys and
reachable only over TLS."""
from __future__ import annotations

from videoalert_contract import names


def test_no_stream_is_a_stack_resource_and_the_registry_makes_them_with_the_stacks_key(synth):
    # Given cameras "front" and "back-yard" in context: they are seeded into the registry, not made streams here
    assert synth.resources("AWS::KinesisVideo::Stream") == {}
    (seed,) = synth.resources("Custom::CameraSeed").values()
    assert seed["Properties"]["Cameras"] == ["front", "back-yard"]
    # Then the registry function creates streams with the stack's stream key, at least a day of retention
    env = synth.json["Resources"][synth.logical_id(synth.stack.registry.function)]["Properties"]["Environment"][
        "Variables"]
    assert env[names.ENV_STREAM_KEY_ARN] == {"Fn::GetAtt": [synth.logical_id(synth.stack.ingest.key), "Arn"]}
    assert int(env[names.ENV_STREAM_RETENTION_HOURS]) >= 24


def test_every_key_rotates(synth):
    keys = synth.resources("AWS::KMS::Key")
    assert len(keys) == 3  # streams, alert topic, ops topic
    assert all(k["Properties"]["EnableKeyRotation"] is True for k in keys.values())


def test_every_topic_is_kms_encrypted_and_denies_publishing_without_tls(synth):
    topics = synth.resources("AWS::SNS::Topic")
    assert len(topics) == 2
    policies = {ref["Ref"]: p["Properties"]["PolicyDocument"]["Statement"]
                for p in synth.resources("AWS::SNS::TopicPolicy").values() for ref in p["Properties"]["Topics"]}
    for lid, topic in topics.items():
        assert "KmsMasterKeyId" in topic["Properties"], lid
        assert any(s["Effect"] == "Deny" and s["Condition"]["Bool"]["aws:SecureTransport"] == "false"
                   for s in policies[lid]), lid


def test_alert_and_ops_emails_from_context_are_subscribed_to_their_own_topics(synth):
    subs = {(s["Properties"]["Endpoint"], s["Properties"]["TopicArn"]["Ref"])
            for s in synth.resources("AWS::SNS::Subscription").values()}
    assert subs == {("owner@example.com", synth.logical_id(synth.stack.alerts.topic)),
                    ("ops@example.com", synth.logical_id(synth.stack.monitoring.ops_topic))}


def test_cloudwatch_may_use_only_the_ops_topic_key(synth):
    # Given the three key policies, Then only the ops key lets the CloudWatch service encrypt for alarms
    ops_key = synth.logical_id(synth.stack.monitoring.key)
    for lid, key in synth.resources("AWS::KMS::Key").items():
        services = [s["Principal"].get("Service") for s in key["Properties"]["KeyPolicy"]["Statement"]]
        assert ("cloudwatch.amazonaws.com" in services) == (lid == ops_key), lid


def test_undeliverable_alerts_land_in_an_encrypted_queue(synth):
    queue = synth.stack.get_logical_id(synth.stack.alerts.undelivered_queue.node.default_child)
    [sub] = [s["Properties"] for s in synth.resources("AWS::SNS::Subscription").values()
             if s["Properties"]["Endpoint"] == "owner@example.com"]
    assert sub["RedrivePolicy"] == {"deadLetterTargetArn": {"Fn::GetAtt": [queue, "Arn"]}}
