"""Alert deliveries from context: without them the stack is as before; with a verified sender and a webhook, the alert
topic feeds a queue and the deliveries function, which may send as that identity and read that secret only."""
from __future__ import annotations

import pytest
from aws_cdk.assertions import Template

import app as cdk_app
from infra.config import ConfigError, StackConfig

CONTEXT = {"stage": "test", "cameras": "front,back-yard", "alert_emails": "owner@example.com"}
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:videoalert-webhook-AbCdEf"


@pytest.fixture(scope="module")
def delivering(tmp_path_factory):
    context = CONTEXT | {"alert_email_from": "alerts@example.com", "alert_webhook_url": "https://hooks.example/va",
                         "alert_webhook_secret_arn": SECRET_ARN}
    app, stack = cdk_app.build_app(context, outdir=str(tmp_path_factory.mktemp("cdk.out")))
    assembly = app.synth()  # cdk-nag runs: every finding acknowledged with a reason
    return stack, Template.from_json(assembly.get_stack_by_name(stack.stack_name).template)


def test_without_deliveries_the_stack_has_no_deliveries_function_and_sns_e_mails_as_before(synth):
    assert synth.stack.deliveries is None
    assert synth.resources("AWS::SNS::Subscription")
    assert all(s["Properties"]["Protocol"] == "email" for s in synth.resources("AWS::SNS::Subscription").values())


def test_deliveries_subscribe_a_queue_and_grant_only_the_identity_and_the_secret(delivering):
    stack, template = delivering
    # The topic's subscribers: the deliveries queue, no text e-mail (the HTML e-mail goes to the same people)
    protocols = [s["Properties"]["Protocol"] for s in template.find_resources("AWS::SNS::Subscription").values()]
    assert protocols == ["sqs"]
    function = template.find_resources("AWS::Lambda::Function")[stack.get_logical_id(
        stack.deliveries.function.node.default_child)]
    variables = function["Properties"]["Environment"]["Variables"]
    assert variables["ALERT_EMAIL_FROM"] == "alerts@example.com" and variables["ALERT_EMAIL_TO"] == "owner@example.com"
    assert variables["ALERT_WEBHOOK_URL"] == "https://hooks.example/va"
    assert variables["ALERT_WEBHOOK_SECRET_ARN"] == SECRET_ARN
    role = stack.get_logical_id(stack.deliveries.base.role.node.default_child)
    statements = [st for p in template.find_resources("AWS::IAM::Policy").values()
                  if {"Ref": role} in p["Properties"]["Roles"] for st in p["Properties"]["PolicyDocument"]["Statement"]]
    actions = {a for st in statements for a in ([st["Action"]] if isinstance(st["Action"], str) else st["Action"])}
    assert {"ses:SendRawEmail", "secretsmanager:GetSecretValue", "dynamodb:GetItem", "dynamodb:UpdateItem",
            "s3:GetObject"} <= actions
    assert not {a for a in actions if a.startswith(("ses:", "secretsmanager:"))} - {"ses:SendRawEmail",
                                                                                   "secretsmanager:GetSecretValue"}
    [secret] = [st for st in statements if st["Action"] == "secretsmanager:GetSecretValue"]
    assert secret["Resource"] == SECRET_ARN
    [ses] = [st for st in statements if st["Action"] == "ses:SendRawEmail"]
    assert "*" not in str(ses["Resource"])
    # and a delivery that keeps failing lands in a dead-letter queue
    function_ref = {"Ref": stack.get_logical_id(stack.deliveries.function.node.default_child)}
    [source] = [m for m in template.find_resources("AWS::Lambda::EventSourceMapping").values()
                if m["Properties"]["FunctionName"] == function_ref]
    assert source["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


@pytest.mark.parametrize("context, message", [
    ({"alert_email_from": "alerts@example.com", "alert_emails": ""}, "alert_emails"),
    ({"alert_webhook_url": "https://hooks.example/va"}, "go together"),
    ({"alert_webhook_url": "http://hooks.example/va", "alert_webhook_secret_arn": SECRET_ARN}, "https"),
])
def test_deliveries_context_is_checked(context, message):
    with pytest.raises(ConfigError, match=message):
        StackConfig.from_context((CONTEXT | context).get)
