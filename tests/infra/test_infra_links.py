"""The one-tap links: a public function URL (auth NONE, the signed token is the permission) beside the IAM one, the
signing key in Secrets Manager rotated by the stack, and least privilege for both new functions."""
from __future__ import annotations

from infra.links import RESERVED_CONCURRENCY, ROTATION_ACTIONS
from videoalert.config.links import LinksSettings
from videoalert_contract import names


def _props(synth, construct) -> dict:
    return synth.json["Resources"][synth.logical_id(construct)]["Properties"]


def _role_statements(synth, function) -> list[dict]:
    role = synth.stack.get_logical_id(function.role.node.default_child)
    return [st for p in synth.resources("AWS::IAM::Policy").values() if {"Ref": role} in p["Properties"]["Roles"]
            for st in p["Properties"]["PolicyDocument"]["Statement"]]


def test_the_links_url_is_public_and_the_feedback_url_stays_iam(synth):
    urls = {u["Properties"]["TargetFunctionArn"]["Fn::GetAtt"][0]: u["Properties"]["AuthType"]
            for u in synth.resources("AWS::Lambda::Url").values()}
    assert urls == {synth.logical_id(synth.stack.links.function): "NONE",
                    synth.logical_id(synth.stack.feedback.function): "AWS_IAM",
                    synth.logical_id(synth.stack.registry.function): "AWS_IAM"}
    # no reservation by default (a new account's quota cannot hold it); context reserved_concurrency bounds the
    # public endpoint to RESERVED_CONCURRENCY (tests/infra/test_infra_camera_workers.py)
    assert "ReservedConcurrentExecutions" not in _props(synth, synth.stack.links.function)
    assert RESERVED_CONCURRENCY == 10


def test_the_signing_key_is_generated_and_rotated_monthly_by_its_own_function(synth):
    [schedule] = synth.resources("AWS::SecretsManager::RotationSchedule").values()
    props = schedule["Properties"]
    assert props["SecretId"] == {"Ref": synth.logical_id(synth.stack.links.secret)}
    assert props["RotationLambdaARN"] == {"Fn::GetAtt": [synth.logical_id(synth.stack.links.rotation_function),
                                                         "Arn"]}
    assert props["RotationRules"]["ScheduleExpression"] == "rate(30 days)"
    secret = _props(synth, synth.stack.links.secret)
    assert secret["GenerateSecretString"]["PasswordLength"] == 64 and "SecretString" not in secret


def test_the_rotation_function_may_only_rotate_this_secret(synth):
    statements = [st for st in _role_statements(synth, synth.stack.links.rotation_function)
                  if not str(st["Action"]).startswith(("logs:", "['logs:", "xray:", "['xray:"))]
    secret = {"Ref": synth.logical_id(synth.stack.links.secret)}
    actions = set()
    for st in statements:
        assert st["Resource"] == secret, st
        actions.update(st["Action"] if isinstance(st["Action"], list) else [st["Action"]])
    assert actions == set(ROTATION_ACTIONS)


def test_only_the_links_function_spends_tokens_and_the_dispatcher_only_reads_the_key(synth):
    secret = {"Ref": synth.logical_id(synth.stack.links.secret)}
    for owner in ("dispatcher", "links"):
        on_secret = [st for st in _role_statements(synth, getattr(synth.stack, owner).function)
                     if st["Resource"] == secret]
        assert [st["Action"] for st in on_secret] == ["secretsmanager:GetSecretValue"], owner
    table = synth.logical_id(synth.stack.storage.spent_tokens_table)
    for owner in ("dispatcher", "inference", "feedback", "review"):
        text = str(_role_statements(synth, getattr(synth.stack, owner).function))
        assert table not in text, owner
    ttl = _props(synth, synth.stack.storage.spent_tokens_table)["TimeToLiveSpecification"]
    assert ttl == {"AttributeName": names.SPENT_TOKENS_TTL_ATTRIBUTE, "Enabled": True}


def test_the_functions_get_the_key_by_reference_and_the_dispatcher_the_public_url(synth):
    env = _props(synth, synth.stack.links.function)["Environment"]["Variables"]
    resolved = {k: v if isinstance(v, str) else (v.get("Ref") or v["Fn::GetAtt"][0]) for k, v in env.items()}
    settings = LinksSettings.from_env(resolved)
    assert settings.signing_secret == synth.logical_id(synth.stack.links.secret)
    assert settings.spent_tokens_table == synth.logical_id(synth.stack.storage.spent_tokens_table)
    dispatcher = _props(synth, synth.stack.dispatcher.function)["Environment"]["Variables"]
    assert dispatcher[names.ENV_SIGNING_SECRET] == {"Ref": synth.logical_id(synth.stack.links.secret)}
    url = synth.stack.get_logical_id(synth.stack.links.url.node.default_child)
    assert dispatcher[names.ENV_LINKS_BASE_URL] == {"Fn::GetAtt": [url, "FunctionUrl"]}
