"""Web Push from context: the subscriptions table, the VAPID key's secret (a placeholder: the key pair is put in it by
`videoalert webpush keys`, never in code or the template), the pywebpush layer on the deliveries function; the links
function may store and remove subscriptions, the deliveries function read and remove them; both read that secret only.
Bundling the layer (pip from PyPI, at deploy) is skipped here; docs/integrations.md has the command that checks it."""
from __future__ import annotations

import pytest
from aws_cdk.assertions import Template

import app as cdk_app
from infra.config import ConfigError, StackConfig

CONTEXT = {"stage": "test", "cameras": "front", "alert_emails": "owner@example.com", "web_push": "true",
           "aws:cdk:bundling-stacks": []}


@pytest.fixture(scope="module")
def pushing(tmp_path_factory):
    app, stack = cdk_app.build_app(CONTEXT, outdir=str(tmp_path_factory.mktemp("cdk.out")))
    assembly = app.synth()  # cdk-nag runs: every finding acknowledged with a reason
    return stack, Template.from_json(assembly.get_stack_by_name(stack.stack_name).template)


def _actions(template: Template, stack, role) -> dict[str, list]:
    """Each action the role's policies allow, with the resources it is allowed on."""
    ref = {"Ref": stack.get_logical_id(role.node.default_child)}
    allowed: dict[str, list] = {}
    for policy in template.find_resources("AWS::IAM::Policy").values():
        if ref not in policy["Properties"]["Roles"]:
            continue
        for st in policy["Properties"]["PolicyDocument"]["Statement"]:
            resources = st["Resource"] if isinstance(st["Resource"], list) else [st["Resource"]]
            for action in [st["Action"]] if isinstance(st["Action"], str) else st["Action"]:
                allowed.setdefault(action, []).extend(resources)
    return allowed


def test_web_push_adds_the_table_the_secret_and_the_layer_with_least_privilege(pushing):
    stack, template = pushing
    push = stack.push
    table, secret = stack.get_logical_id(push.table.node.default_child), stack.get_logical_id(
        push.secret.node.default_child)
    # The table: encrypted, point-in-time recovery, keyed by scope and subscription
    props = template.find_resources("AWS::DynamoDB::Table")[table]["Properties"]
    assert [k["AttributeName"] for k in props["KeySchema"]] == ["scope", "subscription_id"]
    assert props["SSESpecification"]["SSEEnabled"] is True
    assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    # The secret holds a generated placeholder, no key material in the template
    assert "SecretString" not in template.find_resources("AWS::SecretsManager::Secret")[secret]["Properties"]
    # The deliveries function has the layer, the table and the secret
    functions = template.find_resources("AWS::Lambda::Function")
    deliveries = functions[stack.get_logical_id(stack.deliveries.function.node.default_child)]["Properties"]
    layer = stack.get_logical_id(push.layer.node.default_child)
    assert {"Ref": layer} in deliveries["Layers"]
    # built for the deliveries function's architecture (arm64: its wheels are manylinux2014_aarch64, infra/push.py)
    layer_props = template.find_resources("AWS::Lambda::LayerVersion")[layer]["Properties"]
    assert layer_props["CompatibleArchitectures"] == deliveries["Architectures"] == ["arm64"]
    assert deliveries["Environment"]["Variables"]["PUSH_SUBSCRIPTIONS_TABLE"] == {"Ref": table}
    assert deliveries["Environment"]["Variables"]["VAPID_SECRET_ARN"] == {"Ref": secret}
    links = functions[stack.get_logical_id(stack.links.function.node.default_child)]["Properties"]
    assert links["Environment"]["Variables"]["VAPID_SECRET_ARN"] == {"Ref": secret}
    # Least privilege: the links function stores and removes subscriptions; the deliveries function reads and removes
    table_arn = {"Fn::GetAtt": [table, "Arn"]}
    for role, calls in ((stack.links.base.role, {"dynamodb:Query", "dynamodb:PutItem", "dynamodb:DeleteItem"}),
                        (stack.deliveries.base.role, {"dynamodb:Query", "dynamodb:DeleteItem"})):
        allowed = _actions(template, stack, role)
        on_table = {a for a, resources in allowed.items() if table_arn in resources}
        assert on_table == calls, (role, on_table)
        assert {"Ref": secret} in allowed["secretsmanager:GetSecretValue"]
        assert not [a for a in allowed if a.startswith("secretsmanager:") and a != "secretsmanager:GetSecretValue"]
    outputs = template.to_json()["Outputs"]
    assert {"PushSubscriptionsTableName", "VapidSecretArn"} <= set(outputs)


def test_without_web_push_there_is_no_push_table_and_the_links_function_has_no_push_settings(synth):
    assert synth.stack.push is None
    links = synth.resources("AWS::Lambda::Function")[synth.logical_id(synth.stack.links.function)]
    assert "VAPID_SECRET_ARN" not in links["Properties"]["Environment"]["Variables"]


def test_web_push_context_is_a_flag():
    with pytest.raises(ConfigError, match="web_push"):
        StackConfig.from_context((CONTEXT | {"web_push": "maybe"}).get)
    assert StackConfig.from_context((CONTEXT | {"alert_emails": ""}).get).has_deliveries
